/**
 * AdamW in one pass per parameter without the native addon, on the wasm and cpu backends: p, g, m
 * and v are read once and the new p, m and v written once, where the tfjs kernel runs 12–13
 * elementwise kernels per parameter, each a pass over memory with a temporary. On wasm the pass is
 * a WebAssembly SIMD kernel on the backend's heap (kernels/wasm_simd.ts), four floats at a time; a
 * tail of fewer than four elements, the cpu backend, and an engine without SIMD run the same
 * formula in JavaScript.
 *
 * The arithmetic is torch.optim.AdamW's in float32, in the native kernel's order (adamw.cc): every
 * product, sum, square root and quotient is rounded to float32, so both forms give the same bits.
 * Registered as the kernel `HealthgptAdamWPass` on wasm and cpu (on first use); `passAdamWKernel`
 * is the optimizer's update seam, and hands anything it does not serve to the tfjs kernel.
 */
import { tf, type Tensor } from '../tf.js';
import { TensorCoreError } from '../errors.js';
import { nativeBackend, operands, type Operand } from '../native/operands.js';
import { onBackendMemory, simdExports, op, F32, I32, V128, type SimdFunction, type WasmMemory } from '../kernels/wasm_simd.js';
import type { TensorInfo, WasmBackend } from '../kernels/wasm_heap.js';
import { tfjsAdamWKernel, type AdamWEntry, type AdamWKernel } from './adamw_kernel.js';

export const ADAMW_PASS_KERNEL = 'HealthgptAdamWPass';

const f = Math.fround;

/** The step's constants in float32: 1 − lr·wd, β₁, 1 − β₁, β₂, 1 − β₂, √(1 − β₂ᵗ), eps, −lr/(1 − β₁ᵗ). */
type Constants = [decay: number, b1: number, c1: number, b2: number, c2: number, bc2: number, eps: number, step: number];

export function constants(a: AdamWAttrs): Constants {
  return [f(1 - a.lr * a.weightDecay), f(a.beta1), f(1 - a.beta1), f(a.beta2), f(1 - a.beta2), f(Math.sqrt(1 - a.beta2 ** a.step)), f(a.eps), f(-a.lr / (1 - a.beta1 ** a.step))];
}

/** Elements [from, to) in JavaScript, each operation rounded to float32. */
function jsPass([p, g, m0, v0]: Operand[], [pOut, mOut, vOut]: Operand[], from: number, to: number, [decay, b1, c1, b2, c2, bc2, eps, step]: Constants): void {
  for (let i = from; i < to; i++) {
    const gi = g.array[g.offset + i];
    const m = f(f(m0.array[m0.offset + i] * b1) + f(gi * c1)); // exp_avg.mul_(β₁).add_(g, 1 − β₁)
    const v = f(f(v0.array[v0.offset + i] * b2) + f(f(c2 * gi) * gi)); // exp_avg_sq.mul_(β₂).addcmul_(g, g, 1 − β₂)
    const denom = f(f(f(Math.sqrt(v)) / bc2) + eps); // (√v / √bc₂).add_(eps)
    pOut.array[pOut.offset + i] = f(f(p.array[p.offset + i] * decay) + f(f(step * m) / denom)); // p.mul_(1 − lr·wd); p.addcdiv_(m, denom, −lr/bc₁)
    mOut.array[mOut.offset + i] = m;
    vOut.array[vOut.offset + i] = v;
  }
}

/**
 * adamw(p, g, m, v, pOut, mOut, vOut: byte addresses, bytes: a multiple of 16, then the eight
 * constants): the same formula as jsPass on four lanes at a time.
 */
function simdAdamW(): SimdFunction {
  const [P, G, M, V, PO, MO, VO, END] = [0, 1, 2, 3, 4, 5, 6, 7];
  const I = 16;
  const [DECAY, B1, C1, B2, C2, BC2, EPS, STEP, g, m, v] = [17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
  const at = (base: number) => [...op.get(base), ...op.get(I), ...op.i32Add];
  return {
    name: 'adamw',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32],
    locals: [I32, ...Array<number>(11).fill(V128)],
    body: [
      ...[DECAY, B1, C1, B2, C2, BC2, EPS, STEP].map((local, k) => [...op.get(8 + k), ...op.splat, ...op.set(local)]),
      op.block,
      op.loop,
      [...op.get(I), ...op.get(END), ...op.i32GeU, ...op.brIf(1)],
      [...at(G), ...op.load, ...op.set(g)],
      [...at(M), ...op.load, ...op.get(B1), ...op.mul, ...op.get(g), ...op.get(C1), ...op.mul, ...op.add, ...op.set(m)],
      [...at(V), ...op.load, ...op.get(B2), ...op.mul, ...op.get(C2), ...op.get(g), ...op.mul, ...op.get(g), ...op.mul, ...op.add, ...op.set(v)],
      [...at(MO), ...op.get(m), ...op.store],
      [...at(VO), ...op.get(v), ...op.store],
      [...at(PO), ...at(P), ...op.load, ...op.get(DECAY), ...op.mul],
      [...op.get(STEP), ...op.get(m), ...op.mul, ...op.get(v), ...op.sqrt, ...op.get(BC2), ...op.div, ...op.get(EPS), ...op.add, ...op.div],
      [...op.add, ...op.store],
      [...op.get(I), ...op.i32Const(16), ...op.i32Add, ...op.set(I), ...op.br(0)],
      op.end,
      op.end,
    ],
  };
}

