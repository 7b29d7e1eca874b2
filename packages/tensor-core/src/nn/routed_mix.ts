/**
 * `routedMix`: the routed low-rank mixture of H-LoRA, y = h ⊙ repeat_interleave(softmax(l), rₑ)·s
 * for u = [h; l] [..., R + k], with a hand-written gradient on the fused kernels of
 * kernels/routed_mix.ts (one pass per row forward and backward). A backend without them runs the
 * same formula as tfjs ops.
 */
import { tf, type Tensor } from '../tf.js';
import { TensorCoreError } from '../errors.js';

type GradFn = Parameters<typeof tf.customGrad>[0];
type Attrs = { r: number; k: number; scaling: number };

const run = <T extends tf.Tensor | tf.Tensor[]>(name: string, inputs: tf.NamedTensorMap, attrs: Attrs) => tf.engine().runKernel<T>(name, inputs, attrs as unknown as Record<string, number>);

function makeMix(attrs: Attrs) {
  return tf.customGrad(((u: Tensor, save: (ts: Tensor[]) => void) => {
    const [y, g] = run<Tensor[]>('HealthgptRoutedMix', { u }, attrs);
    save([u, g]);
    return { value: y, gradFunc: (dy: Tensor, [su, sg]: Tensor[]) => run<Tensor>('HealthgptRoutedMixGrad', { dy, u: su, g: sg }, attrs) };
  }) as unknown as GradFn);
}

const OPS = new Map<string, ReturnType<typeof makeMix>>();

/** s·E [k, R], E the 0/1 map of expert e to its ranks [e·rₑ, (e+1)·rₑ). */
function expertMap({ r, k, scaling }: Attrs): Tensor {
  const re = r / k;
  const e = new Float32Array(k * r);
  for (let i = 0; i < k; i++) e.fill(scaling, i * r + i * re, i * r + (i + 1) * re);
  return tf.tensor2d(e, [k, r]);
}

/**
 * y [..., R] = h ⊙ repeat_interleave(softmax(l), R/k) · scaling, with u = [h; l] [..., R + k]
 * along the last axis (the k router logits after the R low-rank activations). R must be a
 * multiple of k. Differentiable in u.
 */
export function routedMix(u: Tensor, r: number, k: number, scaling: number): Tensor {
  TensorCoreError.check(Number.isInteger(r) && Number.isInteger(k) && k > 0 && r % k === 0, 'ARGUMENT', () => `'routedMix': r (${r}) must be a multiple of k (${k})`);
  TensorCoreError.check(u.dtype === 'float32' && u.rank >= 1 && u.shape[u.rank - 1] === r + k, 'ARGUMENT', () => `'u' passed to 'routedMix' must be float32 [..., ${r + k}], got ${u.dtype} [${u.shape.join(', ')}]`);
  const attrs = { r, k, scaling };
  return tf.tidy(() => {
    const u2 = u.reshape([-1, r + k]);
    let y: Tensor;
    if (tf.getKernel('HealthgptRoutedMix', tf.getBackend()) && u2.shape[0] > 0) {
      const key = `${r},${k},${scaling}`;
      let mix = OPS.get(key);
      if (!mix) {
        if (OPS.size > 64) OPS.clear();
        OPS.set(key, (mix = makeMix(attrs)));
      }
      y = mix(u2) as Tensor;
    } else {
      const [h, l] = tf.split(u2, [r, k], 1);
      y = tf.mul(h, tf.matMul(tf.softmax(l), expertMap(attrs)));
    }
    return y.reshape([...u.shape.slice(0, -1), r]);
  });
}
