import { loadSafetensors, saveSafetensors, type Tensor } from '@healthgpt/tensor-core';
import { VisionEncoderError } from '../errors.js';
import { loadWeightsInto } from '../model/checkpoint.js';
import { buildProjector, type Projector, type ProjectorOptions } from './projectors.js';

/** Key prefix of the comprehension projector (LLaVA's name; also the reference's per-file name). */
export const COMPREHENSION_PROJECTOR_PREFIX = 'model.mm_projector';
/** Key prefix of the generation projector in the assembled HealthGPT model. */
export const GENERATION_PROJECTOR_PREFIX = 'model.gen_mm_projector';

/** The projector's parameters under `prefix` (`model.mm_projector.0.weight`, …); live variables. */
export function projectorStateDict(projector: Projector, prefix = COMPREHENSION_PROJECTOR_PREFIX): Map<string, Tensor> {
  return new Map(projector.namedParameters(prefix));
}

/** Strictly load the keys under `prefix.` into `projector`; keys outside the prefix are skipped. */
export function loadProjectorWeights(projector: Projector, tensors: Map<string, Tensor>, { prefix = COMPREHENSION_PROJECTOR_PREFIX, source }: { prefix?: string; source?: string } = {}): void {
  loadWeightsInto(projector, tensors, { prefix: `${prefix}.`, ignore: [], source });
}

/**
 * The projector a set of weights describes: `prefix.weight` alone is `linear`; `prefix.0`,
 * `prefix.2`, … `prefix.{2(N−1)}` are `mlp{N}x_gelu`. Sizes come from the weight shapes.
 */
export function inferProjector(tensors: Map<string, Tensor>, prefix = COMPREHENSION_PROJECTOR_PREFIX, source?: string): { type: string; inFeatures: number; outFeatures: number } {
  const at = (k: string) => tensors.get(`${prefix}.${k}`);
  const single = at('weight');
  if (single) {
    const [out, inp] = single.shape as number[];
    return { type: 'linear', inFeatures: inp, outFeatures: out };
  }
  let depth = 0;
  while (at(`${2 * depth}.weight`)) depth++;
  if (depth === 0)
    throw new VisionEncoderError('STATE_DICT', `no projector weights under '${prefix}.' (expected '${prefix}.weight' or '${prefix}.0.weight')`, {
      file: source,
      key: `${prefix}.0.weight`,
    });
  const [, inp] = at('0.weight')!.shape as number[];
  const [out] = at(`${2 * (depth - 1)}.weight`)!.shape as number[];
  return { type: `mlp${depth}x_gelu`, inFeatures: inp, outFeatures: out };
}

/** Write the projector alone to a safetensors file, keys under `prefix` (atomic). */
export async function saveProjector(projector: Projector, file: string, { prefix = COMPREHENSION_PROJECTOR_PREFIX }: { prefix?: string } = {}): Promise<void> {
  await saveSafetensors(file, projectorStateDict(projector, prefix), { format: 'pt', mm_projector_type: projector.type });
}

/**
 * Load a projector from a safetensors file (e.g. a converted `mm_projector.bin`), its type and
 * sizes inferred from the keys under `prefix` unless `type` is given.
 */
export async function loadProjector(file: string, { prefix = COMPREHENSION_PROJECTOR_PREFIX, type, ...opts }: { prefix?: string; type?: string } & ProjectorOptions = {}): Promise<Projector> {
  const { tensors } = await loadSafetensors(file, { keys: (k) => k.startsWith(`${prefix}.`) });
  try {
    const spec = inferProjector(tensors, prefix, file);
    const projector = buildProjector(type ?? spec.type, spec.inFeatures, spec.outFeatures, opts);
    try {
      loadProjectorWeights(projector, tensors, { prefix, source: file });
    } catch (e) {
      projector.dispose();
      throw e;
    }
    return projector;
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}
