import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tar from 'tar';
import { requireDataDir } from '@healthgpt/testing';
import { decodeImage, decodeNifti, readLlavaJson, volumeSlices, writeSynth } from '@healthgpt/vl-health';
import { runHealthgpt, tempDir, expectOneLine } from '../../test/run.test_util.js';

describe('healthgpt data synth', () => {
  it('writes the synthetic set, byte-identical to writeSynth for the same seed', async () => {
    const dir = tempDir('synth');
    const r = await runHealthgpt(['data', 'synth', '--out', join(dir, 'a'), '--seed', '4', '--count', '6', '--size', '32', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    await writeSynth(join(dir, 'b'), { seed: 4, count: 6, size: 32 });
    const samples = await readLlavaJson(join(dir, 'a', 'samples.json'));
    expect(out).toMatchObject({ samples: samples.length, seed: 4, count: 6, size: 32 });
    expect(readFileSync(join(dir, 'a', 'samples.json'))).toEqual(readFileSync(join(dir, 'b', 'samples.json')));
    expect(readFileSync(join(dir, 'a', samples[0].images[0]))).toEqual(readFileSync(join(dir, 'b', samples[0].images[0])));
  });

  it('writes a subset of the tasks (the former vl-health-synth bin\'s --tasks)', async () => {
    const dir = tempDir('synth-tasks');
    const r = await runHealthgpt(['data', 'synth', '--out', dir, '--seed', '9', '--count', '4', '--size', '32', '--tasks', 'vqa,denoising']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))).toMatchObject({ seed: 9, count: 4, size: 32, tasks: ['vqa', 'denoising'] });
    expect(new Set((await readLlavaJson(join(dir, 'samples.json'))).map((s) => s.subtask))).toEqual(new Set(['vqa', 'denoising']));
  });

  it('refuses a size that is not a multiple of 4 and an unknown task, in one line', async () => {
    const dir = tempDir('synth-bad');
    expectOneLine(await runHealthgpt(['data', 'synth', '--out', dir, '--size', '30']), 2, /^healthgpt data synth: --size must be a multiple of 4, got 30$/m);
    expectOneLine(await runHealthgpt(['data', 'synth', '--out', dir, '--tasks', 'vqa,dreaming']), 2, /unknown task 'dreaming'/);
  });
});

describe('healthgpt data validate', () => {
  it('passes a good set, and lists every problem of a broken one with exit code 1', async () => {
    const dir = tempDir('validate');
    await writeSynth(dir, { seed: 1, count: 3, size: 16, tasks: ['vqa'] });
    const ok = await runHealthgpt(['data', 'validate', '--data', dir]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^samples\.json: 6 records, no problems$/m);
    const records = JSON.parse(readFileSync(join(dir, 'samples.json'), 'utf8'));
    records[1].conversations[0].from = 'robot';
    unlinkSync(join(dir, records[2].image));
    writeFileSync(join(dir, 'samples.json'), JSON.stringify(records));
    const bad = await runHealthgpt(['data', 'validate', '--data', dir, '--json']);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p: { code: string }) => p.code).sort()).toEqual(expect.arrayContaining(['MISSING', 'SCHEMA']));
    expect(report.problems.find((p: { code: string }) => p.code === 'SCHEMA')).toMatchObject({ record: 1, path: 'conversations[0].from' });
  });

  it('a missing folder or file is one line and exit 2', async () => {
    const dir = tempDir('validate-missing');
    expectOneLine(await runHealthgpt(['data', 'validate', '--data', join(dir, 'nope')]), 2, /--data .*nope: no such folder/);
    expectOneLine(await runHealthgpt(['data', 'validate', '--data', dir]), 2, /has no samples\.json/);
    expectOneLine(await runHealthgpt(['data', 'validate', '--data', dir, '--file', 'x.json']), 2, /--file x\.json: no such file/);
  });
});

