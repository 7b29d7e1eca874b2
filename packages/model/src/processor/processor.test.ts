import { describe, it, expect, afterAll } from 'vitest';
import fc from 'fast-check';
import { tf, IGNORE_INDEX } from '@healthgpt/tensor-core';
import { IMAGE_TOKEN_INDEX, applyChatTemplate, tokenizeWithImages } from '@healthgpt/decoder';
import { preprocessImages, clipImageProcessorConfig } from '@healthgpt/vision-encoder';
import { codesToText } from '@healthgpt/vq-tokenizer';
import { expectNoLeaks } from '@healthgpt/testing';
import { ModelError, conversationSegments, encodeSegments } from '../index.js';
import { alignAnswer, alignedPrompt } from './aligned.js';
import { tinyModel, image, comprehensionSample, generationSample } from '../../test/tiny.test_util.js';

describe('HealthGPTProcessor', () => {
  const model = tinyModel();
  const proc = model.processor;
  const tok = model.tokenizer!;
  const plain = tinyModel(1, (c) => delete c.aligned_generation);
  afterAll(() => [model, plain].forEach((m) => m.dispose()));

  it('tokenises the template with −200 per image and supervises only the assistant reply and its separator', () => {
    const s = comprehensionSample('s1', 'Is there a mass?', 'Yes.');
    const e = proc.encodeSample(s, [image(40, 30)]);
    const prompt = applyChatTemplate('phi3_instruct', [{ role: 'user', content: '<image>\nIs there a mass?' }]);
    const promptIds = tokenizeWithImages(tok, prompt);
    expect(e.ids.slice(0, promptIds.length)).toEqual(promptIds);
    expect(e.ids.filter((i) => i === IMAGE_TOKEN_INDEX)).toHaveLength(1);
    const reply = tok.encode('Yes.<|end|>', { addSpecialTokens: false });
    expect(e.ids.slice(promptIds.length)).toEqual(reply);
    expect(e.labels).toEqual([...promptIds.map(() => IGNORE_INDEX), ...reply]);
    expect(tok.decode(e.ids.filter((i) => i >= 0))).toBe(prompt.replace('<image>', '') + 'Yes.<|end|>');
  });

  it('handles several turns and images: each reply supervised, every user turn masked', () => {
    const s = comprehensionSample('s2', 'Which organ?', 'The liver.', ['a.png', 'b.png']);
    s.conversations = [
      { from: 'human', value: '<image>\n<image>\nWhich organ?' },
      { from: 'gpt', value: 'The liver.' },
      { from: 'human', value: 'Is there a mass?' },
      { from: 'gpt', value: 'Yes.' },
    ];
    const e = proc.encodeSample(s, [image(20, 20), image(30, 20, 1)]);
    expect(e.pixels).toHaveLength(2);
    expect(e.ids.filter((i) => i === IMAGE_TOKEN_INDEX)).toHaveLength(2);
    const supervised = e.labels.filter((l) => l !== IGNORE_INDEX);
    expect(tok.decode(supervised)).toBe('The liver.<|end|>Yes.<|end|>');
    const full = applyChatTemplate('phi3_instruct', s.conversations.map((c) => ({ role: c.from === 'human' ? 'user' : 'assistant', content: c.value })), { addGenerationPrompt: false });
    expect(tok.decode(e.ids.filter((i) => i >= 0))).toBe(full.replaceAll('<image>', ''));
  });

  it('adds <image> to an untagged single-image sample, and refuses tags that do not match the images', () => {
    const s = comprehensionSample('s3', 'Is there a mass?', 'No.');
    s.conversations[0].value = 'Is there a mass?';
    expect(proc.encodeSample(s, [image(8, 8)]).ids).toContain(IMAGE_TOKEN_INDEX);
    const two = comprehensionSample('s4', '<image>\nAnd here?', 'No.');
    expect(() => proc.encodeSample(two, [image(8, 8)])).toThrow(/sample 's4' has 2 <image> tag\(s\) but 1 image/);
    expect(() => proc.encodeSample(comprehensionSample('s5', 'q', 'a'), [])).toThrow(ModelError);
  });

  it('preprocesses images exactly as vision-encoder (the CLIP reference)', () => {
    const im = image(50, 20, 4);
    const ours = proc.pixelTensor([proc.pixels(im)])!;
    const ref = preprocessImages([im], clipImageProcessorConfig(model.config.vision.image_size));
    expect(Array.from(ours.dataSync())).toEqual(Array.from(ref.dataSync()));
    tf.dispose([ours, ref]);
    expect(() => proc.pixels({ width: 4, height: 4, channels: 2 as never, data: new Uint8Array(32) })).toThrow(/2 channels/);
    expect(() => proc.pixels({ width: 4, height: 4, channels: 3, data: new Uint8Array(10) })).toThrow(/holds 10 values/);
  });

  it('answers a generation sample with its target’s VQ codes, computed once per target image (HealthGPT’s layout, aligned generation off)', async () => {
    const proc = plain.processor;
    const cache = proc.targets!;
    const before = cache.computed;
    const target = image(32, 32, 3, 5);
    const e1 = proc.encodeSample(generationSample('g1', 'Reconstruct this image.'), [image(32, 32)], target);
    const e2 = proc.encodeSample(generationSample('g2', 'Convert this CT to MRI.'), [image(32, 32)], target);
    expect(cache.computed - before).toBe(1);
    const ids = model.config.imageTokens!;
    const sup = e1.labels.filter((l) => l !== IGNORE_INDEX);
    const codes = sup.slice(1, 1 + 64).map((i) => i - ids.firstCode);
    expect(sup[0]).toBe(ids.start);
    expect(sup[65]).toBe(ids.end);
    expect(codes.every((c) => c >= 0 && c < ids.codebookSize)).toBe(true);
    // The ids are what the tokenizer makes of the codes' text.
    expect(sup.slice(0, 66)).toEqual(tok.encode(codesToText(codes), { addSpecialTokens: false }));
    expect(e2.labels.filter((l) => l !== IGNORE_INDEX).slice(0, 66)).toEqual(sup.slice(0, 66));
    expect(() => proc.encodeSample(generationSample('g3', 'x'), [image(8, 8)])).toThrow(/needs its target image/);
    await expectNoLeaks(() => proc.answerIds(image(32, 32, 3, 9)), { what: 'target encoding' });
  });

  it('with aligned generation, holds the input image’s codes at the answer positions and moves each target code onto its input code’s position', async () => {
    const ids = model.config.imageTokens!;
    const [input, target] = [image(16, 16, 1, 3), image(32, 32, 3, 5)];
    const sample = { ...generationSample('a1', 'Upscale this image.'), images: ['low.png'], targetImage: 'high.png' };
    const e = proc.encodeSample(sample, [input], target);
    const before = plain.processor.encodeSample(sample, [input], target);
    const inCodes = proc.imageCodes(input, 'low.png');
    const outCodes = proc.imageCodes(target, 'high.png');
    expect(inCodes).not.toEqual(outCodes);
    const s = before.ids.indexOf(ids.start);
    expect(e.ids.length).toBe(before.ids.length);
    expect(e.ids.slice(0, s + 1)).toEqual(before.ids.slice(0, s + 1)); // the prompt is unchanged
    expect(e.ids.slice(s + 1, s + 65)).toEqual(inCodes.map((c) => ids.firstCode + c)); // input code k at answer position k
    expect(e.ids.slice(s + 65)).toEqual(before.ids.slice(s + 65)); // <end_index> and the separator
    // The label at position j is what position j − 1 predicts: the position of input code k predicts target code k.
    expect(e.labels.slice(0, s + 1)).toEqual(before.labels.slice(0, s + 1));
    expect(e.labels[s + 1]).toBe(IGNORE_INDEX);
    for (let k = 0; k < 64; k++) expect([e.ids[s + 1 + k] - ids.firstCode, e.labels[s + 2 + k] - ids.firstCode]).toEqual([inCodes[k], outCodes[k]]);
    expect(e.labels.slice(s + 66)).toEqual(before.labels.slice(s + 66));
    expect(e.pixels).toEqual(before.pixels);
    // Comprehension samples are untouched.
    const c = comprehensionSample('c1', 'Which organ?', 'The liver.');
    expect(proc.encodeSample(c, [input])).toEqual(plain.processor.encodeSample(c, [input]));
    await expectNoLeaks(() => proc.encodeSample({ ...sample, id: 'a2', images: ['other.png'] }, [image(16, 16, 1, 8)], target), { what: 'aligned encodeSample' });
  });

  it('alignAnswer moves any answer’s labels by one position and refuses a block of the wrong length', () => {
    const t = model.config.imageTokens!;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 6 }), fc.array(fc.integer({ min: 0, max: 63 }), { minLength: 1, maxLength: 9 }), fc.integer({ min: 0, max: 1000 }), (prefix, out, seed) => {
        const input = out.map((c, i) => (c * 7 + i + seed) % 64);
        const answer = [t.start, ...out.map((c) => t.firstCode + c), t.end, 7];
        const ids = [...prefix, ...answer];
        const labels = [...prefix.map(() => IGNORE_INDEX), ...answer];
        const a = alignAnswer(ids, labels, t, input);
        const s = prefix.length;
        expect(a.ids).toEqual([...prefix, t.start, ...input.map((c) => t.firstCode + c), t.end, 7]);
        expect(a.labels).toEqual([...prefix.map(() => IGNORE_INDEX), t.start, IGNORE_INDEX, ...out.map((c) => t.firstCode + c), 7]);
        expect(a.ids[s + 1 + out.length - 1] - t.firstCode).toBe(input[out.length - 1]);
      }),
      { numRuns: 50 },
    );
    const ids = [1, t.start, t.firstCode, t.firstCode + 1, t.end];
    expect(() => alignAnswer(ids, ids, t, [3], 'sample x')).toThrow(/sample x: its answer is not 1 codes/);
    expect(() => alignAnswer([1, 2], [IGNORE_INDEX, 2], t, [3])).toThrow(ModelError);
    expect(alignedPrompt([5, t.start], t, [0, 2])).toEqual([5, t.start, t.firstCode, t.firstCode + 2]);
    expect(() => alignedPrompt([5], t, [0])).toThrow(/must end with <start_index>/);
  });

  it('collates right-padded (training) and left-padded (generation) batches', () => {
    const a = proc.encodeSample(comprehensionSample('a', 'Which organ?', 'The liver.'), [image(16, 16)]);
    const b = proc.encodeSample(comprehensionSample('b', 'Is there a mass in the left lung?', 'Yes.'), [image(16, 16)]);
    const pad = model.config.text.padTokenId!;
    const right = proc.collate([a, b]);
    const n = right.inputIds[0].length;
    expect(right.inputIds.map((r) => r.length)).toEqual([n, n]);
    const short = a.ids.length < b.ids.length ? 0 : 1;
    const src = [a, b][short];
    expect(right.inputIds[short].slice(src.ids.length).every((t) => t === pad)).toBe(true);
    expect(right.labels[short].slice(src.ids.length).every((t) => t === IGNORE_INDEX)).toBe(true);
    expect(right.pixelValues!.shape).toEqual([2, 3, 32, 32]);
    const left = proc.collate([a, b], { padding: 'left' });
    expect(left.inputIds[short].slice(n - src.ids.length)).toEqual(src.ids);
    expect(left.attentionMask[short].slice(0, n - src.ids.length).every((m) => m === 0)).toBe(true);
    // The model drops the padding either way: same logits on real positions.
    const l1 = model.forward(right);
    const l2 = model.forward(left);
    expect(Array.from(l1.logits.dataSync())).toEqual(Array.from(l2.logits.dataSync()));
    tf.dispose([right.pixelValues!, left.pixelValues!, l1.logits, l1.loss!, l2.logits, l2.loss!]);
  });

  it('builds inference prompts ending with the assistant tag (and <start_index> for image tasks)', () => {
    const c = proc.promptIds('What is shown?', { images: 2, task: 'comprehension' });
    expect(c.filter((i) => i === IMAGE_TOKEN_INDEX)).toHaveLength(2);
    expect(tok.decode(c.filter((i) => i >= 0))).toMatch(/<\|assistant\|>\n$/);
    const g = proc.promptIds('Reconstruct this image.', { images: 1, task: 'generation' });
    expect(g[g.length - 1]).toBe(model.config.imageTokens!.start);
    expect(() => proc.promptIds('x', { task: 'segmentation' })).toThrow(/task 'segmentation'/);
    expect(proc.stopTokenIds()).toContain(tok.tokenToId('<|end|>'));
  });

  it('refuses a sample longer than max_length, naming it', () => {
    const long = comprehensionSample('long', 'Is there a mass? '.repeat(200), 'Yes.');
    expect(() => proc.encodeSample(long, [image(8, 8)])).toThrow(expect.objectContaining({ code: 'PROMPT_TOO_LONG', key: 'long' }));
  });

  it('segments of every template (phi3_instruct, phi4_instruct, qwen_2) join to the decoder’s rendering, replies alone supervised', () => {
    const turns = [
      { role: 'user' as const, content: '<image>\nWhich organ?' },
      { role: 'assistant' as const, content: 'The liver.' },
      { role: 'user' as const, content: 'Is there a mass?' },
      { role: 'assistant' as const, content: 'Yes.' },
    ];
    for (const name of ['phi3_instruct', 'phi4_instruct', 'qwen_2'] as const) {
      const segs = conversationSegments(name, turns);
      expect(segs.map((s) => s.text ?? '').join(''), name).toBe(applyChatTemplate(name, turns, { addGenerationPrompt: false }));
      expect(segs.filter((s) => s.supervised).map((s) => (s.text ?? '').startsWith('The liver.') || (s.text ?? '').startsWith('Yes.')), name).toEqual([true, true]);
    }
  });

  it('segments follow the template exactly (qwen_2 too)', () => {
    const segs = conversationSegments('qwen_2', [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }]);
    expect(segs).toEqual([
      { text: '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n', supervised: false },
      { text: 'yo<|im_end|>\n', supervised: true },
    ]);
    expect(() => conversationSegments('qwen_2', [{ role: 'assistant', content: 'x' }])).toThrow(/turn 0 must be the user's/);
    const { ids, labels } = encodeSegments(tok, [{ text: 'ab', supervised: false }, { ids: [5, 6], supervised: true }]);
    expect(labels.slice(-2)).toEqual([5, 6]);
    expect(ids.slice(-2)).toEqual([5, 6]);
  });
});
