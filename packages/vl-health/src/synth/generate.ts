import { join } from 'node:path';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { DatasetError } from '../errors.js';
import { Generator } from '@healthgpt/tensor-core/base';
import { boxDownsample, grayToRaw, type Gray } from '../image_ops.js';
import { encodePng } from '../decode/raster.js';
import { writeFileAtomic } from '@healthgpt/tensor-core/base';
import { sampleToRecord, type Sample } from '../schema.js';
import { balancedPlan, makeScene, type Modality, type Scene } from './scene.js';
import { renderScene } from './render.js';
import { caption, closedQuestion, openQuestion, QUESTION_TYPES, report, vqaTurns, YesNoBalancer, type Qa, type QuestionType } from './questions.js';

export const SYNTH_TASKS = ['vqa', 'caption', 'report', 'modality-conversion', 'super-resolution', 'reconstruction', 'denoising'] as const;
export type SynthTask = (typeof SYNTH_TASKS)[number];
const GEN_TASKS: SynthTask[] = ['modality-conversion', 'super-resolution', 'reconstruction', 'denoising'];

/**
 * The answer of a generation sample on disk: empty. Its real answer is the target image's VQ
 * codes as image tokens, which `@healthgpt/model`'s processor fills in from the target image (the
 * image-token vocabulary is spelled in `@healthgpt/vq-tokenizer` alone).
 */
export const GENERATION_ANSWER = '';

export interface SynthOptions {
  /** Same seed, byte-identical output. Default 0. */
  seed?: number;
  /** Number of phantom scenes (each gives one comprehension image and some samples). Default 100. */
  count?: number;
  /** Image size in pixels (multiple of 4; 64 for demos, 256 for the reference's shapes). Default 64. */
  size?: number;
  /** Which tasks to emit (default all). */
  tasks?: readonly SynthTask[];
}

export interface SynthSet {
  samples: Sample[];
  /** Image path (relative to the set's root) → image in [0, 1]. */
  images: Map<string, Gray>;
  scenes: Scene[];
}

const pad = (i: number) => String(i).padStart(5, '0');
const slug = (m: Modality) => m.toLowerCase();

/** One scene's share of the set: the scene, its samples and the images they reference. */
export interface SynthScene {
  scene: Scene;
  samples: Sample[];
  images: Map<string, Gray>;
}

/** Most scenes a set may have (the plan is made up front). */
const MAX_COUNT = 1_000_000;
/** Most pixels `generateSynth` holds in memory (≈ 1 GiB of float images); `writeSynth` streams and has no such bound. */
const MAX_IN_MEMORY_PIXELS = 2 ** 28;

function checkOptions(opts: SynthOptions, fn: string): Required<SynthOptions> {
  const { seed = 0, count = 100, size = 64, tasks = SYNTH_TASKS } = opts;
  DatasetError.check(Number.isFinite(seed), 'ARGUMENT', () => `'seed' passed to '${fn}' must be a finite number, got ${seed}`);
  DatasetError.check(Number.isInteger(count) && count >= 1 && count <= MAX_COUNT, 'ARGUMENT', () => `'count' passed to '${fn}' must be an integer in [1, ${MAX_COUNT}], got ${count}`);
  DatasetError.check(Number.isInteger(size) && size >= 16 && size % 4 === 0 && size <= 2048, 'ARGUMENT', () => `'size' passed to '${fn}' must be a multiple of 4 in [16, 2048], got ${size}`);
  for (const t of tasks) DatasetError.check(SYNTH_TASKS.includes(t), 'ARGUMENT', () => `'tasks' passed to '${fn}' has an unknown task "${t}" (known: ${SYNTH_TASKS.join(', ')})`);
  return { seed, count, size, tasks };
}

