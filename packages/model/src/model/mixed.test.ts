import { it, expect, beforeAll, afterAll } from 'vitest';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import type { AdaptedLinear } from '@healthgpt/h-lora';
import type { HealthGPT, HealthGPTBatch, EncodedSample } from '../index.js';
import { tinyModel, image, comprehensionSample, generationSample, perturbPlugins } from '../../test/tiny.test_util.js';

const rowsOf = (t: Tensor, rows: number[]) => tf.tidy(() => tf.gather(t, tf.tensor1d(rows, 'int32')));
const same = (a: Tensor, b: Tensor) => expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));

describeBackends('a batch that mixes tasks', () => {
  let model: HealthGPT;
  let comp: EncodedSample[];
  let gen: EncodedSample[];
  beforeAll(() => {
    model = tinyModel(4);
    perturbPlugins(model);
    const p = model.processor;
    comp = [p.encodeSample(comprehensionSample('c0', 'Which organ is shown?', 'The liver.'), [image(40, 30)]), p.encodeSample(comprehensionSample('c1', 'Is there a mass?', 'Yes.'), [image(20, 30, 1, 2)])];
    gen = [p.encodeSample(generationSample('g0', 'Reconstruct this image.'), [image(32, 32, 3, 3)], image(32, 32, 3, 4))];
  });
  afterAll(() => model.dispose());

  const batch = (s: EncodedSample[]): HealthGPTBatch => model.processor.collate(s);
  const run = (b: HealthGPTBatch) => {
    const out = model.forward(b);
    b.pixelValues?.dispose();
    return out;
  };

  it('gives each row the logits of its task’s own forward, and the batch mean loss', () => {
    const mixed = run(batch([comp[0], gen[0], comp[1]])); // rows: comprehension, generation, comprehension
    const c = run(batch(comp));
    const g = run(batch(gen));
    const t = mixed.logits.shape[1]!;
    const pad = (x: Tensor) => tf.tidy(() => (x.shape[1] === t ? x.clone() : tf.concat([x, tf.zeros([x.shape[0], t - x.shape[1]!, x.shape[2]!])], 1)));
    const [mc, mg, cc, gg] = [rowsOf(mixed.logits, [0, 2]), rowsOf(mixed.logits, [1]), pad(c.logits), pad(g.logits)];
    same(mc, cc); // bit-identical: the same sub-batch ran
    same(mg, gg);
    expect(mixed.attentionMask).toEqual([c.attentionMask[0], g.attentionMask[0], c.attentionMask[1]].map((r) => [...r, ...new Array(t - r.length).fill(0)]));
    const count = (labels: number[][]) => labels.reduce((n, r) => n + r.slice(1).filter((l) => l !== -100).length, 0);
    const [nc, ng] = [count(c.labels!), count(g.labels!)];
    const expected = (c.loss!.dataSync()[0] * nc + g.loss!.dataSync()[0] * ng) / (nc + ng);
    expect(mixed.loss!.dataSync()[0]).toBeCloseTo(expected, 5);
    tf.dispose([mixed.logits, mixed.loss!, c.logits, c.loss!, g.logits, g.loss!, mc, mg, cc, gg]);
  });

  it('differentiates the mixed batch in one computation: gradients = the count-weighted sum of per-task gradients', () => {
    const grads = (b: HealthGPTBatch) => {
      const r = model.computeGradients(() => model.computeLoss(b), names);
      b.pixelValues?.dispose();
      return r;
    };
    const names = model
      .namedParameters()
      .map(([n]) => n)
      .filter((n) => n.includes('.lora_') || n.includes('_projector.'));
    const bm = batch([comp[0], gen[0], comp[1]]);
    const [nc, ng] = [comp, gen].map((s) => s.reduce((n, e) => n + e.labels.slice(1).filter((l) => l !== -100).length, 0));
    const m = grads(bm);
    const c = grads(batch(comp));
    const g = grads(batch(gen));
    // A parameter off a batch's path (the other task's adapter and projector) has no gradient: 0.
    const get = (r: typeof m, n: string) => r.grads.get(n) ?? tf.zeros(model.getSubmodule(n.split('.').slice(0, -1).join('.')).param(n.split('.').pop()!).shape);
    for (const n of names) {
      const want = tf.tidy(() => tf.add(tf.mul(get(c, n), nc / (nc + ng)), tf.mul(get(g, n), ng / (nc + ng))));
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(m.grads.get(n)!, want))).dataSync()[0]);
      expect(diff, n).toBeLessThan(1e-5);
      want.dispose();
    }
    // Each task's adapter gets gradient only from its own rows.
    expect(c.grads.get('model.layers.0.self_attn.qkv_proj.lora_B.generation.weight') ?? null).toBeNull();
    expect(g.grads.get('model.layers.0.self_attn.qkv_proj.lora_B.comprehension.weight') ?? null).toBeNull();
    for (const r of [m, c, g]) tf.dispose([r.loss, ...[...r.grads.values()].filter((x) => x)]);
  });

  it('switching task twice gives bit-identical outputs, and the active plugin is restored after a forward', () => {
    const first = run(batch(comp));
    run(batch(gen)).logits.dispose();
    const again = run(batch(comp));
    same(first.logits, again.logits);
    same(first.loss!, again.loss!);
    tf.dispose([first.logits, first.loss!, again.logits, again.loss!]);
    const l = model.getSubmodule<AdaptedLinear>('model.layers.1.mlp.down_proj');
    expect(l.activeAdapter).toBe('comprehension');
  });

  it('leaks nothing in a mixed forward or its gradients', async () => {
    const b = batch([comp[1], gen[0]]);
    await expectNoLeaks(() => model.forward(b), { what: 'mixed forward' });
    await expectNoLeaks(() => model.computeGradients(() => model.computeLoss(b)), { what: 'mixed gradients' });
    b.pixelValues!.dispose();
  });
});
