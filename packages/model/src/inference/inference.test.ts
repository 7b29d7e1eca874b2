import { it, expect, beforeAll, afterAll } from 'vitest';
import { tf } from '@healthgpt/tensor-core';
import { DecoderError } from '@healthgpt/decoder';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import type { HealthGPT } from '../index.js';
import { tinyModel, image, perturbPlugins, asciiHead } from '../../test/tiny.test_util.js';

describeBackends('comprehend and generateImage', () => {
  let model: HealthGPT;
  beforeAll(() => {
    model = tinyModel(7);
    perturbPlugins(model, 11);
    asciiHead(model);
  });
  afterAll(() => model.dispose());
  const scan = image(40, 30, 1, 1);
  const photo = image(24, 24, 3, 2);

  it('answers with the whole decoded text of the generated ids', () => {
    const [r] = model.comprehendBatch([{ images: scan, question: 'Is there a mass?' }], { maxNewTokens: 24 });
    const stop = model.processor.stopTokenIds();
    expect(r.text).toBe(model.tokenizer!.decode(r.ids.filter((t) => !stop.includes(t)), { skipSpecialTokens: true }));
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.finishReason === 'stop' ? stop.includes(r.ids[r.ids.length - 1]) : r.ids.length === 24).toBe(true);
    expect(model.comprehend(scan, 'Is there a mass?', { maxNewTokens: 24 })).toBe(r.text);
  });

  it('streams the answer: the deltas add up to the text, and returning false stops it', () => {
    const deltas: string[] = [];
    const [r] = model.comprehendBatch([{ images: [scan], question: 'Which organ?' }], { maxNewTokens: 16, onText: ({ delta }) => void deltas.push(delta) });
    expect(deltas.join('')).toBe(r.text);
    const [cut] = model.comprehendBatch([{ images: [scan], question: 'Which organ?' }], { maxNewTokens: 16, onText: () => false });
    expect(cut.finishReason).toBe('callback');
    expect(cut.ids).toHaveLength(1);
  });

  it('answers a batch (left-padded, several images per request) as each request alone', () => {
    const reqs = [
      { images: [scan, photo], question: 'Compare the two images.' },
      { images: photo, question: 'Is there a mass in the left lung?' },
    ];
    const both = model.comprehendBatch(reqs, { maxNewTokens: 12 });
    expect(both.map((r) => r.text)).toEqual(reqs.map((q) => model.comprehendBatch([q], { maxNewTokens: 12 })[0].text));
  });

  it('samples reproducibly from a seed', () => {
    const o = { maxNewTokens: 12, doSample: true, temperature: 1.5 };
    const a = model.comprehend(scan, 'Describe the image.', { ...o, seed: 5 });
    expect(model.comprehend(scan, 'Describe the image.', { ...o, seed: 5 })).toBe(a);
    const others = [6, 7, 8].map((seed) => model.comprehend(scan, 'Describe the image.', { ...o, seed }));
    expect(others.some((t) => t !== a)).toBe(true);
  });

  it('leaks no tensor', async () => {
    await expectNoLeaks(() => model.comprehend(scan, 'Is there a mass?', { maxNewTokens: 4 }), { what: 'comprehend' });
    await expectNoLeaks(() => model.comprehendBatch([{ images: [scan], question: 'Which organ?' }, { images: [scan, photo], question: 'Is there a mass?' }], { maxNewTokens: 3, doSample: true, seed: 2 }), { what: 'comprehendBatch (sampling)' });
  });
});

