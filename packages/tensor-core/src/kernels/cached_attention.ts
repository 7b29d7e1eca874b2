/**
 * HealthgptCachedAttention: one decoding step of a `KVCache` layer — write the step's keys and
 * values into the cache, then attend q from it — on the tensors' own memory (the wasm heap or the
 * cpu backend's arrays), instead of three read-backs and an upload. Inference only: no gradient,
 * and the cache is written as the kernel runs; `KVCache.appendAttend` calls it only while no tape
 * records gradients.
 */
import { tf, type Tensor } from '../tf.js';
import { heapF32, wasmOf, type TensorInfo } from './wasm_heap.js';
import { cpuOf } from './cpu_data.js';
import type { KVCache } from '../nn/kv_cache.js';

const KERNEL = 'HealthgptCachedAttention';

interface Attrs {
  cache: KVCache;
  layer: number;
  scale: number;
  biasB: number;
}

type Inputs = { q: TensorInfo; k: TensorInfo; v: TensorInfo; bias?: TensorInfo };

/** Append k and v, then attend q into out: the cache's own host-data paths. */
function step({ cache, layer, scale, biasB }: Attrs, q: TensorInfo, k: TensorInfo, [qv, kv, vv, bv, out]: (Float32Array | null)[]): void {
  cache.appendData(layer, kv!, vv!, k.shape[2]);
  cache.attendData(layer, qv!, bv, out!, q.shape[1], q.shape[2], biasB, scale);
}

export const cachedAttentionConfigs: tf.KernelConfig[] = [
  {
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const backend = wasmOf(args);
      const { q, k, v, bias } = args.inputs as Inputs;
      const out = backend.makeOutput(q.shape, 'float32');
      // Heap views after the last allocation (makeOutput may grow the heap).
      step(args.attrs as unknown as Attrs, q, k, [q, k, v, bias, out].map((t) => (t ? heapF32(backend, t) : null)));
      return out;
    },
  },
  {
    kernelName: KERNEL,
    backendName: 'cpu',
    kernelFunc: (args) => {
      const backend = cpuOf(args);
      const { q, k, v, bias } = args.inputs as Inputs;
      const out = new Float32Array(tf.util.sizeFromShape(q.shape));
      step(args.attrs as unknown as Attrs, q, k, [...[q, k, v, bias].map((t) => (t ? (backend.data.get(t.dataId).values as Float32Array) : null)), out]);
      return backend.makeTensorInfo(q.shape, 'float32', out);
    },
  },
];

/** Whether the kernel may run: no tape recording, float32 operands, a backend that has it. */
export function cachedAttentionUsable(...ts: (Tensor | null)[]): boolean {
  return !tf.engine().isTapeOn() && ts.every((t) => t === null || t.dtype === 'float32') && tf.getKernel(KERNEL, tf.getBackend()) !== undefined;
}

/** Run it: layer `layer` of `cache` appends k and v [B, Hkv, T, hd] and returns attention [B, H, Tq, hd]. */
export function cachedAttention(cache: KVCache, layer: number, q: Tensor, k: Tensor, v: Tensor, bias: Tensor | null, scale: number, biasB: number): Tensor {
  const attrs: Attrs = { cache, layer, scale, biasB };
  return tf.engine().runKernel<Tensor>(KERNEL, bias ? { q, k, v, bias } : { q, k, v }, attrs as unknown as Record<string, number>);
}
