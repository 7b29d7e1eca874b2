import { tf, normal, type Generator, type Variable } from '@healthgpt/tensor-core';

/** Overwrite `v` with N(0, std²) draws from `gen` (HF `nn.init.normal_`). */
export function initNormal(v: Variable, std: number, gen: Generator): void {
  const fresh = normal(v.shape, 0, std, gen);
  v.assign(fresh);
  fresh.dispose();
}

/** Overwrite `v` with zeros (HF zero-inits every Linear bias of CLIP). */
export function initZeros(v: Variable | null): void {
  if (!v) return;
  tf.tidy(() => v.assign(tf.zerosLike(v)));
}
