import { TensorCoreError } from '../errors.js';

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
    TensorCoreError.check(Number.isFinite(seed), 'ARGUMENT', `'seed' passed to 'Generator.manualSeed' must be a finite number, got ${seed}`);
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

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }

  /** A uniformly chosen element of a non-empty list. */
  pick<T>(xs: readonly T[]): T {
    TensorCoreError.check(xs.length > 0, 'ARGUMENT', `'xs' passed to 'Generator.pick' must not be empty`);
    return xs[this.int(xs.length)];
  }

  /** A new generator seeded from this stream: an independent stream for a sub-task. */
  fork(): Generator {
    return new Generator(this.nextUint32() * 2 ** 21 + (this.nextUint32() >>> 11));
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

  /**
   * The state, to checkpoint a run and resume it exactly: the four state words, then the cached
   * second normal draw when one is pending (so a resumed `normal()` stream continues bit for bit).
   */
  getState(): number[] {
    const words = Array.from(this.s);
    return this.spareNormal === null ? words : [...words, this.spareNormal];
  }

  /** Restore a state from `getState` (4 words, or 5 with a pending normal draw). */
  setState(state: readonly number[]): void {
    TensorCoreError.check(
      (state.length === 4 || state.length === 5) && state.slice(0, 4).every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32) && state.slice(0, 4).some((x) => x !== 0),
      'ARGUMENT',
      () => `'state' passed to 'Generator.setState' must be 4 non-zero uint32 words (+ an optional pending normal), got [${state.join(', ')}]`,
    );
    this.s.set(state.slice(0, 4));
    this.spareNormal = state.length === 5 ? state[4] : null;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
