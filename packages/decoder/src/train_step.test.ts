// A training step of the shipped decoder with tensor-core's AdamW: the loss falls, wasm (with
// tensor-core's custom kernels) trains exactly as the cpu backend does, and a step leaks nothing.
import { expect, it } from 'vitest';
import { tf, AdamW, paramGroups, clipGradNorm, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { DecoderLM } from './index.js';
import { tinyConfig } from './configs.test_util.js';

const IDS = [
  [5, 9, 1, 33, 7, 20, 3, 14],
  [2, 2, 41, 6, 11, 30, 8, 47],
];

function setup(): { model: DecoderLM; opt: AdamW; ids: Tensor } {
  const model = new DecoderLM(tinyConfig('phi3'), { seed: 4 });
  model.train();
  const opt = new AdamW(paramGroups(model.trainableParameters(), [{ match: (_, p) => p.rank < 2, weightDecay: 0 }]), { lr: 1e-2, weightDecay: 0.1 });
  return { model, opt, ids: tf.tensor2d(IDS.flat(), [IDS.length, IDS[0].length], 'int32') };
}

function step({ model, opt, ids }: ReturnType<typeof setup>): number {
  const { loss, grads } = model.computeGradients(() => model.forward({ inputIds: ids, labels: ids, useCache: false }).loss!);
  clipGradNorm(grads, 1);
  opt.step(grads);
  const l = loss.dataSync()[0];
  tf.dispose([loss, ...grads.values()]);
  return l;
}

const free = (s: ReturnType<typeof setup>) => (s.ids.dispose(), s.opt.dispose(), s.model.dispose());

async function losses(backend: 'cpu' | 'wasm', n: number): Promise<number[]> {
  await tf.setBackend(backend);
  const s = setup();
  const out = Array.from({ length: n }, () => step(s));
  free(s);
  return out;
}

describeBackends('DecoderLM training step with AdamW', (backend) => {
  it('the loss falls over a few steps', () => {
    const s = setup();
    const l = Array.from({ length: 6 }, () => step(s));
    expect(l[5]).toBeLessThan(l[0] * 0.9);
    free(s);
  });

  it('a step leaks no tensors (after the first, which makes the moments)', async () => {
    const s = setup();
    step(s);
    await expectNoLeaks(() => void step(s), { what: `training step on ${backend}` });
    free(s);
  });
});

it('trains on wasm as on the cpu backend (the same losses step by step)', async () => {
  const before = tf.getBackend();
  const wasm = await losses('wasm', 4);
  const cpu = await losses('cpu', 4);
  wasm.forEach((l, i) => expect(Math.abs(l - cpu[i]), `step ${i}`).toBeLessThan(1e-4));
  await tf.setBackend(before);
});
