/**
 * Inference-only fused kernels for the small ops of a decoding step, one kernel call each instead
 * of a chain of tfjs kernels (a tiny model's step is dominated by per-kernel overhead, not
 * arithmetic). They have no gradient: the ops in nn/ call them only while no tape records
 * (`tf.engine().isTapeOn()` false), and run the differentiable formulas otherwise.
 *
 *   HealthgptRmsNorm   x [..., D], weight [D]          → x · rsqrt(mean(x²) + eps) · weight
 *   HealthgptRotary    x [B, H, T, D], cos, sin [B, 1, T, D] → x·cos + rotate_half(x)·sin
 *   HealthgptSiluGate  x [..., 2I] (gate; up), or x and up [..., I] → silu(gate) · up  [..., I]
 *   HealthgptQkvHeads  x [B·T, (H + 2·Hkv)·hd], cos, sin → q, k rotated and v, each [B, heads, T, hd]
 *
 * Every product and sum is rounded to float32 as the unfused float32 kernels round it, except the
 * mean of squares, which is accumulated in float64 and rounded once. On wasm, HealthgptRotary runs
 * as WebAssembly SIMD (rotary_simd.ts, the same bits) when half a head is a multiple of 4; it also
 * serves training as RoPE's forward (nn/rope.ts). HealthgptQkvHeads likewise (when hd is a multiple
 * of 8), and serves training too, with the gradient of qkv_heads_grad.ts.
 */
import { tf } from '../tf.js';
import { heapAddress, heapF32, wasmOf, type TensorInfo } from './wasm_heap.js';
import { onBackendMemory, type WasmMemory } from './wasm_simd.js';
import { qkvHeadsOnMemory, rotaryOnMemory } from './rotary_simd.js';
import { cpuOf } from './cpu_data.js';

const f = Math.fround;

/** Writes the outputs from the inputs' data (in the order of the kernel's input names). */
export type Loop = (ins: Float32Array[], outs: Float32Array[], shapes: number[][], attrs: Record<string, number>) => void;

/** A fused kernel: its name, input names, output shapes and the loop that fills the outputs (on wasm and cpu alike). */
export interface Fused {
  name: string;
  inputs: string[];
  outShapes: (shapes: number[][], attrs: Record<string, number>) => number[][];
  loop: Loop;
  /**
   * On wasm, a WebAssembly SIMD pass that writes the outputs from byte addresses in the backend's
   * memory with the loop's bits; false (nothing written) to leave them to the loop.
   */
  simd?: (memory: WasmMemory, ins: number[], outs: number[], shapes: number[][], attrs: Record<string, number>) => boolean;
}

function rmsNormLoop([x, w]: Float32Array[], [out]: Float32Array[], [shape]: number[][], { eps }: Record<string, number>): void {
  const d = shape[shape.length - 1];
  for (let r = 0; r < x.length; r += d) {
    let ss = 0;
    for (let i = r; i < r + d; i++) ss += x[i] * x[i];
    const inv = f(1 / Math.sqrt(f(f(ss / d) + eps)));
    for (let i = 0; i < d; i++) out[r + i] = f(f(x[r + i] * inv) * w[i]);
  }
}

