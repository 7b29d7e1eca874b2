import type { Generator } from '@healthgpt/tensor-core/base';
import { DatasetError } from '../errors.js';
import { anatomy, labelAt, LESION_HOSTS, randomJitter, type Jitter, type Lesion, type Organ, type Plane, type Shape } from './anatomy.js';

export const MODALITIES = ['CT', 'MRI-T1', 'MRI-T2', 'X-ray'] as const;
export type Modality = (typeof MODALITIES)[number];
export const ORGANS: readonly Organ[] = ['head', 'chest', 'abdomen'];
export type Side = 'left' | 'right';
export type SizeClass = 'small' | 'large';

/** Lesion radii in image units ([-1, 1] across): diameters 5.5–7 % (small) and 11–13 % (large) of the image width. */
export const LESION_RADIUS: Record<SizeClass, [number, number]> = { small: [0.055, 0.07], large: [0.11, 0.13] };

/** Everything the image shows, from which every answer is derived. */
export interface Scene {
  id: string;
  organ: Organ;
  plane: Plane;
  modality: Modality;
  jitter: Jitter;
  /** Lesions (empty when normal); all on one side of the patient, all of one size class. */
  lesions: Lesion[];
  /** The patient's side (radiological convention: the patient's left is on the image's right). */
  side: Side | null;
  size: SizeClass | null;
  shapes: Shape[];
  /** Per-scene randomness for rendering (noise, gain, bias field). */
  renderSeed: number;
}

/** Attributes chosen up front, balanced over the whole set (see `balancedPlan`). */
export interface SceneSpec {
  organ: Organ;
  plane: Plane;
  modality: Modality;
  count: number;
  side: Side | null;
  size: SizeClass | null;
}

/**
 * Draw `n` scene specifications so each attribute is as balanced as possible: modalities and
 * organs in equal shares, half of the scenes with lesions, sides and sizes half-and-half, counts
 * 1 : 2 : 3 in proportion 2 : 1 : 1 (so "more than one lesion?" is balanced too). X-ray scenes
 * are frontal (coronal); the others are half axial, half coronal.
 */
export function balancedPlan(n: number, rng: Generator): SceneSpec[] {
  const cycle = <T>(xs: readonly T[]) => rng.shuffle(Array.from({ length: n }, (_, i) => xs[i % xs.length]));
  const modality = cycle(MODALITIES);
  const organ = cycle(ORGANS);
  const plane = cycle<Plane>(['axial', 'coronal']);
  const present = cycle([true, false]);
  const side = cycle<Side>(['left', 'right']);
  const size = cycle<SizeClass>(['small', 'large']);
  const count = cycle([1, 2, 1, 3]);
  return modality.map((m, i) => ({
    modality: m,
    organ: organ[i],
    plane: m === 'X-ray' ? 'coronal' : plane[i],
    count: present[i] ? count[i] : 0,
    side: present[i] ? side[i] : null,
    size: present[i] ? size[i] : null,
  }));
}

/** Build a scene from its spec: jitter the anatomy and place the lesions inside their host tissue. */
export function makeScene(id: string, spec: SceneSpec, rng: Generator): Scene {
  const shapes = anatomy(spec.organ, spec.plane);
  for (let attempt = 0; ; attempt++) {
    const jitter = randomJitter(rng);
    const lesions = placeLesions(spec, shapes, jitter, rng);
    if (lesions || attempt > 50) {
      if (!lesions) throw new DatasetError('ARGUMENT', `vl-health-synth: cannot place ${spec.count} ${spec.size} lesions in ${spec.organ} ${spec.plane}`);
      return { id, ...spec, jitter, lesions, shapes, renderSeed: Math.floor(rng.random() * 2 ** 31) };
    }
  }
}

function placeLesions(spec: SceneSpec, shapes: Shape[], j: Jitter, rng: Generator): Lesion[] | null {
  if (spec.count === 0) return [];
  const hosts = LESION_HOSTS[spec.organ];
  const [r0, r1] = LESION_RADIUS[spec.size!];
  const sign = spec.side === 'left' ? 1 : -1; // patient's left = image right (x > 0)
  const out: Lesion[] = [];
  for (let tries = 0; out.length < spec.count && tries < 1000; tries++) {
    const r = rng.between(r0, r1);
    const cx = sign * rng.between(r + 0.06, 0.85);
    const cy = rng.between(-0.9, 0.9);
    if (out.some((l) => Math.hypot(l.cx - cx, l.cy - cy) < l.r + r + 0.06)) continue;
    // the whole disc (and a rim around it) lies in one host tissue: a lesion across two tissues
    // of opposite contrast would average out and be invisible
    const host = labelAt(shapes, j, cx, cy);
    let ok = hosts.includes(host);
    for (let k = 0; ok && k < 16; k++) {
      const t = (k * Math.PI) / 8;
      ok = labelAt(shapes, j, cx + 1.1 * r * Math.cos(t), cy + 1.1 * r * Math.sin(t)) === host;
    }
    if (ok) out.push({ cx, cy, r });
  }
  return out.length === spec.count ? out : null;
}
