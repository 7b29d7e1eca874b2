/** What the child of `killDuringSaves` saves, version after version. */
export interface KillSpec {
  dir: string;
  /** `model`: config.json + weights (shards on odd versions) + tokenizer.json + a `vq/` sub-folder; `adapter`: a config file and one weights file. */
  layout: 'model' | 'adapter';
  /** The config written; `field` is set to `base + scale · version`. */
  config: Record<string, unknown>;
  field: string;
  base: number;
  scale: number;
  /** Tensor names and shapes; every value is the version. */
  tensors: [string, number[]][];
  /** The first version this child saves. */
  start: number;
  /** Shard size of the odd versions (`model`). */
  shardBytes?: number;
  /** File names of the `adapter` layout. */
  configFile: string;
  weightsFile: string;
}
