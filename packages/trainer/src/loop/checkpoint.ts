import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { tf, loadSafetensors, saveSafetensors, syncDir, writeFileAtomic, type Module, type Tensor } from '@healthgpt/tensor-core';
import type { LoaderState } from '../data/loader.js';
import { TrainerError } from '../errors.js';
import type { StepRecord } from './log.js';

export const WEIGHTS_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STATE_FILE = 'trainer_state.json';
export const CHECKPOINTS_DIR = 'checkpoints';

/** Everything a checkpoint holds besides tensors (JSON). */
export interface TrainerState {
  version: 1;
  /** Index and name of the stage, and its optimizer steps done / in all. */
  stageIndex: number;
  stage: string;
  step: number;
  stageSteps: number;
  /** Data cursor per task. */
  loaders: Record<string, LoaderState>;
  /** Every random generator's state by name (`mixture`, `dropout:<module path>`, `task:<task>:<name>`). */
  generators: Record<string, number[]>;
  /** Steps skipped for non-finite values so far in this stage. */
  skipped: number;
  /** The stage's step records so far (its loss curve). */
  history: StepRecord[];
  /** Wall-clock seconds of the stage so far. */
  seconds: number;
}

const folderName = (stageIndex: number, step: number) => `ckpt-${String(stageIndex).padStart(2, '0')}-${String(step).padStart(7, '0')}`;

/**
 * Write checkpoint folder `<root>/checkpoints/ckpt-<stage>-<step>` whole: the module's parameters,
 * the optimizer state and the trainer state go to a hidden sibling folder that is renamed into
 * place only once every file is written and synced, so a kill at any instant leaves either the
 * complete folder or none (the hidden one is swept later). Older checkpoints beyond `keep` are
 * removed afterwards. Returns the folder.
 */
export async function writeCheckpoint(root: string, module: Module, optimizer: Map<string, Tensor>, state: TrainerState, { keep = 2 }: { keep?: number } = {}): Promise<string> {
  const parent = join(root, CHECKPOINTS_DIR);
  await mkdir(parent, { recursive: true });
  const dir = join(parent, folderName(state.stageIndex, state.step));
  const tmp = join(parent, `.tmp-${randomBytes(6).toString('hex')}`);
  await mkdir(tmp);
  try {
    await saveSafetensors(join(tmp, WEIGHTS_FILE), new Map(module.namedParameters()), { format: 'pt' });
    await saveSafetensors(join(tmp, OPTIMIZER_FILE), optimizer, { format: 'pt' });
    await writeFileAtomic(join(tmp, STATE_FILE), JSON.stringify(state) + '\n');
    await syncDir(tmp);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    await syncDir(parent);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw new TrainerError('CHECKPOINT', `cannot write the checkpoint (${(e as Error).message})`, { file: dir, cause: e });
  }
  await prune(parent, keep);
  return dir;
}

/** Complete checkpoint folders under `root`, oldest first. */
export async function listCheckpoints(root: string): Promise<string[]> {
  const parent = join(root, CHECKPOINTS_DIR);
  const names = (await readdir(parent).catch(() => [] as string[])).filter((n) => /^ckpt-\d+-\d+$/.test(n)).sort();
  const out: string[] = [];
  for (const n of names) if (await stat(join(parent, n, STATE_FILE)).catch(() => null)) out.push(join(parent, n));
  return out;
}

/** The newest complete checkpoint under `root`, or null. */
export async function latestCheckpoint(root: string): Promise<string | null> {
  const all = await listCheckpoints(root);
  return all.length ? all[all.length - 1] : null;
}

async function prune(parent: string, keep: number): Promise<void> {
  const names = (await readdir(parent)).sort();
  for (const n of names) if (n.startsWith('.tmp-')) await rm(join(parent, n), { recursive: true, force: true });
  const done = (await listCheckpoints(join(parent, '..'))).map((d) => d.slice(parent.length + 1));
  if (keep > 0) for (const n of done.slice(0, Math.max(0, done.length - keep))) await rm(join(parent, n), { recursive: true, force: true });
}

/** Read a checkpoint's trainer state (checked). */
export async function readTrainerState(dir: string): Promise<TrainerState> {
  const file = join(dir, STATE_FILE);
  let s: TrainerState;
  try {
    s = JSON.parse(await readFile(file, 'utf8')) as TrainerState;
  } catch (e) {
    throw new TrainerError('CHECKPOINT', `cannot read the trainer state (${(e as Error).message})`, { file, cause: e });
  }
  const ok = s && s.version === 1 && Number.isInteger(s.stageIndex) && Number.isInteger(s.step) && typeof s.loaders === 'object' && typeof s.generators === 'object' && Array.isArray(s.history);
  TrainerError.check(ok, 'CHECKPOINT', `is not a trainer state written by this version (version 1 with stageIndex, step, loaders, generators, history)`, { file });
  return s;
}

/** Load a checkpoint's parameters into `module` (strict: every name must match). */
export async function loadCheckpointWeights(dir: string, module: Module): Promise<void> {
  const { tensors } = await loadSafetensors(join(dir, WEIGHTS_FILE));
  try {
    module.loadStateDict(tensors);
  } catch (e) {
    throw new TrainerError('CHECKPOINT', `its weights do not fit the model (${(e as Error).message})`, { file: join(dir, WEIGHTS_FILE), cause: e });
  } finally {
    tf.dispose([...tensors.values()]);
  }
}