export function rotaryLoop([x, cos, sin]: Float32Array[], [out]: Float32Array[], [[b, h, t, d], [cb]]: number[][]): void {
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
function siluGateLoop([x, up]: Float32Array[], [out]: Float32Array[], [shape]: number[][]): void {
  const n = up ? shape[shape.length - 1] : shape[shape.length - 1] / 2;
  const [u, stride] = up ? [up, n] : [x, 2 * n];
  const upAt = up ? 0 : n;
  for (let r = 0, o = 0; o < out.length; r += stride, o += n)
    for (let i = 0; i < n; i++) {
      const g = x[r + i];
      out[o + i] = f(f(g * f(1 / (1 + Math.exp(-g)))) * u[r + upAt + i]);
    }
}

/**
 * Every (row, head) of a fused projection [B·T, (H + 2·Hkv)·hd] (rows b·T + t; columns q heads, k
 * heads, v heads): `visit(xo, which, o, co)` with the head's offset in x, which of q, k, v (0, 1, 2),
 * its offset in that one's head layout [B, heads, T, hd], and the offset of its row of the tables
 * [1|B, 1, T, hd].
 */
export function walkQkvHeads([b, h, hkv, t, hd]: number[], cb: number, visit: (xo: number, which: number, o: number, co: number) => void): void {
  const w = (h + 2 * hkv) * hd;
  for (let row = 0; row < b * t; row++) {
    const bi = Math.floor(row / t);
    const ti = row % t;
    const co = ((cb === 1 ? 0 : bi) * t + ti) * hd;
    for (let j = 0; j < h + 2 * hkv; j++) {
      const [which, head, nh] = j < h ? [0, j, h] : j < h + hkv ? [1, j - h, hkv] : [2, j - h - hkv, hkv];
      visit(row * w + j * hd, which, ((bi * nh + head) * t + ti) * hd, co);
    }
  }
}

/**
 * x [B·T, (H + 2·Hkv)·hd] → q [B, H, T, hd] and k [B, Hkv, T, hd] rotated (RoPE, as rotaryLoop),
 * v [B, Hkv, T, hd] copied.
 */
function qkvHeadsLoop([x, cos, sin]: Float32Array[], outs: Float32Array[], [[n], [cb, , , hd]]: number[][], { heads: h, kvHeads: hkv, t }: Record<string, number>): void {
  const half = hd / 2;
  walkQkvHeads([n / t, h, hkv, t, hd], cb, (xo, which, o, co) => {
    const dst = outs[which];
    if (which === 2) {
      dst.set(x.subarray(xo, xo + hd), o);
      return;
    }
    for (let i = 0; i < hd; i++) {
      const rot = i < half ? -x[xo + i + half] : x[xo + i - half];
      dst[o + i] = f(f(x[xo + i] * cos[co + i]) + f(rot * sin[co + i]));
    }
  });
}

const FUSED: Fused[] = [
  { name: 'HealthgptRmsNorm', inputs: ['x', 'weight'], outShapes: ([s]) => [s], loop: rmsNormLoop },
  { name: 'HealthgptRotary', inputs: ['x', 'cos', 'sin'], outShapes: ([s]) => [s], loop: rotaryLoop, simd: (memory, ins, [out], [shape, [cb]]) => rotaryOnMemory(memory, ins, out, shape, cb, false) },
  { name: 'HealthgptSiluGate', inputs: ['x', 'up'], outShapes: ([s, up]) => [up ? s : [...s.slice(0, -1), s[s.length - 1] / 2]], loop: siluGateLoop },
  {
    name: 'HealthgptQkvHeads',
    inputs: ['x', 'cos', 'sin'],
    outShapes: ([[n], [, , , hd]], { heads, kvHeads, t }) => [heads, kvHeads, kvHeads].map((nh) => [n / t, nh, t, hd]),
    loop: qkvHeadsLoop,
    simd: (memory, [x, cos, sin], outs, [[n], [cb, , , hd]], { heads, kvHeads, t }) => qkvHeadsOnMemory(memory, outs, x, cos, sin, [n / t, heads, kvHeads, t, hd], cb, false),
  },
];

/** The kernel's inputs in the order of its names; an optional one left out is skipped. */
const present = (args: Parameters<tf.KernelFunc>[0], names: string[]): TensorInfo[] => names.map((k) => (args.inputs as Record<string, TensorInfo | undefined>)[k]).filter((t): t is TensorInfo => t !== undefined);

/** How a backend holds the data: the input arrays, and outputs made for the loop to fill. */
interface Storage {
  input(t: TensorInfo): Float32Array;
  /** Allocate the outputs, then run `fill` on their arrays; returns their infos. */
  outputs(shapes: number[][], fill: (outs: Float32Array[]) => void): TensorInfo[];
}

function storageOf(backendName: 'wasm' | 'cpu', args: Parameters<tf.KernelFunc>[0]): Storage {
  if (backendName === 'wasm') {
    const backend = wasmOf(args);
    return {
      input: (t) => heapF32(backend, t),
      outputs: (shapes, fill) => {
        const outs = shapes.map((s) => backend.makeOutput(s, 'float32'));
        fill(outs.map((t) => heapF32(backend, t))); // heap views after the last allocation (it may grow the heap)
        return outs;
      },
    };
  }
  const backend = cpuOf(args);
  return {
    input: (t) => backend.data.get(t.dataId).values as Float32Array,
    outputs: (shapes, fill) => {
      const outs = shapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
      fill(outs);
      return outs.map((o, i) => backend.makeTensorInfo(shapes[i], 'float32', o));
    },
  };
}

/** The SIMD pass of a fused kernel on wasm: its outputs, or null when it does not serve (the loop runs). */
function simdOutputs(simd: NonNullable<Fused['simd']>, args: Parameters<tf.KernelFunc>[0], ins: TensorInfo[], shapes: number[][], outShapes: number[][], attrs: Record<string, number>): TensorInfo[] | null {
  const backend = wasmOf(args);
  const outs = outShapes.map((s) => backend.makeOutput(s, 'float32'));
  const addr = (t: TensorInfo) => heapAddress(backend, t);
  if (onBackendMemory(backend, (memory) => simd(memory, ins.map(addr), outs.map(addr), shapes, attrs) || null)) return outs;
  for (const o of outs) backend.disposeData(o.dataId);
  return null;
}

function config(backendName: 'wasm' | 'cpu', { name, inputs, outShapes, loop, simd }: Fused): tf.KernelConfig {
  return {
    kernelName: name,
    backendName,
    kernelFunc: (args) => {
      const ins = present(args, inputs);
      const shapes = ins.map((t) => t.shape);
      const attrs = args.attrs as Record<string, number>;
      const fast = backendName === 'wasm' && simd ? simdOutputs(simd, args, ins, shapes, outShapes(shapes, attrs), attrs) : null;
      if (fast) return fast.length === 1 ? fast[0] : fast;
      const store = storageOf(backendName, args);
      const outs = store.outputs(outShapes(shapes, attrs), (arrays) => loop(ins.map((t) => store.input(t)), arrays, shapes, attrs));
      return outs.length === 1 ? outs[0] : outs;
    },
  };
}

/** The wasm and cpu kernel configs of fused kernels. */
export const fusedConfigs = (kernels: Fused[]): tf.KernelConfig[] => kernels.flatMap((k) => [config('wasm', k), config('cpu', k)]);

export const fusedStepConfigs: tf.KernelConfig[] = fusedConfigs(FUSED);

export type FusedKernel = 'HealthgptRmsNorm' | 'HealthgptRotary' | 'HealthgptSiluGate' | 'HealthgptQkvHeads';

/** Whether an op may run the inference-only `kernel`: float32 data, no tape recording gradients, a backend that has it registered. */
export function inferenceFusable(kernel: FusedKernel, ...xs: tf.Tensor[]): boolean {
  return !tf.engine().isTapeOn() && xs.every((x) => x.dtype === 'float32' && x.size > 0) && tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

const run = <T extends tf.Tensor | tf.Tensor[] = tf.Tensor>(name: FusedKernel, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}) => tf.engine().runKernel<T>(name, inputs, attrs);

/** HealthgptRmsNorm (no gradient): x [..., D], weight [D]. */
export const rmsNormInference = (x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor => run('HealthgptRmsNorm', { x, weight }, { eps });

/** HealthgptRotary (no gradient): x [B, H, T, D], cos and sin [B, 1, T, D]. */
export const rotaryInference = (x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor => run('HealthgptRotary', { x, cos, sin });

/** HealthgptSiluGate (no gradient): silu(gate)·up for x [..., 2I] holding gate then up (→ [..., I]), or x = gate and `up` of its shape. */
export const siluGateInference = (x: tf.Tensor, up?: tf.Tensor): tf.Tensor => run('HealthgptSiluGate', up ? { x, up } : { x });

/** HealthgptQkvHeads (no gradient): x [B·T, (H + 2·Hkv)·hd] → q, k (rotated) and v in head layout [B, heads, T, hd]. */
export const qkvHeadsInference = (x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, heads: number, kvHeads: number, t: number): [tf.Tensor, tf.Tensor, tf.Tensor] =>
  run<tf.Tensor[]>('HealthgptQkvHeads', { x, cos, sin }, { heads, kvHeads, t }) as [tf.Tensor, tf.Tensor, tf.Tensor];
