import { tf, type Tensor } from '../tf.js';
import { TensorCoreError } from '../errors.js';
import { inferenceFusable, siluGateInference } from '../kernels/fused_step.js';
import { nativeSiluGate, nativeSiluGateServes } from '../native/silu_gate.js';
import { simdSiluGate, simdSiluGateServes } from '../kernels/silu_gate_simd.js';

/** Exact GELU: 0.5·x·(1 + erf(x/√2)) (PyTorch `nn.GELU()`). */
export function gelu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;
type GradFn = Parameters<typeof tf.customGrad>[0];

/**
 * d/dx x·σ(2u) = s + x·s·(1 − s)·du/dx·2 with s = σ(2u), 2·du/dx = 2C + 6AC·x², from the saved
 * x, x² and s: 8 elementwise kernels against ~15 for the autodiff graph.
 */
const geluTanhOp = tf.customGrad(((x: Tensor, save: (t: Tensor[]) => void) => {
  const x2 = tf.mul(x, x);
  const s = tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(x2, x), GELU_A)), 2 * GELU_C)); // σ(2u)
  save([x, x2, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: Tensor, [sx, sx2, ss]: Tensor[]) =>
      tf.tidy(() => {
        const du2 = tf.add(tf.mul(sx2, 6 * GELU_A * GELU_C), 2 * GELU_C); // 2·du/dx
        const slope = tf.mul(tf.mul(tf.mul(ss, tf.sub(1, ss)), sx), du2);
        return tf.mul(dy, tf.add(ss, slope));
      }),
  };
}) as unknown as GradFn);

/**
 * Tanh GELU: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as the identical x·σ(2u)
 * (0.5·(1 + tanh u) = σ(2u)) with a hand-written gradient: no tanh kernel, fewer ops forward and
 * backward, and no cancellation in 1 + tanh u for large negative u.
 */
export function geluTanh(x: Tensor): Tensor {
  if (x.dtype !== 'float32') return tf.tidy(() => geluTanhOp(tf.cast(x, 'float32')) as Tensor);
  return geluTanhOp(x) as Tensor;
}

/** CLIP's quick_gelu: x·σ(1.702·x). */
export function quickGelu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/** SiLU / swish: x·σ(x). */
export function silu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/**
 * The SiLU gate of LLaMA-style MLPs: silu(gate)·up, with `up` given, or with x = [gate; up] along
 * the last axis (a fused gate_up projection) → [..., I]. One kernel when no gradient is recorded.
 */
export function siluGate(x: Tensor, up?: Tensor): Tensor {
  const last = x.shape[x.rank - 1];
  TensorCoreError.check(up ? up.shape.join() === x.shape.join() : last % 2 === 0, 'ARGUMENT', () =>
    up ? `'up' passed to 'siluGate' must have the shape of 'x' [${x.shape.join(', ')}], got [${up.shape.join(', ')}]` : `'x' passed to 'siluGate' alone must hold gate and up halves (an even last axis), got [${x.shape.join(', ')}]`);
  if (inferenceFusable('HealthgptSiluGate', x, ...(up ? [up] : []))) return siluGateInference(x, up);
  if (nativeSiluGateServes(x, up)) return nativeSiluGate(x, up);
  if (simdSiluGateServes(x, up)) return simdSiluGate(x, up);
  return tf.tidy(() => {
    const [g, u] = up ? [x, up] : tf.split(x, 2, -1);
    return tf.mul(silu(g), u);
  });
}

export type ActivationName = 'gelu' | 'gelu_pytorch_tanh' | 'gelu_new' | 'quick_gelu' | 'silu' | 'swish' | 'relu';

/** An activation by its HF config name (`hidden_act`). */
export function activation(name: string): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
      return gelu;
    case 'gelu_pytorch_tanh':
    case 'gelu_new':
      return geluTanh;
    case 'quick_gelu':
      return quickGelu;
    case 'silu':
    case 'swish':
      return silu;
    case 'relu':
      return (x) => tf.relu(x);
    default:
      TensorCoreError.check(false, 'ARGUMENT', `unknown activation '${name}' (expected one of gelu, gelu_pytorch_tanh, gelu_new, quick_gelu, silu, swish, relu)`);
  }
}
