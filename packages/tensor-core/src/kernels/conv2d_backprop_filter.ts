/**
 * Conv2DBackpropFilter for the wasm backend (4.22 lacks it, so no conv layer could train there):
 * dW[kh, kw, Cin, Cout] = Σ patches(x)ᵀ · dy, computed as im2col over blocks of output positions
 * and one XNNPACK matmul per block, accumulated in place. NHWC and NCHW inputs, any stride and
 * padding; dilation 1 (as tfjs's conv2d gradient requires).
 */
import { tf } from '../tf.js';
import { transposeLast2, xnnMatMul } from './batch_matmul.js';
import { heapBuffer, record, wasmOf, type TensorInfo, type WasmBackend } from './wasm_heap.js';

export interface Conv2DBackpropFilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** Rows of im2col per matmul block: bounds the temporary to ~BLOCK · kh·kw·Cin floats. */
const BLOCK = 2048;

export function conv2DBackpropFilterWasm(backend: WasmBackend, x: TensorInfo, dy: TensorInfo, attrs: Conv2DBackpropFilterAttrs): TensorInfo {
  const fmt = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, fmt);
  const { batchSize, inHeight, inWidth, inChannels: cin, outHeight, outWidth, outChannels: cout, strideHeight, strideWidth, filterHeight: kh, filterWidth: kw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const last = info.dataFormat === 'channelsLast';
  // Element strides of x and dy for (n, h, w, c) whatever the layout.
  const xs = last ? [inHeight * inWidth * cin, inWidth * cin, cin, 1] : [cin * inHeight * inWidth, inWidth, 1, inHeight * inWidth];
  const ys = last ? [outHeight * outWidth * cout, outWidth * cout, cout, 1] : [cout * outHeight * outWidth, outWidth, 1, outHeight * outWidth];
  const cols = kh * kw * cin;
  const total = batchSize * outHeight * outWidth;
  const out = backend.makeOutput([kh, kw, cin, cout], 'float32');
  const rows = Math.max(1, Math.min(total, BLOCK));
  const patches = backend.makeOutput([rows, cols], 'float32');
  const dyBlock = backend.makeOutput([rows, cout], 'float32');
  const part = backend.makeOutput([cols, cout], 'float32');
  const heap = () => heapBuffer(backend.wasm);
  const view = (t: TensorInfo, n: number) => new Float32Array(heap(), record(backend, t).memoryOffset, n);
  view(out, cols * cout).fill(0);
  for (let p0 = 0; p0 < total; p0 += rows) {
    const r = Math.min(rows, total - p0);
    const xv = view(x, tf.util.sizeFromShape(x.shape));
    const yv = view(dy, tf.util.sizeFromShape(dy.shape));
    const pv = view(patches, r * cols);
    const dv = view(dyBlock, r * cout);
    pv.fill(0);
    for (let i = 0; i < r; i++) {
      const p = p0 + i;
      const n = Math.floor(p / (outHeight * outWidth));
      const oh = Math.floor(p / outWidth) % outHeight;
      const ow = p % outWidth;
      const yBase = n * ys[0] + oh * ys[1] + ow * ys[2];
      for (let c = 0; c < cout; c++) dv[i * cout + c] = yv[yBase + c * ys[3]];
      for (let fy = 0; fy < kh; fy++) {
        const ih = oh * strideHeight - top + fy;
        if (ih < 0 || ih >= inHeight) continue;
        for (let fx = 0; fx < kw; fx++) {
          const iw = ow * strideWidth - left + fx;
          if (iw < 0 || iw >= inWidth) continue;
          const src = n * xs[0] + ih * xs[1] + iw * xs[2];
          const dst = i * cols + (fy * kw + fx) * cin;
          if (last) pv.set(xv.subarray(src, src + cin), dst);
          else for (let c = 0; c < cin; c++) pv[dst + c] = xv[src + c * xs[3]];
        }
      }
    }
    // part[cols, Cout] = patchesᵀ · dyBlock
    const pt = transposeLast2(backend, { ...patches, shape: [r, cols] }, 1, r, cols);
    xnnMatMul(backend, record(backend, pt).memoryOffset, record(backend, dyBlock).memoryOffset, record(backend, part).memoryOffset, cols, r, cout);
    backend.disposeData(pt.dataId);
    const acc = view(out, cols * cout);
    const pr = view(part, cols * cout);
    for (let j = 0; j < acc.length; j++) acc[j] += pr[j];
  }
  for (const t of [patches, dyBlock, part]) backend.disposeData(t.dataId);
  return out;
}

export const conv2DBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    return conv2DBackpropFilterWasm(wasmOf(args), x, dy, args.attrs as unknown as Conv2DBackpropFilterAttrs);
  },
};
