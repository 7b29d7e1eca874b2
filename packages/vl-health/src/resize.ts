import sharp from 'sharp';
import type { RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError } from './errors.js';
import { checkPixelCount, DEFAULT_MAX_PIXELS } from './safety.js';

export interface ResizeOptions {
  /** libvips kernel (default `linear`: antialiased when shrinking). */
  kernel?: 'nearest' | 'linear' | 'cubic' | 'lanczos3';
  /** Largest output width × height (default 64 Mpx). */
  maxPixels?: number;
  /** Named in errors. */
  file?: string;
}

/**
 * Resize a RawImage to `width` × `height` (aspect not kept) with sharp. 8- and 16-bit images are
 * resized at their depth; float images ([0, 1]) go through 16 bits (libvips' raw output of one
 * float band is 8-bit), so values come back quantised to 1/65535.
 */
export async function resizeImage(img: RawImage, width: number, height: number, opts: ResizeOptions = {}): Promise<RawImage> {
  const { kernel = 'linear', maxPixels = DEFAULT_MAX_PIXELS, file } = opts;
  DatasetError.check(Number.isInteger(width) && width >= 1 && Number.isInteger(height) && height >= 1, 'ARGUMENT', () => `'width' and 'height' passed to 'resizeImage' must be positive integers, got ${width}x${height}`);
  checkPixelCount([width, height], maxPixels, file);
  DatasetError.check(img.data.length === img.width * img.height * img.channels, 'ARGUMENT', () => `image data length ${img.data.length} != ${img.width}x${img.height}x${img.channels}`, { file });
  const float = img.data instanceof Float32Array;
  const input = float ? toUint16(img.data as Float32Array) : img.data;
  const wide = !(input instanceof Uint8Array);
  let p = sharp(input, { raw: { width: img.width, height: img.height, channels: img.channels } }).resize(width, height, { fit: 'fill', kernel });
  p = img.channels === 1 ? p.toColourspace(wide ? 'grey16' : 'b-w') : p.toColourspace(wide ? 'rgb16' : 'srgb');
  const { data, info } = await p.raw({ depth: wide ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== img.channels) throw new DatasetError('DECODE', `resize changed the channel count from ${img.channels} to ${info.channels}`, { file });
  if (!wide) return { width, height, channels: img.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  const u16 = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return { width, height, channels: img.channels, data: float ? fromUint16(u16) : u16 };
}

function toUint16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    out[i] = v > 0 ? (v < 1 ? Math.round(v * 65535) : 65535) : 0; // NaN -> 0
  }
  return out;
}

function fromUint16(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] / 65535;
  return out;
}
