import { tf, type Tensor } from '../tf.js';
import { COL2IM, IM2COL, im2colGeometry, type Im2ColAttrs } from '../kernels/im2col.js';
import { nativeBlas } from '../kernels/native.js';

/**
 * Whether `conv2d` takes the Im2Col path: the active backend has the Im2Col / Col2Im kernels (wasm
 * and cpu do) and, on wasm, the native BLAS runs its matmuls. With XNNPACK alone, wasm's own NHWC
 * convolutions train the VQ tokenizer faster (interleaved A/B: `bench/vq_step_ab.ts`), so that
 * path stays there.
 */
export function hasIm2Col(): boolean {
  const backend = tf.getBackend();
  if (backend === 'wasm' && nativeBlas() === null) return false;
  return tf.getKernel(IM2COL, backend) !== undefined && tf.getKernel(COL2IM, backend) !== undefined;
}

const run = (name: string, inputs: Record<string, Tensor>, attrs: object): Tensor => tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as Tensor;

/** Largest column matrix (floats, 64 MB) the forward pass keeps for the backward pass. */
const KEEP_COLUMNS = 16 * 2 ** 20;

/** [a, b, p] → [b, a, p] (whole rows of p move: a block copy). */
const swapOuter = (t: Tensor, a: number, b: number, p: number): Tensor => tf.transpose(t.reshape([a, b, p]), [1, 0, 2]);

/**
 * An NCHW convolution as Im2Col + one matmul against the flattened PyTorch weight, its gradients
 * made of the same pieces (dx = Col2Im(Wᵀ·dy), dW = dy·colsᵀ), each a single matrix product with
 * the batch in the columns: x [B, Cin, H, W], w2 [Cout, Cin·kh·kw (+1 bias column when
 * `attrs.ones`)] → [B, Cout, H', W']. The columns (kh·kw times the input) are kept for the
 * backward pass up to `KEEP_COLUMNS` floats, rebuilt there beyond it.
 */
export function im2colConv2d(x: Tensor, w2: Tensor, attrs: Im2ColAttrs): Tensor {
  const g = im2colGeometry(x.shape, attrs);
  const cout = w2.shape[0];
  const p = g.ho * g.wo;
  const op = tf.customGrad((...args: unknown[]) => {
    const [xs, ws, save] = args as [Tensor, Tensor, (ts: Tensor[]) => void];
    const cols = run(IM2COL, { x: xs }, attrs); // [K, B·P]
    const keep = cols.size <= KEEP_COLUMNS;
    save(keep ? [xs, ws, cols] : [xs, ws]);
    const y = tf.matMul(ws as tf.Tensor2D, cols as tf.Tensor2D); // [Cout, B·P]
    cols.dispose();
    const value = swapOuter(y, cout, g.b, p).reshape([g.b, cout, g.ho, g.wo]);
    const gradFunc = (dy: Tensor, saved: Tensor[]) => {
      const [xSaved, wSaved, kept] = saved;
      const dyT = swapOuter(dy, g.b, cout, p).reshape([cout, g.b * p]) as tf.Tensor2D; // [Cout, B·P]
      const cols2 = (kept ?? run(IM2COL, { x: xSaved }, attrs)) as tf.Tensor2D;
      const dw = tf.matMul(dyT, cols2, false, true); // [Cout, K]
      const dcols = tf.matMul(wSaved as tf.Tensor2D, dyT, true, false); // [K, B·P]
      const dx = run(COL2IM, { cols: dcols }, { ...attrs, xShape: xSaved.shape });
      return [dx, dw];
    };
    return { value, gradFunc };
  }) as (x: Tensor, w: Tensor) => Tensor;
  return op(x, w2);
}
