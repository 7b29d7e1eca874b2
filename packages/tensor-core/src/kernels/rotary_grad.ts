/**
 * The backward of rotate-half RoPE as one fused kernel on wasm and cpu, for training without the
 * native addon. With y = x·cos + rotate_half(x)·sin and rotate_half(x) = [−x₂; x₁] (halves of D):
 *
 *   HealthgptRotaryGrad  dy [B, H, T, D], cos, sin [1|B, 1, T, D] → dx [B, H, T, D]
 *     dx_j = dy_j·cos_j + dy_{j+D/2}·sin_{j+D/2}   (j < D/2)
 *     dx_j = dy_j·cos_j − dy_{j−D/2}·sin_{j−D/2}   (j ≥ D/2)
 *
 * Each product and the sum are rounded to float32 as tfjs rounds the gradient of the unfused ops
 * (the two contributions meet in one add), so the bits are the same. The forward is fused_step.ts'
 * HealthgptRotary; nn/rope.ts pairs the two under `tf.customGrad`. On wasm both run as WebAssembly SIMD
 * (rotary_simd.ts) when D/2 is a multiple of 4, with the same bits.
 */
import type { Fused } from './fused_step.js';
import { rotaryOnMemory } from './rotary_simd.js';

const f = Math.fround;

function rotaryGradLoop([dy, cos, sin]: Float32Array[], [dx]: Float32Array[], [[b, h, t, d], [cb]]: number[][]): void {
  const half = d / 2;
  // One row of D per (batch, head, position); its table row is (batch if cb = B, position).
  for (let r = 0; r < b * h * t; r++) {
    const o = r * d;
    const co = ((cb === 1 ? 0 : Math.floor(r / (h * t))) * t + (r % t)) * d;
    for (let i = 0; i < half; i++) dx[o + i] = f(f(dy[o + i] * cos[co + i]) + f(dy[o + i + half] * sin[co + i + half]));
    for (let i = half; i < d; i++) dx[o + i] = f(f(dy[o + i] * cos[co + i]) - f(dy[o + i - half] * sin[co + i - half]));
  }
}

export const ROTARY_GRAD: Fused = {
  name: 'HealthgptRotaryGrad',
  inputs: ['dy', 'cos', 'sin'],
  outShapes: ([s]) => [s],
  loop: rotaryGradLoop,
  simd: (memory, ins, [out], [shape, [cb]]) => rotaryOnMemory(memory, ins, out, shape, cb, true),
};
