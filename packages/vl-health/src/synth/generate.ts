import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { DatasetError } from '../errors.js';
import { Rng } from '../rng.js';
import { boxDownsample, grayToRaw, type Gray } from '../image-ops.js';
import { encodePng } from '../decode/raster.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { sampleToRecord, type Sample } from '../schema.js';
import { balancedPlan, makeScene, type Modality, type Scene } from './scene.js';
import { renderScene } from './render.js';
import { caption, closedQuestion, openQuestion, QUESTION_TYPES, report, vqaTurns, YesNoBalancer, type Qa, type QuestionType } from './questions.js';

export const SYNTH_TASKS = ['vqa', 'caption', 'report', 'modality-conversion', 'super-resolution', 'reconstruction', 'denoising'] as const;
export type SynthTask = (typeof SYNTH_TASKS)[number];
const GEN_TASKS: SynthTask[] = ['modality-conversion', 'super-resolution', 'reconstruction', 'denoising'];

/** The answer of a generation sample: the trainer fills in the target image's VQ indices. */
export const GENERATION_ANSWER = '<start_index><end_index>';

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

/** Generate the synthetic set in memory (see README for its design). */
export function generateSynth(opts: SynthOptions = {}): SynthSet {
  const { seed = 0, count = 100, size = 64, tasks = SYNTH_TASKS } = opts;
  DatasetError.check(Number.isInteger(count) && count >= 1, 'ARGUMENT', `generateSynth: 'count' must be a positive integer, got ${count}`);
  DatasetError.check(Number.isInteger(size) && size >= 16 && size % 4 === 0 && size <= 2048, 'ARGUMENT', `generateSynth: 'size' must be a multiple of 4 in [16, 2048], got ${size}`);
  for (const t of tasks) DatasetError.check(SYNTH_TASKS.includes(t), 'ARGUMENT', `generateSynth: unknown task "${t}"`);
  const rng = new Rng(seed);
  const plan = balancedPlan(count, rng);
  const balancer = new YesNoBalancer();
  const samples: Sample[] = [];
  const images = new Map<string, Gray>();
  const scenes: Scene[] = [];
  const has = (t: SynthTask) => tasks.includes(t);
  const genTasks = GEN_TASKS.filter(has);
  const closedCounts = new Map<QuestionType, number>();
  const openCounts = new Map<QuestionType, number>();
  let gen = 0;
  plan.forEach((spec, i) => {
    const scene = makeScene(`scene-${pad(i)}`, spec, rng);
    scenes.push(scene);
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
  });
  return { samples, images, scenes };
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
 * records that `readLlavaJson` loads) and `manifest.json` (the options). Byte-identical per seed.
 */
export async function writeSynth(dir: string, opts: SynthOptions = {}): Promise<{ samples: number; images: number }> {
  const set = generateSynth(opts);
  await mkdir(join(dir, 'images'), { recursive: true });
  for (const [path, img] of set.images) await writeFileAtomic(join(dir, path), await encodePng(grayToRaw(img)));
  const records = set.samples.map(sampleToRecord);
  await writeFileAtomic(join(dir, SYNTH_SAMPLES_FILE), JSON.stringify(records, null, 1) + '\n');
  const { seed = 0, count = 100, size = 64, tasks = SYNTH_TASKS } = opts;
  const manifest = { name: 'vl-health-synth', version: 1, seed, count, size, tasks, samples: records.length, images: set.images.size };
  await writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  return { samples: records.length, images: set.images.size };
}
