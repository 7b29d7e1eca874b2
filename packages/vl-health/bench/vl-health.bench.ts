/**
 * samples/s through read → decode → preprocess (normalised float NCHW at a fixed size) for the
 * synthetic set and VQA-RAD. Run: `npm run bench -- vl-health`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timeIt, type BenchReport } from '../../../bench/report.js';
import { dataDir } from '../../testing/src/paths.js';
import { generateSynth, loadImage, readLlavaJson, readVqaRad, toNCHW, writeSynth, SYNTH_SAMPLES_FILE, type Sample } from '../src/index.js';
import type { RawImage } from '@healthgpt/tensor-core/base';

const N = 48;

async function pipeline(root: string, read: () => Promise<Sample[]>, size: number, mode: 'keep' | 'rgb', resizeAtDecode = false): Promise<{ readMs: number; decodeMs: number; prepMs: number }> {
  let t = performance.now();
  const samples = (await read()).slice(0, N);
  const readMs = performance.now() - t;
  t = performance.now();
  const imgs: RawImage[] = [];
  for (const s of samples) imgs.push(await loadImage(root, s.images[0], { mode, ...(resizeAtDecode ? { resize: { width: size, height: size } } : {}) }));
  const decodeMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < imgs.length; i += 16) toNCHW(imgs.slice(i, i + 16), { size });
  return { readMs, decodeMs, prepMs: performance.now() - t };
}

export default async function bench(): Promise<BenchReport> {
  const rows: BenchReport['rows'] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vlh-bench-'));
  try {
    const gen = await timeIt(() => generateSynth({ seed: 0, count: 32, size: 64 }), { warmup: 1, repeats: 3 });
    rows.push({ case: 'synth generate (in memory), 64 px', unit: 'scenes/s', value: 32 / (gen.median / 1000), 'read ms': null, 'decode ms': null, 'preprocess ms': null });
    await writeSynth(dir, { seed: 0, count: 64, size: 64 });
    const cases: [string, string, () => Promise<Sample[]>, number, 'keep' | 'rgb', boolean?][] = [
      ['synth 64 px → 64', dir, () => readLlavaJson(join(dir, SYNTH_SAMPLES_FILE)), 64, 'keep'],
      ['synth 64 px → 224', dir, () => readLlavaJson(join(dir, SYNTH_SAMPLES_FILE)), 224, 'keep'],
    ];
    const data = dataDir();
    if (data) {
      const vr = join(data, 'vqa-rad');
      cases.push(['VQA-RAD JPEG → 224', vr, async () => (await readVqaRad(vr)).samples, 224, 'rgb']);
      cases.push(['VQA-RAD JPEG → 224, resized by sharp at decode', vr, async () => (await readVqaRad(vr)).samples, 224, 'rgb', true]);
    }
    for (const [name, root, read, size, mode, atDecode] of cases) {
      const runs: { readMs: number; decodeMs: number; prepMs: number }[] = [];
      await pipeline(root, read, size, mode, atDecode); // warm-up
      for (let i = 0; i < 3; i++) runs.push(await pipeline(root, read, size, mode, atDecode));
      const med = (k: 'readMs' | 'decodeMs' | 'prepMs') => runs.map((r) => r[k]).sort((a, b) => a - b)[1];
      const total = med('readMs') + med('decodeMs') + med('prepMs');
      rows.push({ case: `${name} (${N} samples)`, unit: 'samples/s', value: N / (total / 1000), 'read ms': med('readMs'), 'decode ms': med('decodeMs'), 'preprocess ms': med('prepMs') });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    name: 'vl-health',
    title: 'vl-health: read → decode → preprocess (NCHW float, CLIP normalisation)',
    rows,
    notes: [
      `median of 3 runs over the first ${N} samples, after one warm-up; read = parse the JSON file (VQA-RAD: 1,797 records + folder listing) and validate every record`,
      'decode = sharp (PNG/JPEG); preprocess = antialiased bilinear resize + normalisation in plain JS, no tensors',
      'the machine is shared with other jobs: compare rows of the same run, not absolute figures across runs',
    ],
  };
}
