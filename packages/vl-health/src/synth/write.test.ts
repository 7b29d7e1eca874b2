import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSynth, generateSynth, synthScenes, SYNTH_SAMPLES_FILE } from './generate.js';
import { readLlavaJson } from '../readers/llava.js';
import { loadImage } from '../decode/image.js';
import { validateDataset } from '../validate.js';
import { tempDir } from '@healthgpt/testing';

const files = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length)).sort();

describe('vl-health-synth on disk', () => {
  it('same seed gives byte-identical folders; another seed differs', async () => {
    const [a, b, c] = [0, 1, 2].map(() => tempDir('vlh-synth'));
    await writeSynth(a, { seed: 3, count: 12, size: 32 });
    await writeSynth(b, { seed: 3, count: 12, size: 32 });
    await writeSynth(c, { seed: 4, count: 12, size: 32 });
    expect(files(a)).toEqual(files(b));
    for (const f of files(a)) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
    expect(readFileSync(join(c, SYNTH_SAMPLES_FILE)).equals(readFileSync(join(a, SYNTH_SAMPLES_FILE)))).toBe(false);
  });

  it('the ordinary readers load it and validate() finds no problem', async () => {
    const dir = tempDir('vlh-synth');
    const { samples } = await writeSynth(dir, { seed: 1, count: 16, size: 64 });
    const read = await readLlavaJson(join(dir, SYNTH_SAMPLES_FILE));
    expect(read).toHaveLength(samples);
    expect(new Set(read.map((s) => s.task))).toEqual(new Set(['comprehension', 'generation']));
    const subtasks = new Set(read.map((s) => s.subtask));
    for (const t of ['vqa', 'caption', 'report', 'modality-conversion', 'super-resolution', 'reconstruction', 'denoising']) expect(subtasks.has(t), t).toBe(true);
    const sr = read.find((s) => s.subtask === 'super-resolution')!;
    const low = await loadImage(dir, sr.images[0]);
    const high = await loadImage(dir, sr.targetImage!);
    expect([low.width, high.width, low.channels]).toEqual([16, 64, 1]);
    // the written PNG equals the in-memory image, quantised to 8 bits
    const mem = generateSynth({ seed: 1, count: 16, size: 64 }).images.get(sr.targetImage!)!;
    expect(Math.abs(high.data[2080] / 255 - mem.data[2080])).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    const report = await validateDataset(dir, SYNTH_SAMPLES_FILE);
    expect(report.problems).toEqual([]);
    expect(report.records).toBe(samples);
  });

  it('synthScenes yields the same set scene by scene; sizes that cannot be held are typed errors, not RangeErrors', () => {
    const whole = generateSynth({ seed: 5, count: 6, size: 16 });
    const parts = [...synthScenes({ seed: 5, count: 6, size: 16 })];
    expect(parts.map((p) => p.scene.id)).toEqual(whole.scenes.map((s) => s.id));
    expect(parts.flatMap((p) => p.samples)).toEqual(whole.samples);
    expect(new Map(parts.flatMap((p) => [...p.images]))).toEqual(whole.images);
    for (const count of [1e12, 2e6, Infinity, 0, 1.5]) expect(() => generateSynth({ count }), `count ${count}`).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    expect(() => generateSynth({ count: 100_000, size: 2048 })).toThrow(/use writeSynth or synthScenes/);
    expect(() => synthScenes({ seed: Number.NaN }).next()).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
  });
});
