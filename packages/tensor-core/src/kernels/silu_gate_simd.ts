/**
 * The SiLU gate silu(gate)·up for training on the wasm backend without the native addon: one
 * WebAssembly SIMD pass forward and one backward (wasm_simd.ts), instead of a split, tfjs-wasm's
 * scalar Sigmoid (~3 ns per element), two products forward and ~8 kernels and a concat backward.
 *
 *   HealthgptSiluGateSimd      x [..., 2I] (gate; up) → a [..., I]; or x, up [..., I] → a
 *   HealthgptSiluGateSimdGrad  x (, up), da → dx [..., 2I] (dgate; dup); or dgate and dup [..., I]
 *
 * with σ = 1/(1 + e^(−g)), a = fl(fl(g·σ)·u), dup = fl(da·fl(g·σ)) and
 * dgate = fl(fl(da·u)·fl(σ·fl(1 + fl(g·fl(1 − σ))))). e^y is computed in float32 lanes: y clamped
 * to [−87.3, 88], n = nearest(y·log₂e), r = (y − n·ln2_hi) − n·ln2_lo (|r| ≤ ln2/2, n·ln2_hi exact),
 * e^r by its Taylor polynomial of degree 7 (truncation below 6e-9 relative) and 2ⁿ from the
 * exponent bits. nn/activations.ts' `siluGate` takes this path for float32 inputs with I a multiple of 4 and pair
 * the kernels under `tf.customGrad`.
 */
import { tf, type Tensor } from '../tf.js';
import { onBackendMemory, simdExports, op, rowWalk, advance, uleb, F32, I32, V128, type SimdFunction, type WasmMemory } from './wasm_simd.js';
import { heapAddress, wasmOf, type TensorInfo, type WasmBackend } from './wasm_heap.js';

export const SILU_GATE_SIMD = 'HealthgptSiluGateSimd';
export const SILU_GATE_SIMD_GRAD = 'HealthgptSiluGateSimdGrad';

const simd = (code: number) => [0xfd, ...uleb(code)];
const nearest = simd(0x6a);
const truncSat = simd(0xf8);
const i32x4Add = simd(0xae);
const i32x4Shl = simd(0xab);
const i32x4Splat = simd(0x11);
const min = simd(0xe8);
const max = simd(0xe9);
const neg = simd(0xe1);

const f = Math.fround;
/** e^r ≈ Σ rᵏ/k! for k ≤ 7, highest first (Horner). */
const TAYLOR = [1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2, 1, 1].map(f);
const LN2_HI = 0.693145751953125; // 15 significant bits: n·LN2_HI is exact for |n| ≤ 2⁹
const LN2_LO = f(Math.LN2 - LN2_HI);
const CONSTANTS = [f(88), f(-87.3), f(Math.LOG2E), LN2_HI, LN2_LO, ...TAYLOR];

/** Locals of the sigmoid helper, after a function's own: the constants as splats, then temporaries. */
function sigmoidLocals(first: number) {
  const c = CONSTANTS.map((_, k) => first + k);
  const [hi, lo, log2e, ln2hi, ln2lo] = c;
  const taylor = c.slice(5);
  const [bias, y, n, r, p] = [first + CONSTANTS.length, first + CONSTANTS.length + 1, first + CONSTANTS.length + 2, first + CONSTANTS.length + 3, first + CONSTANTS.length + 4];
  const count = CONSTANTS.length + 5;
  const init = [...CONSTANTS.map((x, k) => [...op.f32Const(x), ...op.splat, ...op.set(c[k])]), [...op.i32Const(127), ...i32x4Splat, ...op.set(bias)]];
  /** s ← σ(g) for v128 locals g and s. */
  const sigmoid = (g: number, s: number): number[][] => [
    [...op.get(g), ...neg, ...op.get(hi), ...min, ...op.get(lo), ...max, ...op.set(y)],
    [...op.get(y), ...op.get(log2e), ...op.mul, ...nearest, ...op.set(n)],
    [...op.get(y), ...op.get(n), ...op.get(ln2hi), ...op.mul, ...op.sub, ...op.get(n), ...op.get(ln2lo), ...op.mul, ...op.sub, ...op.set(r)],
    [...op.get(taylor[0]), ...op.set(p)],
    ...taylor.slice(1).map((t) => [...op.get(p), ...op.get(r), ...op.mul, ...op.get(t), ...op.add, ...op.set(p)]),
    // e = p · 2ⁿ (the bits (n + 127) << 23); σ = 1/(1 + e)
    [...op.get(taylor[6]), ...op.get(taylor[6]), ...op.get(p), ...op.get(n), ...truncSat, ...op.get(bias), ...i32x4Add, ...op.i32Const(23), ...i32x4Shl, ...op.mul, ...op.add, ...op.div, ...op.set(s)],
  ];
  return { count, init, sigmoid };
}

