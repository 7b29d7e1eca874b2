import { afterAll, beforeAll, expect, it } from 'vitest';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, ioTensor, expectClose, expectEqualInts, expectNoLeaks } from '@healthgpt/testing';
import { savedKeyToParameter } from '../index.js';
import { tinyFixtures, tinyRelease, tolerance, type TinyRelease } from '../../test/golden.test_util.js';

/** 1 where the [B, T] mask is 1, repeated over `inner` trailing elements. */
function rowMask(mask: number[][], inner: number): Float32Array {
  const flat = mask.flat();
  const out = new Float32Array(flat.length * inner);
  flat.forEach((m, i) => out.fill(m, i * inner, (i + 1) * inner));
  return out;
}

for (const fixture of tinyFixtures()) {
  describeBackends(`HealthGPT parity (${fixture.label})`, () => {
    let f: TinyRelease;
    let batch: { inputIds: Tensor; attentionMask: Tensor; labels: Tensor; pixelValues: Tensor };
    beforeAll(async () => {
      f = await tinyRelease(fixture.folder);
      const io = (k: string) => ioTensor(f.g, k);
      batch = { inputIds: io('input_ids'), attentionMask: io('attention_mask'), labels: io('labels'), pixelValues: io('pixel_values') };
    });
    afterAll(() => f.dispose());

    it('projects each image with the comprehension layer and projector', () => {
      const feats = f.model.encodeImages(batch.pixelValues, 'comprehension');
      expectClose(feats, ioTensor(f.g, 'image_features_projected'), tolerance(f.g, 'inputs_embeds'), 'projected features');
      feats.dispose();
    });

    it('splices the embeddings, mask and labels as LLaVA does', () => {
      const out = f.model.embedInputs(batch);
      expectClose(out.inputsEmbeds, ioTensor(f.g, 'inputs_embeds'), tolerance(f.g, 'inputs_embeds'), 'inputs_embeds');
      expectEqualInts(out.attentionMask.flat(), ioTensor(f.g, 'attention_mask_spliced'), 'spliced mask');
      expectEqualInts(out.labels!.flat(), ioTensor(f.g, 'labels_spliced'), 'spliced labels');
      out.inputsEmbeds.dispose();
    });

    it('gives the logits at every real position and the masked loss', () => {
      const out = f.model.forward(batch);
      const want = ioTensor(f.g, 'logits');
      const r = expectClose(out.logits, want, tolerance(f.g, 'logits'), 'logits', rowMask(out.attentionMask, want.shape[2]!));
      expect(r.count).toBe(out.attentionMask.flat().filter((m) => m === 1).length * want.shape[2]!);
      expectEqualInts(out.attentionMask.flat(), ioTensor(f.g, 'attention_mask_spliced'), 'spliced mask');
      expectClose(out.loss!.dataSync(), ioTensor(f.g, 'loss').dataSync(), tolerance(f.g, 'loss'), 'loss');
      tf.dispose([out.logits, out.loss!]);
    });

    it('gives every gradient the fixture lists, under its saved name mapped to ours', () => {
      const saved = [...f.g.io.keys()].filter((k) => k.startsWith('grad.')).map((k) => k.slice('grad.'.length));
      expect(saved.length).toBe([...f.g.weights.keys()].length);
      const names = saved.map((k) => savedKeyToParameter(k, 'comprehension'));
      const { loss, grads } = f.model.computeGradients(() => f.model.computeLoss(batch), names);
      expect(grads.size).toBe(saved.length);
      saved.forEach((k, i) => expectClose(grads.get(names[i])!, ioTensor(f.g, `grad.${k}`), tolerance(f.g, 'grads'), `grad ${k}`));
      expectClose(loss.dataSync(), ioTensor(f.g, 'loss').dataSync(), tolerance(f.g, 'loss'), 'loss from computeGradients');
      tf.dispose([loss, ...grads.values()]);
    });

    it('decodes greedily with the KV cache to the fixture ids exactly', () => {
      const prompt = ioTensor(f.g, 'generate_input_ids');
      const want = ioTensor(f.g, 'generate_output_ids');
      const pv = batch.pixelValues.slice([0, 0, 0, 0], [prompt.shape[0], -1, -1, -1]);
      const res = f.model.generate({ inputIds: prompt, pixelValues: pv, task: 'comprehension' }, { maxNewTokens: want.shape[1], stopTokens: [] });
      expectEqualInts(res.sequences.flat(), want, 'greedy ids');
      pv.dispose();
    });

    it('leaks no tensor in the forward, the loss, the gradients, the splice or generation', async () => {
      await expectNoLeaks(() => f.model.forward(batch), { what: 'forward' });
      await expectNoLeaks(() => f.model.encodeImages(batch.pixelValues, 'comprehension'), { what: 'encodeImages' });
      await expectNoLeaks(() => f.model.embedInputs(batch), { what: 'embedInputs' });
      await expectNoLeaks(() => f.model.computeGradients(() => f.model.computeLoss(batch)), { what: 'computeGradients' });
      const pv = batch.pixelValues.slice([0, 0, 0, 0], [1, -1, -1, -1]);
      await expectNoLeaks(() => f.model.generate({ inputIds: ioTensor(f.g, 'generate_input_ids'), pixelValues: pv }, { maxNewTokens: 3, stopTokens: [] }), { what: 'generate' });
      pv.dispose();
    });
  });
}
