import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '@healthgpt/tensor-core';
import { encodePng, phantomImages, readVqaRad, type Sample } from '@healthgpt/vl-health';
import { runVqaRad, vqaRadSplit, type VqaRadBudget, type VqaRadReport } from '../index.js';

const ORGANS = ['HEAD', 'CHEST', 'ABD'];
const IMAGES = 12;

/**
 * A small release in the official layout (`VQA_RAD Dataset Public.json` and `VQA_RAD Image
 * Folder/`): phantom images, three training questions per image (two closed, one open), and the
 * release's test questions (`phrase_type` test_freeform / test_para) on three of those images and
 * on one image only the test questions use, as in the full release.
 */
async function writeRelease(dir: string): Promise<{ train: number; test: number; testOnlyImage: string }> {
  const folder = join(dir, 'VQA_RAD Image Folder');
  mkdirSync(folder, { recursive: true });
  const images = phantomImages(IMAGES + 1, { size: 40, seed: 5 });
  for (const [i, im] of images.entries()) writeFileSync(join(folder, `synpic${100 + i}.png`), await encodePng(im));
  const rec = (qid: string | number, i: number, phrase: string, question: string, answer: string | number, type: string) => ({
    qid, phrase_type: phrase, qid_linked_id: 'NULL', image_case_url: 'NULL', image_name: `synpic${100 + i}.png`, image_organ: ORGANS[i % 3], evaluation: 'given',
    question, question_rephrase: 'NULL', question_relation: 'NULL', question_frame: 'NULL', question_type: 'PRES', answer, answer_type: type,
  });
  const records = [];
  for (let i = 0; i < IMAGES; i++)
    records.push(
      rec(3 * i, i, 'freeform', 'is there an abnormality?', i % 2 ? 'yes' : 'no', 'CLOSED'),
      rec(3 * i + 1, i, 'para', `is this the ${ORGANS[(i + 1) % 3].toLowerCase()}?`, 'No', 'CLOSED '),
      rec(`${3 * i + 2}`, i, 'freeform', 'what organ system is shown?', ORGANS[i % 3].toLowerCase(), 'OPEN'),
    );
  const test = [
    rec('t1', 0, 'test_freeform', 'is the lesion calcified?', 'yes', 'CLOSED'),
    rec('t2', 4, 'test_para', 'which side is the mass on?', 'left', 'OPEN'),
    rec('t3', 7, 'test_freeform', 'is there free air?', 'no', 'CLOSED'),
    rec('t4', IMAGES, 'test_freeform', 'what is the imaging plane?', 'axial', 'OPEN'),
  ];
  writeFileSync(join(dir, 'VQA_RAD Dataset Public.json'), JSON.stringify([...records.slice(0, 10), test[0], ...records.slice(10), ...test.slice(1)]));
  return { train: records.length, test: test.length, testOnlyImage: `VQA_RAD Image Folder/synpic${100 + IMAGES}.png` };
}

const imagesOf = (xs: readonly Sample[]) => new Set(xs.map((s) => s.images[0]));
const ids = (xs: readonly Sample[]) => xs.map((s) => s.id).sort();

const TINY: VqaRadBudget = {
  stage0: { decoder: { steps: 3, batchSize: 4, lr: 3e-3, seqLen: 32 }, vision: { steps: 2, batchSize: 4, lr: 1e-3 }, vq: { steps: 0, batchSize: 1, lr: 0 } },
  stages: { alignment: 1, fusion: 1, instruction: 3, batchSize: 2, lrScale: 20 },
};

describe('the vqa-rad preset on a release in the official layout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trainer-vqa-rad-'));
  let release: Awaited<ReturnType<typeof writeRelease>>;
  let report: VqaRadReport;
  let tensorsBefore = 0;
  beforeAll(async () => {
    release = await writeRelease(dir);
    tensorsBefore = tf.memory().numTensors;
    report = await runVqaRad({ dataDir: dir, budget: TINY, validation: 0.25, seed: 1, progress: false });
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('splits only the official training records, by image; the test questions stay apart', async () => {
    const ds = await readVqaRad(dir);
    for (const seed of [0, 1, 7]) {
      const s = vqaRadSplit(ds, { validation: 0.25, seed });
      const [train, validation] = [imagesOf(s.train), imagesOf(s.validation)];
      expect([...train].filter((im) => validation.has(im))).toEqual([]);
      expect(validation.size).toBe(3); // a quarter of the 12 training images
      expect(ids([...s.train, ...s.validation])).toEqual(ids(ds.split.train));
      expect(ids(s.test)).toEqual(['vqa-rad-t1', 'vqa-rad-t2', 'vqa-rad-t3', 'vqa-rad-t4']);
      expect([...s.train, ...s.validation].some((x) => x.metadata.split === 'test' || x.images[0] === release.testOnlyImage)).toBe(false);
      expect(vqaRadSplit(ds, { validation: 0.25, seed })).toEqual(s); // deterministic
    }
    expect(ids(vqaRadSplit(ds, { validation: 0.25, seed: 0 }).validation)).not.toEqual(ids(vqaRadSplit(ds, { validation: 0.25, seed: 1 }).validation));
  });

  it('trains on the training images only and validates on the held-out ones, counting the test questions left out', () => {
    expect(report.settings).toMatchObject({ train: 27, validation: 9, test: release.test, trainImages: 9, validationImages: 3 });
    expect(report.settings.train + report.settings.validation).toBe(release.train);
    const all = report.evaluation.comprehension.find((r) => r.subtask === 'vqa' && r.answerType === 'ALL')!;
    expect(all.n).toBe(report.settings.validation);
    expect(report.stages.map((s) => s.name)).toEqual(['stage1-alignment-comprehension', 'stage2-fusion', 'stage3-instruction']);
    expect(report.stage0.vq).toBeNull();
    expect(Object.keys(report.stage0.vision.probe.pretrained)).toEqual(['organ']);
  });

  it('reports closed / open / all accuracy with the majority and question-only baselines of the same split beside', () => {
    const rows = report.evaluation.comprehension.filter((r) => r.subtask === 'vqa');
    expect(rows.map((r) => [r.answerType, r.n])).toEqual([['CLOSED', 6], ['OPEN', 3], ['ALL', 9]]);
    const by = Object.fromEntries(rows.map((r) => [r.answerType.toLowerCase(), r]));
    for (const k of ['closed', 'open', 'all'] as const) {
      expect(report.accuracy[k]).toBe(by[k].accuracy);
      expect(report.accuracy.majority[k]).toBe(by[k].baselines.majority.accuracy);
      expect(report.accuracy.questionOnly[k]).toBe(by[k].baselines.questionOnly.accuracy);
      expect(report.accuracy[k]).toBeGreaterThanOrEqual(0);
      expect(report.accuracy[k]).toBeLessThanOrEqual(1);
    }
    // closed and open questions weighted by their counts make up all
    expect(report.accuracy.all).toBeCloseTo((6 * report.accuracy.closed + 3 * report.accuracy.open) / 9, 12);
    expect(report.accuracy.majority.all).toBeCloseTo((6 * report.accuracy.majority.closed + 3 * report.accuracy.majority.open) / 9, 12);
  });

  it('leaves no tensor behind once the model is disposed', () => {
    report.model.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
