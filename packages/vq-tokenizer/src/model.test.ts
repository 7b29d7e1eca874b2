import { afterAll, beforeAll, expect, it } from 'vitest';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { VQTokenizer, VQTokenizerError } from './index.js';
import { tinyConfig, trainConfig } from './test_configs.test_util.js';
import { phantoms } from './phantoms.test_util.js';

describeBackends('VQTokenizer', () => {
  let model: VQTokenizer;
  let x: Tensor;
  beforeAll(() => {
    model = new VQTokenizer(tinyConfig(), { seed: 1 });
    x = phantoms(2, { size: 16, seed: 4 });
  });
  afterAll(() => {
    model.dispose();
    x.dispose();
  });

  it('encodes to int32 [B, h, w] codes in range and decodes to [B, 3, H, W]', async () => {
    await expectNoLeaks(() => {
      const idx = model.encode(x);
      expect(idx.dtype).toBe('int32');
      expect(idx.shape).toEqual([2, 8, 8]);
      const v = idx.dataSync();
      expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...v)).toBeLessThan(16);
      const y = model.decode(idx);
      expect(y.shape).toEqual([2, 3, 16, 16]);
      return [idx, y];
    });
  });

  it('the codes are the argmax of encodeLogits; seeded Gumbel sampling is reproducible', async () => {
    await expectNoLeaks(() => {
      const logits = model.encodeLogits(x);
      const argmax = tf.argMax(logits, 1);
      const idx = model.encode(x);
      expect(Array.from(idx.dataSync())).toEqual(Array.from(argmax.dataSync()));
      const s1 = model.encode(x, { sample: { seed: 5 } });
      const s2 = model.encode(x, { sample: { seed: 5 } });
      expect(Array.from(s1.dataSync())).toEqual(Array.from(s2.dataSync()));
      return [logits, argmax, idx, s1, s2];
    });
  });

  it('rejects bad inputs with VQTokenizerError naming the argument', () => {
    const bad = tf.zeros([1, 1, 16, 16]);
    const odd = tf.zeros([1, 3, 15, 16]);
    const idxF = tf.zeros([1, 8, 8]);
    const idxHi = tf.fill([1, 8, 8], 16, 'int32');
    expect(() => model.encode(bad)).toThrow(VQTokenizerError);
    expect(() => model.encode(odd)).toThrow(/divisible by 2/);
    expect(() => model.decode(idxF)).toThrow(/int32/);
    expect(() => model.decode(idxHi)).toThrow(/\[0, 16\)/);
    tf.dispose([bad, odd, idxF, idxHi]);
  });

  it('trainForward is differentiable end to end and leaks nothing', async () => {
    const small = new VQTokenizer(trainConfig(), { seed: 2 });
    const x8 = phantoms(2, { size: 8, seed: 4 });
    small.train();
    await expectNoLeaks(() => {
      const { loss, grads } = small.computeGradients(() =>
        tf.tidy(() => {
          const out = small.trainForward(x8, { temperature: 0.7, seed: 2 });
          return tf.add(tf.mean(tf.abs(tf.sub(out.recon, x8))), out.loss);
        }),
      );
      expect(grads.size).toBe(small.trainableParameters().length);
      tf.tidy(() => {
        for (const [name, g] of grads) expect(Number.isFinite(tf.sum(tf.abs(g)).dataSync()[0]), name).toBe(true);
        const enc = tf.sum(tf.abs(grads.get('encoder.conv_in.weight')!)).dataSync()[0];
        expect(enc, 'the encoder gets gradient through the relaxation').toBeGreaterThan(0);
      });
      return { loss, grads };
    });
    small.dispose();
    x8.dispose();
  });
});
