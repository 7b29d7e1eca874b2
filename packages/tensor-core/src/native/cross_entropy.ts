/**
 * Softmax cross-entropy through the native addon under a gradient tape: one kernel forward (the
 * mean loss and each row's max and log-sum-exp) and one backward (dx), instead of ~25 tfjs kernels and
 * two saved [N, V] tensors (the probabilities and the one-hot). Registered as
 * `HealthgptCrossEntropyNative` and `HealthgptCrossEntropyNativeGrad` on wasm and cpu;
 * `nn/cross_entropy.ts`' `crossEntropy` takes this path for float32 logits when the addon is
 * loaded and the native path is on.
 */
import { tf, type Tensor } from '../tf.js';
import { nativeKernels, type NativeAddon } from '../kernels/native.js';
import { heapBuffer, record } from '../kernels/wasm_heap.js';
import { nativeBackend, operands, type NativeBackend } from './operands.js';
import type { TensorInfo } from '../kernels/wasm_heap.js';

export const CROSS_ENTROPY_KERNEL = 'HealthgptCrossEntropyNative';
export const CROSS_ENTROPY_GRAD_KERNEL = 'HealthgptCrossEntropyNativeGrad';

type Addon = NativeAddon & Required<Pick<NativeAddon, 'crossEntropy' | 'crossEntropyGrad'>>;

function addon(): Addon | null {
  const a = nativeKernels();
  return a?.crossEntropy && a.crossEntropyGrad ? (a as Addon) : null;
}

/** An int32 tensor as (Int32Array, offset): a view of the wasm heap, or the cpu tensor's values. */
function labelsOperand(b: NativeBackend, t: TensorInfo): { array: Int32Array; offset: number } {
  if (b.kind === 'wasm') return { array: new Int32Array(heapBuffer(b.backend.wasm)), offset: record(b.backend, t).memoryOffset / 4 };
  return { array: b.backend.data.get(t.dataId).values as Int32Array, offset: 0 };
}

interface Attrs {
  ignoreIndex: number;
}

function forwardKernel(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { logits, labels } = inputs as unknown as Record<'logits' | 'labels', TensorInfo>;
    const [rows, v] = logits.shape;
    const b = nativeBackend(name, backend)!;
    const { outs, ins, outOps } = operands(b, [logits], [[], [rows, 2]]);
    const l = labelsOperand(b, labels);
    const [loss, stats] = outOps;
    addon()!.crossEntropy(ins[0].array, ins[0].offset, l.array, l.offset, stats.array, stats.offset, loss.array, loss.offset, rows, v, (attrs as unknown as Attrs).ignoreIndex);
    return outs;
  };
}

function gradKernel(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { logits, labels, stats, dy } = inputs as unknown as Record<'logits' | 'labels' | 'stats' | 'dy', TensorInfo>;
    const [rows, v] = logits.shape;
    const b = nativeBackend(name, backend)!;
    const { outs, ins, outOps } = operands(b, [logits, stats, dy], [logits.shape]);
    const l = labelsOperand(b, labels);
    const [x, s, d] = ins;
    addon()!.crossEntropyGrad(x.array, x.offset, l.array, l.offset, s.array, s.offset, d.array, d.offset, outOps[0].array, outOps[0].offset, rows, v, (attrs as unknown as Attrs).ignoreIndex);
    return outs;
  };
}

function register(): void {
  for (const name of ['wasm', 'cpu'] as const) {
    if (!tf.getKernel(CROSS_ENTROPY_KERNEL, name)) tf.registerKernel({ kernelName: CROSS_ENTROPY_KERNEL, backendName: name, kernelFunc: forwardKernel(name) });
    if (!tf.getKernel(CROSS_ENTROPY_GRAD_KERNEL, name)) tf.registerKernel({ kernelName: CROSS_ENTROPY_GRAD_KERNEL, backendName: name, kernelFunc: gradKernel(name) });
  }
}

/** Whether the native cross-entropy serves float32 logits [N, V] (N, V ≥ 1) on the active backend (labels checked by crossEntropy). */
export function nativeCrossEntropyServes(logits: Tensor): boolean {
  const backend = tf.getBackend();
  return (backend === 'wasm' || backend === 'cpu') && addon() !== null && logits.dtype === 'float32' && logits.size > 0;
}

type GradFn = Parameters<typeof tf.customGrad>[0];
const OPS = new Map<number, (logits: Tensor, labels: Tensor) => Tensor>();

function makeOp(ignoreIndex: number): (logits: Tensor, labels: Tensor) => Tensor {
  const attrs = { ignoreIndex } as unknown as tf.NamedAttrMap;
  return tf.customGrad(((logits: Tensor, labels: Tensor, save: (t: Tensor[]) => void) => {
    const [loss, stats] = tf.engine().runKernel(CROSS_ENTROPY_KERNEL, { logits, labels }, attrs) as Tensor[];
    save([logits, labels, stats]);
    return {
      value: loss,
      gradFunc: (dy: Tensor, [sx, sl, ss]: Tensor[]) => [...(tf.engine().runKernel(CROSS_ENTROPY_GRAD_KERNEL, { logits: sx, labels: sl, stats: ss, dy }, attrs) as Tensor[]), tf.zerosLike(sl)],
    };
  }) as unknown as GradFn) as unknown as (logits: Tensor, labels: Tensor) => Tensor;
}

/**
 * Mean cross-entropy of logits [N, V] against int32 labels [N] (the ones equal to `ignoreIndex`
 * skipped; 0 when none is left) with the native forward and backward; check
 * `nativeCrossEntropyServes` first.
 */
export function nativeCrossEntropy(logits: Tensor, labels: Tensor, ignoreIndex: number): Tensor {
  register();
  let op = OPS.get(ignoreIndex);
  if (!op) OPS.set(ignoreIndex, (op = makeOp(ignoreIndex)));
  return op(logits, labels);
}
