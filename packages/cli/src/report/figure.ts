import type { RawImage } from '@healthgpt/tensor-core/base';

/** One pixel of any `RawImage` as 8-bit RGB (grey replicated; 16-bit and float [0, 1] scaled). */
function rgbAt(img: RawImage, x: number, y: number): [number, number, number] {
  const scale = img.data instanceof Uint8Array ? 1 : img.data instanceof Uint16Array ? 255 / 65535 : 255;
  const i = (y * img.width + x) * img.channels;
  const v = (k: number) => Math.max(0, Math.min(255, Math.round(img.data[i + k] * scale)));
  return img.channels === 1 ? [v(0), v(0), v(0)] : [v(0), v(1), v(2)];
}

/**
 * A picture of rows of images (e.g. input, target, output per generation task): each image scaled
 * to `cell`×`cell` by nearest neighbour (pixels stay visible), `gap` pixels of white between them.
 * An 8-bit RGB `RawImage`, for `encodePng`.
 */
export function composeGrid(rows: readonly (readonly RawImage[])[], { cell = 96, gap = 6 }: { cell?: number; gap?: number } = {}): RawImage {
  const cols = Math.max(...rows.map((r) => r.length));
  const width = cols * cell + (cols + 1) * gap;
  const height = rows.length * cell + (rows.length + 1) * gap;
  const data = new Uint8Array(width * height * 3).fill(255);
  rows.forEach((row, r) =>
    row.forEach((img, c) => {
      const ox = gap + c * (cell + gap);
      const oy = gap + r * (cell + gap);
      for (let y = 0; y < cell; y++)
        for (let x = 0; x < cell; x++) {
          const px = rgbAt(img, Math.min(img.width - 1, Math.floor((x * img.width) / cell)), Math.min(img.height - 1, Math.floor((y * img.height) / cell)));
          data.set(px, ((oy + y) * width + ox + x) * 3);
        }
    }),
  );
  return { width, height, channels: 3, data };
}
