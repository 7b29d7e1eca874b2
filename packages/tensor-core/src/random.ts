import { tf, type Tensor } from './tf.js';
import { TensorCoreError } from './errors.js';
import { Generator } from './base/generator.js';

export { Generator };

let defaultGenerator = new Generator(0);

/** Seed the process-wide default generator (like `torch.manual_seed`). */
export function manualSeed(seed: number): Generator {
  defaultGenerator = new Generator(seed);
  return defaultGenerator;
}

/** The process-wide default generator, used when no generator is passed. */
export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Uniform in [low, high) with the given shape, drawn from `gen`. */
export function uniform(shape: number[], low: number, high: number, gen: Generator = defaultGenerator): Tensor {
  const n = sizeOf(shape);
  const data = new Float32Array(n);
  const span = high - low;
  for (let i = 0; i < n; i++) data[i] = low + span * gen.random();
  return tf.tensor(data, shape, 'float32');
}

/** Normal(mean, std) with the given shape, drawn from `gen`. */
export function normal(shape: number[], mean = 0, std = 1, gen: Generator = defaultGenerator): Tensor {
  const n = sizeOf(shape);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = mean + std * gen.normal();
  return tf.tensor(data, shape, 'float32');
}

/**
 * fan_in and fan_out as PyTorch computes them: dim 1 and dim 0, times the receptive field
 * (the product of the remaining dims) for convolution weights.
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  TensorCoreError.check(shape.length >= 2, 'ARGUMENT', `'shape' passed to 'fans' must have at least 2 dims, got [${shape.join(', ')}]`);
  const receptive = sizeOf(shape.slice(2));
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/**
 * PyTorch's `kaiming_uniform_(w, a)` with leaky_relu gain: bound = √(6 / ((1 + a²)·fan_in)).
 * With a = √5 (the default of `nn.Linear` and `nn.Conv2d`) the bound is 1/√fan_in.
 */
export function kaimingUniform(shape: number[], { a = Math.sqrt(5), gen = defaultGenerator }: { a?: number; gen?: Generator } = {}): Tensor {
  const { fanIn } = fans(shape);
  const bound = Math.sqrt(6 / ((1 + a * a) * fanIn));
  return uniform(shape, -bound, bound, gen);
}

/** The bias init of `nn.Linear` / `nn.Conv2d`: U(−1/√fan_in, 1/√fan_in). */
export function biasUniform(shape: number[], fanIn: number, gen: Generator = defaultGenerator): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform(shape, -bound, bound, gen);
}
