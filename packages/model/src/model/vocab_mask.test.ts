import { describe, it, expect, afterAll } from 'vitest';
import { tf } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';
import { tinyModel, image, generationSample } from '../../test/tiny.test_util.js';

describe('training only the new image-token rows', () => {
  const model = tinyModel(2);
  afterAll(() => model.dispose());

  it('masks the embedding and head gradients to the rows from <start_index> on', async () => {
    const p = model.processor;
    const b = p.collate([p.encodeSample(generationSample('g', 'Reconstruct this image.'), [image(32, 32)], image(32, 32, 3, 7))]);
    const names = ['model.embed_tokens.weight', 'lm_head.weight'];
    const { loss, grads } = model.computeGradients(() => model.computeLoss(b), names);
    const masked = model.maskNewTokenGradients(grads);
    const start = model.config.imageTokens!.start;
    for (const n of names) {
      const g = masked.get(n)!.arraySync() as number[][];
      expect(g.slice(0, start).every((row) => row.every((v) => v === 0)), n).toBe(true);
      expect(g.slice(start).some((row) => row.some((v) => v !== 0)), n).toBe(true);
    }
    // A step with the masked gradient leaves every old row exactly as it was.
    const w = model.lm.embedWeight;
    const before = w.slice([0, 0], [start, -1]);
    tf.tidy(() => w.assign(tf.sub(w, tf.mul(masked.get('model.embed_tokens.weight')!, 0.1))));
    const after = w.slice([0, 0], [start, -1]);
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
    tf.dispose([loss, ...masked.values(), before, after, b.pixelValues!]);
    const masks = model.newTokenRowMasks();
    expect([...masks.keys()]).toEqual(names);
    expect(masks.get('lm_head.weight')!.shape).toEqual([model.config.text.vocabSize, 1]);
    masks.forEach((m) => m.dispose());
    await expectNoLeaks(() => model.newTokenRowMasks(), { what: 'newTokenRowMasks' });
    await expectNoLeaks(() => {
      const g = new Map(names.map((n) => [n, tf.ones([model.config.text.vocabSize, model.config.text.hiddenSize])] as const));
      return [...model.maskNewTokenGradients(g).values()];
    }, { what: 'maskNewTokenGradients' });
  });
});
