import type { Generator } from '@healthgpt/tensor-core/base';

/** Tissue classes of the phantoms; each modality maps them to its own intensities. */
export const TISSUES = ['air', 'fat', 'bone', 'white', 'grey', 'csf', 'lung', 'muscle', 'liver', 'kidney', 'blood', 'bowel', 'lesion'] as const;
export type Tissue = (typeof TISSUES)[number];
export const T: Record<Tissue, number> = Object.fromEntries(TISSUES.map((t, i) => [t, i])) as Record<Tissue, number>;

export type Organ = 'head' | 'chest' | 'abdomen';
export type Plane = 'axial' | 'coronal';

/** A filled shape in image units: x right, y down, both in [-1, 1]. */
export type Shape =
  | { kind: 'ellipse'; cx: number; cy: number; a: number; b: number; rot: number; tissue: number }
  | { kind: 'rect'; x0: number; y0: number; x1: number; y1: number; tissue: number };

/** A lesion: a disc in image units. */
export interface Lesion {
  cx: number;
  cy: number;
  r: number;
}

const E = (cx: number, cy: number, a: number, b: number, tissue: Tissue, rot = 0): Shape => ({ kind: 'ellipse', cx, cy, a, b, rot, tissue: T[tissue] });
const R = (x0: number, y0: number, x1: number, y1: number, tissue: Tissue): Shape => ({ kind: 'rect', x0, y0, x1, y1, tissue: T[tissue] });

/** The painter's list of shapes of an organ in a plane (later shapes overwrite earlier ones). */
export function anatomy(organ: Organ, plane: Plane): Shape[] {
  if (organ === 'head' && plane === 'axial')
    return [E(0, 0, 0.72, 0.88, 'fat'), E(0, 0, 0.67, 0.83, 'bone'), E(0, 0, 0.61, 0.77, 'grey'), E(0, 0.02, 0.49, 0.63, 'white'),
      E(-0.11, -0.04, 0.06, 0.22, 'csf', 0.25), E(0.11, -0.04, 0.06, 0.22, 'csf', -0.25), R(-0.012, -0.77, 0.012, -0.3, 'csf')];
  if (organ === 'head')
    return [R(-0.26, 0.45, 0.26, 1, 'muscle'), E(0, -0.12, 0.72, 0.76, 'fat'), E(0, -0.12, 0.67, 0.71, 'bone'), E(0, -0.12, 0.61, 0.65, 'grey'),
      E(0, -0.18, 0.49, 0.48, 'white'), E(-0.09, -0.1, 0.05, 0.12, 'csf', -0.3), E(0.09, -0.1, 0.05, 0.12, 'csf', 0.3), R(-0.07, 0.3, 0.07, 0.85, 'white'), R(-0.012, -0.77, 0.012, -0.45, 'csf')];
  if (organ === 'chest' && plane === 'axial') {
    const ribs: Shape[] = [];
    for (let i = 0; i < 10; i++) {
      const t = -Math.PI * 0.9 + (i * Math.PI * 1.8) / 9;
      ribs.push(E(0.84 * Math.cos(t + Math.PI / 2) * 1.02, 0.05 + 0.55 * Math.sin(t + Math.PI / 2), 0.035, 0.035, 'bone'));
    }
    return [E(0, 0.05, 0.93, 0.63, 'fat'), E(0, 0.05, 0.86, 0.56, 'muscle'), ...ribs, E(-0.42, 0.03, 0.36, 0.47, 'lung'), E(0.42, 0.03, 0.36, 0.47, 'lung'),
      E(0.1, -0.12, 0.22, 0.2, 'blood'), E(0, 0.46, 0.09, 0.09, 'bone'), E(0.07, 0.3, 0.05, 0.05, 'blood'), R(-0.05, -0.57, 0.05, -0.48, 'bone')];
  }
  if (organ === 'chest')
    return [E(0, 0.05, 0.9, 0.96, 'fat'), E(0, 0.05, 0.84, 0.9, 'muscle'), E(-0.32, 0.8, 0.45, 0.3, 'liver'), E(-0.39, -0.12, 0.31, 0.62, 'lung'), E(0.39, -0.12, 0.31, 0.62, 'lung'),
      E(0.08, 0.28, 0.27, 0.22, 'blood'), E(-0.35, -0.78, 0.3, 0.035, 'bone', 0.15), E(0.35, -0.78, 0.3, 0.035, 'bone', -0.15), R(-0.05, -0.9, 0.05, 0.9, 'bone')];
  if (plane === 'axial')
    return [E(0, 0.05, 0.91, 0.66, 'fat'), E(0, 0.05, 0.84, 0.59, 'muscle'), E(0, 0.0, 0.76, 0.47, 'bowel'), E(-0.36, -0.05, 0.38, 0.33, 'liver'), E(0.52, 0.02, 0.15, 0.21, 'liver', 0.3),
      E(-0.35, 0.32, 0.12, 0.16, 'kidney', 0.4), E(0.35, 0.32, 0.12, 0.16, 'kidney', -0.4), E(0, 0.44, 0.1, 0.1, 'bone'), E(0.06, 0.25, 0.05, 0.05, 'blood')];
  return [E(0, 0.05, 0.86, 0.96, 'fat'), E(0, 0.05, 0.8, 0.9, 'muscle'), E(-0.42, -0.93, 0.3, 0.12, 'lung'), E(0.42, -0.93, 0.3, 0.12, 'lung'), E(0, 0.2, 0.7, 0.62, 'bowel'),
    E(-0.34, -0.42, 0.43, 0.31, 'liver'), E(0.46, -0.45, 0.16, 0.23, 'liver'), E(-0.33, 0.08, 0.11, 0.2, 'kidney', 0.15), E(0.33, 0.08, 0.11, 0.2, 'kidney', -0.15), R(-0.07, -0.85, 0.07, 0.95, 'bone')];
}

