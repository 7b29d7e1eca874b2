import { describe, expect, it } from 'vitest';
import { generateSynth } from './generate.js';
import { renderScene } from './render.js';
import { MODALITIES, LESION_RADIUS } from './scene.js';
import type { Gray } from '../image_ops.js';

/** Nearest-centroid classification accuracy of labels from feature vectors (fit and scored on the same data). */
function centroidAccuracy(features: number[][], labels: string[]): number {
  const dims = features[0].length;
  const mu = Array.from({ length: dims }, (_, d) => features.reduce((s, f) => s + f[d], 0) / features.length);
  const sd = Array.from({ length: dims }, (_, d) => Math.sqrt(features.reduce((s, f) => s + (f[d] - mu[d]) ** 2, 0) / features.length) || 1);
  const z = features.map((f) => f.map((v, d) => (v - mu[d]) / sd[d]));
  const classes = [...new Set(labels)];
  const cent = new Map(classes.map((c) => {
    const rows = z.filter((_, i) => labels[i] === c);
    return [c, Array.from({ length: dims }, (_, d) => rows.reduce((s, r) => s + r[d], 0) / rows.length)];
  }));
  let ok = 0;
  z.forEach((f, i) => {
    let best = '';
    let bd = Infinity;
    for (const [c, m] of cent) {
      const d = f.reduce((s, v, k) => s + (v - m[k]) ** 2, 0);
      if (d < bd) [bd, best] = [d, c];
    }
    if (best === labels[i]) ok++;
  });
  return ok / labels.length;
}

const mean = (g: Gray) => g.data.reduce((s, v) => s + v, 0) / g.data.length;
function histogram(g: Gray, bins = 10): number[] {
  const h = new Array(bins).fill(0);
  for (const v of g.data) h[Math.min(bins - 1, Math.floor(v * bins))]++;
  return h.map((c) => c / g.data.length);
}

describe('vl-health-synth statistics', () => {
  const set = generateSynth({ seed: 7, count: 160, size: 48 });

  it('closed answers are balanced within each question type (no answer above 60 %)', () => {
    const byType = new Map<string, Map<string, number>>();
    for (const s of set.samples) {
      if (s.metadata.answerType !== 'CLOSED') continue;
      const t = String(s.metadata.questionType);
      const m = byType.get(t) ?? new Map<string, number>();
      const a = s.conversations[1].value;
      m.set(a, (m.get(a) ?? 0) + 1);
      byType.set(t, m);
    }
    expect(byType.size).toBe(7);
    for (const [t, m] of byType) {
      const total = [...m.values()].reduce((a, b) => a + b, 0);
      expect(total, t).toBeGreaterThanOrEqual(8);
      for (const [a, c] of m) expect(c / total, `${t}: ${a}`).toBeLessThanOrEqual(0.6);
    }
  });

  it('scene attributes are balanced: modality, organ, presence', () => {
    const frac = (f: (x: (typeof set.scenes)[number]) => unknown) => {
      const m = new Map<unknown, number>();
      for (const s of set.scenes) m.set(f(s), (m.get(f(s)) ?? 0) + 1);
      return Math.max(...m.values()) / set.scenes.length;
    };
    expect(frac((s) => s.modality)).toBeCloseTo(0.25, 2);
    expect(frac((s) => s.organ)).toBeLessThan(0.35);
    expect(frac((s) => s.lesions.length > 0)).toBe(0.5);
  });

  it('the modality is not guessable from mean brightness, but is from tissue contrast', () => {
    const imgs = set.scenes.map((s) => set.images.get(`images/${s.id}.png`)!);
    const labels = set.scenes.map((s) => s.modality);
    const byMean = centroidAccuracy(imgs.map((g) => [mean(g)]), labels);
    const byHist = centroidAccuracy(imgs.map((g) => histogram(g, 20)), labels);
    console.log(`modality from mean brightness: ${byMean.toFixed(3)}, from histogram: ${byHist.toFixed(3)}`);
    // chance is 0.25 with four balanced modalities
    expect(byMean).toBeLessThan(0.4);
    expect(byHist).toBeGreaterThan(byMean + 0.2);
  });

  it('lesion answers are derivable from the image: visible, on the stated side, of the stated size', () => {
    const size = 64;
    let checked = 0;
    for (const scene of set.scenes.filter((s) => s.lesions.length).slice(0, 24)) {
      const withL = renderScene(scene, { size, noise: 0 });
      const without = renderScene({ ...scene, lesions: [] }, { size, noise: 0 });
      for (const l of scene.lesions) {
        const px = Math.floor(((l.cx + 1) / 2) * size);
        const py = Math.floor(((l.cy + 1) / 2) * size);
        const diff = Math.abs(withL.data[py * size + px] - without.data[py * size + px]);
        expect(diff, `${scene.id} lesion contrast`).toBeGreaterThan(5 * 0.022); // 5x the largest noise sigma
        expect(Math.sign(l.cx), `${scene.id} side`).toBe(scene.side === 'left' ? 1 : -1); // patient's left = image right
        const [lo, hi] = LESION_RADIUS[scene.size!];
        expect(l.r >= lo && l.r <= hi).toBe(true);
        checked++;
      }
      for (let a = 0; a < scene.lesions.length; a++)
        for (let b = a + 1; b < scene.lesions.length; b++) {
          const [p, q] = [scene.lesions[a], scene.lesions[b]];
          expect(Math.hypot(p.cx - q.cx, p.cy - q.cy)).toBeGreaterThan(p.r + q.r + 0.05); // separate, so countable
        }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('renders at 256 px for the reference shapes (4x super-resolution input 64 px)', () => {
    const big = generateSynth({ seed: 1, count: 5, size: 256, tasks: ['vqa', 'super-resolution'] });
    const sr = big.samples.find((s) => s.subtask === 'super-resolution')!;
    expect([big.images.get(sr.targetImage!)!.width, big.images.get(sr.images[0])!.width]).toEqual([256, 64]);
    expect(() => generateSynth({ size: 30 })).toThrow(/multiple of 4/);
  });

  it('conversion pairs are exactly paired: same geometry, different modality', () => {
    const conv = set.samples.filter((s) => s.subtask === 'modality-conversion');
    expect(conv.length).toBeGreaterThan(10);
    // the body outline (non-air pixels) agrees between the two renders of one scene far better
    // than between renders of different scenes
    const agreement = (a: Gray, b: Gray) => {
      let agree = 0;
      for (let i = 0; i < a.data.length; i++) if ((a.data[i] > 0.12) === (b.data[i] > 0.12)) agree++;
      return agree / a.data.length;
    };
    for (let k = 0; k < conv.length; k++) {
      const s = conv[k];
      const scene = set.scenes.find((x) => x.id === s.metadata.group)!;
      expect(s.metadata.to).not.toBe(scene.modality);
      const a = set.images.get(s.images[0])!;
      const paired = agreement(a, set.images.get(s.targetImage!)!);
      const other = agreement(a, set.images.get(conv[(k + 1) % conv.length].targetImage!)!);
      expect(paired, s.id).toBeGreaterThan(0.8);
      expect(paired, s.id).toBeGreaterThan(other);
    }
  });
});
