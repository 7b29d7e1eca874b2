import { expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, type RawImage } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { rawImagesToTensor, toUint8HWC, VQTokenizerError } from './index.js';

describeBackends('images', () => {
  it('maps 8-bit, 16-bit and float RawImages to [-1, 1] NCHW, grey to RGB, alpha dropped', async () => {
    const grey: RawImage = { width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) };
    const rgba: RawImage = { width: 2, height: 1, channels: 4, data: new Uint16Array([0, 65535, 0, 7, 65535, 0, 65535, 9]) };
    const f: RawImage = { width: 2, height: 1, channels: 3, data: new Float32Array([0.5, 0.5, 0.5, 1, 0, 1]) };
    await expectNoLeaks(() => {
      const t = rawImagesToTensor([grey, rgba, f]);
      expect(t.shape).toEqual([3, 3, 1, 2]);
      expectClose(t, [-1, 1, -1, 1, -1, 1, -1, 1, 1, -1, -1, 1, 0, 1, 0, -1, 0, 1], { atol: 1e-6 }, 'pixels');
      return t;
    });
  });

  it('resizes to { size } and rejects mixed sizes without it', () => {
    const a: RawImage = { width: 4, height: 4, channels: 1, data: new Uint8Array(16).fill(255) };
    const b: RawImage = { width: 2, height: 2, channels: 1, data: new Uint8Array(4) };
    expect(() => rawImagesToTensor([a, b])).toThrow(VQTokenizerError);
    expect(() => rawImagesToTensor([a, b])).toThrow(expect.objectContaining({ code: 'IMAGE', record: 1 }));
    const t = rawImagesToTensor([a, b], { size: 3 });
    expect(t.shape).toEqual([2, 3, 3, 3]);
    t.dispose();
    expect(() => rawImagesToTensor({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) })).toThrow(/5 values/);
  });

  it('toUint8HWC truncates like HealthGPT: uint8(255·(clamp(x)+1)/2)', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }), (v) => {
        const t = tf.tensor4d(v, [1, 3, 1, 1]);
        const [img] = toUint8HWC(t);
        t.dispose();
        v.forEach((x, c) => {
          const f = Math.fround;
          const expected = Math.trunc(f(255 * f(f(Math.min(1, Math.max(-1, f(x))) + 1) / 2)));
          expect(img.data[c]).toBe(expected);
        });
      }),
      { numRuns: 15 },
    );
    const t = tf.tensor4d([-1, 0, 1, 0.999, -0.999, 5], [1, 3, 1, 2]);
    expect(Array.from(toUint8HWC(t)[0].data)).toEqual([0, 255, 0, 127, 254, 255]) // HWC: pixel 0 = (−1, 1, −0.999), pixel 1 = (0, 0.999, 5);
    t.dispose();
  });
});