for (const aligned of [true, false])
  describeBackends(`generateImage, aligned generation ${aligned ? 'on' : 'off'}`, () => {
    let model: HealthGPT;
    beforeAll(() => {
      model = tinyModel(7, aligned ? undefined : (c) => delete c.aligned_generation);
      perturbPlugins(model, 11);
      asciiHead(model);
    });
    afterAll(() => model.dispose());
    const photo = image(24, 24, 3, 2);

    it('generates exactly grid² codes and decodes them into an image of the VQ resolution', () => {
      const streamed: number[] = [];
      const g = model.generateImage(photo, 'Reconstruct this image.', { onCode: ({ code, index }) => void (streamed[index] = code) });
      const vq = model.config.vq!;
      const side = vq.ddconfig.resolution;
      expect(g.codes).toHaveLength((side / 4) ** 2);
      expect(g.codes.every((c) => Number.isInteger(c) && c >= 0 && c < vq.n_embed)).toBe(true);
      expect(streamed).toEqual(g.codes);
      expect(g.finishReason).toBe('stop');
      expect(g.image).toMatchObject({ width: side, height: side, channels: 3 });
      expect(g.image!.data).toHaveLength(side * side * 3);
      const [again] = model.generateImages([{ image: photo, instruction: 'Reconstruct this image.' }]);
      expect(again.codes).toEqual(g.codes);
      expect(Array.from(again.image!.data)).toEqual(Array.from(g.image!.data));
    });

    it('generates a batch (with and without input images) as each request alone, and samples by seed', () => {
      const reqs = [{ image: photo, instruction: 'Convert this CT to MRI.' }, { instruction: 'Draw a brain MRI.' }];
      const both = model.generateImages(reqs);
      expect(both.map((r) => r.codes)).toEqual(reqs.map((r) => model.generateImages([r])[0].codes));
      const s1 = model.generateImage(photo, 'Reconstruct this image.', { doSample: true, seed: 3 });
      expect(model.generateImage(photo, 'Reconstruct this image.', { doSample: true, seed: 3 }).codes).toEqual(s1.codes);
      const stopped = model.generateImage(photo, 'Reconstruct this image.', { onCode: ({ index }) => index < 4 });
      expect(stopped).toMatchObject({ image: null, finishReason: 'callback' });
      expect(stopped.codes).toHaveLength(5);
    });

    it('checks sampling options as generate does: an explicit top-k of 0 or a top-p of 2 is a typed error', () => {
      expect(() => model.generateImage(photo, 'Reconstruct this image.', { doSample: true, topK: 0 })).toThrow(/'topK' must be a positive integer, got 0/);
      expect(() => model.generateImage(photo, 'Reconstruct this image.', { doSample: true, topP: 2 })).toThrow(DecoderError);
    });

    if (aligned)
      it('picks code k where the prompt holds input code k: the greedy codes are the argmax of one forward over the prompt and the input’s codes', () => {
        const ids = model.config.imageTokens!;
        const low = image(16, 16, 1, 4);
        const g = model.generateImage(low, 'Upscale this image.');
        const proc = model.processor;
        const input = proc.imageCodes(low);
        const prompt = [...proc.promptIds('Upscale this image.', { task: 'generation' }), ...input.map((c) => ids.firstCode + c)];
        const pv = proc.pixelTensor([proc.pixels(low)]);
        const out = model.forward({ inputIds: [prompt], pixelValues: pv, task: 'generation' });
        const logits = out.logits.arraySync() as number[][][];
        tf.dispose([out.logits, pv!]);
        const t = logits[0].length;
        const want = input.map((_, k) => {
          const row = logits[0][t - 64 + k].slice(ids.firstCode, ids.firstCode + ids.codebookSize);
          return row.indexOf(Math.max(...row));
        });
        expect(g.codes).toEqual(want);
        expect(g.finishReason).toBe('stop');
        // Not a copy of the input: the perturbed plugins change some codes (the test can fail both ways).
        expect(g.codes).not.toEqual(input);
      });

    it('leaks no tensor', async () => {
      await expectNoLeaks(() => model.generateImage(photo, 'Reconstruct this image.'), { what: 'generateImage' });
      await expectNoLeaks(() => model.generateImages([{ image: photo, instruction: 'Convert this CT to MRI.' }, { instruction: 'Draw a brain MRI.' }], { doSample: true, seed: 4 }), { what: 'generateImages (sampling)' });
      await expectNoLeaks(() => model.generateImage(photo, 'Reconstruct this image.', { onCode: ({ index }) => index < 2 }), { what: 'generateImage stopped by its callback' });
    });
  });
