import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireDataDir, tempDir } from '@healthgpt/testing';
import { readVqaRad, normaliseVqaRadRecord } from './vqa_rad.js';
import { officialSplit, splitByImage } from '../splits.js';

const root = join(requireDataDir(), 'vqa-rad');

describe('VQA-RAD release reader', () => {
  it('reads the shared training copy with its quirks', async () => {
    const ds = await readVqaRad(root);
    expect(ds.records).toHaveLength(1797);
    expect(ds.split.train).toHaveLength(1797);
    expect(ds.split.test).toHaveLength(0);
    // "qid": "0" (a string) and numbers both become strings
    expect(ds.records[0].qid).toBe('0');
    expect(ds.records[1].qid).toBe('1');
    // "CLOSED " with a trailing space is CLOSED
    const types = new Set(ds.records.map((r) => r.answerType));
    expect([...types].sort()).toEqual(['CLOSED', 'OPEN']);
    expect(ds.records.filter((r) => r.answerType === 'CLOSED')).toHaveLength(1027);
    // numeric answers are strings; "NULL" fields are null
    expect(ds.records.every((r) => typeof r.answer === 'string')).toBe(true);
    expect(ds.records[0].extra.question_frame).toBeNull();
    // 313 of the 315 images are referenced in this copy
    expect(ds.unreferencedImages).toHaveLength(2);
    expect(new Set(ds.records.map((r) => r.imageName)).size).toBe(313);
    expect(ds.samples[0]).toMatchObject({ id: 'vqa-rad-0', task: 'comprehension', subtask: 'vqa', images: ['VQA_RAD Image Folder/synpic54610.jpg'] });
    expect(ds.samples[0].conversations[1].value).toBe('Yes');
  });

  it('keeps the official split of a full release (test records have phrase_type test_*)', async () => {
    const dir = tempDir('vqa-rad-full');
    mkdirSync(join(dir, 'VQA_RAD Image Folder'));
    for (const f of ['synpic54610.jpg', 'synpic29265.jpg', 'synpic100132.jpg']) copyFileSync(join(root, 'VQA_RAD Image Folder', f), join(dir, 'VQA_RAD Image Folder', f));
    const base = { qid_linked_id: 'x', image_case_url: 'u', image_organ: 'HEAD', evaluation: 'given', question_rephrase: 'NULL', question_relation: 'NULL', question_frame: 'NULL', question_type: 'PRES, POS' };
    const recs = [
      { ...base, qid: 1, phrase_type: 'freeform', image_name: 'synpic54610.jpg', question: 'Is there a mass?', answer: 'No', answer_type: 'CLOSED' },
      { ...base, qid: '2', phrase_type: 'test_freeform', image_name: 'synpic54610.jpg', question: 'How many?', answer: 2, answer_type: 'OPEN' },
      { ...base, qid: 3, phrase_type: 'test_para', image_name: 'synpic29265.jpg', question: 'Where?', answer: 'Left', answer_type: 'CLOSED ' },
    ];
    writeFileSync(join(dir, 'VQA_RAD Dataset.json'), JSON.stringify(recs));
    const ds = await readVqaRad(dir);
    expect(ds.split.train.map((s) => s.id)).toEqual(['vqa-rad-1']);
    expect(ds.split.test.map((s) => s.id)).toEqual(['vqa-rad-2', 'vqa-rad-3']);
    expect(officialSplit(ds.samples).test).toHaveLength(2);
    expect(ds.records[1].answer).toBe('2');
    expect(ds.records[1].questionTypes).toEqual(['PRES', 'POS']);
    expect(ds.unreferencedImages).toEqual(['synpic100132.jpg']);
  });

  it('typed errors name the record: missing image, bad answer_type, path escapes', async () => {
    expect(() => normaliseVqaRadRecord({ qid: 1, phrase_type: 'para', image_name: 'a.jpg', question: 'q', answer: 'a', answer_type: 'MAYBE' }, { record: 5 })).toThrow(/record 5/);
    expect(() => normaliseVqaRadRecord({ qid: 1, phrase_type: 'para', image_name: 'a.jpg', question: 'q', answer: null, answer_type: 'OPEN' })).toThrow(/answer/);
    const dir = tempDir('vqa-rad-bad');
    mkdirSync(join(dir, 'VQA_RAD Image Folder'));
    writeFileSync(join(dir, 'VQA_RAD Dataset Public.json'), JSON.stringify([{ qid: 1, phrase_type: 'para', image_name: '../secret.jpg', question: 'q', answer: 'a', answer_type: 'OPEN' }]));
    await expect(readVqaRad(dir)).rejects.toMatchObject({ code: 'MISSING', record: 0, path: 'image_name' });
  });

  it('a validation split made from the training records goes by image', async () => {
    const ds = await readVqaRad(root);
    const sp = splitByImage(ds.split.train, { fractions: { train: 0.9, val: 0.1 }, seed: 1 });
    const imgs = (k: string) => new Set(sp[k].flatMap((s) => s.images));
    for (const i of imgs('val')) expect(imgs('train').has(i)).toBe(false);
    expect(sp.train.length + sp.val.length).toBe(1797);
    expect(imgs('val').size).toBe(31); // 10 % of 313 images
  });
});
