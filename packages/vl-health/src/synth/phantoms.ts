import { Generator, type RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError } from '../errors.js';
import { balancedPlan, makeScene, MODALITIES, type Modality } from './scene.js';
import { renderScene } from './render.js';

export interface PhantomOptions {
  /** Image side in pixels, a multiple of 4 in [16, 2048] (default 64). */
  size?: number;
  /** Same seed, same images (default 0). */
  seed?: number;
  /** Multiply each modality's noise level (default 1; 0 = noise-free). */
  noise?: number;
  /** Render every scene in this modality instead of the balanced mix. */
  modality?: Modality;
}

/**
 * `count` phantom images of the synthetic set's kind (head, chest and abdomen scenes, CT / MRI /
 * X-ray in equal shares, 0–3 lesions), as single-channel float [0, 1] RawImages, without
 * questions or files: for image-only uses such as training an image tokenizer.
 */
export function phantomImages(count: number, opts: PhantomOptions = {}): RawImage[] {
  const { size = 64, seed = 0, noise = 1, modality } = opts;
  DatasetError.check(Number.isInteger(count) && count >= 1 && count <= 1_000_000, 'ARGUMENT', () => `'count' passed to 'phantomImages' must be an integer in [1, 1e6], got ${count}`);
  DatasetError.check(Number.isInteger(size) && size >= 16 && size % 4 === 0 && size <= 2048, 'ARGUMENT', () => `'size' passed to 'phantomImages' must be a multiple of 4 in [16, 2048], got ${size}`);
  DatasetError.check(Number.isFinite(noise) && noise >= 0, 'ARGUMENT', () => `'noise' passed to 'phantomImages' must be a finite number >= 0, got ${noise}`);
  DatasetError.check(modality === undefined || MODALITIES.includes(modality), 'ARGUMENT', () => `'modality' passed to 'phantomImages' must be one of ${MODALITIES.join(', ')}, got ${modality}`);
  const rng = new Generator(seed);
  return balancedPlan(count, rng).map((planned, i) => {
    // X-rays are frontal (coronal), as in the balanced plan
    const spec = modality ? { ...planned, modality, plane: modality === 'X-ray' ? ('coronal' as const) : planned.plane } : planned;
    const g = renderScene(makeScene(`phantom-${i}`, spec, rng), { size, noise });
    return { width: g.width, height: g.height, channels: 1, data: g.data };
  });
}
