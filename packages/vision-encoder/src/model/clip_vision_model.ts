import { join } from 'node:path';
import { Module, Generator, getDefaultGenerator, saveSafetensors, writeFileAtomic, type Tensor } from '@healthgpt/tensor-core';
import { resolveVisionConfig, visionConfigToJSON, type CLIPVisionConfig } from './config.js';
import { visionPreset, type VisionPresetName } from './presets.js';
import { CLIPVisionTransformer, type CLIPVisionOutput } from './vision_transformer.js';
import { loadWeightsInto, readJson, readWeights, type LoadWeightsOptions } from './checkpoint.js';

export interface CLIPVisionModelOptions {
  /** Seed of the from-scratch init (ignored when `gen` is given). */
  seed?: number;
  /**
   * Generator the init draws from (default: tensor-core's default generator); `null` skips the
   * HF init draws (tensors start at zero) for weights that are about to be loaded.
   */
  gen?: Generator | null;
}

/**
 * HF `CLIPVisionModel`: the tower under `vision_model.*`, so `namedParameters()` are the keys of
 * an HF checkpoint (`vision_model.encoder.layers.0.self_attn.q_proj.weight`, …).
 */
export class CLIPVisionModel extends Module {
  readonly config: CLIPVisionConfig;

  constructor(config: Partial<CLIPVisionConfig> = {}, { seed, gen }: CLIPVisionModelOptions = {}) {
    super();
    this.config = resolveVisionConfig(config);
    const g = gen !== undefined ? gen : seed !== undefined ? new Generator(seed) : getDefaultGenerator();
    this.registerModule('vision_model', new CLIPVisionTransformer(this.config, g));
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
   * Load `dir/config.json` (a CLIPVisionConfig or a full CLIPConfig) and `dir/model.safetensors`
   * (or its shards). Strict: every parameter must be present, and every key other than the
   * ignorable full-CLIP ones (`CLIP_IGNORABLE_KEYS`) must be a parameter.
   */
  static async fromPretrained(dir: string, opts: Omit<LoadWeightsOptions, 'source'> = {}): Promise<CLIPVisionModel> {
    const cfgFile = join(dir, 'config.json');
    const config = resolveVisionConfig(await readJson(cfgFile), cfgFile);
    const tensors = await readWeights(dir, opts);
    const model = new CLIPVisionModel(config, { gen: null });
    try {
      model.loadWeights(tensors, { ...opts, source: join(dir, 'model.safetensors') });
    } catch (e) {
      model.dispose();
      throw e;
    } finally {
      tensors.forEach((t) => t.dispose());
    }
    return model.eval();
  }

  /** Write `dir/model.safetensors` and `dir/config.json` (HF layout), each atomically. */
  async savePretrained(dir: string): Promise<void> {
    await saveSafetensors(join(dir, 'model.safetensors'), this.stateDict(), { format: 'pt' });
    await writeFileAtomic(join(dir, 'config.json'), JSON.stringify(visionConfigToJSON(this.config), null, 2) + '\n');
  }
}
