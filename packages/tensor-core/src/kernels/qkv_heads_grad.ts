/**
 * The gradient of HealthgptQkvHeads (fused_step.ts: a fused q/k/v projection x [B·T, (H + 2·Hkv)·hd]
 * → q, k rotated by RoPE and v, in head layout [B, heads, T, hd]), so training without the native
 * addon runs the split, the head transposes and RoPE as one kernel each way:
 *
 *   HealthgptQkvHeadsGrad  dq [B, H, T, hd], dk, dv [B, Hkv, T, hd], cos, sin [1|B, 1, T, hd]
 *                          → dx [B·T, (H + 2·Hkv)·hd]
 *
 * dq and dk go through RoPE's backward (rotary_grad.ts' formulas: each product rounded to float32,
 * then one add or subtract), dv is copied: the bits of the unfused ops' gradient. On wasm it runs
 * as WebAssembly SIMD when hd is a multiple of 8 (rotary_simd.ts), else (and on cpu) as the loop
 * below. `registerQkvHeadsGradient` makes tfjs differentiate HealthgptQkvHeads with it (the
 * tables are constants: zero gradients, as on the native path); nn/qkv_heads.ts calls the kernel
 * under a tape on wasm.
 */
import { tf } from '../tf.js';
import { walkQkvHeads, type Fused } from './fused_step.js';
import { qkvHeadsOnMemory } from './rotary_simd.js';

export const QKV_HEADS = 'HealthgptQkvHeads';
export const QKV_HEADS_GRAD = 'HealthgptQkvHeadsGrad';

const f = Math.fround;

function qkvHeadsGradLoop([dq, dk, dv, cos, sin]: Float32Array[], [dx]: Float32Array[], [[b, h, t, hd], [, hkv], , [cb]]: number[][]): void {
  const half = hd / 2;
  walkQkvHeads([b, h, hkv, t, hd], cb, (xo, which, o, co) => {
    const src = [dq, dk, dv][which];
    if (which === 2) {
      dx.set(dv.subarray(o, o + hd), xo);
      return;
    }
    for (let i = 0; i < half; i++) dx[xo + i] = f(f(src[o + i] * cos[co + i]) + f(src[o + i + half] * sin[co + i + half]));
    for (let i = half; i < hd; i++) dx[xo + i] = f(f(src[o + i] * cos[co + i]) - f(src[o + i - half] * sin[co + i - half]));
  });
}

export const QKV_HEADS_GRAD_KERNEL: Fused = {
  name: QKV_HEADS_GRAD,
  inputs: ['dq', 'dk', 'dv', 'cos', 'sin'],
  outShapes: ([[b, h, t, hd], [, hkv]]) => [[b * t, (h + 2 * hkv) * hd]],
  loop: qkvHeadsGradLoop,
  simd: (memory, [dq, dk, dv, cos, sin], [dx], [[b, h, t, hd], [, hkv], , [cb]]) => qkvHeadsOnMemory(memory, [dq, dk, dv], dx, cos, sin, [b, h, hkv, t, hd], cb, true),
};

let registered = false;

/** Make tfjs differentiate HealthgptQkvHeads (once): x gets HealthgptQkvHeadsGrad, the tables zeros. */
export function registerQkvHeadsGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: QKV_HEADS,
    inputsToSave: ['cos', 'sin'],
    gradFunc: (dys, [cos, sin], attrs) => {
      const [dq, dk, dv] = dys as tf.Tensor[];
      return {
        x: () => tf.engine().runKernel(QKV_HEADS_GRAD, { dq, dk, dv, cos, sin }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
        cos: () => tf.zerosLike(cos),
        sin: () => tf.zerosLike(sin),
      };
    },
  });
}
