import { tf, type Tensor, type Variable } from '@healthgpt/tensor-core';
import { TrainerError } from '../errors.js';
import type { RowSpec } from './stage.js';

/** A [rows, 1] 0/1 mask per restricted parameter (1 on the rows that learn). The caller disposes them. */
export function buildRowMasks(rows: readonly RowSpec[], trainable: [string, Variable][], where: string): Map<string, Tensor> {
  const byName = new Map(trainable);
  const out = new Map<string, Tensor>();
  try {
    for (const r of rows) {
      const p = byName.get(r.param);
      TrainerError.check(p !== undefined, 'STAGE', () => `${where} restricts rows of '${r.param}', which is not among its trainable parameters`, { key: r.param });
      const [from, to] = r.rows;
      const n = p.shape[0];
      TrainerError.check(p.rank >= 2 && Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= n, 'STAGE', () => `${where}: rows [${from}, ${to}) of '${r.param}' [${p.shape}] are not a non-empty range of its ${n} rows`, { key: r.param });
      TrainerError.check(!out.has(r.param), 'STAGE', `${where} restricts the rows of '${r.param}' twice`, { key: r.param });
      const m = new Float32Array(n);
      m.fill(1, from, to);
      out.set(r.param, tf.tensor2d(m, [n, 1]));
    }
  } catch (e) {
    tf.dispose([...out.values()]);
    throw e;
  }
  return out;
}

/** `grads` with each restricted parameter's gradient multiplied by its row mask (the old tensors disposed). */
export function maskRows(grads: Map<string, Tensor>, masks: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  for (const [name, mask] of masks) {
    const g = grads.get(name);
    if (!g) continue;
    grads.set(name, tf.tidy(() => (g.rank === 2 ? tf.mul(g, mask) : tf.mul(g, mask.reshape([mask.shape[0], ...new Array<number>(g.rank - 1).fill(1)])))));
    g.dispose();
  }
  return grads;
}
