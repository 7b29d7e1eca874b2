import { Generator } from '@healthgpt/tensor-core/base';
import { boxDownsample, clamp01, gaussianBlur, type Gray } from '../image_ops.js';
import { rasterise, T, TISSUES } from './anatomy.js';
import type { Modality, Scene } from './scene.js';

/**
 * Tissue intensities per modality, in TISSUES order (air, fat, bone, white, grey, csf, lung,
 * muscle, liver, kidney, blood, bowel). Contrasts differ, not just levels: fat is dark on CT and
 * bright on T1; CSF is dark on CT/T1 and bright on T2; bone is bright on CT/X-ray and dark on MRI.
 */
export const TISSUE_INTENSITY: Record<Modality, number[]> = {
  CT: [0, 0.22, 1.0, 0.5, 0.56, 0.36, 0.04, 0.55, 0.62, 0.6, 0.58, 0.45],
  'MRI-T1': [0, 0.92, 0.12, 0.78, 0.55, 0.12, 0.04, 0.4, 0.58, 0.45, 0.2, 0.35],
  'MRI-T2': [0, 0.72, 0.08, 0.4, 0.56, 0.95, 0.04, 0.3, 0.3, 0.65, 0.2, 0.55],
  'X-ray': [0, 0.3, 0.95, 0.5, 0.5, 0.5, 0.1, 0.45, 0.5, 0.5, 0.5, 0.42],
};

/** Blur sigma (pixels at 64 px; scaled with size) and noise sigma per modality. */
const BLUR: Record<Modality, number> = { CT: 0.45, 'MRI-T1': 0.6, 'MRI-T2': 0.6, 'X-ray': 1.1 };
const NOISE: Record<Modality, number> = { CT: 0.02, 'MRI-T1': 0.022, 'MRI-T2': 0.022, 'X-ray': 0.012 };

export interface RenderOptions {
  /** Output width and height in pixels. */
  size: number;
  /** Override the modality of the scene (for exactly paired CT↔MRI renders). */
  modality?: Modality;
  /** Multiply the noise level (0 = noise-free). Default 1. */
  noise?: number;
}

/** A lesion is drawn at its host's intensity ± a fixed contrast, so it is visible in every modality. */
export function lesionIntensity(host: number): number {
  return host < 0.5 ? host + 0.4 : host - 0.35;
}

/**
 * Render a scene as an image in [0, 1]: supersample the label map 2×, map tissues to the
 * modality's intensities (X-ray adds a thickness term, MRI a smooth bias field), blur, rescale to
 * a random target mean (identically distributed across modalities, so brightness alone does not
 * tell the modality), add modality noise (Rician for MRI). Deterministic in the scene.
 */
export function renderScene(scene: Scene, opts: RenderOptions): Gray {
  const { size, noise = 1 } = opts;
  const modality = opts.modality ?? scene.modality;
  const rng = new Generator(scene.renderSeed);
  const ss = size * 2;
  const labels = rasterise(scene.shapes, scene.lesions, ss, scene.jitter);
  const hostLabels = scene.lesions.length ? rasterise(scene.shapes, [], ss, scene.jitter) : labels;
  const table = TISSUE_INTENSITY[modality];
  let img: Gray = { width: ss, height: ss, data: new Float32Array(ss * ss) };
  for (let i = 0; i < labels.length; i++) img.data[i] = labels[i] === T.lesion ? lesionIntensity(table[hostLabels[i]]) : table[labels[i]];
  if (modality === 'X-ray') {
    const body: Gray = { width: ss, height: ss, data: new Float32Array(ss * ss) };
    for (let i = 0; i < labels.length; i++) body.data[i] = labels[i] === T.air ? 0 : 1;
    const thick = gaussianBlur(body, ss * 0.12);
    for (let i = 0; i < labels.length; i++) if (labels[i] !== T.air) img.data[i] += 0.25 * thick.data[i];
  } else if (modality !== 'CT') {
    const a = rng.between(0.5, 1.5) * Math.PI;
    const ph = rng.between(0, 2 * Math.PI);
    for (let y = 0; y < ss; y++)
      for (let x = 0; x < ss; x++) img.data[y * ss + x] *= 1 + 0.1 * Math.cos((a * (x * Math.cos(ph) + y * Math.sin(ph))) / ss + ph);
  }
  img = gaussianBlur(boxDownsample(img, 2), (BLUR[modality] * size) / 64);
  let mean = 0;
  for (const v of img.data) mean += v;
  mean /= img.data.length;
  const gain = rng.between(0.22, 0.38) / Math.max(mean, 1e-6);
  const sigma = NOISE[modality] * noise;
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] * gain;
    if (modality.startsWith('MRI')) {
      const re = v + sigma * rng.normal();
      const im = sigma * rng.normal();
      d[i] = Math.sqrt(re * re + im * im);
    } else d[i] = v + sigma * rng.normal();
  }
  return clamp01(img);
}

export { TISSUES };
