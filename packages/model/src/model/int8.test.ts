import { it, expect, beforeAll, afterAll } from 'vitest';
import { tf, Int8Linear, Linear } from '@healthgpt/tensor-core';
import { AdaptedLinear } from '@healthgpt/h-lora';
import { describeBackends, expectNoLeaks, ioTensor } from '@healthgpt/testing';
import type { HealthGPT, HealthGPTBatch } from '../index.js';
import { tinyModel, image, comprehensionSample, generationSample, perturbPlugins } from '../../test/tiny.test_util.js';
import { tinyRelease, type TinyRelease } from '../../test/golden.test_util.js';

/** Bytes of float tensors (TensorFlow.js) plus int8 weights held outside it. */
function weightBytes(m: HealthGPT): number {
  const floats = m.namedParameters().reduce((n, [, p]) => n + 4 * p.size, 0);
  return floats + m.namedModules().reduce((n, [, x]) => n + (x instanceof Int8Linear ? x.weightBytes : 0), 0);
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>, mask?: number[]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (!mask || mask[i]) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The error bound tested: 5% of the largest |logit| (per-channel int8 over every Linear of a random tiny model). */
const BOUND = 0.05;

describeBackends('int8 weight-only inference', () => {
  let model: HealthGPT;
  let batch: HealthGPTBatch;
  let fixture: TinyRelease;
  beforeAll(async () => {
    model = tinyModel(21);
    perturbPlugins(model, 2, 0.02); // adapters of a trained size (B starts at 0)
    const p = model.processor;
    batch = p.collate([p.encodeSample(comprehensionSample('c', 'Which organ?', 'The liver.'), [image(40, 30)]), p.encodeSample(generationSample('g', 'Reconstruct this image.'), [image(32, 32, 3, 1)], image(32, 32, 3, 2))]);
    fixture = await tinyRelease();
  });
  afterAll(() => {
    model.dispose();
    batch.pixelValues?.dispose();
    fixture.dispose();
  });

  it('quantizes every Linear (adapter bases included), keeps adapters float, and cuts weight memory', () => {
    const floatLinear = model.namedModules().reduce((n, [, m]) => n + (m instanceof Linear ? 4 * m.weight.size : 0), 0);
    const before = weightBytes(model);
    const float = model.forward(batch);
    const paths = model.quantize('int8');
    expect(paths).toContain('model.layers.0.self_attn.qkv_proj.base_layer');
    expect(paths).toContain('lm_head');
    expect(paths).toContain('model.vision_tower.vision_tower.vision_model.encoder.layers.0.mlp.fc1');
    expect(model.namedModules().some(([, m]) => m instanceof Linear)).toBe(false);
    const layer = model.getSubmodule<AdaptedLinear>('model.layers.1.mlp.gate_up_proj');
    expect(layer).toBeInstanceOf(AdaptedLinear);
    expect(layer.base).toBeInstanceOf(Int8Linear);
    expect(layer.adapterNames()).toEqual(['comprehension', 'generation']);
    const int8Linear = model.namedModules().reduce((n, [, m]) => n + (m instanceof Int8Linear ? m.weightBytes : 0), 0);
    expect(int8Linear / floatLinear).toBeLessThan(0.27); // 1 byte per weight + 4 per output channel
    expect(before - weightBytes(model)).toBe(floatLinear - int8Linear);
    // Logits stay close to float32: the error is bounded relative to the logits' range.
    const q = model.forward(batch);
    const fa = float.logits.dataSync() as Float32Array;
    const qa = q.logits.dataSync() as Float32Array;
    const range = fa.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const mask = q.attentionMask.flatMap((r) => r.flatMap((m) => new Array(fa.length / q.attentionMask.flat().length).fill(m)));
    expect(maxAbs(qa, fa, mask)).toBeLessThan(BOUND * range);
    expect(Math.abs(q.loss!.dataSync()[0] - float.loss!.dataSync()[0])).toBeLessThan(0.01 * float.loss!.dataSync()[0]);
    tf.dispose([float.logits, float.loss!, q.logits, q.loss!]);
  });

  it('still trains the adapters on the int8 base and generates', async () => {
    const names = model.trainableParameters().map(([n]) => n).filter((n) => n.includes('.lora_B.comprehension.'));
    const { loss, grads } = model.computeGradients(() => model.computeLoss(batch), names);
    expect(grads.size).toBe(names.length);
    expect([...grads.values()].some((g) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0)).toBe(true);
    tf.dispose([loss, ...grads.values()]);
    expect(model.generateImage(image(32, 32), 'Reconstruct this image.').codes).toHaveLength(64);
    await expectNoLeaks(() => model.forward(batch), { what: 'int8 forward' });
    await expectNoLeaks(() => model.comprehend(image(16, 16), 'Which organ?', { maxNewTokens: 3 }), { what: 'int8 comprehend' });
  });

  it('keeps the fixture model’s logits within 5% of their range and its greedy answer', () => {
    const io = (k: string) => ioTensor(fixture.g, k);
    const b = { inputIds: io('input_ids'), attentionMask: io('attention_mask'), pixelValues: io('pixel_values') };
    const float = fixture.model.forward(b);
    const pv = b.pixelValues.slice([0, 0, 0, 0], [1, -1, -1, -1]);
    const greedy = fixture.model.generate({ inputIds: io('generate_input_ids'), pixelValues: pv }, { maxNewTokens: 6, stopTokens: [] });
    fixture.model.quantize();
    const q = fixture.model.forward(b);
    const fa = float.logits.dataSync() as Float32Array;
    const range = fa.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const v = float.logits.shape[2]!;
    const mask = float.attentionMask.flat().flatMap((m) => new Array(v).fill(m));
    expect(maxAbs(q.logits.dataSync() as Float32Array, fa, mask)).toBeLessThan(BOUND * range);
    expect(fixture.model.generate({ inputIds: io('generate_input_ids'), pixelValues: pv }, { maxNewTokens: 6, stopTokens: [] }).sequences).toEqual(greedy.sequences);
    tf.dispose([float.logits, q.logits, pv]);
  });
});
