import { expect, it } from 'vitest';
import { tf } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { VQTokenizer, VQLoss, VectorQuantize, VQTokenizerError } from '../index.js';
import { trainConfig } from '../test_configs.test_util.js';
import { phantoms } from '../phantoms.test_util.js';

/** A 2-d codebook of 4 codes: 0 at (0, 0), 1 at (10, 0), 2 and 3 far away at (100, 100) and (−100, 100). */
function quantizer(): VectorQuantize {
  const q = new VectorQuantize(2, 4, 0.25);
  const w = tf.tensor2d([0, 0, 10, 0, 100, 100, -100, 100], [4, 2]);
  q.loadStateDict({ 'embedding.weight': w });
  w.dispose();
  return q;
}

/** Latents [1, 2, 1, 4] (NCHW, one row of 4 positions): (1, 0), (9, 0), (0, 3), (12, −5). */
const latents = () => tf.tensor4d([1, 9, 0, 12, 0, 0, 3, -5], [1, 2, 1, 4]);

describeBackends('dead-code restart (straight-through VQ)', () => {
  it('moves each unused code onto a distinct latent, worst-quantized first, and leaves used codes alone', () => {
    const q = quantizer();
    const h = latents();
    // nearest codes: 0, 1, 0, 1; squared errors 1, 1, 9, 29 → the dead codes 2, 3 go to latents 3 then 2
    expect(q.restartDeadCodes(h)).toBe(2);
    expect(Array.from(q.child('embedding').param('weight').dataSync())).toEqual([0, 0, 10, 0, 12, -5, 0, 3]);
    // now every code is chosen by some latent: nothing moves
    expect(q.restartDeadCodes(h)).toBe(0);
    expect(Array.from(q.child('embedding').param('weight').dataSync())).toEqual([0, 0, 10, 0, 12, -5, 0, 3]);
    const codes = tf.tidy(() => tf.argMax(q.logits(h), 1));
    expect(Array.from(codes.dataSync())).toEqual([0, 1, 3, 2]);
    tf.dispose([h, codes]);
    q.dispose();
  });

  it('moves no more codes than there are latents', () => {
    const q = quantizer();
    const one = tf.tensor4d([50, 50], [1, 2, 1, 1]);
    expect(q.restartDeadCodes(one)).toBe(1); // codes 0, 2 and 3 are dead (the latent's nearest is 1); code 0 takes it
    expect(Array.from(q.child('embedding').param('weight').dataSync())).toEqual([50, 50, 10, 0, 100, 100, -100, 100]);
    one.dispose();
    q.dispose();
  });

  it("VQLoss restarts on its schedule's steps only, leaking nothing", async () => {
    const model = new VQTokenizer(trainConfig({ quantizer: 'vq' }), { seed: 1 });
    model.train();
    const x = phantoms(4, { size: 8, seed: 2 });
    const l = new VQLoss(model, { steps: 10, reconLoss: 'l2', restartDeadCodes: { every: 3, until: 4 } });
    const codebook = () => Array.from(model.child('quantize').child('embedding').param('weight').dataSync());
    const moved = (step: number) => {
      const before = codebook();
      tf.dispose(Object.values(l.compute(x, step)));
      return codebook().some((v, i) => v !== before[i]);
    };
    expect(moved(0)).toBe(true); // U(−1/n, 1/n) init: most codes dead at first
    expect([1, 2, 4, 6].map(moved)).toEqual([false, false, false, false]); // off schedule, or past `until`
    await expectNoLeaks(() => l.compute(x, 3), { what: 'VQLoss.compute with a restart' });
    x.dispose();
    model.dispose();
  });

  it('is refused for the Gumbel quantizer and for a bad schedule', () => {
    const gumbel = new VQTokenizer(trainConfig(), { seed: 1 });
    expect(() => new VQLoss(gumbel, { steps: 5, restartDeadCodes: { every: 2 } })).toThrow(/needs the straight-through VQ quantizer/);
    gumbel.dispose();
    const vq = new VQTokenizer(trainConfig({ quantizer: 'vq' }), { seed: 1 });
    expect(() => new VQLoss(vq, { steps: 5, restartDeadCodes: { every: 0 } })).toThrow(VQTokenizerError);
    vq.dispose();
  });
});
