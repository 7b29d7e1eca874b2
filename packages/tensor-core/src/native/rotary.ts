/**
 * Rotate-half RoPE through the native addon under a gradient tape: one kernel forward and one
 * backward (tfjs: two slices, a negation, a concat, two products and a sum, and their gradients).
 * Registered as `HealthgptRotaryNative` on wasm and cpu (attr `backward`: the same pass transposed).
 * `nn/rope.ts`' `applyRotary` takes this path for float32 x [B, H, T, D] and tables [1|B, 1, T, D]
 * when the addon is loaded and the native path is on; the tables are constants (zero gradient).
 */
import { tf, type Tensor } from '../tf.js';
import { nativeKernels, type NativeAddon } from '../kernels/native.js';
import { nativeBackend, operands } from './operands.js';
import type { TensorInfo } from '../kernels/wasm_heap.js';

export const ROTARY_KERNEL = 'HealthgptRotaryNative';

type Addon = NativeAddon & Required<Pick<NativeAddon, 'rotary'>>;

function addon(): Addon | null {
  const a = nativeKernels();
  return a?.rotary ? (a as Addon) : null;
}

function kernel(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, cos, sin } = inputs as unknown as Record<'x' | 'cos' | 'sin', TensorInfo>;
    const [b, h, t, d] = x.shape;
    const { outs, ins, outOps } = operands(nativeBackend(name, backend)!, [x, cos, sin], [x.shape]);
    const [xo, co, so] = ins;
    addon()!.rotary(xo.array, xo.offset, co.array, co.offset, so.array, so.offset, outOps[0].array, outOps[0].offset, b, h, t, d, cos.shape[0], (attrs as { backward?: number }).backward ?? 0);
    return outs[0];
  };
}

function register(): void {
  for (const name of ['wasm', 'cpu'] as const) {
    if (!tf.getKernel(ROTARY_KERNEL, name)) tf.registerKernel({ kernelName: ROTARY_KERNEL, backendName: name, kernelFunc: kernel(name) });
  }
}

/** Whether the native RoPE serves x [B, H, T, D] (D even) with cos and sin [1|B, 1, T, D], all float32, on the active backend. */
export function nativeRotaryServes(x: Tensor, cos: Tensor, sin: Tensor): boolean {
  const backend = tf.getBackend();
  const [b, , t, d] = x.shape;
  const tables = [cos, sin].every((c) => c.dtype === 'float32' && c.rank === 4 && (c.shape[0] === 1 || c.shape[0] === b) && c.shape[1] === 1 && c.shape[2] === t && c.shape[3] === d);
  return (backend === 'wasm' || backend === 'cpu') && addon() !== null && x.dtype === 'float32' && x.rank === 4 && x.size > 0 && d % 2 === 0 && cos.shape[0] === sin.shape[0] && tables;
}

const run = (x: Tensor, cos: Tensor, sin: Tensor, backward: number) => tf.engine().runKernel(ROTARY_KERNEL, { x, cos, sin }, { backward }) as Tensor;

type GradFn = Parameters<typeof tf.customGrad>[0];

// The tables are saved for the backward (they may come from a scope that has ended by then); as
// constants they get zero gradients.
const op = tf.customGrad(((x: Tensor, cos: Tensor, sin: Tensor, save: (t: Tensor[]) => void) => {
  save([cos, sin]);
  return { value: run(x, cos, sin, 0), gradFunc: (dy: Tensor, [c, s]: Tensor[]) => [run(dy, c, s, 1), tf.zerosLike(c), tf.zerosLike(s)] };
}) as unknown as GradFn) as unknown as (x: Tensor, cos: Tensor, sin: Tensor) => Tensor;

/** x·cos + rotate_half(x)·sin with the native forward and backward (the tables get zero gradients); check `nativeRotaryServes` first. */
export function nativeRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  register();
  return op(x, cos, sin);
}
