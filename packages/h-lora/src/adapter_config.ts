import { HLoraError } from './errors.js';
import type { AdapterConfig, AdapterKind, ResolvedAdapterConfig } from './kinds/kind.js';

/** adapter_config.json: peft's LoraConfig fields, plus `adapter_kind`, `scaling_rule` and (routed kinds) `lora_nums`. */
export interface AdapterConfigJson {
  peft_type: 'LORA';
  task_type: string | null;
  base_model_name_or_path: string | null;
  revision: string | null;
  inference_mode: boolean;
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[];
  bias: 'none';
  fan_in_fan_out: boolean;
  init_lora_weights: boolean;
  modules_to_save: string[] | null;
  layers_to_transform: number[] | null;
  layers_pattern: string | null;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  use_rslora: boolean;
  use_dora: boolean;
  /** The registered kind that reads these weights (`lora`, `moe-lora`, `hlora`, …). */
  adapter_kind: string;
  /** How the kind turns lora_alpha into the scaling factor, in these fields' names. */
  scaling_rule: string;
  /** The scaling factor itself. */
  scaling: number;
  lora_nums?: number;
  [extra: string]: unknown;
}

export interface ConfigJsonOptions {
  baseModelNameOrPath?: string | null;
  taskType?: string | null;
}

/** The adapter_config.json of an adapter of `kind` with `config` on layers named by `targetModules`. */
export function toConfigJson(kind: AdapterKind, config: ResolvedAdapterConfig, targetModules: string[], opts: ConfigJsonOptions = {}): AdapterConfigJson {
  return {
    peft_type: 'LORA',
    task_type: opts.taskType ?? 'CAUSAL_LM',
    base_model_name_or_path: opts.baseModelNameOrPath ?? null,
    revision: null,
    inference_mode: true,
    r: config.r,
    lora_alpha: config.loraAlpha,
    lora_dropout: config.loraDropout,
    target_modules: targetModules,
    bias: 'none',
    fan_in_fan_out: false,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    use_rslora: false,
    use_dora: false,
    ...(kind.configFields?.(config) ?? {}),
    adapter_kind: kind.name,
    scaling_rule: kind.scalingRule,
    scaling: kind.scaling(config),
  };
}

/**
 * Read an adapter_config.json object: the kind (`adapter_kind`, else `hlora` when `lora_nums` is
 * present, else `lora`), its config and target modules. Errors name `file` and the field.
 */
export function fromConfigJson(json: unknown, file: string): { kind: string; config: AdapterConfig; targetModules: string[] } {
  const bad = (field: string, why: string) => new HLoraError('CONFIG', `'${field}' ${why}`, { file, path: field });
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad('(root)', 'must be a JSON object');
  const j = json as Record<string, unknown>;
  if (j.peft_type !== undefined && j.peft_type !== 'LORA') throw bad('peft_type', `must be "LORA", got ${JSON.stringify(j.peft_type)}`);
  const num = (f: string, required: boolean): number | undefined => {
    const v = j[f];
    if (v === undefined || v === null) {
      if (required) throw bad(f, 'is missing');
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(f, `must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const r = num('r', true)!;
  const loraAlpha = num('lora_alpha', true)!;
  const loraNums = num('lora_nums', false);
  const loraDropout = num('lora_dropout', false) ?? 0;
  const tm = j.target_modules;
  if (!Array.isArray(tm) || !tm.length || tm.some((t) => typeof t !== 'string')) throw bad('target_modules', 'must be a non-empty list of module names');
  const kind = j.adapter_kind ?? (loraNums !== undefined ? 'hlora' : 'lora');
  if (typeof kind !== 'string') throw bad('adapter_kind', `must be a string, got ${JSON.stringify(kind)}`);
  const config: AdapterConfig = { r, loraAlpha, loraDropout, ...(loraNums !== undefined ? { loraNums } : {}) };
  return { kind, config, targetModules: tm as string[] };
}
