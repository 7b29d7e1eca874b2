import { describe, it, expect } from 'vitest';
import { tf } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';
import { TinyDecoder, trainStep, syntheticBatch, type DecoderConfig } from '../../bench/tiny_decoder.js';

const CFG: DecoderConfig = { vocab: 32, dim: 16, layers: 1, heads: 2, seq: 8 };

async function losses(backend: 'wasm' | 'cpu', steps: number): Promise<number[]> {
  await tf.setBackend(backend);
  const model = new TinyDecoder(CFG, 3);
  const opt = tf.train.adam(1e-2);
  const { ids, labels } = syntheticBatch(CFG, 2, 5);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const l = trainStep(model, opt, ids, labels);
    out.push(l.dataSync()[0]);
    l.dispose();
  }
  tf.dispose([ids, labels]);
  opt.dispose();
  model.dispose();
  return out;
}

describe('training step of the benchmark decoder (tiny)', () => {
  it('trains on wasm with the custom kernels, equal to the cpu backend, and the loss falls', async () => {
    const wasm = await losses('wasm', 4);
    const cpu = await losses('cpu', 4);
    wasm.forEach((l, i) => expect(Math.abs(l - cpu[i]), `step ${i}`).toBeLessThan(1e-4));
    expect(wasm[3]).toBeLessThan(wasm[0]);
  });

  it('leaks no tensor per step on wasm', async () => {
    await tf.setBackend('wasm');
    const model = new TinyDecoder(CFG, 1);
    const opt = tf.train.adam(1e-3);
    const { ids, labels } = syntheticBatch(CFG, 2);
    trainStep(model, opt, ids, labels).dispose(); // Adam creates its moment variables on the first step
    await expectNoLeaks(() => trainStep(model, opt, ids, labels), { what: 'trainStep' });
    tf.dispose([ids, labels]);
    opt.dispose();
    model.dispose();
  });
});
