import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@healthgpt/tensor-core';
import { decodeImage, encodePng, generateSynth } from '@healthgpt/vl-health';
import { runHealthgpt, tempDir, expectOneLine } from '../../test/run.test_util.js';
import { saveTinyModel } from '../../test/tiny_model.test_util.js';

let dir: string;
let model: string;
let scan: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  dir = mkdtempSync(join(tmpdir(), 'healthgpt-cli-model-'));
  model = await saveTinyModel(dir);
  const set = generateSynth({ seed: 2, count: 1, size: 32, tasks: ['vqa'] });
  const g = [...set.images.values()][0];
  scan = join(dir, 'scan.png');
  writeFileSync(scan, await encodePng({ width: g.width, height: g.height, channels: 1, data: g.data }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('healthgpt ask', () => {
  it('answers a question about an image, as a stream or as JSON (an untrained model: any text)', async () => {
    const j = await runHealthgpt(['ask', '--model', model, '--image', scan, '--question', 'Is there a lesion?', '--max-new-tokens', '6', '--json']);
    expect(j.code, j.stderr).toBe(0);
    const r = JSON.parse(j.stdout);
    expect(typeof r.answer).toBe('string');
    expect(['stop', 'length']).toContain(r.finishReason);
    expect(r.tokens).toBeGreaterThan(0);
    expect(r.tokens).toBeLessThanOrEqual(6);
    // the same greedy answer, streamed as plain text
    const s = await runHealthgpt(['ask', '--model', model, '--image', scan, '--question', 'Is there a lesion?', '--max-new-tokens', '6']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toBe(`${r.answer}\n`);
  });

  it('a missing image, a folder that is not a model and an undecodable image are one line each', async () => {
    expectOneLine(await runHealthgpt(['ask', '--model', model, '--image', join(dir, 'nope.png'), '--question', 'q']), 2, /^healthgpt ask: --image .*nope\.png: no such file$/m);
    const empty = tempDir('not-a-model');
    expectOneLine(await runHealthgpt(['ask', '--model', empty, '--image', scan, '--question', 'q']), 2, /no config\.json: not a model folder/);
    const bad = join(empty, 'bad.png');
    writeFileSync(bad, Buffer.from('\x89PNG\r\n\x1a\nbroken'));
    expectOneLine(await runHealthgpt(['ask', '--model', model, '--image', bad, '--question', 'q']), 1, /^healthgpt ask: .*bad\.png/);
    expectOneLine(await runHealthgpt(['ask', '--model', model, '--image', scan, '--question', 'q', '--max-new-tokens', '0']), 2, /option '--max-new-tokens <n>' argument '0' is invalid/);
  });
});

describe('healthgpt generate', () => {
  it('writes the generated image as a PNG of the image tokenizer\'s size', async () => {
    const out = join(dir, 'gen', 'out.png');
    mkdirSync(join(dir, 'gen'), { recursive: true });
    const r = await runHealthgpt(['generate', '--model', model, '--image', scan, '--task', 'modality-conversion', '--from', 'CT', '--to', 'MRI-T2', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ out, task: 'modality-conversion', instruction: 'Convert this CT image into a MRI-T2 image.', width: 32, height: 32, codes: 64 });
    const img = await decodeImage(new Uint8Array(readFileSync(out)));
    expect([img.width, img.height]).toEqual([32, 32]);
    const t = await runHealthgpt(['generate', '--model', model, '--image', scan, '--task', 'super-resolution', '--out', out]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toBe(`wrote 32×32 image to ${out}\n`);
    expect(t.stderr).toContain('super-resolution: "Increase the resolution of this image by a factor of 4."');
  });

  it('an unknown task, a conversion without modalities and a non-PNG output are one line each', async () => {
    const out = join(dir, 'x.png');
    expectOneLine(await runHealthgpt(['generate', '--model', model, '--image', scan, '--task', 'colorize', '--out', out]), 2, /option '--task <task>' argument 'colorize' is invalid\. Allowed choices are super-resolution, modality-conversion, reconstruction/);
    expectOneLine(await runHealthgpt(['generate', '--model', model, '--image', scan, '--task', 'modality-conversion', '--out', out]), 2, /needs --from MODALITY and --to MODALITY/);
    expectOneLine(await runHealthgpt(['generate', '--model', model, '--image', scan, '--task', 'reconstruction', '--out', join(dir, 'x.jpg')]), 2, /--out must name a \.png file/);
  });
});