const at = (base: number, j: number) => [...op.get(base), ...op.get(j), ...op.i32Add];

/** silu(g, u, stride, out, rows, bytes): out rows `bytes` apart, g and u rows `stride` apart. */
function forward(): SimdFunction {
  const [G, U, STRIDE, OUT, ROWS, BYTES] = [0, 1, 2, 3, 4, 5];
  const [j, gv, sv] = [6, 7, 8];
  const s = sigmoidLocals(9);
  return {
    name: 'silu',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, V128, V128, ...Array<number>(s.count).fill(V128)],
    body: [
      ...s.init,
      ...rowWalk(
        ROWS,
        j,
        BYTES,
        [[...at(G, j), ...op.load, ...op.set(gv)], ...s.sigmoid(gv, sv), [...at(OUT, j), ...op.get(gv), ...op.get(sv), ...op.mul, ...at(U, j), ...op.load, ...op.mul, ...op.store]],
        [...advance(G, STRIDE), ...advance(U, STRIDE), ...advance(OUT, BYTES)],
      ),
    ],
  };
}

/** siluGrad(g, u, stride, da, dg, du, gradStride, rows, bytes) */
function backward(): SimdFunction {
  const [G, U, STRIDE, DA, DG, DU, GSTRIDE, ROWS, BYTES] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [j, gv, sv, dav] = [9, 10, 11, 12];
  const s = sigmoidLocals(13);
  const one = 13 + CONSTANTS.length - 1; // the Taylor constant 1 (splat)
  return {
    name: 'siluGrad',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, V128, V128, V128, ...Array<number>(s.count).fill(V128)],
    body: [
      ...s.init,
      ...rowWalk(
        ROWS,
        j,
        BYTES,
        [
          [...at(G, j), ...op.load, ...op.set(gv), ...at(DA, j), ...op.load, ...op.set(dav)],
          ...s.sigmoid(gv, sv),
          [...at(DU, j), ...op.get(dav), ...op.get(gv), ...op.get(sv), ...op.mul, ...op.mul, ...op.store],
          // dg = (da·u)·(σ·(1 + g·(1 − σ)))
          [...at(DG, j), ...op.get(dav), ...at(U, j), ...op.load, ...op.mul],
          [...op.get(sv), ...op.get(one), ...op.get(gv), ...op.get(one), ...op.get(sv), ...op.sub, ...op.mul, ...op.add, ...op.mul, ...op.mul, ...op.store],
        ],
        [...advance(G, STRIDE), ...advance(U, STRIDE), ...advance(DA, BYTES), ...advance(DG, GSTRIDE), ...advance(DU, GSTRIDE)],
      ),
    ],
  };
}

type Forward = (g: number, u: number, stride: number, out: number, rows: number, bytes: number) => void;
type Backward = (g: number, u: number, stride: number, da: number, dg: number, du: number, gradStride: number, rows: number, bytes: number) => void;

/** Both kernels on `memory`, or null when this engine cannot run them. */
export const siluGateSimdOn = (memory: WasmMemory) => simdExports('silu_gate', () => [forward(), backward()], memory) as { silu: Forward; siluGrad: Backward } | null;

const kernelsOf = (backend: WasmBackend) => onBackendMemory(backend, siluGateSimdOn);
const addr = heapAddress;

