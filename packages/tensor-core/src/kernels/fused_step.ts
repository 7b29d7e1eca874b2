/**
 * Inference-only fused kernels for the small ops of a decoding step, one kernel call each instead
 * of a chain of tfjs kernels (a tiny model's step is dominated by per-kernel overhead, not
 * arithmetic). They have no gradient: the ops in nn/ call them only while no tape records
 * (`tf.engine().isTapeOn()` false), and run the differentiable formulas otherwise.
 *
 *   HealthgptRmsNorm   x [..., D], weight [D]          → x · rsqrt(mean(x²) + eps) · weight
 *   HealthgptRotary    x [B, H, T, D], cos, sin [B, 1, T, D] → x·cos + rotate_half(x)·sin
 *   HealthgptSiluGate  x [..., 2I] (gate; up), or x and up [..., I] → silu(gate) · up  [..., I]
 *
 * Every product and sum is rounded to float32 as the unfused float32 kernels round it, except the
 * mean of squares, which is accumulated in float64 and rounded once.
 */
import { tf } from '../tf.js';
import { heapF32, wasmOf, type TensorInfo } from './wasm_heap.js';
import { cpuOf } from './cpu_data.js';

const f = Math.fround;

/** Writes `out` from the inputs' data (in the order of the kernel's input names). */
type Loop = (ins: Float32Array[], out: Float32Array, shapes: number[][], attrs: Record<string, number>) => void;

interface Fused {
  name: string;
  inputs: string[];
  outShape: (shapes: number[][]) => number[];
  loop: Loop;
}

function rmsNormLoop([x, w]: Float32Array[], out: Float32Array, [shape]: number[][], { eps }: Record<string, number>): void {
  const d = shape[shape.length - 1];
  for (let r = 0; r < x.length; r += d) {
    let ss = 0;
    for (let i = r; i < r + d; i++) ss += x[i] * x[i];
    const inv = f(1 / Math.sqrt(f(f(ss / d) + eps)));
    for (let i = 0; i < d; i++) out[r + i] = f(f(x[r + i] * inv) * w[i]);
  }
}

function rotaryLoop([x, cos, sin]: Float32Array[], out: Float32Array, [[b, h, t, d], [cb]]: number[][]): void {
  const half = d / 2;
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++)
      for (let ti = 0; ti < t; ti++) {
        const xo = ((bi * h + hi) * t + ti) * d;
        const co = ((cb === 1 ? 0 : bi) * t + ti) * d; // tables [1|B, 1, T, D]
        for (let i = 0; i < d; i++) {
          const rot = i < half ? -x[xo + i + half] : x[xo + i - half];
          out[xo + i] = f(f(x[xo + i] * cos[co + i]) + f(rot * sin[co + i]));
        }
      }
}

/** silu(g)·u, with x = [gate; up] along the last axis, or x = gate and a second input up. */
function siluGateLoop([x, up]: Float32Array[], out: Float32Array, [shape]: number[][]): void {
  const n = up ? shape[shape.length - 1] : shape[shape.length - 1] / 2;
  const [u, stride] = up ? [up, n] : [x, 2 * n];
  const upAt = up ? 0 : n;
  for (let r = 0, o = 0; o < out.length; r += stride, o += n)
    for (let i = 0; i < n; i++) {
      const g = x[r + i];
      out[o + i] = f(f(g * f(1 / (1 + Math.exp(-g)))) * u[r + upAt + i]);
    }
}

const FUSED: Fused[] = [
  { name: 'HealthgptRmsNorm', inputs: ['x', 'weight'], outShape: ([s]) => s, loop: rmsNormLoop },
  { name: 'HealthgptRotary', inputs: ['x', 'cos', 'sin'], outShape: ([s]) => s, loop: rotaryLoop },
  { name: 'HealthgptSiluGate', inputs: ['x', 'up'], outShape: ([s, up]) => (up ? s : [...s.slice(0, -1), s[s.length - 1] / 2]), loop: siluGateLoop },
];

/** The kernel's inputs in the order of its names; an optional one left out is skipped. */
const present = (args: Parameters<tf.KernelFunc>[0], names: string[]): TensorInfo[] => names.map((k) => (args.inputs as Record<string, TensorInfo | undefined>)[k]).filter((t): t is TensorInfo => t !== undefined);

function wasmConfig({ name, inputs, outShape, loop }: Fused): tf.KernelConfig {
  return {
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const backend = wasmOf(args);
      const ins = present(args, inputs);
      const shapes = ins.map((t) => t.shape);
      const out = backend.makeOutput(outShape(shapes), 'float32');
      // Heap views after the last allocation (makeOutput may grow the heap).
      loop(ins.map((t) => heapF32(backend, t)), heapF32(backend, out), shapes, args.attrs as Record<string, number>);
      return out;
    },
  };
}

function cpuConfig({ name, inputs, outShape, loop }: Fused): tf.KernelConfig {
  return {
    kernelName: name,
    backendName: 'cpu',
    kernelFunc: (args) => {
      const backend = cpuOf(args);
      const ins = present(args, inputs);
      const shapes = ins.map((t) => t.shape);
      const shape = outShape(shapes);
      const out = new Float32Array(tf.util.sizeFromShape(shape));
      loop(ins.map((t) => backend.data.get(t.dataId).values as Float32Array), out, shapes, args.attrs as Record<string, number>);
      return backend.makeTensorInfo(shape, 'float32', out);
    },
  };
}

export const fusedStepConfigs: tf.KernelConfig[] = FUSED.flatMap((k) => [wasmConfig(k), cpuConfig(k)]);

export type FusedKernel = 'HealthgptRmsNorm' | 'HealthgptRotary' | 'HealthgptSiluGate';

/** Whether an op may run the inference-only `kernel`: float32 data, no tape recording gradients, a backend that has it registered. */
export function inferenceFusable(kernel: FusedKernel, ...xs: tf.Tensor[]): boolean {
  return !tf.engine().isTapeOn() && xs.every((x) => x.dtype === 'float32' && x.size > 0) && tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

const run = (name: FusedKernel, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}) => tf.engine().runKernel<tf.Tensor>(name, inputs, attrs);

/** HealthgptRmsNorm (no gradient): x [..., D], weight [D]. */
export const rmsNormInference = (x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor => run('HealthgptRmsNorm', { x, weight }, { eps });

/** HealthgptRotary (no gradient): x [B, H, T, D], cos and sin [B, 1, T, D]. */
export const rotaryInference = (x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor => run('HealthgptRotary', { x, cos, sin });

/** HealthgptSiluGate (no gradient): silu(gate)·up for x [..., 2I] holding gate then up (→ [..., I]), or x = gate and `up` of its shape. */
export const siluGateInference = (x: tf.Tensor, up?: tf.Tensor): tf.Tensor => run('HealthgptSiluGate', up ? { x, up } : { x });
