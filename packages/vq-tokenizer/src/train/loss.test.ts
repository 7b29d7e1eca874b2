import { expect, it } from 'vitest';
import { tf, AdamW, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { VQTokenizer, VQLoss, VQTokenizerError } from '../index.js';
import { trainConfig } from '../test_configs.test_util.js';
import { phantoms } from '../phantoms.test_util.js';

describeBackends(
  'VQLoss',
  () => {
    it('anneals the Gumbel temperature exponentially from start to end over its steps', () => {
      const model = new VQTokenizer(trainConfig(), { seed: 1 });
      const l = new VQLoss(model, { steps: 10, temperature: { start: 1, end: 1 / 16, steps: 8 } });
      expect(l.temperatureAt(0)).toBe(1);
      expect(l.temperatureAt(4)).toBeCloseTo(1 / 4, 12); // (1/16)^(4/8)
      expect(l.temperatureAt(8)).toBeCloseTo(1 / 16, 12);
      expect(l.temperatureAt(9)).toBeCloseTo(1 / 16, 12);
      expect(() => new VQLoss(model, { steps: 0 })).toThrow(VQTokenizerError);
      expect(() => new VQLoss(model, { steps: 3, reconLoss: 'l3' as 'l1' })).toThrow(/'reconLoss' passed to 'VQLoss'/);
      model.dispose();
    });

    it('is reconstruction + quantizer term; the same generator state gives the same noise and value', () => {
      const model = new VQTokenizer(trainConfig(), { seed: 1 });
      const x = phantoms(2, { size: 8, seed: 3 });
      const l = new VQLoss(model, { steps: 4, reconLoss: 'l2', seed: 5 });
      model.train();
      const state = l.generator.getState();
      const read = (o: { loss: Tensor; recon: Tensor; quant: Tensor }) => {
        const v = [o.loss, o.recon, o.quant].map((t) => t.dataSync()[0]);
        tf.dispose([o.loss, o.recon, o.quant]);
        return v;
      };
      const [loss, recon, quant] = read(l.compute(x, 0));
      expect(loss).toBeCloseTo(recon + quant, 6);
      l.generator.setState(state);
      expect(read(l.compute(x, 0))).toEqual([loss, recon, quant]);
      expect(read(l.compute(x, 0))).not.toEqual([loss, recon, quant]); // a new draw of noise
      x.dispose();
      model.dispose();
    });

    it('differentiates: a few AdamW steps lower it (Gumbel and VQ quantizers), leaking nothing', async () => {
      const x = phantoms(2, { size: 8, seed: 11 });
      for (const quantizer of ['gumbel', 'vq'] as const) {
        const model = new VQTokenizer(trainConfig({ quantizer }), { seed: 1 });
        const l = new VQLoss(model, { steps: 6, reconLoss: 'l2', temperature: { start: 0.5, end: 0.5 } });
        const opt = new AdamW(model.trainableParameters(), { lr: 3e-3, weightDecay: 0 });
        const step = (i: number) => {
          const { loss, grads } = model.computeGradients(() => l.compute(x, i).loss);
          const v = loss.dataSync()[0];
          opt.step(grads);
          tf.dispose([loss, ...grads.values()]);
          return v;
        };
        model.train();
        const first = step(0);
        await expectNoLeaks(() => void step(1), { what: 'a VQLoss training step' });
        let last = first;
        for (let i = 2; i < 6; i++) last = step(i);
        expect(last, `${quantizer}: ${first} → ${last}`).toBeLessThan(first);
        opt.dispose();
        model.dispose();
      }
      x.dispose();
    });
  },
  { only: ['cpu'] },
);
