/**
 * RMSNorm for training on the wasm backend without the native addon: one WebAssembly SIMD pass
 * forward and one backward (wasm_simd.ts), instead of tfjs-wasm's ~6 and ~10 kernels for the fused
 * op (among them products broadcasting over [N, D]·[N, 1] and [N, D]·[D], and a row mean run as a
 * [N, D]·[D, 1] matmul, several times slower per element than a same-shape product).
 *
 *   HealthgptRmsNormSimd      x [..., D], weight [D] → y = fl(fl(x·r)·w) [..., D] and r [..., 1],
 *                             r = 1/√(Σx²/D + eps), Σx² summed in four float32 lanes
 *   HealthgptRmsNormSimdGrad  dy, x, r, weight → dx = r·(dy·w − x·k) with k = r²·Σ(dy·w·x)/D,
 *                             and dw [D] = Σ over rows of dy·x·r (float32, row by row)
 *
 * D must be a multiple of 4 (every row starts on a 16-byte boundary); nn/norms_fused.ts takes
 * this path for float32 x with a [D] weight on wasm when the SIMD module instantiates, and pairs
 * the two kernels under `tf.customGrad`.
 */
import { tf, type Tensor } from '../tf.js';
import { onBackendMemory, simdExports, op, F32, I32, V128, type SimdFunction, type WasmMemory } from './wasm_simd.js';
import { heapF32, heapAddress, wasmOf, type TensorInfo, type WasmBackend } from './wasm_heap.js';

export const RMS_NORM_SIMD = 'HealthgptRmsNormSimd';
export const RMS_NORM_SIMD_GRAD = 'HealthgptRmsNormSimdGrad';

const at = (base: number, j: number) => [...op.get(base), ...op.get(j), ...op.i32Add];
const advance = (local: number, by: number[]) => [...op.get(local), ...by, ...op.i32Add, ...op.set(local)];
/** for (j = 0; j < bytes; j += 16) { body } */
const rowLoop = (j: number, bytes: number, body: number[][]) => [
  [...op.i32Const(0), ...op.set(j)],
  op.block,
  op.loop,
  [...op.get(j), ...op.get(bytes), ...op.i32GeU, ...op.brIf(1)],
  ...body,
  [...advance(j, op.i32Const(16)), ...op.br(0)],
  op.end,
  op.end,
];
/** ((l0 + l1) + l2) + l3 of a v128 local, as an f32. */
const lanes = (v: number) => [...op.get(v), ...op.lane(0), ...op.get(v), ...op.lane(1), ...op.f32Add, ...op.get(v), ...op.lane(2), ...op.f32Add, ...op.get(v), ...op.lane(3), ...op.f32Add];
const zero = (v: number) => [...op.f32Const(0), ...op.splat, ...op.set(v)];
/** while (rows-- > 0) { body } */
const rows = (count: number, body: number[][]) => [op.block, op.loop, [...op.get(count), ...op.i32Eqz, ...op.brIf(1)], ...body, [...op.get(count), ...op.i32Const(1), ...op.i32Sub, ...op.set(count), ...op.br(0)], op.end, op.end];

/** rms(x, w, y, r, rows, dBytes, eps, d) */
function forward(): SimdFunction {
  const [X, W, Y, R, ROWS, BYTES, EPS, D] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [j, acc, rv, ri, xv] = [8, 9, 10, 11, 12];
  return {
    name: 'rms',
    params: [I32, I32, I32, I32, I32, I32, F32, F32],
    locals: [I32, V128, V128, F32, V128],
    body: rows(ROWS, [
      zero(acc),
      ...rowLoop(j, BYTES, [[...at(X, j), ...op.load, ...op.tee(xv), ...op.get(xv), ...op.mul, ...op.get(acc), ...op.add, ...op.set(acc)]]),
      [...op.f32Const(1), ...lanes(acc), ...op.get(D), ...op.f32Div, ...op.get(EPS), ...op.f32Add, ...op.f32Sqrt, ...op.f32Div, ...op.set(ri)],
      [...op.get(R), ...op.get(ri), ...op.f32Store, ...op.get(ri), ...op.splat, ...op.set(rv)],
      ...rowLoop(j, BYTES, [[...at(Y, j), ...at(X, j), ...op.load, ...op.get(rv), ...op.mul, ...at(W, j), ...op.load, ...op.mul, ...op.store]]),
      [...advance(X, op.get(BYTES)), ...advance(Y, op.get(BYTES)), ...advance(R, op.i32Const(4))],
    ]),
  };
}

