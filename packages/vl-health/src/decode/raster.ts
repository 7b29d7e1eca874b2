import sharp from 'sharp';
import type { RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError } from '../errors.js';
import { DEFAULT_MAX_PIXELS } from '../safety.js';

export interface RasterOptions {
  /** `keep` (default): the file's channels without alpha; `gray`: 1 channel; `rgb`: 3 channels. */
  mode?: 'keep' | 'gray' | 'rgb';
  maxPixels?: number;
  /** Resize while decoding (sharp, area-aware; aspect not kept): much faster than resizing a large decoded image in JS. */
  resize?: { width: number; height: number };
  /** Named in errors. */
  file?: string;
}

/** Decode PNG / JPEG / WebP bytes with sharp into an 8-bit HWC `RawImage` (alpha dropped). */
export async function decodeRaster(bytes: Uint8Array, opts: RasterOptions = {}): Promise<RawImage> {
  const { mode = 'keep', maxPixels = DEFAULT_MAX_PIXELS, file } = opts;
  try {
    let img = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', sequentialRead: true }).removeAlpha();
    const meta = mode === 'keep' ? await img.metadata() : null;
    const grey = mode === 'gray' || (meta !== null && ((meta.channels ?? 3) <= 2 || meta.space === 'b-w' || meta.space === 'grey16'));
    if (grey) img = img.greyscale();
    if (opts.resize) img = img.resize(opts.resize.width, opts.resize.height, { fit: 'fill' });
    else if (mode === 'rgb') img = img.toColourspace('srgb');
    const { data, info } = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    if (channels !== 1 && channels !== 3 && channels !== 4) throw new Error(`unexpected channel count ${channels}`);
    const out = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { width: info.width, height: info.height, channels, data: out };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const code = /pixel limit/i.test(msg) ? 'TOO_LARGE' : 'DECODE';
    throw new DatasetError(code, `cannot decode image: ${msg}`, { file, cause: e });
  }
}

/** Encode an 8-bit (or [0, 1] float) RawImage as PNG bytes, deterministically (fixed zlib level, no metadata). */
export async function encodePng(img: RawImage): Promise<Uint8Array> {
  const data = img.data instanceof Uint8Array ? img.data : toUint8(img.data);
  let pipeline = sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    raw: { width: img.width, height: img.height, channels: img.channels },
  });
  if (img.channels === 1) pipeline = pipeline.toColourspace('b-w'); // keep one channel in the file
  const buf = await pipeline
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Float [0, 1] or 16-bit data to 8-bit (rounded, clamped). */
export function toUint8(data: Uint16Array | Float32Array): Uint8Array {
  const out = new Uint8Array(data.length);
  const scale = data instanceof Uint16Array ? 255 / 65535 : 255;
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(data[i] * scale);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}
