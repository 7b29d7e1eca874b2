/**
 * Im2Col and its adjoint Col2Im over NCHW images, the two layout kernels of tensor-core's
 * convolution (nn/conv2d_im2col.ts): with them a convolution is one matmul against the PyTorch
 * weight `[out, in·kh·kw]`, with no NCHW↔NHWC transpose, no Pad and no Slice around it. Padding,
 * stride and a nearest-neighbour upsampling of the input are folded into the index arithmetic; an
 * optional row of ones carries the bias through the same matmul. The batch sits in the columns,
 * so the forward pass and both gradients are each a single matrix product.
 *
 * cols[(c·kh + i)·kw + j, (b·ho + oy)·wo + ox] = up(x)[b, c, oy·sh − top + i, ox·sw − left + j]
 * (0 outside), up(x)[y, x] = x[⌊y/u⌋, ⌊x/u⌋]; with `ones`, row C·kh·kw is all ones.
 */
import { tf } from '../tf.js';
import { TensorCoreError } from '../errors.js';
import { cpuOf } from './cpu_data.js';
import { heapF32, wasmOf, type TensorInfo } from './wasm_heap.js';

export const IM2COL = 'HealthGPTIm2Col';
export const COL2IM = 'HealthGPTCol2Im';

/** Attributes shared by both kernels. */
export interface Im2ColAttrs {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** [top, bottom, left, right] zero padding (of the upsampled image). */
  pad: [number, number, number, number];
  /** Nearest-neighbour upsampling factor of the input (1: none). */
  up: number;
  /** Append a row of ones to the columns (Im2Col) / ignore the last row (Col2Im). */
  ones: boolean;
}

/** The geometry of one Im2Col: the image [b, c, h, w], the output grid and the column rows. */
export interface Im2ColGeometry {
  b: number;
  c: number;
  h: number;
  w: number;
  ho: number;
  wo: number;
  /** c·kh·kw (+1 with ones). */
  rows: number;
}

export function im2colGeometry(xShape: readonly number[], a: Im2ColAttrs): Im2ColGeometry {
  const [b, c, h, w] = xShape;
  const ho = Math.floor((h * a.up + a.pad[0] + a.pad[1] - a.kh) / a.sh) + 1;
  const wo = Math.floor((w * a.up + a.pad[2] + a.pad[3] - a.kw) / a.sw) + 1;
  TensorCoreError.check(ho > 0 && wo > 0, 'ARGUMENT', () => `a ${a.kh}x${a.kw} convolution does not fit the ${h * a.up}x${w * a.up} image padded by [${a.pad}]`);
  return { b, c, h, w, ho, wo, rows: c * a.kh * a.kw + (a.ones ? 1 : 0) };
}

/**
 * Walk every (column entry, input pixel) pair that reads the image, copying the pixel into the
 * column (`scatter` false; entries reading the padding are set to zero) or adding the column entry
 * back to the pixel (`scatter` true; `x` zeroed by the caller).
 */
function walk(g: Im2ColGeometry, a: Im2ColAttrs, x: Float32Array, cols: Float32Array, scatter: boolean): void {
  const { b: nb, c: nc, h, w, ho, wo } = g;
  const { kh, kw, sh, sw, up } = a;
  const [top, , left] = a.pad;
  const hu = h * up;
  const wu = w * up;
  const plane = ho * wo;
  for (let b = 0; b < nb; b++)
    for (let c = 0; c < nc; c++) {
      const xBase = (b * nc + c) * h * w;
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) {
          const colBase = (((c * kh + i) * kw + j) * nb + b) * plane;
          // the output columns whose tap j lands inside the image: ox in [ox0, ox1)
          const ox0 = Math.max(0, Math.ceil((left - j) / sw));
          const ox1 = Math.min(wo, Math.floor((wu - 1 + left - j) / sw) + 1);
          for (let oy = 0; oy < ho; oy++) {
            const y = oy * sh - top + i;
            const colRow = colBase + oy * wo;
            const inside = y >= 0 && y < hu && ox1 > ox0;
            if (!scatter) {
              // the columns reading the padding are zeros (written here, so nothing is filled twice)
              const z0 = inside ? ox0 : wo;
              const z1 = inside ? ox1 : wo;
              for (let ox = 0; ox < z0; ox++) cols[colRow + ox] = 0;
              for (let ox = z1; ox < wo; ox++) cols[colRow + ox] = 0;
            }
            if (!inside) continue;
            const xRow = xBase + ((y / up) | 0) * w;
            if (sw === 1 && up === 1) {
              const d = xRow - left + j; // x index − column index
              if (scatter) for (let ox = ox0; ox < ox1; ox++) x[ox + d] += cols[colRow + ox];
              else for (let ox = ox0; ox < ox1; ox++) cols[colRow + ox] = x[ox + d];
            } else if (scatter) {
              for (let ox = ox0; ox < ox1; ox++) x[xRow + (((ox * sw - left + j) / up) | 0)] += cols[colRow + ox];
            } else {
              for (let ox = ox0; ox < ox1; ox++) cols[colRow + ox] = x[xRow + (((ox * sw - left + j) / up) | 0)];
            }
          }
        }
    }
}

