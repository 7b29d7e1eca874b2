import type { Module, Tensor } from '@healthgpt/tensor-core';
import { HealthGPTError, StateDictError, checkBuildable, matchesAny, type KeyPattern, type ModelSpec } from '@healthgpt/tensor-core/base';
import { VisionEncoderError } from '../errors.js';
import { clipConfigFileSchema, numPatches, toVisionError, visionParameterCount, type CLIPVisionConfig } from './config.js';

/**
 * Keys a full CLIP checkpoint (CLIPModel: both towers) holds that the vision tower does not
 * use: the text tower, the two projections, the temperature, and `position_ids` buffers.
 */
export const CLIP_IGNORABLE_KEYS: readonly RegExp[] = [/^text_model\./, /^visual_projection\./, /^text_projection\./, /^logit_scale$/, /(^|\.)position_ids$/];

export interface LoadWeightsOptions {
  /**
   * Only keys starting with `prefix` are read, with the prefix removed (e.g.
   * `model.vision_tower.vision_tower.` in a LLaVA checkpoint); keys outside it are skipped.
   */
  prefix?: string;
  /** Keys (after the prefix is removed) that may be present without a parameter (default `CLIP_IGNORABLE_KEYS`). */
  ignore?: readonly KeyPattern[];
  /** Name used in error messages (the file). */
  source?: string;
}

/**
 * Strictly copy `tensors` into `module`: every parameter must be given and every selected key
 * must name a parameter of the right shape; a `VisionEncoderError` lists all that do not.
 */
export function loadWeightsInto(module: Module, tensors: Map<string, Tensor>, { prefix = '', ignore = CLIP_IGNORABLE_KEYS, source }: LoadWeightsOptions = {}): void {
  const picked = new Map<string, Tensor>();
  for (const [k, t] of tensors) if (k.startsWith(prefix) && !matchesAny(k.slice(prefix.length), ignore)) picked.set(k.slice(prefix.length), t);
  try {
    module.loadStateDict(picked, { strict: true });
  } catch (e) {
    if (!(e instanceof StateDictError)) throw e;
    const key = [...e.missing, ...e.unexpected, ...e.mismatched.map((m) => m.key)][0];
    throw new VisionEncoderError('STATE_DICT', e.detail, { file: source, key, cause: e });
  }
}

/**
 * Every parameter of a CLIP vision tower with config `c`: its HF checkpoint name and shape, in the
 * order the model registers them. Analytic: nothing is allocated.
 */
export function* visionKeyShapes(c: CLIPVisionConfig): Generator<[string, number[]]> {
  const { hidden_size: d, intermediate_size: i, num_channels: ch, patch_size: p } = c;
  const e = 'vision_model.embeddings';
  yield [`${e}.class_embedding`, [d]];
  yield [`${e}.patch_embedding.weight`, [d, ch, p, p]];
  yield [`${e}.position_embedding.weight`, [numPatches(c) + 1, d]];
  const norm = function* (name: string): Generator<[string, number[]]> {
    yield [`${name}.weight`, [d]];
    yield [`${name}.bias`, [d]];
  };
  yield* norm('vision_model.pre_layrnorm');
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const at = `vision_model.encoder.layers.${l}`;
    for (const proj of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) {
      yield [`${at}.self_attn.${proj}.weight`, [d, d]];
      yield [`${at}.self_attn.${proj}.bias`, [d]];
    }
    yield* norm(`${at}.layer_norm1`);
    yield [`${at}.mlp.fc1.weight`, [i, d]];
    yield [`${at}.mlp.fc1.bias`, [i]];
    yield [`${at}.mlp.fc2.weight`, [d, i]];
    yield [`${at}.mlp.fc2.bias`, [d]];
    yield* norm(`${at}.layer_norm2`);
  }
  yield* norm('vision_model.post_layernorm');
}

/**
 * What the shared model-folder loader needs to know about the CLIP tower: its config schema (a
 * `CLIPVisionConfig` or a full `CLIPConfig`) and key map. The keys a full CLIP file holds for the
 * text tower are skipped through the loader's `ignore` (`CLIP_IGNORABLE_KEYS` by default).
 */
export const visionSpec: ModelSpec<CLIPVisionConfig> = {
  name: 'CLIP vision tower',
  schema: clipConfigFileSchema,
  parameterCount: visionParameterCount,
  keyShapes: visionKeyShapes,
};

/**
 * Refuse, before anything is allocated, a config whose parameters exceed `maxParameters` (default:
 * what this machine's memory holds as float32) or whose largest tensor TensorFlow.js cannot hold.
 */
export function checkVisionBuildable(c: CLIPVisionConfig, maxParameters?: number): void {
  try {
    checkBuildable(visionSpec, c, maxParameters);
  } catch (e) {
    throw e instanceof HealthGPTError ? toVisionError(e) : e;
  }
}
