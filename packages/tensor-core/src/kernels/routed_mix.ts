/**
 * The routed low-rank mixture of H-LoRA as two fused kernels (forward and backward), each one pass
 * over a row instead of a split, a softmax, an expert-map matmul, a product and, backward, their
 * gradients and a concat. Per row, with u = [h; l] (h the R low-rank activations, l the k router
 * logits), experts of rₑ = R/k consecutive ranks and s the adapter's scaling:
 *
 *   HealthgptRoutedMix      u [N, R + k] → y [N, R], g [N, k]:  g = softmax(l), y_c = h_c · (g_e(c)·s)
 *   HealthgptRoutedMixGrad  dy [N, R], u, g → du [N, R + k]:
 *                           du_c = dy_c · (g_e(c)·s),  dg_e = s·Σ_{c∈e} dy_c·h_c,  du_{R+e} = g_e·(dg_e − Σ_j g_j·dg_j)
 *
 * Products rounded to float32 as the unfused kernels round them; the softmax's exponentials and
 * the sums are accumulated in float64 and rounded once. With the native addon loaded and the
 * native path on, both kernels run its routed_mix.cc instead of these loops (the same formula,
 * its exponentials float32 within ~2 ulp, on the same heap views).
 */
import type { Fused } from './fused_step.js';
import { nativeKernels, type NativeAddon } from './native.js';

/** The addon's routed-mixture kernels (native/src/routed_mix_bindings.cc); absent from addons built before them. */
type MixAddon = NativeAddon & {
  routedMix?(u: Float32Array, uOff: number, y: Float32Array, yOff: number, g: Float32Array, gOff: number, n: number, r: number, k: number, scaling: number): void;
  routedMixGrad?(dy: Float32Array, dyOff: number, u: Float32Array, uOff: number, g: Float32Array, gOff: number, du: Float32Array, duOff: number, n: number, r: number, k: number, scaling: number): void;
};

const addon = () => nativeKernels() as MixAddon | null;

const f = Math.fround;

function mixLoop([u]: Float32Array[], [y, g]: Float32Array[], [[n, w]]: number[][], { r, k, scaling }: Record<string, number>): void {
  const native = addon();
  if (native?.routedMix) return native.routedMix(u, 0, y, 0, g, 0, n, r, k, scaling);
  const re = r / k;
  const e = new Float64Array(k);
  for (let row = 0; row < n; row++) {
    const at = row * w;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, u[at + r + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += e[j] = Math.exp(u[at + r + j] - max);
    for (let j = 0; j < k; j++) {
      const gj = f(e[j] / sum);
      g[row * k + j] = gj;
      const gs = f(gj * scaling);
      for (let c = j * re; c < (j + 1) * re; c++) y[row * r + c] = u[at + c] * gs;
    }
  }
}

function mixGradLoop([dy, u, g]: Float32Array[], [du]: Float32Array[], [[n]]: number[][], { r, k, scaling }: Record<string, number>): void {
  const native = addon();
  if (native?.routedMixGrad) return native.routedMixGrad(dy, 0, u, 0, g, 0, du, 0, n, r, k, scaling);
  const re = r / k;
  const w = r + k;
  const dg = new Float64Array(k);
  for (let row = 0; row < n; row++) {
    const at = row * w;
    let dot = 0;
    for (let j = 0; j < k; j++) {
      const gj = g[row * k + j];
      const gs = f(gj * scaling);
      let acc = 0;
      for (let c = j * re; c < (j + 1) * re; c++) {
        const d = dy[row * r + c];
        du[at + c] = d * gs;
        acc += d * u[at + c];
      }
      dg[j] = acc * scaling;
      dot += gj * dg[j];
    }
    for (let j = 0; j < k; j++) du[at + r + j] = g[row * k + j] * (dg[j] - dot);
  }
}

export const ROUTED_MIX: Fused[] = [
  { name: 'HealthgptRoutedMix', inputs: ['u'], outShapes: ([[n]], { r, k }) => [[n, r], [n, k]], loop: mixLoop },
  { name: 'HealthgptRoutedMixGrad', inputs: ['dy', 'u', 'g'], outShapes: ([, u]) => [u], loop: mixGradLoop },
];
