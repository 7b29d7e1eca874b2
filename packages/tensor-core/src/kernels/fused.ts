/**
 * Fused training ops with hand-written gradients, measured on the benchmark decoder: the autodiff
 * graphs of GELU-tanh and of log-softmax cross-entropy are ~20 small kernels each per call.
 *
 * - `fusedGeluTanh(x)`: 0.5·x·(1 + tanh(u)) = x·σ(2u), u = √(2/π)(x + 0.044715x³). Forward and
 *   backward each run a handful of elementwise ops around one sigmoid (XNNPACK on wasm).
 * - `fusedCrossEntropy(logits, labels, { ignoreIndex })`: mean over supervised rows of
 *   −log softmax(logits)[label], one JS pass over the logits forward (softmax kept for backward),
 *   gradient (softmax − onehot) / count. Same semantics as nn's `crossEntropy` (loss 0 when no
 *   label is supervised).
 */
import { tf, type Tensor } from '../tf.js';
import { TensorCoreError } from '../errors.js';

const C = Math.sqrt(2 / Math.PI);
const A = 0.044715;

/** σ(2u) for the GELU-tanh argument u. */
function gateOf(x: Tensor): Tensor {
  return tf.tidy(() => tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), A)), 2 * C)));
}

type GradFn = Parameters<typeof tf.customGrad>[0];

const geluTanhOp = tf.customGrad(((x: Tensor, save: (t: Tensor[]) => void) => {
  save([x]);
  return {
    value: tf.tidy(() => tf.mul(x, gateOf(x))),
    gradFunc: (dy: Tensor, [xs]: Tensor[]) =>
      tf.tidy(() => {
        const s = gateOf(xs);
        // d/dx x·σ(2u) = s + x·s·(1 − s)·2C·(1 + 3A·x²)
        const du = tf.mul(tf.add(tf.mul(tf.mul(xs, xs), 3 * A), 1), 2 * C);
        return tf.mul(dy, tf.add(s, tf.mul(tf.mul(tf.mul(xs, s), tf.sub(1, s)), du)));
      }),
  };
}) as unknown as GradFn);

/** GELU (tanh approximation) with a fused gradient; equals nn's `geluTanh`. */
export function fusedGeluTanh(x: Tensor): Tensor {
  return geluTanhOp(x) as Tensor;
}

/** Mean cross-entropy of logits [..., V] against int32 labels [...], skipping `ignoreIndex`. */
export function fusedCrossEntropy(logits: Tensor, labels: Tensor, { ignoreIndex = -100 } = {}): Tensor {
  const v = logits.shape[logits.rank - 1];
  TensorCoreError.check(labels.dtype === 'int32', 'ARGUMENT', () => `'labels' passed to 'fusedCrossEntropy' must be int32, got ${labels.dtype}`);
  TensorCoreError.check(
    labels.rank === logits.rank - 1 && labels.shape.every((d, i) => d === logits.shape[i]),
    'ARGUMENT',
    () => `'labels' [${labels.shape}] passed to 'fusedCrossEntropy' must match the leading dims of 'logits' [${logits.shape}]`,
  );
  const lab = labels.dataSync() as Int32Array;
  const op = tf.customGrad(((lg: Tensor) => {
    const x = lg.dataSync() as Float32Array;
    const rows = lab.length;
    const probs = new Float32Array(x.length);
    let total = 0;
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const base = r * v;
      let max = -Infinity;
      for (let j = 0; j < v; j++) if (x[base + j] > max) max = x[base + j];
      let sum = 0;
      for (let j = 0; j < v; j++) {
        const e = Math.exp(x[base + j] - max);
        probs[base + j] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let j = 0; j < v; j++) probs[base + j] *= inv;
      const l = lab[r];
      if (l === ignoreIndex || l < 0 || l >= v) continue;
      total -= x[base + l] - max - Math.log(sum);
      count++;
    }
    const denom = Math.max(count, 1);
    return {
      value: tf.scalar(total / denom),
      gradFunc: (dy: Tensor) => {
        const g = dy.dataSync()[0] / denom;
        const grad = new Float32Array(x.length);
        for (let r = 0; r < rows; r++) {
          const l = lab[r];
          if (l === ignoreIndex || l < 0 || l >= v) continue;
          const base = r * v;
          for (let j = 0; j < v; j++) grad[base + j] = probs[base + j] * g;
          grad[base + l] -= g;
        }
        return tf.tensor(grad, lg.shape);
      },
    };
  }) as unknown as GradFn);
  return op(logits) as Tensor;
}
