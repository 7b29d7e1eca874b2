import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeBackends, loadGolden, ioTensor, type Golden } from '@healthgpt/testing';
import { DecoderLM, disposeCache, type DecoderConfigJson } from '../index.js';
import { shiftedCrossEntropy64 } from '../configs.test_util.js';

/** The loss of `labels` computed by the model, and in float64 from the fixture's HF logits. */
for (const name of ['phi3_tiny', 'qwen2_tiny']) {
  describeBackends(`DecoderLM loss parity ${name}`, () => {
    let g: Golden;
    let model: DecoderLM;
    let ids: number[][];
    let mask: number[][];
    let hfLogits: Float32Array;
    beforeAll(async () => {
      g = await loadGolden(name);
      model = new DecoderLM(g.config as DecoderConfigJson);
      model.loadStateDict(g.weights);
      ids = ioTensor(g, 'input_ids').arraySync() as number[][];
      mask = ioTensor(g, 'attention_mask').arraySync() as number[][];
      hfLogits = ioTensor(g, 'logits').dataSync() as Float32Array;
    });
    afterAll(() => {
      model.dispose();
      g.dispose();
    });
    const v = () => model.config.vocabSize;

    /** A target is supervised only where it and the position before it are real tokens (HF's logits at padding are not compared). */
    const supervisable = (r: number, t: number) => t > 0 && mask[r][t] === 1 && mask[r][t - 1] === 1;

    it('labels = the input ids (padding ignored): the loss of HF logits', () => {
      const labels = ids.map((row, r) => row.map((id, t) => (supervisable(r, t) ? id : -100)));
      const out = model.forward({ inputIds: ids, attentionMask: mask, labels, useCache: false });
      const want = shiftedCrossEntropy64(hfLogits, labels, v());
      expect(Math.abs(out.loss!.dataSync()[0] - want)).toBeLessThan(2e-5);
      out.logits.dispose();
      out.loss!.dispose();
      disposeCache(out.pastKeyValues);
    });

    it('any supervised subset and targets: the loss of HF logits', () => {
      fc.assert(
        fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 319 }), { nil: undefined, freq: 3 }), { minLength: 24, maxLength: 24 }), (picks) => {
          const labels = ids.map((row, r) => row.map((_, t) => (supervisable(r, t) && picks[r * 12 + t] !== undefined ? picks[r * 12 + t]! : -100)));
          const out = model.forward({ inputIds: ids, attentionMask: mask, labels, useCache: false });
          const want = shiftedCrossEntropy64(hfLogits, labels, v());
          expect(Math.abs(out.loss!.dataSync()[0] - want)).toBeLessThan(2e-5);
          out.logits.dispose();
          out.loss!.dispose();
        }),
        { numRuns: 10 },
      );
    });
  });
}
