import { tf, normal, type Generator, type Tensor, type Variable } from '@healthgpt/tensor-core';

/**
 * Where initial values come from: a generator for a from-scratch init, or `null` when the
 * weights are about to be loaded (then the HF init draws are skipped and tensors start at zero).
 */
export type InitSource = Generator | null;

/** N(0, std²) draws from `src`, or zeros when there is no source. */
export function normalOrZeros(shape: number[], std: number, src: InitSource): Tensor {
  return src ? normal(shape, 0, std, src) : tf.zeros(shape);
}

/** Overwrite `v` with N(0, std²) draws from `src` (HF `nn.init.normal_`); nothing without a source. */
export function initNormal(v: Variable, std: number, src: InitSource): void {
  if (!src) return;
  const fresh = normal(v.shape, 0, std, src);
  v.assign(fresh);
  fresh.dispose();
}