/** Gate and up addresses with their row stride (bytes), the width I and the row count. */
function layout(backend: WasmBackend, x: TensorInfo, up: TensorInfo | undefined) {
  const last = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape.slice(0, -1));
  const n = up ? last : last / 2;
  const g = addr(backend, x);
  return { g, u: up ? addr(backend, up) : g + n * 4, stride: last * 4, n, rows };
}

function forwardKernel(args: Parameters<tf.KernelFunc>[0]): TensorInfo {
  const backend = wasmOf(args);
  const { x, up } = args.inputs as unknown as { x: TensorInfo; up?: TensorInfo };
  const { g, u, stride, n, rows } = layout(backend, x, up);
  const out = backend.makeOutput([...x.shape.slice(0, -1), n], 'float32');
  kernelsOf(backend)!.silu(g, u, stride, addr(backend, out), rows, n * 4);
  return out;
}

function backwardKernel(args: Parameters<tf.KernelFunc>[0]): TensorInfo[] {
  const backend = wasmOf(args);
  const { x, up, da } = args.inputs as unknown as { x: TensorInfo; up?: TensorInfo; da: TensorInfo };
  const { g, u, stride, n, rows } = layout(backend, x, up);
  const outs = up ? [backend.makeOutput(x.shape, 'float32'), backend.makeOutput(x.shape, 'float32')] : [backend.makeOutput(x.shape, 'float32')];
  const dg = addr(backend, outs[0]);
  const du = up ? addr(backend, outs[1]) : dg + n * 4;
  kernelsOf(backend)!.siluGrad(g, u, stride, addr(backend, da), dg, du, up ? n * 4 : 2 * n * 4, rows, n * 4);
  return outs;
}

/** The wasm kernel configs (registered with tensor-core's other kernels, kernels/register.ts). */
export const siluGateSimdConfigs: tf.KernelConfig[] = [
  { kernelName: SILU_GATE_SIMD, backendName: 'wasm', kernelFunc: forwardKernel },
  { kernelName: SILU_GATE_SIMD_GRAD, backendName: 'wasm', kernelFunc: backwardKernel },
];

/** Whether the SIMD kernels serve these inputs: wasm with them registered and the module running, float32, I a multiple of 4 (shapes checked by siluGate). */
export function simdSiluGateServes(x: Tensor, up?: Tensor): boolean {
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || x.size === 0 || (up && up.dtype !== 'float32')) return false;
  const last = x.shape[x.rank - 1];
  if ((up ? last : last / 2) % 4 !== 0 || !tf.getKernel(SILU_GATE_SIMD_GRAD, 'wasm')) return false;
  return kernelsOf(tf.backend() as unknown as WasmBackend) !== null;
}

type GradFn = Parameters<typeof tf.customGrad>[0];

/** tf.customGrad over the kernels, for x alone (fused gate_up) or x and up; its inputs are saved for the backward. */
function makeOp(): (...inputs: Tensor[]) => Tensor {
  return tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as (t: Tensor[]) => void;
    const [x, up] = args as Tensor[];
    const named = (t: Tensor[]): tf.NamedTensorMap => (t.length > 1 ? { x: t[0], up: t[1] } : { x: t[0] });
    save(args as Tensor[]);
    return {
      value: tf.engine().runKernel(SILU_GATE_SIMD, named(up ? [x, up] : [x])) as Tensor,
      gradFunc: (da: Tensor, saved: Tensor[]) => {
        const grads = tf.engine().runKernel(SILU_GATE_SIMD_GRAD, { ...named(saved), da }) as Tensor | Tensor[];
        return Array.isArray(grads) ? grads : [grads];
      },
    };
  }) as unknown as GradFn) as unknown as (...inputs: Tensor[]) => Tensor;
}

const op1 = makeOp();
const op2 = makeOp();

/** silu(gate)·up with the SIMD forward and backward: x [..., 2I] (gate; up) → [..., I], or x and up [..., I]; check `simdSiluGateServes` first. */
export function simdSiluGate(x: Tensor, up?: Tensor): Tensor {
  return up ? op2(x, up) : op1(x);
}
