import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Sample } from '@healthgpt/vl-health';
import { normalizeAnswer, exactMatch, tokenRecall, corpusBleu, rougeL, imageScores, majorityAnswers, questionOnlyAnswers } from '../index.js';

interface Fixture {
  bleu: { hyps: string[]; refs: string[][]; bleu4: number }[];
  images: { size: number; reference: number[]; output: number[]; ssim: number; psnr: number; mse255: number }[];
}
const fx = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/metrics.json', import.meta.url)), 'utf8')) as Fixture;

describe('text metrics', () => {
  it('normalises answers before exact match (closed questions)', () => {
    expect(normalizeAnswer('  Yes. ')).toBe('yes');
    expect(exactMatch('No', 'no')).toBe(1);
    expect(exactMatch('"YES!"', 'yes')).toBe(1);
    expect(exactMatch('yes, there is', 'yes')).toBe(0);
  });

  it('token recall is the share of reference tokens found (hand-worked)', () => {
    expect(tokenRecall('a mass in the left lung', 'left lung')).toBe(1);
    expect(tokenRecall('the right lung', 'left lung')).toBe(0.5);
    expect(tokenRecall('', 'left lung')).toBe(0);
  });

  it('ROUGE-L F1 from the LCS (hand-worked)', () => {
    // LCS("the cat sat on the mat", "the cat on a mat") = "the cat on mat" = 4; P = 4/6, R = 4/5
    expect(rougeL('the cat sat on the mat', 'the cat on a mat')).toBeCloseTo((2 * (4 / 6) * (4 / 5)) / (4 / 6 + 4 / 5), 12);
    expect(rougeL('a b c', 'a b c')).toBe(1);
    expect(rougeL('x y', 'a b')).toBe(0);
  });

  it('corpus BLEU-4 equals nltk 3.8 corpus_bleu', () => {
    for (const c of fx.bleu) expect(corpusBleu(c.hyps, c.refs)).toBeCloseTo(c.bleu4, 12);
  });

  it('BLEU-4: 1 for a perfect match, 0 without a 4-gram in common, brevity penalty when short (hand-worked)', () => {
    expect(corpusBleu(['a b c d e'], [['a b c d e']])).toBeCloseTo(1, 12);
    expect(corpusBleu(['a b c x e'], [['a b c d e']])).toBe(0);
    // all n-gram precisions are 1 for a prefix; BP = exp(1 − 8/4)
    expect(corpusBleu(['a b c d'], [['a b c d e f g h']])).toBeCloseTo(Math.exp(1 - 8 / 4), 12);
  });
});

describe('image metrics', () => {
  it('SSIM, PSNR and MSE equal scikit-image 0.19 (Gaussian σ 1.5 window, data range 1; MSE on 0–255)', () => {
    for (const c of fx.images) {
      const im = (d: number[]) => ({ width: c.size, height: c.size, channels: 1 as const, data: Uint8Array.from(d) });
      const s = imageScores(im(c.output), im(c.reference), c.size);
      expect(s.ssim).toBeCloseTo(c.ssim, 4);
      expect(s.psnr).toBeCloseTo(c.psnr, 3);
      expect(s.mse).toBeCloseTo(c.mse255, 2);
    }
  });
});

describe('baselines', () => {
  const sample = (id: string, q: string, a: string, type: string, qt = 'x'): Sample => ({
    id,
    task: 'comprehension',
    subtask: 'vqa',
    images: [`${id}.png`],
    conversations: [{ from: 'human', value: `<image>\n${q}` }, { from: 'gpt', value: a }],
    metadata: { answerType: type, questionType: qt },
  });
  const typeOf = (s: Sample) => String(s.metadata.answerType);
  const train = [sample('1', 'Is there a lesion?', 'yes', 'CLOSED', 'PRES'), sample('2', 'Is there a lesion?', 'yes', 'CLOSED', 'PRES'), sample('3', 'Is this a CT?', 'no', 'CLOSED', 'MOD'), sample('4', 'Is this an MRI?', 'no', 'CLOSED', 'MOD'), sample('5', 'Which organ?', 'Liver', 'OPEN')];

  it('majority answer per answer type', () => {
    const b = majorityAnswers(train, typeOf);
    expect(b(sample('t', 'anything', '?', 'CLOSED'))).toBe('yes');
    expect(b(sample('t', 'anything', '?', 'OPEN'))).toBe('liver');
  });

  it('question-only: the question’s own majority, then its question type’s, then the answer type’s', () => {
    const b = questionOnlyAnswers(train, typeOf);
    expect(b(sample('t', 'Is there a lesion?', '?', 'CLOSED'))).toBe('yes');
    expect(b(sample('t', 'Is this an X-ray?', '?', 'CLOSED', 'MOD'))).toBe('no');
    expect(b(sample('t', 'Is it big?', '?', 'CLOSED', 'SIZE'))).toBe('yes');
  });
});