/** Tissues a lesion of an organ may sit in. */
export const LESION_HOSTS: Record<Organ, number[]> = {
  head: [T.white, T.grey],
  chest: [T.lung],
  abdomen: [T.liver, T.bowel],
};

/** A random similarity jitter applied to a whole scene (so no two phantoms are alike). */
export interface Jitter {
  scale: number;
  aspect: number;
  rot: number;
  dx: number;
  dy: number;
}

export function randomJitter(rng: Generator): Jitter {
  return { scale: rng.between(0.9, 1.04), aspect: rng.between(0.95, 1.05), rot: rng.between(-0.08, 0.08), dx: rng.between(-0.03, 0.03), dy: rng.between(-0.03, 0.03) };
}

/**
 * Rasterise shapes (and lesions, painted last as `lesion`) to a label map of `size`×`size`,
 * sampling each pixel centre. The jitter maps image coordinates back into anatomy coordinates.
 */
export function rasterise(shapes: Shape[], lesions: Lesion[], size: number, j: Jitter): Uint8Array {
  const out = new Uint8Array(size * size);
  const c = Math.cos(-j.rot);
  const s = Math.sin(-j.rot);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const ix = ((px + 0.5) / size) * 2 - 1;
      const iy = ((py + 0.5) / size) * 2 - 1;
      const [x, y] = toAnatomy(ix, iy, j, c, s);
      let label = 0;
      for (const sh of shapes) if (inside(sh, x, y)) label = sh.tissue;
      for (const l of lesions) if ((ix - l.cx) ** 2 + (iy - l.cy) ** 2 <= l.r * l.r) label = T.lesion;
      out[py * size + px] = label;
    }
  }
  return out;
}

function toAnatomy(ix: number, iy: number, j: Jitter, c: number, s: number): [number, number] {
  const x0 = (ix - j.dx) / (j.scale * j.aspect);
  const y0 = (iy - j.dy) / j.scale;
  return [c * x0 - s * y0, s * x0 + c * y0];
}

function inside(sh: Shape, x: number, y: number): boolean {
  if (sh.kind === 'rect') return x >= sh.x0 && x <= sh.x1 && y >= sh.y0 && y <= sh.y1;
  const dx = x - sh.cx;
  const dy = y - sh.cy;
  const c = Math.cos(sh.rot);
  const s = Math.sin(sh.rot);
  const u = (c * dx + s * dy) / sh.a;
  const v = (-s * dx + c * dy) / sh.b;
  return u * u + v * v <= 1;
}

/** The tissue label at an image point (for lesion placement). */
export function labelAt(shapes: Shape[], j: Jitter, ix: number, iy: number): number {
  const [x, y] = toAnatomy(ix, iy, j, Math.cos(-j.rot), Math.sin(-j.rot));
  let label = 0;
  for (const sh of shapes) if (inside(sh, x, y)) label = sh.tissue;
  return label;
}