/** cols ← im2col(x) (every entry written). */
export function im2col(x: Float32Array, g: Im2ColGeometry, a: Im2ColAttrs, cols: Float32Array): void {
  walk(g, a, x, cols, false);
  const n = g.b * g.ho * g.wo;
  if (a.ones) for (let i = (g.rows - 1) * n, end = g.rows * n; i < end; i++) cols[i] = 1;
}

/** dx (zeroed here) ← col2im(cols): every column entry added back to the pixel it was read from. */
export function col2im(cols: Float32Array, g: Im2ColGeometry, a: Im2ColAttrs, dx: Float32Array): void {
  for (let i = 0; i < dx.length; i++) dx[i] = 0;
  walk(g, a, dx, cols, true);
}

function attrsOf(args: Parameters<tf.KernelFunc>[0]): Im2ColAttrs {
  return args.attrs as unknown as Im2ColAttrs;
}

/** Im2Col(x [b, c, h, w]) → [rows, b·ho·wo]; Col2Im(cols [rows, b·ho·wo], xShape) → [b, c, h, w]. */
function configs(backendName: 'wasm' | 'cpu'): tf.KernelConfig[] {
  const io = (args: Parameters<tf.KernelFunc>[0], input: TensorInfo, shape: number[], run: (src: Float32Array, dst: Float32Array) => void): TensorInfo => {
    if (backendName === 'wasm') {
      const backend = wasmOf(args);
      const out = backend.makeOutput(shape, 'float32');
      run(heapF32(backend, input), heapF32(backend, out));
      return out;
    }
    const backend = cpuOf(args);
    const out = new Float32Array(tf.util.sizeFromShape(shape));
    run(backend.data.get(input.dataId).values as Float32Array, out);
    return backend.makeTensorInfo(shape, 'float32', out);
  };
  return [
    {
      kernelName: IM2COL,
      backendName,
      kernelFunc: (args) => {
        const { x } = args.inputs as { x: TensorInfo };
        const a = attrsOf(args);
        const g = im2colGeometry(x.shape, a);
        return io(args, x, [g.rows, g.b * g.ho * g.wo], (src, dst) => im2col(src, g, a, dst));
      },
    },
    {
      kernelName: COL2IM,
      backendName,
      kernelFunc: (args) => {
        const { cols } = args.inputs as { cols: TensorInfo };
        const a = attrsOf(args);
        const xShape = (args.attrs as { xShape: number[] }).xShape;
        const g = im2colGeometry(xShape, a);
        TensorCoreError.check(cols.shape.join() === [g.rows, g.b * g.ho * g.wo].join(), 'ARGUMENT', () => `'cols' passed to 'Col2Im' must have shape [${g.rows}, ${g.b * g.ho * g.wo}], got [${cols.shape}]`);
        return io(args, cols, [...xShape], (src, dst) => col2im(src, g, a, dst));
      },
    },
  ];
}

export const im2colWasmConfigs = configs('wasm');
export const im2colCpuConfigs = configs('cpu');
