import type { RawImage } from '@healthgpt/tensor-core';
import { VisionEncoderError } from '../errors.js';

/** An 8-bit RGB image, HWC interleaved; a `RawImage` with 3 channels of uint8. */
export interface Rgb8Image {
  width: number;
  height: number;
  channels: 3;
  data: Uint8Array;
}

/** Throw a `VisionEncoderError` unless `image` is a well-formed `RawImage`. */
export function validateRawImage(image: RawImage, op = 'toRgb8'): void {
  VisionEncoderError.check(image !== null && typeof image === 'object', 'ARGUMENT', `'image' passed to '${op}' must be a RawImage object`);
  const { width, height, channels, data } = image;
  VisionEncoderError.check(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0, 'ARGUMENT', () =>
    `'image' passed to '${op}' must have positive integer width and height, got ${width}x${height}`);
  VisionEncoderError.check(channels === 1 || channels === 3 || channels === 4, 'ARGUMENT', () => `'image.channels' passed to '${op}' must be 1, 3 or 4, got ${channels}`);
  VisionEncoderError.check(data instanceof Uint8Array || data instanceof Uint16Array || data instanceof Float32Array, 'ARGUMENT', () =>
    `'image.data' passed to '${op}' must be a Uint8Array, Uint16Array or Float32Array`);
  VisionEncoderError.check(data.length === width * height * channels, 'ARGUMENT', () =>
    `'image.data' passed to '${op}' must hold width·height·channels = ${width * height * channels} values, got ${data.length}`);
}

/**
 * The most pixels an image may have at any step of preprocessing (the input, its padded square,
 * its resized form): 2²⁶ (e.g. 8192 × 8192, 192 MiB as 8-bit RGB), so a long thin image or a
 * resize cannot ask for unbounded memory.
 */
export const MAX_IMAGE_PIXELS = 2 ** 26;

/** Refuse a `width` × `height` step over `MAX_IMAGE_PIXELS` with an error naming the step and the op. */
export function checkPixels(width: number, height: number, what: string, op: string): void {
  VisionEncoderError.check(width * height <= MAX_IMAGE_PIXELS, 'ARGUMENT', () =>
    `${what} in '${op}' would be ${width}x${height} = ${width * height} pixels, more than MAX_IMAGE_PIXELS (${MAX_IMAGE_PIXELS})`);
}

/** One sample as 8 bits: uint8 as is, uint16 → round(v / 257), float [0, 1] → round(255·clamp(v)) (NaN → 0). */
function to8(data: RawImage['data']): (i: number) => number {
  if (data instanceof Uint8Array) return (i) => data[i];
  if (data instanceof Uint16Array) return (i) => Math.round(data[i] / 257);
  return (i) => {
    const v = data[i];
    return v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
  };
}

/**
 * Any `RawImage` as 8-bit RGB, as PIL's `convert('RGB')` does in the reference pipeline:
 * grayscale is replicated into the three channels and alpha is dropped (not composited). 16-bit
 * and float images are first reduced to 8 bits (the reference processes 8-bit RGB only).
 */
export function toRgb8(image: RawImage): Rgb8Image {
  validateRawImage(image);
  const { width, height, channels, data } = image;
  if (channels === 3 && data instanceof Uint8Array) return { width, height, channels: 3, data };
  const at = to8(data);
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = at(channels === 1 ? p : p * channels + c);
  }
  return { width, height, channels: 3, data: out };
}