export type SimdAdamW = (p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, bytes: number, ...c: Constants) => void;

/** The SIMD kernel on `memory` (instantiated once per memory), or null when this engine cannot run it. */
export function simdAdamWOn(memory: WasmMemory): SimdAdamW | null {
  const ex = simdExports('adamw', () => [simdAdamW()], memory);
  return ex ? (ex.adamw as SimdAdamW) : null;
}

/** The SIMD kernel on this backend's heap, or null (memory not reachable, no SIMD). */
function simdKernel(backend: WasmBackend): SimdAdamW | null {
  return onBackendMemory(backend, simdAdamWOn);
}

/** Whether the active backend runs the pass as WebAssembly SIMD (wasm, with its memory reachable and SIMD compiled). */
export function adamWPassIsSimd(): boolean {
  return tf.getBackend() === 'wasm' && simdKernel(tf.backend() as unknown as WasmBackend) !== null;
}

/** The kernel's attributes: the step's hyper-parameters and the parameter's step t ≥ 1. */
export type AdamWAttrs = Pick<AdamWEntry, 'lr' | 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'step'>;

function kernelFunc(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { param, grad, m, v } = inputs as unknown as Record<'param' | 'grad' | 'm' | 'v', TensorInfo>;
    const n = tf.util.sizeFromShape(param.shape);
    const b = nativeBackend(name, backend)!;
    const { outs, ins, outOps } = operands(b, [param, grad, m, v], [param.shape, param.shape, param.shape]);
    const c = constants(attrs as unknown as AdamWAttrs);
    const kernel = b.kind === 'wasm' ? simdKernel(b.backend) : null;
    let done = 0;
    if (kernel) {
      done = n - (n % 4);
      const [pa, ga, ma, va] = ins.map((o) => o.offset * 4);
      const [po, mo, vo] = outOps.map((o) => o.offset * 4);
      kernel(pa, ga, ma, va, po, mo, vo, done * 4, ...c);
    }
    jsPass(ins, outOps, done, n, c);
    return outs;
  };
}

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  for (const name of ['wasm', 'cpu'] as const) if (!tf.getKernel(ADAMW_PASS_KERNEL, name)) tf.registerKernel({ kernelName: ADAMW_PASS_KERNEL, backendName: name, kernelFunc: kernelFunc(name) });
}

/** Whether the pass serves `e` on the active backend: wasm or cpu, float32 parameter, gradient and moments. */
export function passAdamWServes(e: Pick<AdamWEntry, 'param' | 'grad' | 'expAvg' | 'expAvgSq'>): boolean {
  const backend = tf.getBackend();
  return (backend === 'wasm' || backend === 'cpu') && [e.param, e.grad, e.expAvg, e.expAvgSq].every((t) => t.dtype === 'float32');
}

/** One parameter's step with the pass: the parameter is assigned the new value, the moments replaced. */
export function passAdamWStep(e: Omit<AdamWEntry, 'name'>): void {
  const n = e.param.size;
  TensorCoreError.check([e.grad, e.expAvg, e.expAvgSq].every((t) => t.size === n), 'ARGUMENT', () => `AdamW's one-pass step needs a gradient and moments of the parameter's ${n} elements, got ${e.grad.size}, ${e.expAvg.size} and ${e.expAvgSq.size}`);
  TensorCoreError.check(Number.isInteger(e.step) && e.step >= 1, 'ARGUMENT', () => `AdamW's one-pass step needs a step number t ≥ 1, got ${e.step}`);
  register();
  const { lr, beta1, beta2, eps, weightDecay, step } = e;
  const [p, m, v] = tf.engine().runKernel(ADAMW_PASS_KERNEL, { param: e.param, grad: e.grad, m: e.expAvg, v: e.expAvgSq }, { lr, beta1, beta2, eps, weightDecay, step }) as Tensor[];
  e.param.assign(p);
  p.dispose();
  e.expAvg.dispose();
  e.expAvgSq.dispose();
  e.expAvg = tf.keep(m);
  e.expAvgSq = tf.keep(v);
}

/** AdamW's update kernel on wasm and cpu without the native addon; the rest goes to `tfjsAdamWKernel`. */
export const passAdamWKernel: AdamWKernel = {
  name: 'pass',
  update(entries) {
    const rest: AdamWEntry[] = [];
    for (const e of entries) {
      if (passAdamWServes(e)) passAdamWStep(e);
      else rest.push(e);
    }
    if (rest.length) tfjsAdamWKernel.update(rest);
  },
};
