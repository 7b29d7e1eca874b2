import { expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { DecoderLM, DecoderError, disposeCache } from '../index.js';
import { shiftedCrossEntropy64, tinyConfig } from '../configs.test_util.js';

const V = 48;
const B = 2;
const T = 6;

/** Labels [B, T]: ids in [0, V) or −100, at least one supervised target after the shift. */
const labelsArb = fc
  .array(fc.oneof(fc.integer({ min: 0, max: V - 1 }), fc.constant(-100)), { minLength: B * T, maxLength: B * T })
  .map((flat) => Array.from({ length: B }, (_, r) => flat.slice(r * T, (r + 1) * T)));

describeBackends('DecoderLM.forward with labels', () => {
  const model = new DecoderLM(tinyConfig('phi3', { vocab_size: V }), { seed: 3 });
  const ids = [
    [5, 9, 1, 33, 7, 20],
    [2, 2, 41, 6, 11, 30],
  ];

  it('returns the shifted next-token cross-entropy of its own logits (float64 reference)', () => {
    fc.assert(
      fc.property(labelsArb, (labels) => {
        const out = model.forward({ inputIds: ids, labels });
        const ref = shiftedCrossEntropy64(out.logits.dataSync(), labels, V);
        const loss = out.loss!.dataSync()[0];
        expect(out.loss!.shape).toEqual([]);
        expect(Math.abs(loss - ref)).toBeLessThanOrEqual(1e-5 + 1e-6 * Math.abs(ref));
        out.logits.dispose();
        out.loss!.dispose();
        disposeCache(out.pastKeyValues);
      }),
      { numRuns: 12 },
    );
  });

  it('scores position t against label t + 1: the first label never counts, the last logits never do', () => {
    const base = ids.map((r) => [...r]);
    const a = model.forward({ inputIds: ids, labels: base, useCache: false });
    const firstChanged = base.map((r) => [(r[0] + 1) % V, ...r.slice(1)]);
    const b = model.forward({ inputIds: ids, labels: firstChanged, useCache: false });
    expect(b.loss!.dataSync()[0]).toBe(a.loss!.dataSync()[0]);
    const onlyFirst = base.map((r) => [r[0], ...r.slice(1).map(() => -100)]);
    const c = model.forward({ inputIds: ids, labels: onlyFirst, useCache: false });
    expect(c.loss!.dataSync()[0]).toBe(0);
    const one = model.forward({ inputIds: [[4]], labels: [[4]], useCache: false });
    expect(one.loss!.dataSync()[0]).toBe(0);
    tf.dispose([a.logits, a.loss!, b.logits, b.loss!, c.logits, c.loss!, one.logits, one.loss!]);
  });

  it('takes labels as an int32 tensor as well, and gives the same loss', () => {
    const lt = tf.tensor2d(ids.flat(), [B, T], 'int32');
    const a = model.forward({ inputIds: ids, labels: lt, useCache: false });
    const b = model.forward({ inputIds: ids, labels: ids, useCache: false });
    expect(a.loss!.dataSync()[0]).toBe(b.loss!.dataSync()[0]);
    expect(lt.isDisposed).toBe(false);
    tf.dispose([lt, a.logits, a.loss!, b.logits, b.loss!]);
  });

  it('has the analytic gradient at lm_head: Σ (softmax − onehot)ᵀ h / count over supervised targets', () => {
    const labels = [
      [-100, 7, 3, -100, 12, 40],
      [-100, -100, 41, 6, -100, 30],
    ];
    const out = model.forward({ inputIds: ids, outputHiddenStates: true, useCache: false });
    const hidden = out.hiddenStates!.at(-1)!.dataSync(); // [B, T, d] after the final norm
    const logits = out.logits.dataSync();
    const d = model.config.hiddenSize;
    const want = new Float64Array(V * d);
    let count = 0;
    for (let r = 0; r < B; r++)
      for (let t = 0; t + 1 < T; t++) {
        const y = labels[r][t + 1];
        if (y === -100) continue;
        count++;
        const row = Array.from(logits.subarray((r * T + t) * V, (r * T + t + 1) * V));
        const m = Math.max(...row);
        const z = row.reduce((s, x) => s + Math.exp(x - m), 0);
        for (let v = 0; v < V; v++) {
          const g = Math.exp(row[v] - m) / z - (v === y ? 1 : 0);
          for (let k = 0; k < d; k++) want[v * d + k] += g * hidden[(r * T + t) * d + k];
        }
      }
    want.forEach((_, i) => (want[i] /= count));
    const { loss, grads } = model.computeGradients(() => model.forward({ inputIds: ids, labels, useCache: false }).loss!, ['lm_head.weight', 'model.embed_tokens.weight']);
    const got = grads.get('lm_head.weight')!.dataSync();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThan(2e-6);
    // Ids never seen as input get no embedding gradient; an input id does.
    const ge = grads.get('model.embed_tokens.weight')!.arraySync() as number[][];
    expect(ge[0].every((x) => x === 0)).toBe(true);
    expect(ge[5].some((x) => x !== 0)).toBe(true);
    tf.dispose([loss, ...grads.values(), out.logits, ...out.hiddenStates!]);
  });

  it('gives zero gradients when every label is ignored', () => {
    const none = ids.map((r) => r.map(() => -100));
    const { loss, grads } = model.computeGradients(() => model.forward({ inputIds: ids, labels: none, useCache: false }).loss!);
    expect(loss.dataSync()[0]).toBe(0);
    for (const [k, g] of grads) expect(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]), k).toBe(0);
    tf.dispose([loss, ...grads.values()]);
  });

  it('refuses float, out-of-range and mis-shaped labels, and labels with lastOnly, naming the argument', () => {
    const bad: [unknown, RegExp][] = [
      [[[1, 2, 3, 4, 5, 6.5], ids[1]], /got 6\.5 at \[0, 5\]/],
      [[ids[0], [1, 2, 3, 4, 5, V]], new RegExp(`got ${V} at \\[1, 5\\]`)],
      [[ids[0], [1, 2, 3, 4, -1, 5]], /got -1 at \[1, 4\]/],
      [[ids[0], [1, 2, 3, 4, NaN, 5]], /got NaN at \[1, 4\]/],
      [[ids[0]], /must be a \[2, 6\] array/],
    ];
    for (const [labels, msg] of bad) {
      expect(() => model.forward({ inputIds: ids, labels: labels as number[][] })).toThrow(msg);
      expect(() => model.forward({ inputIds: ids, labels: labels as number[][] })).toThrow(DecoderError);
    }
    const f = tf.tensor2d(ids.flat(), [B, T], 'float32');
    expect(() => model.forward({ inputIds: ids, labels: f })).toThrow(/must be an int32 tensor, got float32/);
    f.dispose();
    expect(() => model.forward({ inputIds: ids, labels: ids, lastOnly: true })).toThrow(/drop 'lastOnly'/);
  });

  it('leaks no tensor: forward with labels, its gradients, and a refused call', async () => {
    await expectNoLeaks(() => model.forward({ inputIds: ids, labels: ids, attentionMask: [[1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 1]] }), { what: 'forward with labels' });
    await expectNoLeaks(() => model.computeGradients(() => model.forward({ inputIds: ids, labels: ids }).loss!), { what: 'loss gradients' });
    await expectNoLeaks(() => {
      const l = tf.tensor2d(ids.flat(), [B, T], 'int32');
      try {
        expect(() => model.forward({ inputIds: ids, labels: [[1, 2, 3, 4, 5, 99], ids[1]], attentionMask: [[1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 1]] })).toThrow(DecoderError);
        expect(() => model.forward({ inputIds: ids, labels: l, attentionMask: [[1, 1, 1], [1, 1, 1]] })).toThrow(DecoderError);
      } finally {
        l.dispose();
      }
    }, { what: 'refused labels' });
  });
});
