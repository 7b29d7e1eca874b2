/**
 * HealthgptInt8Rows: y [N, out] = x [N, in] · (q·s)ᵀ for a few rows (decoding), int8 weights held
 * outside TensorFlow.js (`Int8Weights`, passed as the kernel's attribute). One kernel call on the
 * tensors' own memory — the wasm heap or the cpu backend's arrays — with no read-back, no upload
 * and no gradient wrapper: `int8Linear` calls it only while no tape records gradients.
 */
import { tf } from '../tf.js';
import { nativeKernels } from './native.js';
import { heapBuffer, record, wasmOf, type TensorInfo } from './wasm_heap.js';
import { cpuOf } from './cpu_data.js';

/** The int8 operand (as nn/int8_linear.ts defines `Int8Weights`). */
export interface Int8Operand {
  q: Int8Array;
  scales: Float32Array;
  outFeatures: number;
  inFeatures: number;
}

/** Whether the native addon's int8 × float32 kernel is live (else int8 products run in JS). */
export const int8NativeLive = (): boolean => nativeKernels()?.int8Matmul !== undefined;

/**
 * y[yOff + r·out + o] = Σᵢ x[xOff + r·in + i]·q[o, i] · s[o] for r < n: the native addon's kernel
 * when loaded (across its threads), else JS loops accumulating in float64.
 */
export function int8RowsProduct(x: Float32Array, xOff: number, w: Int8Operand, y: Float32Array, yOff: number, n: number): void {
  const { q, scales, outFeatures: out, inFeatures: inF } = w;
  const addon = nativeKernels();
  if (addon?.int8Matmul) {
    addon.int8Matmul(x, xOff, q, scales, y, yOff, n, out, inF);
    return;
  }
  for (let r = 0; r < n; r++) {
    const xo = xOff + r * inF;
    for (let o = 0; o < out; o++) {
      let acc = 0;
      for (let i = 0, k = o * inF; i < inF; i++, k++) acc += x[xo + i] * q[k];
      y[yOff + r * out + o] = acc * scales[o];
    }
  }
}

const KERNEL = 'HealthgptInt8Rows';
const weightsOf = (args: Parameters<tf.KernelFunc>[0]) => (args.attrs as unknown as { weights: Int8Operand }).weights;

export const int8RowsConfigs: tf.KernelConfig[] = [
  {
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const backend = wasmOf(args);
      const { x } = args.inputs as { x: TensorInfo };
      const w = weightsOf(args);
      const out = backend.makeOutput([x.shape[0], w.outFeatures], 'float32');
      const heap = new Float32Array(heapBuffer(backend.wasm)); // after the allocation above
      int8RowsProduct(heap, record(backend, x).memoryOffset / 4, w, heap, record(backend, out).memoryOffset / 4, x.shape[0]);
      return out;
    },
  },
  {
    kernelName: KERNEL,
    backendName: 'cpu',
    kernelFunc: (args) => {
      const backend = cpuOf(args);
      const { x } = args.inputs as { x: TensorInfo };
      const w = weightsOf(args);
      const y = new Float32Array(x.shape[0] * w.outFeatures);
      int8RowsProduct(backend.data.get(x.dataId).values as Float32Array, 0, w, y, 0, x.shape[0]);
      return backend.makeTensorInfo([x.shape[0], w.outFeatures], 'float32', y);
    },
  },
];

/** Whether `x2` [N, in] may take the kernel: no tape recording, float32, the backend has it. */
export function int8RowsUsable(x2: tf.Tensor): boolean {
  return !tf.engine().isTapeOn() && x2.dtype === 'float32' && tf.getKernel(KERNEL, tf.getBackend()) !== undefined;
}

/** x2 [N, in] → [N, out] through HealthgptInt8Rows (no gradient). */
export const int8Rows = (x2: tf.Tensor, weights: Int8Operand): tf.Tensor => tf.engine().runKernel<tf.Tensor>(KERNEL, { x: x2 }, { weights } as unknown as Record<string, number>);
