import { tf, type Tensor } from './tf.js';
import { check } from './errors.js';

/**
 * A small, fast, seedable random generator (xoshiro128**, seeded through splitmix32), so weight
 * initialisation, dropout masks and data shuffles are reproducible run to run.
 */
export class Generator {
  private s = new Uint32Array(4);
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Reset the stream to the one `seed` gives. */
  manualSeed(seed: number): this {
    check(Number.isFinite(seed), `'seed' passed to 'Generator.manualSeed' must be a finite number, got ${seed}`);
    let z = (Math.floor(seed) >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      z = (z + 0x9e3779b9) | 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
      this.s[i] = (t ^ (t >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
    this.spareNormal = null;
    return this;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  random(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A fresh 31-bit seed, to seed tfjs ops (dropout) from this stream. */
  nextSeed(): number {
    return this.nextUint32() >>> 1;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }

  /** The state, to checkpoint a run and resume it. */
  getState(): number[] {
    return Array.from(this.s);
  }

  setState(state: readonly number[]): void {
    check(state.length === 4, `'state' passed to 'Generator.setState' must have 4 words, got ${state.length}`);
    this.s.set(state.map((x) => x >>> 0));
    this.spareNormal = null;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

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
  check(shape.length >= 2, `'shape' passed to 'fans' must have at least 2 dims, got [${shape.join(', ')}]`);
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
