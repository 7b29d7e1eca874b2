import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawImage } from '@healthgpt/tensor-core/base';
import type { Sample } from '@healthgpt/vl-health';
import { CliError } from '../errors.js';
import { existingDir } from '../util/args.js';

export const DATASETS = ['synth', 'vqa-rad', 'llava'] as const;
export type DatasetKind = (typeof DATASETS)[number];

/** A split of a data set, ready to evaluate, with the samples its baselines learn from. */
export interface LoadedSplit {
  dataset: DatasetKind;
  split: string;
  root: string;
  samples: Sample[];
  /** Samples the baselines learn from (the training part), and what they are. */
  baselineFrom: { samples: Sample[]; what: string };
  images: (path: string) => Promise<RawImage>;
}

/** Share of the VQA-RAD training images held out for validation, and the seed (as the `vqa-rad` preset does). */
export const VQA_RAD_VALIDATION = 0.15;

/** The synthetic set's split (as the demo splits it): 80 % train, 20 % test, by image and scene. */
export const SYNTH_FRACTIONS = { train: 0.8, test: 0.2 } as const;

/** The seed a `healthgpt data synth` folder was written with (its manifest). */
function synthSeed(root: string): number {
  const file = join(root, 'manifest.json');
  CliError.check(existsSync(file), 'MISSING', `--data ${root}: no manifest.json: not a folder written by healthgpt data synth (a folder of your own: --dataset llava)`);
  const seed = (JSON.parse(readFileSync(file, 'utf8')) as { seed?: unknown }).seed;
  CliError.check(typeof seed === 'number', 'FAILED', `${file} has no numeric seed`);
  return seed;
}

/** The file of a LLaVA split: `<root>/<split>.json` or `.jsonl`. */
function llavaFile(root: string, split: string): string | null {
  return ['.json', '.jsonl'].map((e) => join(root, `${split}${e}`)).find(existsSync) ?? null;
}

/**
 * Load `split` of a data set for evaluation or training:
 * - `synth`: a folder written by `healthgpt data synth`; splits `train` and `test` (by image and
 *   scene, 80/20, seeded by the folder's seed, as the demo splits its set) or `all`;
 * - `vqa-rad`: the official release layout; `train` and `test` as released (by question),
 *   `validation` the images the `vqa-rad` preset holds out of the training records (15 %, by image,
 *   seed `seed`), `train-part` the rest of them;
 * - `llava`: `<data>/<split>.json` or `.jsonl`.
 * Baselines learn from the training part: `train` (vqa-rad, synth), `train-part` (for vqa-rad
 * validation), `train.json` (llava); when a data set has none, from the split itself (said so).
 */
export async function loadSplit(dataset: DatasetKind, dir: string, split: string, { seed = 0 }: { seed?: number } = {}): Promise<LoadedSplit> {
  const root = existingDir('--data', dir);
  const vl = await import('@healthgpt/vl-health');
  if (dataset === 'synth') {
    CliError.check(['train', 'test', 'all'].includes(split), 'USAGE', `--split for --dataset synth is train, test or all, got '${split}'`);
    const s = synthSeed(root);
    const all = await vl.readLlavaJson(join(root, vl.SYNTH_SAMPLES_FILE));
    const parts = vl.splitByImage(all, { fractions: { ...SYNTH_FRACTIONS }, seed: s });
    const samples = split === 'all' ? all : parts[split]!;
    return { dataset, split, root, samples, baselineFrom: { samples: parts.train!, what: 'the train split' }, images: (p) => vl.loadImage(root, p) };
  }
  if (dataset === 'vqa-rad') {
    CliError.check(['train', 'test', 'validation', 'train-part'].includes(split), 'USAGE', `--split for --dataset vqa-rad is test, train, validation or train-part, got '${split}'`);
    const ds = await vl.readVqaRad(root);
    const images = (p: string) => vl.loadImage(root, p, { mode: 'rgb' });
    if (split === 'train' || split === 'test') {
      const samples = ds.split[split];
      CliError.check(samples.length > 0, 'FAILED', `${ds.jsonFile} has no ${split} questions (phrase_type ${split === 'test' ? 'test_*' : 'freeform / para'})${split === 'test' ? ': this copy holds the training questions only; --split validation evaluates on held-out training images' : ''}`);
      return { dataset, split, root, samples, baselineFrom: { samples: ds.split.train.length && split === 'test' ? ds.split.train : samples, what: split === 'test' && ds.split.train.length ? 'the official train split' : 'this split itself' }, images };
    }
    const parts = (await import('@healthgpt/trainer')).vqaRadSplit(ds, { validation: VQA_RAD_VALIDATION, seed });
    const samples = split === 'validation' ? parts.validation : parts.train;
    return { dataset, split, root, samples, baselineFrom: { samples: parts.train, what: 'the training images (validation held out)' }, images };
  }
  const file = llavaFile(root, split);
  CliError.check(file !== null, 'MISSING', `--split ${split}: no ${split}.json or ${split}.jsonl in ${root}`);
  const read = async (f: string) => (f.endsWith('.jsonl') ? collect(vl.readJsonl(f)) : vl.readLlavaJson(f));
  const samples = await read(file);
  const trainFile = split === 'train' ? null : llavaFile(root, 'train');
  const baseline = trainFile ? { samples: await read(trainFile), what: 'train split' } : { samples, what: 'this split itself' };
  return { dataset, split, root, samples, baselineFrom: baseline, images: (p) => vl.loadImage(root, p) };
}

async function collect(items: AsyncIterable<{ sample: Sample }>): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const it of items) out.push(it.sample);
  return out;
}