/** Generate the synthetic set in memory (see README for its design); large sets: `writeSynth` or `synthScenes`. */
export function generateSynth(opts: SynthOptions = {}): SynthSet {
  const { count, size } = checkOptions(opts, 'generateSynth');
  // up to three images per scene
  DatasetError.check(count * size * size * 3 <= MAX_IN_MEMORY_PIXELS, 'ARGUMENT', () => `generateSynth would hold ${count} scenes of ${size}x${size} px in memory (over ${MAX_IN_MEMORY_PIXELS} pixels): use writeSynth or synthScenes, which go scene by scene`);
  const set: SynthSet = { samples: [], images: new Map(), scenes: [] };
  for (const part of synthScenes(opts)) {
    set.scenes.push(part.scene);
    set.samples.push(...part.samples);
    for (const [k, v] of part.images) set.images.set(k, v);
  }
  return set;
}

/** The synthetic set scene by scene, holding one scene's images at a time (same output as `generateSynth`). */
export function* synthScenes(opts: SynthOptions = {}): IterableIterator<SynthScene> {
  const { seed, count, size, tasks } = checkOptions(opts, 'synthScenes');
  const rng = new Generator(seed);
  const plan = balancedPlan(count, rng);
  const balancer = new YesNoBalancer();
  const has = (t: SynthTask) => tasks.includes(t);
  const genTasks = GEN_TASKS.filter(has);
  const closedCounts = new Map<QuestionType, number>();
  const openCounts = new Map<QuestionType, number>();
  let gen = 0;
  for (const [i, spec] of plan.entries()) {
    const samples: Sample[] = [];
    const images = new Map<string, Gray>();
    const scene = makeScene(`scene-${pad(i)}`, spec, rng);
    fill(i, scene, samples, images);
    yield { scene, samples, images };
  }

  /** One scene's samples and images (a `return` ends the scene early). */
  function fill(i: number, scene: Scene, samples: Sample[], images: Map<string, Gray>): void {
    const imgPath = `images/${scene.id}.png`;
    const main = renderScene(scene, { size });
    images.set(imgPath, main);
    const meta = (extra: Record<string, unknown>) => ({ source: 'vl-health-synth', group: scene.id, scene: describe(scene), ...extra });
    const comp = (id: string, subtask: string, turns: Sample['conversations'], extra: Record<string, unknown>) =>
      samples.push({ id: `${scene.id}-${id}`, task: 'comprehension', subtask, images: [imgPath], conversations: turns, metadata: meta(extra) });
    if (has('vqa')) {
      const closed = nextQa(closedCounts, (t) => {
        const q = closedQuestion(t, scene, balancer.wantYes(t, rng), rng);
        if (q) balancer.record(t, q.answer);
        return q;
      });
      comp('vqa-closed', 'vqa', vqaTurns(closed), { questionType: closed.type, answerType: closed.answerType });
      const open = nextQa(openCounts, (t) => openQuestion(t, scene));
      comp('vqa-open', 'vqa', vqaTurns(open), { questionType: open.type, answerType: open.answerType });
    }
    const text = has('caption') && (!has('report') || i % 2 === 0) ? 'caption' : has('report') ? 'report' : null;
    if (text === 'caption') comp('caption', 'caption', [{ from: 'human', value: '<image>\nDescribe this image in one sentence.' }, { from: 'gpt', value: caption(scene) }], {});
    if (text === 'report') comp('report', 'report', [{ from: 'human', value: '<image>\nWrite a radiology report for this image.' }, { from: 'gpt', value: report(scene) }], {});
    if (!genTasks.length) return;
    let task = genTasks[gen++ % genTasks.length];
    if (task === 'modality-conversion' && scene.modality === 'X-ray') task = genTasks[gen++ % genTasks.length];
    if (task === 'modality-conversion' && scene.modality === 'X-ray') return;
    const g = (input: string, target: string, prompt: string, extra: Record<string, unknown> = {}) =>
      samples.push({
        id: `${scene.id}-${task}`,
        task: 'generation',
        subtask: task,
        images: [input],
        conversations: [{ from: 'human', value: `<image>\n${prompt}` }, { from: 'gpt', value: GENERATION_ANSWER }],
        targetImage: target,
        metadata: meta(extra),
      });
    if (task === 'modality-conversion') {
      const to: Modality = scene.modality === 'CT' ? (i % 2 ? 'MRI-T2' : 'MRI-T1') : 'CT';
      const target = `images/${scene.id}-${slug(to)}.png`;
      images.set(target, renderScene(scene, { size, modality: to }));
      g(imgPath, target, `Convert this ${scene.modality} image into a ${to} image.`, { from: scene.modality, to });
    } else if (task === 'super-resolution') {
      const low = `images/${scene.id}-x4.png`;
      images.set(low, boxDownsample(main, 4));
      g(low, imgPath, 'Increase the resolution of this image by a factor of 4.', { factor: 4, kernel: 'box' });
    } else if (task === 'reconstruction') {
      g(imgPath, imgPath, 'Reconstruct this image.');
    } else {
      const noisy = `images/${scene.id}-noisy.png`;
      const clean = `images/${scene.id}-clean.png`;
      images.set(noisy, renderScene(scene, { size, noise: 5 }));
      images.set(clean, renderScene(scene, { size, noise: 0 }));
      g(noisy, clean, 'Remove the noise from this image.', { noiseFactor: 5 });
    }
  }
}