/** rmsGrad(dy, x, r, w, dx, dw, rows, dBytes, d); dw must hold zeros. */
function backward(): SimdFunction {
  const [DY, X, R, W, DX, DW, ROWS, BYTES, D] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [j, acc, kv, rv, ri, dyw, xv] = [9, 10, 11, 12, 13, 14, 15];
  return {
    name: 'rmsGrad',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, F32],
    locals: [I32, V128, V128, V128, F32, V128, V128],
    body: rows(ROWS, [
      [...op.get(R), ...op.f32Load, ...op.tee(ri), ...op.splat, ...op.set(rv)],
      zero(acc),
      ...rowLoop(j, BYTES, [
        [...at(DY, j), ...op.load, ...at(W, j), ...op.load, ...op.mul, ...op.set(dyw), ...at(X, j), ...op.load, ...op.set(xv)],
        [...op.get(dyw), ...op.get(xv), ...op.mul, ...op.get(acc), ...op.add, ...op.set(acc)],
        [...at(DW, j), ...at(DW, j), ...op.load, ...at(DY, j), ...op.load, ...op.get(xv), ...op.mul, ...op.get(rv), ...op.mul, ...op.add, ...op.store],
      ]),
      [...op.get(ri), ...op.get(ri), ...op.f32Mul, ...lanes(acc), ...op.f32Mul, ...op.get(D), ...op.f32Div, ...op.splat, ...op.set(kv)],
      ...rowLoop(j, BYTES, [[...at(DX, j), ...op.get(rv), ...at(DY, j), ...op.load, ...at(W, j), ...op.load, ...op.mul, ...at(X, j), ...op.load, ...op.get(kv), ...op.mul, ...op.sub, ...op.mul, ...op.store]]),
      [...advance(DY, op.get(BYTES)), ...advance(X, op.get(BYTES)), ...advance(DX, op.get(BYTES)), ...advance(R, op.i32Const(4))],
    ]),
  };
}

type Forward = (x: number, w: number, y: number, r: number, rows: number, dBytes: number, eps: number, d: number) => void;
type Backward = (dy: number, x: number, r: number, w: number, dx: number, dw: number, rows: number, dBytes: number, d: number) => void;

/** Both kernels on `memory`, or null when this engine cannot run them. */
export const rmsNormSimdOn = (memory: WasmMemory) => simdExports('rms_norm', () => [forward(), backward()], memory) as { rms: Forward; rmsGrad: Backward } | null;

const kernelsOf = (backend: WasmBackend) => onBackendMemory(backend, rmsNormSimdOn);
const addr = heapAddress;

function forwardKernel(args: Parameters<tf.KernelFunc>[0]): TensorInfo[] {
  const backend = wasmOf(args);
  const { x, weight } = args.inputs as unknown as Record<'x' | 'weight', TensorInfo>;
  const d = x.shape[x.shape.length - 1];
  const n = tf.util.sizeFromShape(x.shape) / d;
  const y = backend.makeOutput(x.shape, 'float32');
  const r = backend.makeOutput([...x.shape.slice(0, -1), 1], 'float32');
  kernelsOf(backend)!.rms(addr(backend, x), addr(backend, weight), addr(backend, y), addr(backend, r), n, d * 4, (args.attrs as unknown as { eps: number }).eps, d);
  return [y, r];
}

function backwardKernel(args: Parameters<tf.KernelFunc>[0]): TensorInfo[] {
  const backend = wasmOf(args);
  const { dy, x, r, weight } = args.inputs as unknown as Record<'dy' | 'x' | 'r' | 'weight', TensorInfo>;
  const d = x.shape[x.shape.length - 1];
  const n = tf.util.sizeFromShape(x.shape) / d;
  const dx = backend.makeOutput(x.shape, 'float32');
  const dw = backend.makeOutput([d], 'float32');
  heapF32(backend, dw).fill(0);
  kernelsOf(backend)!.rmsGrad(addr(backend, dy), addr(backend, x), addr(backend, r), addr(backend, weight), addr(backend, dx), addr(backend, dw), n, d * 4, d);
  return [dx, dw];
}

/** The wasm kernel configs (registered with tensor-core's other kernels, kernels/register.ts). */
export const rmsNormSimdConfigs: tf.KernelConfig[] = [
  { kernelName: RMS_NORM_SIMD, backendName: 'wasm', kernelFunc: forwardKernel },
  { kernelName: RMS_NORM_SIMD_GRAD, backendName: 'wasm', kernelFunc: backwardKernel },
];

/** Whether the SIMD kernels serve x and weight: wasm with them registered and the module running, float32, weight [D], D a multiple of 4. */
export function simdRmsNormServes(x: Tensor, weight: Tensor | null): weight is Tensor {
  const d = x.shape[x.rank - 1];
  if (tf.getBackend() !== 'wasm' || weight === null || x.dtype !== 'float32' || weight.dtype !== 'float32' || x.size === 0) return false;
  if (weight.rank !== 1 || weight.shape[0] !== d || d % 4 !== 0 || !tf.getKernel(RMS_NORM_SIMD_GRAD, 'wasm')) return false;
  return kernelsOf(tf.backend() as unknown as WasmBackend) !== null;
}

type GradFn = Parameters<typeof tf.customGrad>[0];
const OPS = new Map<number, (x: Tensor, w: Tensor) => Tensor>();

/** w · x · rsqrt(mean(x², −1) + eps) with the SIMD forward and backward; check `simdRmsNormServes` first. */
export function simdRmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  let f = OPS.get(eps);
  if (!f) {
    f = tf.customGrad(((a: Tensor, w: Tensor, save: (t: Tensor[]) => void) => {
      const [y, r] = tf.engine().runKernel(RMS_NORM_SIMD, { x: a, weight: w }, { eps }) as Tensor[];
      save([a, r, w]);
      return { value: y, gradFunc: (dy: Tensor, [sx, sr, sw]: Tensor[]) => tf.engine().runKernel(RMS_NORM_SIMD_GRAD, { dy, x: sx, r: sr, weight: sw }) as Tensor[] };
    }) as unknown as GradFn) as unknown as (x: Tensor, w: Tensor) => Tensor;
    if (OPS.size > 64) OPS.clear();
    OPS.set(eps, f);
  }
  return f(x, weight);
}
