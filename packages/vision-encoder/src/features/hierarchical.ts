import { tf, type Tensor } from '@healthgpt/tensor-core';
import { VisionEncoderError } from '../errors.js';
import { resolveLayer, selectFeatures, type SelectFeaturesOptions } from './select.js';

/** HealthGPT's hierarchical visual perception: the ViT layer each task reads. */
export interface FeatureLayers {
  /** Abstract features for comprehension: `hidden_states[-2]`. */
  comprehension: number;
  /** Concrete features for generation: `hidden_states[1]` (output of the first block). */
  generation: number;
  /** Further task names → layer. */
  [task: string]: number;
}

/** The reference's choice: comprehension −2, generation 1. */
export const HEALTHGPT_FEATURE_LAYERS: Readonly<FeatureLayers> = Object.freeze({ comprehension: -2, generation: 1 });

export interface TaskFeatures {
  /** The task these rows belong to. */
  task: string;
  /** Batch rows (of the forward's batch) in this group, ascending. */
  rows: number[];
  /** [rows.length, N, D] features of the task's layer; the caller owns it. */
  features: Tensor;
}

/**
 * One forward, both tasks: split a mixed batch by task and give each group the features of its
 * own layer. `tasks[b]` names row b's task; groups come in order of first appearance.
 */
export function selectTaskFeatures(
  hiddenStates: readonly Tensor[],
  tasks: readonly string[],
  { layers = HEALTHGPT_FEATURE_LAYERS, dropCls = true }: { layers?: Readonly<Partial<FeatureLayers>> } & SelectFeaturesOptions = {},
): TaskFeatures[] {
  VisionEncoderError.check(hiddenStates.length > 0, 'ARGUMENT', `'hiddenStates' passed to 'selectTaskFeatures' must not be empty`);
  const b = hiddenStates[0].shape[0];
  VisionEncoderError.check(tasks.length === b, 'ARGUMENT', () => `'tasks' passed to 'selectTaskFeatures' must name the task of each of the ${b} rows, got ${tasks.length}`);
  const groups = new Map<string, number[]>();
  tasks.forEach((t, row) => groups.set(t, [...(groups.get(t) ?? []), row]));
  const out: TaskFeatures[] = [];
  for (const [task, rows] of groups) {
    const layer = layers[task];
    VisionEncoderError.check(layer !== undefined, 'ARGUMENT', () => `'tasks' passed to 'selectTaskFeatures' names task '${task}', which has no layer in 'layers' (${Object.keys(layers).join(', ')})`);
    resolveLayer(layer, hiddenStates.length, 'selectTaskFeatures');
    out.push({ task, rows, features: tf.tidy(() => takeRows(selectFeatures(hiddenStates, layer, { dropCls }), rows)) });
  }
  return out;
}

/** Rows of x [B, ...] as one tensor, by slices of contiguous runs (no gather: differentiable on wasm). */
function takeRows(x: Tensor, rows: number[]): Tensor {
  if (rows.length === x.shape[0]) return x;
  const parts: Tensor[] = [];
  for (let i = 0; i < rows.length; ) {
    let j = i + 1;
    while (j < rows.length && rows[j] === rows[j - 1] + 1) j++;
    parts.push(tf.slice(x, rows[i], j - i));
    i = j;
  }
  return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
}
