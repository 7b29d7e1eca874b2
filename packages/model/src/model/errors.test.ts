import { describe, it, expect, afterAll } from 'vitest';
import { tf } from '@healthgpt/tensor-core';
import { IMAGE_TOKEN_INDEX } from '@healthgpt/decoder';
import { expectNoLeaks } from '@healthgpt/testing';
import { ModelError } from '../index.js';
import { tinyModel, image } from '../../test/tiny.test_util.js';

/** Run `fn` and return the ModelError it throws. */
function caught(fn: () => unknown): ModelError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  return expect.fail('no error thrown');
}

describe('typed errors for bad input', () => {
  const model = tinyModel();
  const s = model.config.vision.image_size;
  const ids = [[1, 5, IMAGE_TOKEN_INDEX, 7, 8]];
  afterAll(() => model.dispose());

  it('an image of the wrong size or channel count', () => {
    const small = tf.zeros([1, 3, s / 2, s / 2]);
    const gray = tf.zeros([1, 1, s, s]);
    const nhwc = tf.zeros([1, s, s, 3]);
    expect(caught(() => model.forward({ inputIds: ids, pixelValues: small })).code).toBe('IMAGE');
    expect(caught(() => model.forward({ inputIds: ids, pixelValues: small })).message).toMatch(new RegExp(`must be ${s}×${s} \\(the tower's image_size\\), got ${s / 2}×${s / 2}`));
    expect(caught(() => model.forward({ inputIds: ids, pixelValues: gray })).message).toMatch(/must have 3 channels \(NCHW\), got 1/);
    expect(caught(() => model.forward({ inputIds: ids, pixelValues: nhwc })).message).toMatch(/must have 3 channels/);
    expect(caught(() => model.comprehend({ width: 8, height: 8, channels: 2 as never, data: new Uint8Array(128) }, 'q')).code).toBe('IMAGE');
    expect(caught(() => model.comprehend({ width: 0, height: 8, channels: 3, data: new Uint8Array(0) }, 'q')).message).toMatch(/invalid size 0×8/);
    tf.dispose([small, gray, nhwc]);
  });

  it('more <image> tags than images (and the other way round), per row', () => {
    const one = tf.zeros([1, 3, s, s]);
    const e = caught(() => model.forward({ inputIds: [[1, IMAGE_TOKEN_INDEX, IMAGE_TOKEN_INDEX, 4]], pixelValues: one }));
    expect(e.code).toBe('IMAGE_COUNT');
    expect(e.message).toMatch(/hold 2 <image> tag\(s\) \(row 0: 2\) but 1 image\(s\)/);
    expect(caught(() => model.forward({ inputIds: [[1, 2, 3]], pixelValues: one })).code).toBe('IMAGE_COUNT');
    expect(caught(() => model.forward({ inputIds: ids })).code).toBe('IMAGE_COUNT');
    one.dispose();
  });

  it('a task that does not exist', () => {
    const e = caught(() => model.forward({ inputIds: [[1, 2, 3]], task: 'segmentation' }));
    expect(e.code).toBe('UNKNOWN_TASK');
    expect(e.message).toMatch(/unknown task 'segmentation' \(this model has: comprehension, generation\)/);
    expect(e.key).toBe('segmentation');
    expect(caught(() => model.comprehend(image(8, 8), 'q', { task: 'generation' })).message).toMatch(/task 'generation' outputs image, not text/);
    expect(caught(() => model.generateImage(image(8, 8), 'q', { task: 'nope' })).code).toBe('UNKNOWN_TASK');
  });

  it('an overlong prompt, in the forward and in generation', () => {
    const long = [[1, ...new Array(model.config.maxLength).fill(5)]];
    const e = caught(() => model.forward({ inputIds: long }));
    expect(e.code).toBe('PROMPT_TOO_LONG');
    expect(e.record).toBe(0);
    expect(e.message).toMatch(new RegExp(`more than max_length ${model.config.maxLength}`));
    const p = model.patchesPerImage;
    const nearly = [[...new Array(model.config.maxLength - p - 5).fill(5), IMAGE_TOKEN_INDEX]];
    const img = tf.zeros([1, 3, s, s]);
    expect(caught(() => model.generate({ inputIds: nearly, pixelValues: img }, { maxNewTokens: 10 })).message).toMatch(/\+ 10 to generate/);
    expect(caught(() => model.comprehend(image(8, 8), 'Is there a mass? '.repeat(300))).code).toBe('PROMPT_TOO_LONG');
    img.dispose();
  });

  it('bad ids and shapes name the row and position', () => {
    expect(caught(() => model.forward({ inputIds: [[1, 2, 99999]] })).message).toMatch(/row 0: 99999 at position 2 is neither a token id/);
    expect(caught(() => model.forward({ inputIds: [[1, 2]], attentionMask: [[1]] })).message).toMatch(/'attentionMask' .* must have the shape of 'inputIds'/);
    expect(caught(() => model.forward({ inputIds: [[1, 2]], attentionMask: [[0, 0]] })).message).toMatch(/row 0 of 'inputIds' has no unmasked token/);
  });

  it('a failing call leaks no tensor', async () => {
    const small = tf.zeros([1, 3, 4, 4]);
    await expectNoLeaks(() => {
      expect(() => model.forward({ inputIds: ids, pixelValues: small })).toThrow(ModelError);
    }, { what: "rejected forward" });
    small.dispose();
  });
});
