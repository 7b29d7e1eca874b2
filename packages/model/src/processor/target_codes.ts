import { tf, type RawImage } from '@healthgpt/tensor-core';
import { rawImagesToTensor, type VQTokenizer } from '@healthgpt/vq-tokenizer';

/**
 * The VQ codes of generation targets, computed once per image: by key (a sample's
 * `targetImage` path) when given, else by image object. Images are prepared with the VQ
 * tokenizer's own preprocessing (RGB in [−1, 1] at its training resolution).
 */
export class TargetCodeCache {
  private readonly byKey = new Map<string, number[]>();
  private readonly byImage = new WeakMap<RawImage, number[]>();
  /** Encodes run so far (cache misses). */
  computed = 0;

  constructor(readonly vq: VQTokenizer) {}

  /** Raster-order codes of `image` (h·w of them). */
  codes(image: RawImage, key?: string): number[] {
    const hit = key !== undefined ? this.byKey.get(key) : this.byImage.get(image);
    if (hit) return hit;
    const codes = tf.tidy(() => Array.from(this.vq.encode(rawImagesToTensor(image, { size: this.vq.config.ddconfig.resolution })).dataSync()));
    this.computed++;
    if (key !== undefined) this.byKey.set(key, codes);
    else this.byImage.set(image, codes);
    return codes;
  }

  get size(): number {
    return this.byKey.size;
  }

  clear(): void {
    this.byKey.clear();
  }
}
