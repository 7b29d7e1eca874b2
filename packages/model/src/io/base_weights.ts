import { tf, loadPlanTensors, type Checkpoint, type LoadPlan, type Variable } from '@healthgpt/tensor-core';
import { ModelError } from '../errors.js';

/** Bytes of tensor data read into memory at once while loading. */
const CHUNK_BYTES = 64 * 2 ** 20;

/**
 * Copy the planned tensors (`planLoad`: every key and shape already checked against the headers)
 * into the base parameters, a chunk of at most 64 MiB of file data at a time. The plan must name
 * exactly the model's base parameters.
 */
export async function loadBaseWeights(params: Map<string, Variable>, ckpt: Checkpoint, plan: LoadPlan): Promise<void> {
  const planned = new Set(plan.map(([name]) => name));
  const unplanned = [...params.keys()].filter((k) => !planned.has(k));
  const unknown = [...planned].filter((k) => !params.has(k));
  ModelError.check(!unplanned.length && !unknown.length, 'CHECKPOINT', () => `the key map and the built model disagree (model only: ${unplanned.slice(0, 5).join(', ') || 'none'}; key map only: ${unknown.slice(0, 5).join(', ') || 'none'})`, { key: unplanned[0] ?? unknown[0] });
  const chunks: LoadPlan[] = [[]];
  let bytes = 0;
  for (const step of plan) {
    const size = step[1].info.dataOffsets[1] - step[1].info.dataOffsets[0];
    if (bytes > 0 && bytes + size > CHUNK_BYTES) {
      chunks.push([]);
      bytes = 0;
    }
    chunks[chunks.length - 1].push(step);
    bytes += size;
  }
  for (const chunk of chunks) {
    const tensors = await loadPlanTensors(ckpt, chunk.map(([, stored]) => stored.key));
    try {
      for (const [name, stored] of chunk) {
        const t = tensors.get(stored.key)!;
        tf.tidy(() => params.get(name)!.assign(t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
      }
    } finally {
      tensors.forEach((t) => t.dispose());
    }
  }
}
