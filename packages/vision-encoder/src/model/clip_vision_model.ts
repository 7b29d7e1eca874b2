import { Module, Generator, getDefaultGenerator, disposeOnThrow, loadModelFolder, saveModelFolder, TensorCoreError, type Tensor, type FolderReader, type FolderWriter } from '@healthgpt/tensor-core';
import { resolveVisionConfig, toVisionError, visionConfigToJSON, type CLIPVisionConfig } from './config.js';
import { visionPreset, type VisionPresetName } from './presets.js';
import { CLIPVisionTransformer, type CLIPVisionOutput } from './vision_transformer.js';
import { CLIP_IGNORABLE_KEYS, checkVisionBuildable, loadWeightsInto, visionSpec, type LoadWeightsOptions } from './checkpoint.js';

export interface CLIPVisionModelOptions {
  /** Seed of the from-scratch init (ignored when `gen` is given). */
  seed?: number;
  /** Generator the init draws from (default: tensor-core's default generator). */
  gen?: Generator;
  /** Draw HF's initialisation (default true); `false` starts every tensor at zero, for weights about to be loaded. */
  init?: boolean;
  /**
   * Refuse (with a `VisionEncoderError`, before allocating) a config implying more parameters
   * than this; default: as many float32 values as the machine has memory.
   */
  maxParameters?: number;
}

export interface FromPretrainedOptions extends Omit<LoadWeightsOptions, 'source'> {
  /** See `CLIPVisionModelOptions.maxParameters`. */
  maxParameters?: number;
}

/**
 * HF `CLIPVisionModel`: the tower under `vision_model.*`, so `namedParameters()` are the keys of
 * an HF checkpoint (`vision_model.encoder.layers.0.self_attn.q_proj.weight`, …).
 */
export class CLIPVisionModel extends Module {
  readonly config: CLIPVisionConfig;

  constructor(config: Partial<CLIPVisionConfig> = {}, { seed, gen, init = true, maxParameters }: CLIPVisionModelOptions = {}) {
    super();
    this.config = resolveVisionConfig(config);
    checkVisionBuildable(this.config, maxParameters);
    const g = !init ? null : (gen ?? (seed !== undefined ? new Generator(seed) : getDefaultGenerator()));
    disposeOnThrow(() => this.registerModule('vision_model', new CLIPVisionTransformer(this.config, g)));
  }

  /** A freshly initialised tower of a preset shape (see `VISION_PRESETS`). */
  static fromPreset(name: VisionPresetName, overrides: Partial<CLIPVisionConfig> = {}, opts: CLIPVisionModelOptions = {}): CLIPVisionModel {
    return new CLIPVisionModel(visionPreset(name, overrides), opts);
  }

  /** Encoder layers L (the forward returns L + 1 hidden states). */
  get numLayers(): number {
    return this.config.num_hidden_layers;
  }

  /** pixelValues [B, C, S, S] float32 (normalised, NCHW) → every hidden state, see `CLIPVisionOutput`. */
  forward(pixelValues: Tensor): CLIPVisionOutput {
    return this.child<CLIPVisionTransformer>('vision_model').forward(pixelValues);
  }

  /** Copy a checkpoint's tensors in, strictly (full-CLIP keys such as `text_model.*` are ignorable). */
  loadWeights(tensors: Map<string, Tensor>, opts: LoadWeightsOptions = {}): void {
    loadWeightsInto(this, tensors, opts);
  }

  /**
   * Load a model folder through tensor-core's reader: `config.json` (a CLIPVisionConfig or a full
   * CLIPConfig, type-checked) and `model.safetensors` (or its shards), the headers checked against
   * the config before the tower is built (without random initialisation). Strict: every parameter
   * must be present, and every key other than the ignorable full-CLIP ones (`CLIP_IGNORABLE_KEYS`)
   * must be a parameter. `source` may be a `FolderReader` (a sub-folder of a bigger model).
   */
  static async fromPretrained(source: string | FolderReader, { prefix, ignore = CLIP_IGNORABLE_KEYS, maxParameters }: FromPretrainedOptions = {}): Promise<CLIPVisionModel> {
    const { model } = await loadModelFolder(source, visionSpec, (config) => new CLIPVisionModel(config, { init: false, maxParameters }), {
      prefix,
      ignore,
      maxParameters,
      wrapError: toVisionError,
    });
    return model.eval();
  }

  /**
   * Write `config.json` and `model.safetensors` (HF layout) as one whole-folder save; with a
   * `FolderWriter` they are staged in it (its owner commits).
   */
  async savePretrained(target: string | FolderWriter): Promise<void> {
    try {
      await saveModelFolder(target, { config: visionConfigToJSON(this.config), weights: this.namedParameters() });
    } catch (e) {
      throw e instanceof TensorCoreError ? toVisionError(e) : e;
    }
  }
}
