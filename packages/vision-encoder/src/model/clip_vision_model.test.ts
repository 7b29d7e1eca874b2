import { it, expect } from 'vitest';
import { tf, normal, Generator, HealthGPTError } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks, loadGolden, disposeDeep } from '@healthgpt/testing';
import { CLIPVisionModel } from './clip_vision_model.js';
import { selectFeatures } from '../features/select.js';
import { VisionEncoderError } from '../errors.js';

const tinyConfig = { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 2, image_size: 8, patch_size: 4 };

describeBackends('CLIPVisionModel', (backend) => {
  it('names its parameters exactly as an HF CLIPVisionModel checkpoint', async () => {
    const g = await loadGolden('clip_vision_tiny');
    const m = CLIPVisionModel.fromPreset('tiny', {}, { seed: 1 });
    expect(new Set(m.namedParameters().map(([k]) => k))).toEqual(new Set(g.weights.keys()));
    for (const [k, p] of m.namedParameters()) expect(p.shape, k).toEqual(g.weights.get(k)!.shape);
    m.dispose();
    g.dispose();
  });

  it('returns L + 1 hidden states of [B, N + 1, D] and a [B, D] pooler; the forward leaks nothing', async () => {
    const m = new CLIPVisionModel(tinyConfig, { seed: 2 }).eval();
    const x = normal([3, 3, 8, 8], 0, 1, new Generator(1));
    const out = m.forward(x);
    expect(out.hiddenStates.map((h) => h.shape)).toEqual(Array(3).fill([3, 5, 16]));
    expect(out.lastHiddenState).toBe(out.hiddenStates[2]);
    expect(out.poolerOutput.shape).toEqual([3, 16]);
    disposeDeep(out);
    await expectNoLeaks(() => m.forward(x), { what: 'CLIPVisionModel.forward' });
    x.dispose();
    m.dispose();
  });

  it(`trains on ${backend}: every parameter gets a finite gradient, and the step leaks nothing`, async () => {
    const m = new CLIPVisionModel({ ...tinyConfig, attention_dropout: 0.1 }, { seed: 3 }).train();
    const x = normal([2, 3, 8, 8], 0, 1, new Generator(2));
    const lossFn = () => {
      const out = m.forward(x);
      const f = selectFeatures(out.hiddenStates, -1, { dropCls: false });
      return tf.add(tf.mean(tf.square(f)), tf.mean(tf.square(out.poolerOutput)));
    };
    await expectNoLeaks(
      () => {
        const { loss, grads } = m.computeGradients(lossFn);
        expect(grads.size).toBe(m.namedParameters().length);
        for (const [k, g] of grads) expect(Array.from(g.dataSync()).every(Number.isFinite), k).toBe(true);
        const patchGrad = grads.get('vision_model.embeddings.patch_embedding.weight')!.dataSync();
        expect(patchGrad.some((v) => v !== 0)).toBe(true);
        return { loss, grads };
      },
      { what: 'training step' },
    );
    x.dispose();
    m.dispose();
  });

  it('attention dropout acts in training mode only', () => {
    const m = new CLIPVisionModel({ ...tinyConfig, attention_dropout: 0.5 }, { seed: 4 });
    const x = normal([1, 3, 8, 8], 0, 1, new Generator(3));
    const run = () => m.forward(x).lastHiddenState;
    m.eval();
    const [e1, e2] = [run(), run()];
    m.train();
    const t1 = run();
    const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
    expect(maxDiff(e1, e2)).toBe(0);
    expect(maxDiff(e1, t1)).toBeGreaterThan(0);
    disposeDeep([e1, e2, t1, x]);
    m.dispose();
  });

  it('rejects pixel values of the wrong shape or dtype with a typed error', () => {
    const m = new CLIPVisionModel(tinyConfig, { seed: 5 });
    const bad = [tf.zeros([1, 3, 16, 16]), tf.zeros([1, 1, 8, 8]), tf.zeros([3, 8, 8]), tf.zeros([1, 3, 8, 8], 'int32')];
    for (const t of bad) expect(() => m.forward(t)).toThrow(VisionEncoderError);
    for (const t of bad) expect(() => m.forward(t)).toThrow(expect.objectContaining({ name: 'VisionEncoderError', code: 'ARGUMENT' }));
    expect(() => m.forward(bad[0])).toThrow(HealthGPTError);
    expect(() => m.forward(bad[0])).toThrow(/'pixelValues' passed to 'CLIPVisionModel' must be \[B, 3, 8, 8\] float32, got \[1, 3, 16, 16\]/);
    tf.dispose(bad);
    m.dispose();
  });

  it('the same seed gives the same weights; HF init (zero biases, unit LayerNorms)', () => {
    const [a, b] = [new CLIPVisionModel(tinyConfig, { seed: 9 }), new CLIPVisionModel(tinyConfig, { seed: 9 })];
    const [sd, sb] = [a.stateDict(), b.stateDict()];
    for (const [k, p] of sd) expect(Array.from(p.dataSync()), k).toEqual(Array.from(sb.get(k)!.dataSync()));
    expect(Array.from(sd.get('vision_model.encoder.layers.0.self_attn.q_proj.bias')!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(sd.get('vision_model.pre_layrnorm.weight')!.dataSync()).every((v) => v === 1)).toBe(true);
    a.dispose();
    b.dispose();
  });
});
