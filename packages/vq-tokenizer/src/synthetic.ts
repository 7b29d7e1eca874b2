import { Generator, tf, type Tensor } from '@healthgpt/tensor-core';
import { VQTokenizerError } from './errors.js';

export interface PhantomOptions {
  /** Side in pixels (default 64). */
  size?: number;
  seed?: number;
  /** Std of the pixel noise on the [0, 1] scale (default 0.01). */
  noise?: number;
}

interface Ellipse {
  cx: number;
  cy: number;
  a: number;
  b: number;
  cos: number;
  sin: number;
  value: number;
}

function ellipse(gen: Generator, cx: number, cy: number, rMin: number, rMax: number, value: number): Ellipse {
  const th = gen.random() * Math.PI;
  return { cx, cy, a: rMin + gen.random() * (rMax - rMin), b: rMin + gen.random() * (rMax - rMin), cos: Math.cos(th), sin: Math.sin(th), value };
}

/** Soft inside-ness (≈1 inside, 0 outside, a ~2 px partial-volume rim) of point (x, y) in [−1, 1]². */
function inside(e: Ellipse, x: number, y: number, px: number): number {
  const dx = x - e.cx;
  const dy = y - e.cy;
  const u = (dx * e.cos + dy * e.sin) / e.a;
  const v = (-dx * e.sin + dy * e.cos) / e.b;
  const r = Math.sqrt(u * u + v * v);
  const dist = (r - 1) * Math.min(e.a, e.b); // ≈ distance to the rim
  return 1 / (1 + Math.exp(dist / px));
}

/**
 * Synthetic phantom-like images for demos and tests (the real phantom set lives in vl-health):
 * a body ellipse filling most of the field of view with 1–3 rotated inner ellipses of random intensity, a low-frequency texture and
 * pixel noise, grey replicated to RGB. Returns [n, 3, size, size] in [−1, 1].
 */
export function syntheticPhantoms(n: number, { size = 64, seed = 0, noise = 0.01 }: PhantomOptions = {}): Tensor {
  VQTokenizerError.check(Number.isInteger(n) && n > 0, 'ARGUMENT', `'n' passed to 'syntheticPhantoms' must be a positive integer, got ${n}`);
  VQTokenizerError.check(Number.isInteger(size) && size >= 8, 'ARGUMENT', `'size' passed to 'syntheticPhantoms' must be an integer ≥ 8, got ${size}`);
  const gen = new Generator(seed);
  const data = new Float32Array(n * 3 * size * size);
  const px = 2 / size;
  for (let i = 0; i < n; i++) {
    const body = ellipse(gen, (gen.random() - 0.5) * 0.2, (gen.random() - 0.5) * 0.2, 0.85, 1.15, 0.35 + 0.3 * gen.random()); // fills the field of view, like a cropped slice
    const inner = Array.from({ length: 1 + gen.int(3) }, () =>
      ellipse(gen, body.cx + (gen.random() - 0.5) * 0.8, body.cy + (gen.random() - 0.5) * 0.8, 0.12, 0.35, (gen.random() - 0.5) * 0.7),
    );
    const fx = 1 + gen.random() * 3;
    const fy = 1 + gen.random() * 3;
    const ph = gen.random() * 2 * Math.PI;
    for (let yi = 0; yi < size; yi++) {
      for (let xi = 0; xi < size; xi++) {
        const x = (xi + 0.5) * px - 1;
        const y = (yi + 0.5) * px - 1;
        const inBody = inside(body, x, y, px);
        let v = body.value * inBody;
        for (const e of inner) v += e.value * inside(e, x, y, px) * inBody;
        v += inBody * 0.04 * Math.sin(fx * Math.PI * x + ph) * Math.cos(fy * Math.PI * y); // texture
        v += noise * gen.normal();
        const g = Math.min(1, Math.max(0, v)) * 2 - 1;
        for (let c = 0; c < 3; c++) data[((i * 3 + c) * size + yi) * size + xi] = g;
      }
    }
  }
  return tf.tensor4d(data, [n, 3, size, size]);
}