/** Ask the applicable question type asked least often so far (ties in QUESTION_TYPES order), so every type gets its share. */
function nextQa(counts: Map<QuestionType, number>, make: (t: QuestionType) => Qa | null): Qa {
  const order = [...QUESTION_TYPES].sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0));
  for (const t of order) {
    const q = make(t);
    if (q) {
      counts.set(t, (counts.get(t) ?? 0) + 1);
      return q;
    }
  }
  throw new Error('unreachable: modality questions always apply');
}

/** The scene facts stored in each sample's metadata (every answer is derived from these, which the image shows). */
export function describe(s: Scene): Record<string, unknown> {
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return {
    modality: s.modality,
    organ: s.organ,
    plane: s.plane,
    lesionCount: s.lesions.length,
    side: s.side,
    size: s.size,
    lesions: s.lesions.map((l) => ({ cx: r3(l.cx), cy: r3(l.cy), r: r3(l.r) })),
  };
}

/** The file of samples inside a synthetic set folder. */
export const SYNTH_SAMPLES_FILE = 'samples.json';

/**
 * Write the set as a VL-Health folder: `images/*.png` (8-bit grey), `samples.json` (LLaVA-style
 * records that `readLlavaJson` loads) and `manifest.json` (the options), written last: a folder
 * with a manifest is complete. Byte-identical per seed.
 */
export async function writeSynth(dir: string, opts: SynthOptions = {}): Promise<{ samples: number; images: number }> {
  const { seed, count, size, tasks } = checkOptions(opts, 'writeSynth');
  await mkdir(join(dir, 'images'), { recursive: true });
  // Scene by scene, so memory holds one scene's images. Images are plain writes (an fsync per
  // image would double the time); samples.json and then manifest.json are written atomically,
  // last: a folder with a manifest is complete.
  await rm(join(dir, 'manifest.json'), { force: true });
  const records: Record<string, unknown>[] = [];
  let images = 0;
  for (const part of synthScenes(opts)) {
    for (const [path, img] of part.images) await writeFile(join(dir, path), await encodePng(grayToRaw(img)));
    images += part.images.size;
    records.push(...part.samples.map(sampleToRecord));
  }
  await writeFileAtomic(join(dir, SYNTH_SAMPLES_FILE), JSON.stringify(records, null, 1) + '\n');
  const manifest = { name: 'vl-health-synth', version: 1, seed, count, size, tasks, samples: records.length, images };
  await writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  return { samples: records.length, images };
}
