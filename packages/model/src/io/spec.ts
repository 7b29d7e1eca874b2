import { HealthGPTError, TensorCoreError, type ModelSpec } from '@healthgpt/tensor-core';
import { decoderKeyShapes } from '@healthgpt/decoder';
import { visionKeyShapes, projectorKeyShapes } from '@healthgpt/vision-encoder';
import { parseHealthGPTConfig, type HealthGPTConfig } from '../config/parse.js';
import { countParameters } from '../presets/count.js';
import { ModelError } from '../errors.js';
import { VISION_PREFIX } from './keys.js';

/**
 * Every base (non-plugin) parameter of a HealthGPT model with config `c`: its name in
 * `model.safetensors` and its shape, analytically (nothing is built): the decoder's keys, the
 * tower's under `model.vision_tower.vision_tower.`, each task's projector under `model.<projector>.`.
 */
export function* baseKeyShapes(c: HealthGPTConfig): Generator<[string, number[]]> {
  yield* decoderKeyShapes(c.text);
  for (const [k, shape] of visionKeyShapes(c.vision)) yield [VISION_PREFIX + k, shape];
  for (const t of c.tasks.values())
    for (const [k, shape] of projectorKeyShapes({ type: c.projectorType, inFeatures: c.vision.hidden_size, outFeatures: c.text.hiddenSize })) yield [`model.${t.projector}.${k}`, shape];
}

/** The base parameter count of `c` (decoder, tower, projectors; plugins and the VQ tokenizer are in their own folders). */
export function baseParameterCount(c: HealthGPTConfig): number {
  const n = countParameters(c.json);
  return n.model - Object.values(n.plugins).reduce((a, b) => a + b, 0);
}

/**
 * The shared loader's view of a HealthGPT folder's base weights: config.json read by
 * `parseHealthGPTConfig` (a `ModelError` naming the field), and the key map above, so that
 * `planLoad` checks the headers before anything is allocated.
 */
export const healthGPTSpec: ModelSpec<HealthGPTConfig> = {
  name: 'HealthGPT model',
  schema: { safeParse: (data: unknown) => ({ success: true as const, data: parseHealthGPTConfig(data) }) },
  parameterCount: baseParameterCount,
  keyShapes: baseKeyShapes,
  ignore: (c) => (c.text.tieWordEmbeddings ? ['lm_head.weight'] : []),
};

/** A tensor-core error (folder, safetensors, key map, size bound) as a `ModelError`, keeping it as the cause. */
export function toModelError(e: unknown): unknown {
  if (!(e instanceof TensorCoreError) || !(e instanceof HealthGPTError)) return e;
  return new ModelError(e.code === 'CONFIG' ? 'CONFIG' : 'CHECKPOINT', e.detail, { ...e.context, cause: e });
}
