/**
 * samples/s through read → decode (→ resize) for the synthetic set and VQA-RAD, all in sharp and
 * plain JS, no tensors (CLIP preprocessing is @healthgpt/vision-encoder's). Run:
 * `npm run bench -- vl-health`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDir } from '@healthgpt/testing';
import type { RawImage } from '@healthgpt/tensor-core/base';
import { timeIt, type BenchReport, type RowPath } from '../../../bench/report.js';
import { generateSynth, loadImage, readLlavaJson, readVqaRad, resizeImage, writeSynth, SYNTH_SAMPLES_FILE, type Sample } from '../src/index.js';

// vl-health computes no tensors: decoding is sharp, resizing plain JS.
const PATH: RowPath = { engine: 'Node.js (sharp + plain JS, no tensors)', matmul: 'none' };

const N = 48;

type Resize = 'none' | 'at-decode' | 'after-decode';

async function pipeline(root: string, read: () => Promise<Sample[]>, size: number, resize: Resize): Promise<{ readMs: number; decodeMs: number }> {
  let t = performance.now();
  const samples = (await read()).slice(0, N);
  const readMs = performance.now() - t;
  t = performance.now();
  for (const s of samples) {
    const img: RawImage = await loadImage(root, s.images[0], resize === 'at-decode' ? { resize: { width: size, height: size } } : {});
    if (resize === 'after-decode') await resizeImage(img, size, size);
  }
  return { readMs, decodeMs: performance.now() - t };
}

export default async function bench(): Promise<BenchReport> {
  const rows: BenchReport['rows'] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vlh-bench-'));
  try {
    const gen = await timeIt(() => generateSynth({ seed: 0, count: 32, size: 64 }), { warmup: 1, repeats: 3 });
    rows.push({ case: 'synth generate (in memory), 64 px', ...PATH, unit: 'scenes/s', value: 32 / (gen.median / 1000), 'read ms': null, 'decode ms': null });
    await writeSynth(dir, { seed: 0, count: 64, size: 64 });
    const cases: [string, string, () => Promise<Sample[]>, number, Resize][] = [
      ['synth PNG 64 px', dir, () => readLlavaJson(join(dir, SYNTH_SAMPLES_FILE)), 64, 'none'],
      ['synth PNG 64 px → 224, resized at decode', dir, () => readLlavaJson(join(dir, SYNTH_SAMPLES_FILE)), 224, 'at-decode'],
    ];
    const data = dataDir();
    if (data) {
      const vr = join(data, 'vqa-rad');
      const read = async () => (await readVqaRad(vr)).samples;
      cases.push(['VQA-RAD JPEG, full size', vr, read, 0, 'none']);
      cases.push(['VQA-RAD JPEG → 224, resized at decode', vr, read, 224, 'at-decode']);
      cases.push(['VQA-RAD JPEG → 224, resizeImage after decode', vr, read, 224, 'after-decode']);
    }
    for (const [name, root, read, size, resize] of cases) {
      const runs: { readMs: number; decodeMs: number }[] = [];
      await pipeline(root, read, size, resize); // warm-up
      for (let i = 0; i < 3; i++) runs.push(await pipeline(root, read, size, resize));
      const med = (k: 'readMs' | 'decodeMs') => runs.map((r) => r[k]).sort((a, b) => a - b)[1];
      rows.push({ case: `${name} (${N} samples)`, ...PATH, unit: 'samples/s', value: N / ((med('readMs') + med('decodeMs')) / 1000), 'read ms': med('readMs'), 'decode ms': med('decodeMs') });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    name: 'vl-health',
    title: 'vl-health: read → decode (→ resize), RawImage out, no tensors',
    rows,
    notes: [
      `median of 3 runs over the first ${N} samples, after one warm-up; read = parse the JSON file (VQA-RAD: 1,797 records + folder listing) and validate every record`,
      'decode = sharp (PNG/JPEG) behind the path checks of loadImage; resize = sharp, at decode (one libvips pipeline) or as a second call',
      'the machine is shared with other jobs: compare rows of the same run, not absolute figures across runs',
    ],
  };
}