describe('healthgpt data convert', () => {
  it('turns DICOM and NIfTI files into PNG slices and a LLaVA JSON that validates', async () => {
    const src = join(requireDataDir(), 'io-samples');
    const dir = tempDir('convert');
    const input = join(dir, 'in');
    mkdirSync(join(input, 'mr'), { recursive: true });
    copyFileSync(join(src, 'CT_small.dcm'), join(input, 'CT_small.dcm'));
    copyFileSync(join(src, 'MR_small.dcm'), join(input, 'mr', 'MR_small.dcm'));
    copyFileSync(join(src, 'anatomical.nii'), join(input, 'anatomical.nii'));
    writeFileSync(join(input, 'notes.txt'), 'not an image');
    const r = await runHealthgpt(['data', 'convert', '--in', input, '--out', join(dir, 'out'), '--task', 'super-resolution', '--step', '5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    const vol = await decodeNifti(new Uint8Array(readFileSync(join(src, 'anatomical.nii'))));
    const slices = volumeSlices(vol, { axis: 2, step: 5 }).length;
    expect(res.files).toEqual([
      { file: 'CT_small.dcm', format: 'dicom', slices: 1 },
      { file: 'anatomical.nii', format: 'nifti', slices },
      { file: join('mr', 'MR_small.dcm'), format: 'dicom', slices: 1 },
    ]);
    expect(res.skipped).toEqual([{ file: 'notes.txt', reason: 'not DICOM or NIfTI' }]);
    expect(res.samples).toBe(2 + slices);

    const samples = await readLlavaJson(join(dir, 'out', 'samples.json'));
    const ct = samples.find((s) => s.id === 'CT_small')!;
    expect(ct).toMatchObject({ task: 'generation', subtask: 'super-resolution', images: ['images/CT_small-x4.png'], targetImage: 'images/CT_small.png' });
    expect(ct.metadata).toMatchObject({ source: 'CT_small.dcm', modality: 'CT', factor: 4 });
    expect(ct.conversations[0].value).toBe('<image>\nIncrease the resolution of this image by a factor of 4.');
    const target = await decodeImage(new Uint8Array(readFileSync(join(dir, 'out', 'images', 'CT_small.png'))));
    const low = await decodeImage(new Uint8Array(readFileSync(join(dir, 'out', 'images', 'CT_small-x4.png'))));
    expect([target.width, target.height, low.width, low.height]).toEqual([128, 128, 32, 32]);

    const v = await runHealthgpt(['data', 'validate', '--data', join(dir, 'out')]);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toContain(`${2 + slices} records, no problems`);

    // a second conversion into the same folder needs --force
    expectOneLine(await runHealthgpt(['data', 'convert', '--in', input, '--out', join(dir, 'out')]), 1, /samples\.json exists: pass --force/);
    const again = await runHealthgpt(['data', 'convert', '--in', input, '--out', join(dir, 'out'), '--force', '--size', '64']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('skipped notes.txt: not DICOM or NIfTI');
    expect(existsSync(join(dir, 'out', 'images', 'CT_small-x4.png'))).toBe(false);
    const resized = await decodeImage(new Uint8Array(readFileSync(join(dir, 'out', 'images', 'CT_small.png'))));
    expect([resized.width, resized.height]).toEqual([64, 64]);
  });

  it('a folder without medical images, a missing folder and a bad axis are one line each', async () => {
    const dir = tempDir('convert-bad');
    writeFileSync(join(dir, 'a.txt'), 'x');
    expectOneLine(await runHealthgpt(['data', 'convert', '--in', dir, '--out', join(dir, 'o')]), 1, /no DICOM or NIfTI image found in .* \(1 other file skipped\)/);
    expectOneLine(await runHealthgpt(['data', 'convert', '--in', join(dir, 'missing'), '--out', join(dir, 'o')]), 2, /--in .*missing: no such folder/);
    expectOneLine(await runHealthgpt(['data', 'convert', '--in', dir, '--out', join(dir, 'o'), '--axis', '3']), 2, /option '--axis <n>' argument '3' is invalid/);
  });
});

describe('healthgpt data fetch (a local server on 127.0.0.1)', () => {
  it('downloads and unpacks an archive, then finds it already there', async () => {
    const dir = tempDir('fetch');
    mkdirSync(join(dir, 'src', 'VQA_RAD Image Folder'), { recursive: true });
    writeFileSync(join(dir, 'src', 'VQA_RAD Dataset Public.json'), '[]');
    writeFileSync(join(dir, 'src', 'VQA_RAD Image Folder', 'a.jpg'), 'jpg');
    await tar.c({ gzip: true, file: join(dir, 'vqa.tar.gz'), cwd: join(dir, 'src') }, ['VQA_RAD Dataset Public.json', 'VQA_RAD Image Folder']);
    const archive = readFileSync(join(dir, 'vqa.tar.gz'));
    const server = createServer((req, res) => {
      if (req.url === '/vqa.tar.gz') res.writeHead(200, { 'content-length': archive.length }).end(archive);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const out = join(dir, 'data');
      const r = await runHealthgpt(['data', 'fetch', 'vqa-rad', '--out', out, '--url', `${base}/vqa.tar.gz`, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ path: join(out, 'vqa-rad'), bytes: archive.length, cached: false });
      expect(readFileSync(join(out, 'vqa-rad', 'VQA_RAD Dataset Public.json'), 'utf8')).toBe('[]');
      const again = await runHealthgpt(['data', 'fetch', 'vqa-rad', '--out', out, '--url', `${base}/vqa.tar.gz`]);
      expect(again.stdout).toMatch(/^vqa-rad is already in /);
      expectOneLine(await runHealthgpt(['data', 'fetch', 'vqa-rad', '--out', join(dir, 'other'), '--url', `${base}/missing.tar.gz`, '--retries', '0']), 1, /^healthgpt data fetch: .*404/);
    } finally {
      server.close();
      rmSync(join(dir, 'src'), { recursive: true, force: true });
    }
  });

  it('an unknown data set is one line and exit 2', async () => {
    const dir = tempDir('fetch-bad');
    expectOneLine(await runHealthgpt(['data', 'fetch', 'imagenet', '--out', dir]), 2, /unknown data set 'imagenet' \(known: vqa-rad\)/);
  });
});
