import { describe, it, expect } from 'vitest';
import { syntheticData } from './parts.js';
import { probeLabelSet, sceneLabels } from './stage0.js';

// The linear probe's labels are the attributes the synthetic closed questions ask about; each
// must agree with what the scene's own caption or report says.
describe('sceneLabels', () => {
  const data = syntheticData('tiny', 40, 0);
  const texts = [...data.train, ...data.heldOut].filter((s) => s.subtask === 'caption' || s.subtask === 'report');
  const NUM = ['no', 'one', 'two', 'three'];

  it('labels every synthetic comprehension sample with modality, organ, plane, count, side and size', () => {
    for (const s of [...data.train, ...data.heldOut].filter((x) => x.task === 'comprehension')) expect(Object.keys(sceneLabels(s)!).sort()).toEqual(['count', 'modality', 'organ', 'plane', 'side', 'size']);
  });

  it('agrees with each image’s caption or report', () => {
    expect(texts.length).toBeGreaterThan(20);
    for (const s of texts) {
      const l = sceneLabels(s)!;
      const text = s.conversations[s.conversations.length - 1].value.toLowerCase();
      expect(text).toContain(l.organ);
      expect(text).toContain(l.modality.replace('MRI-', 'MRI ').toLowerCase());
      if (l.modality !== 'X-ray') expect(text).toContain(l.plane);
      const n = Number(l.count);
      expect(l.side === 'none', text).toBe(n === 0);
      expect(l.size === 'none', text).toBe(n === 0);
      if (n > 0) expect(text).toContain(`${NUM[n]} ${l.size}`), expect(text).toContain(l.side);
      else expect(text).toMatch(/without lesions|no focal lesion/);
    }
  });

  it('probes the images questions are asked about: one entry per comprehension image, generation inputs left out', () => {
    const set = probeLabelSet(data.train, sceneLabels);
    const asked = new Set(data.train.filter((s) => s.task === 'comprehension').map((s) => s.images[0]));
    expect([...set.keys()].sort()).toEqual([...asked].sort());
    // super-resolution inputs (downsampled), denoising (noisier) and modality-conversion inputs (another modality) are other files
    const generationOnly = data.train.filter((s) => s.task === 'generation' && !asked.has(s.images[0])).map((s) => s.images[0]);
    expect(generationOnly.length).toBeGreaterThan(0);
    expect(generationOnly.filter((p) => set.has(p))).toEqual([]);
    for (const [p, l] of set) expect(l).toEqual(sceneLabels(data.train.find((s) => s.task === 'comprehension' && s.images[0] === p)!));
    expect(probeLabelSet(data.train, () => null).size).toBe(0);
  });

  it('is null for a sample without a synthetic scene', () => {
    expect(sceneLabels({ ...texts[0], metadata: {} })).toBeNull();
  });
});
