import { z } from 'zod';
import { HealthGPTError, disposeOnThrow, loadPlanInto, planLoad, saveSafetensors, type ModelSpec, type Tensor } from '@healthgpt/tensor-core';
import { readCheckpointFile } from '@healthgpt/tensor-core/internal';
import { toVisionError } from '../model/config.js';
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
export function inferProjector(tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>, prefix = COMPREHENSION_PROJECTOR_PREFIX, source?: string): { type: string; inFeatures: number; outFeatures: number } {
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

/** A projector's type and sizes: what its key map follows from. */
export interface ProjectorShape {
  type: string;
  inFeatures: number;
  outFeatures: number;
}

/** Every parameter of a projector (names relative to its prefix) and its shape, in registration order. */
export function* projectorKeyShapes({ type, inFeatures, outFeatures }: ProjectorShape): Generator<[string, number[]]> {
  if (type === 'identity') return;
  if (type === 'linear') {
    yield ['weight', [outFeatures, inFeatures]];
    yield ['bias', [outFeatures]];
    return;
  }
  const depth = Number(/^mlp(\d+)x_gelu$/.exec(type)?.[1] ?? 0);
  for (let i = 0; i < depth; i++) {
    yield [`${2 * i}.weight`, [outFeatures, i === 0 ? inFeatures : outFeatures]];
    yield [`${2 * i}.bias`, [outFeatures]];
  }
}

const size = z.int().positive().max(2 ** 31 - 1);

/** The projector's key map for the shared loader (its "config" is its inferred type and sizes). */
export const projectorSpec: ModelSpec<ProjectorShape> = {
  name: 'projector',
  schema: z.object({ type: z.string().regex(/^(linear|identity|mlp\d+x_gelu)$/), inFeatures: size, outFeatures: size }),
  parameterCount: (s) => [...projectorKeyShapes(s)].reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0),
  keyShapes: projectorKeyShapes,
};

/**
 * Load a projector from a safetensors file (e.g. a converted `mm_projector.bin`), its type and
 * sizes inferred from the header's keys under `prefix` unless `type` is given. Header before
 * allocation: the shapes are checked against the projector's key map before it is built (without
 * random initialisation); keys outside the prefix are never read.
 */
export async function loadProjector(
  file: string,
  { prefix = COMPREHENSION_PROJECTOR_PREFIX, type, maxParameters, ...opts }: { prefix?: string; type?: string; maxParameters?: number } & ProjectorOptions = {},
): Promise<Projector> {
  try {
    const ckpt = await readCheckpointFile(file);
    const shapes = new Map([...ckpt.tensors].map(([k, t]) => [k, { shape: t.info.shape }]));
    const shape = { ...inferProjector(shapes, prefix, file), ...(type ? { type } : {}) };
    const plan = planLoad(projectorSpec, shape, ckpt, { prefix: `${prefix}.`, maxParameters, file });
    const projector = disposeOnThrow(() => buildProjector(shape.type, shape.inFeatures, shape.outFeatures, { ...opts, init: false }));
    try {
      await loadPlanInto(projector, ckpt, plan);
    } catch (e) {
      projector.dispose();
      throw e;
    }
    return projector;
  } catch (e) {
    throw e instanceof HealthGPTError && !(e instanceof VisionEncoderError) ? toVisionError(e) : e;
  }
}
