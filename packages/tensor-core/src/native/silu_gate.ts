/**
 * The SiLU gate silu(gate)·up through the native addon under a gradient tape: one kernel forward
 * and one backward (a split, a sigmoid and two products forward, ~8 kernels and a concat backward
 * in tfjs). Registered as `HealthgptSiluGateNative` and `HealthgptSiluGateNativeGrad` on wasm and
 * cpu; `nn/activations.ts`' `siluGate` takes this path for float32 inputs when the addon is loaded
 * and the native path is on (outside a tape, the inference kernel of kernels/fused_step.ts runs).
 */
import { tf, type Tensor } from '../tf.js';
import { nativeKernels, type NativeAddon } from '../kernels/native.js';
import { nativeBackend, operands, type Operand } from './operands.js';
import type { TensorInfo } from '../kernels/wasm_heap.js';

export const SILU_GATE_KERNEL = 'HealthgptSiluGateNative';
export const SILU_GATE_GRAD_KERNEL = 'HealthgptSiluGateNativeGrad';

type Addon = NativeAddon & Required<Pick<NativeAddon, 'siluGate' | 'siluGateGrad'>>;

function addon(): Addon | null {
  const a = nativeKernels();
  return a?.siluGate && a.siluGateGrad ? (a as Addon) : null;
}

/** Gate and up as operands with their row stride: halves of x [..., 2I], or x and up [..., I]. */
function gateUp(x: Operand, up: Operand | undefined, xShape: number[]): { g: Operand; u: Operand; stride: number; n: number; rows: number } {
  const last = xShape[xShape.length - 1];
  const rows = tf.util.sizeFromShape(xShape.slice(0, -1));
  if (up) return { g: x, u: up, stride: last, n: last, rows };
  return { g: x, u: { array: x.array, offset: x.offset + last / 2 }, stride: last, n: last / 2, rows };
}

function forwardKernel(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { x, up } = inputs as unknown as { x: TensorInfo; up?: TensorInfo };
    const outShape = up ? x.shape : [...x.shape.slice(0, -1), x.shape[x.shape.length - 1] / 2];
    const { outs, ins, outOps } = operands(nativeBackend(name, backend)!, up ? [x, up] : [x], [outShape]);
    const { g, u, stride, n, rows } = gateUp(ins[0], ins[1], x.shape);
    addon()!.siluGate(g.array, g.offset, u.array, u.offset, stride, outOps[0].array, outOps[0].offset, rows, n);
    return outs;
  };
}

function gradKernel(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { x, up, da } = inputs as unknown as { x: TensorInfo; up?: TensorInfo; da: TensorInfo };
    // Fused: one dx [..., 2I] holding dgate then dup; else dgate and dup of x's shape.
    const { outs, ins, outOps } = operands(nativeBackend(name, backend)!, up ? [x, up, da] : [x, da], up ? [x.shape, x.shape] : [x.shape]);
    const { g, u, stride, n, rows } = gateUp(ins[0], up ? ins[1] : undefined, x.shape);
    const dao = ins[up ? 2 : 1];
    const [dg, du] = up ? outOps : [outOps[0], { array: outOps[0].array, offset: outOps[0].offset + n }];
    addon()!.siluGateGrad(g.array, g.offset, u.array, u.offset, stride, dao.array, dao.offset, dg.array, dg.offset, du.array, du.offset, stride, rows, n);
    return outs;
  };
}

function register(): void {
  for (const name of ['wasm', 'cpu'] as const) {
    if (!tf.getKernel(SILU_GATE_KERNEL, name)) tf.registerKernel({ kernelName: SILU_GATE_KERNEL, backendName: name, kernelFunc: forwardKernel(name) });
    if (!tf.getKernel(SILU_GATE_GRAD_KERNEL, name)) tf.registerKernel({ kernelName: SILU_GATE_GRAD_KERNEL, backendName: name, kernelFunc: gradKernel(name) });
  }
}

/** Whether the native SiLU gate serves these inputs on the active backend (float32, non-empty; shapes checked by siluGate). */
export function nativeSiluGateServes(x: Tensor, up?: Tensor): boolean {
  const backend = tf.getBackend();
  return (backend === 'wasm' || backend === 'cpu') && addon() !== null && x.dtype === 'float32' && x.size > 0 && (!up || up.dtype === 'float32');
}

type GradFn = Parameters<typeof tf.customGrad>[0];
/** A kernel's outputs as a list. */
function run(kernel: string, inputs: tf.NamedTensorMap): Tensor[] {
  const out = tf.engine().runKernel(kernel, inputs) as Tensor | Tensor[];
  return Array.isArray(out) ? out : [out];
}

const fusedOp = tf.customGrad(((x: Tensor, save: (t: Tensor[]) => void) => {
  save([x]);
  return { value: run(SILU_GATE_KERNEL, { x })[0], gradFunc: (da: Tensor, [sx]: Tensor[]) => run(SILU_GATE_GRAD_KERNEL, { x: sx, da }) };
}) as unknown as GradFn) as unknown as (x: Tensor) => Tensor;

const pairOp = tf.customGrad(((x: Tensor, up: Tensor, save: (t: Tensor[]) => void) => {
  save([x, up]);
  return { value: run(SILU_GATE_KERNEL, { x, up })[0], gradFunc: (da: Tensor, [sx, su]: Tensor[]) => run(SILU_GATE_GRAD_KERNEL, { x: sx, up: su, da }) };
}) as unknown as GradFn) as unknown as (x: Tensor, up: Tensor) => Tensor;

/** silu(gate)·up with the native forward and backward: x [..., 2I] (gate; up) → [..., I], or x and up [..., I]; check `nativeSiluGateServes` first. */
export function nativeSiluGate(x: Tensor, up?: Tensor): Tensor {
  register();
  return up ? pairOp(x, up) : fusedOp(x);
}
