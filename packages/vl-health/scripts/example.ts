/**
 * The README example, runnable: `node --import tsx packages/vl-health/scripts/example.ts`
 * (from the repository root; VQA-RAD is read from ../shared/data when present).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSynth, readLlavaJson, loadImage, toNCHW, splitByImage, validateDataset, readVqaRad } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vl-health-example-'));
// 1. the synthetic set: 200 phantoms at 64 px, byte-identical for seed 0
await writeSynth(dir, { seed: 0, count: 200, size: 64 });
const samples = await readLlavaJson(join(dir, 'samples.json'));
console.log('samples', samples.length, 'valid', (await validateDataset(dir, 'samples.json')).ok);

// 2. by-image splits, stratified by task
const { train, val, test } = splitByImage(samples, { seed: 1 });
console.log('split', train.length, val.length, test.length);

// 3. read → decode → preprocess (normalised float NCHW, no tensors)
const imgs = await Promise.all(train.slice(0, 8).map((s) => loadImage(dir, s.images[0])));
const { shape } = toNCHW(imgs, { size: 224 });
console.log('batch', shape);
console.log(train[0].conversations.map((t) => `${t.from}: ${t.value}`).join('\n'));

// 4. the VQA-RAD release, official split kept as released
const vqaDir = join(process.env.HEALTHGPT_DATA ?? '../shared/data', 'vqa-rad');
if (existsSync(vqaDir)) {
  const vqa = await readVqaRad(vqaDir);
  console.log('vqa-rad', vqa.split.train.length, vqa.split.test.length, vqa.unreferencedImages.length);
}
