import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@healthgpt/testing';
import { runHealthgpt, type Ran } from '../../test/run.test_util.js';

// `healthgpt train` (the vqa-rad pipeline at a tiny budget) and `healthgpt eval --dataset vqa-rad`
// as child processes on a small release in the official layout made in a temporary folder from
// ../shared/data/vqa-rad: the training records of its 13 smallest images, of which the 13th is
// turned into test questions (phrase_type test_freeform, as the full release marks them), plus
// test copies of two training questions (the official test set shares most images with training).
const SHARED = join(repoRoot(), '..', 'shared', 'data', 'vqa-rad');
const FOLDER = 'VQA_RAD Image Folder';
type Rec = Record<string, unknown> & { qid: string | number; image_name: string; phrase_type: string };

let dir: string;
let train: Ran;
let counts: { train: number; test: number };

function writeRelease(to: string): { train: number; test: number } {
  const all = JSON.parse(readFileSync(join(SHARED, 'VQA_RAD Dataset Public.json'), 'utf8')) as Rec[];
  const by = new Map<string, Rec[]>();
  for (const r of all) by.set(r.image_name, [...(by.get(r.image_name) ?? []), r]);
  const size = (name: string) => statSync(join(SHARED, FOLDER, name)).size;
  const chosen = [...by.keys()].filter((n) => by.get(n)!.length >= 3).sort((a, b) => size(a) - size(b) || a.localeCompare(b)).slice(0, 13);
  mkdirSync(join(to, FOLDER), { recursive: true });
  for (const n of chosen) copyFileSync(join(SHARED, FOLDER, n), join(to, FOLDER, n));
  const trainRecs = chosen.slice(0, 12).flatMap((n) => by.get(n)!);
  const testRecs = [
    ...by.get(chosen[12])!.map((r) => ({ ...r, phrase_type: 'test_freeform' })),
    ...trainRecs.slice(0, 2).map((r) => ({ ...r, qid: `test-${r.qid}`, phrase_type: 'test_para' })),
  ];
  writeFileSync(join(to, 'VQA_RAD Dataset Public.json'), JSON.stringify([...trainRecs, ...testRecs]));
  return { train: trainRecs.length, test: testRecs.length };
}

const TINY = {
  stage0: { decoder: { steps: 2, batchSize: 4, lr: 3e-3, seqLen: 32 }, vision: { steps: 2, batchSize: 4, lr: 1e-3 }, vq: { steps: 0, batchSize: 1, lr: 0 } },
  stages: { alignment: 1, fusion: 1, instruction: 2, batchSize: 2, lrScale: 20 },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'healthgpt-cli-vqa-rad-'));
  counts = writeRelease(join(dir, 'release'));
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ pipeline: 'vqa-rad', data: 'release', budget: TINY }));
  train = await runHealthgpt(['train', '--config', join(dir, 'c.json'), '--out', join(dir, 'run')], { timeoutMs: 900_000 });
}, 900_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const json = (f: string) => JSON.parse(readFileSync(f, 'utf8'));

describe('healthgpt train, the vqa-rad pipeline', () => {
  it('trains on the official training records only, validates on held-out images and prints each accuracy beside the majority and question-only baselines', () => {
    expect(train.code, train.stderr).toBe(0);
    const m = /^validation \((\d+) questions on 2 held-out images; the release's (\d+) test questions left out\): closed [\d.]+ % \(majority [\d.]+ %, question-only [\d.]+ %\), open [\d.]+ % \(majority [\d.]+ %, question-only [\d.]+ %\), all [\d.]+ % \(majority [\d.]+ %, question-only [\d.]+ %\)$/m.exec(train.stdout);
    expect(m, train.stdout).not.toBeNull();
    expect(Number(m![2])).toBe(counts.test);
    const metrics = json(join(dir, 'run', 'metrics.json'));
    const all = metrics.comprehension.find((r: { answerType: string }) => r.answerType === 'ALL');
    expect(all.n).toBe(Number(m![1]));
    expect(Object.keys(all.baselines).sort()).toEqual(['majority', 'questionOnly']);
    expect(metrics.settings).toMatchObject({ train: counts.train - Number(m![1]), validation: Number(m![1]), test: counts.test });
  });
});

describe('healthgpt eval --dataset vqa-rad', () => {
  it('evaluates the release’s test questions (--split test) with closed / open / all accuracy and the majority baseline beside, learned from the training records', async () => {
    const out = join(dir, 'test.json');
    const r = await runHealthgpt(['eval', '--model', join(dir, 'run', 'model'), '--dataset', 'vqa-rad', '--data', join(dir, 'release'), '--split', 'test', '--max-new-tokens', '4', '--json', out], { timeoutMs: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^subtask\s+answers\s+n\s+metric\s+model\s+majority\s+question-only$/m);
    expect(r.stdout).toMatch(/^vqa\s+all\s+\d+\s+accuracy\s+[\d.]+ %\s+[\d.]+ %\s+[\d.]+ %$/m);
    const j = json(out);
    expect(j).toMatchObject({ dataset: 'vqa-rad', split: 'test', n: counts.test, baselines_from: 'the official train split' });
    for (const k of ['closed', 'open', 'all']) {
      expect(j[`${k}_accuracy`], k).toEqual(expect.any(Number));
      expect(j.baselines.majority[`${k}_accuracy`], k).toEqual(expect.any(Number));
    }
    expect(j.closed_n + j.open_n).toBe(counts.test);
    expect(j.all_n).toBe(counts.test);
  }, 600_000);

  it('evaluates the validation split the preset held out: the same questions the training run validated on', async () => {
    const out = join(dir, 'validation.json');
    const r = await runHealthgpt(['eval', '--model', join(dir, 'run', 'model'), '--dataset', 'vqa-rad', '--data', join(dir, 'release'), '--split', 'validation', '--max-new-tokens', '4', '--json', out], { timeoutMs: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    const metrics = json(join(dir, 'run', 'metrics.json'));
    const j = json(out);
    expect(j.all_n).toBe(metrics.settings.validation);
    expect(j.baselines.majority.all_accuracy).toBe(metrics.comprehension.find((x: { answerType: string }) => x.answerType === 'ALL').baselines.majority.accuracy);
  }, 600_000);
});
