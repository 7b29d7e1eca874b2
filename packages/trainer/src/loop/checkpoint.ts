import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FolderReader, loadPlanInto, readCheckpoint, recoverFolder, withFolderWriter, type FolderWriter, type LoadPlan, type Module, type SafetensorsDtype, type Tensor } from '@healthgpt/tensor-core';
import { describeMismatch, sameShape } from '@healthgpt/tensor-core/internal';
import type { LoaderState } from '../data/loader.js';
import { TrainerError } from '../errors.js';
import type { StepRecord } from './log.js';

export const WEIGHTS_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STATE_FILE = 'trainer_state.json';
export const CHECKPOINTS_DIR = 'checkpoints';
/** The sub-folder of a checkpoint with the model in its own layout (when the run exports it). */
export const MODEL_DIR = 'model';

/** Stages the model in its own folder layout in `writer` (a checkpoint's `model/` sub-folder). */
export type ExportModel = (model: Module, writer: FolderWriter) => Promise<void>;

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

/** Every tensor as it is in memory (a parameter loaded from F16 or BF16 is saved as F32), so resume is exact. */
const asInMemory = (tensors: Iterable<readonly [string, Tensor]>) => new Map<string, SafetensorsDtype>([...tensors].map(([n, t]) => [n, t.dtype === 'int32' ? 'I32' : t.dtype === 'bool' ? 'BOOL' : 'F32']));

/**
 * Write checkpoint folder `<root>/checkpoints/ckpt-<stage>-<step>` whole with tensor-core's folder
 * writer: the module's parameters, the optimizer state and the trainer state are staged and
 * fsync'd, then committed at once, so a kill at any instant leaves either the complete folder or
 * one without its trainer state, which `listCheckpoints` passes over (and the next save sweeps).
 * With `exportModel`, the model's own folder (`model/`) is staged in the same save. Older
 * checkpoints beyond `keep` are removed afterwards. Returns the folder.
 */
export async function writeCheckpoint(root: string, module: Module, optimizer: Map<string, Tensor>, state: TrainerState, { keep = 2, exportModel }: { keep?: number; exportModel?: ExportModel } = {}): Promise<string> {
  const parent = join(root, CHECKPOINTS_DIR);
  const dir = join(parent, folderName(state.stageIndex, state.step));
  const params = module.namedParameters();
  try {
    await withFolderWriter(dir, async (w) => {
      await w.safetensors(WEIGHTS_FILE, params, { metadata: { format: 'pt' }, dtypes: asInMemory(params) });
      await w.safetensors(OPTIMIZER_FILE, optimizer, { metadata: { format: 'pt' }, dtypes: asInMemory(optimizer) });
      if (exportModel) await exportModel(module, w.sub(MODEL_DIR));
      await w.json(STATE_FILE, state);
    });
  } catch (e) {
    throw new TrainerError('CHECKPOINT', `cannot write the checkpoint (${(e as Error).message})`, { file: dir, cause: e });
  }
  await prune(parent, keep);
  return dir;
}

/**
 * Complete checkpoint folders under `root`, oldest first. A save killed after its commit point is
 * finished first; a folder without its trainer state (a save killed before it) is not listed.
 */
export async function listCheckpoints(root: string): Promise<string[]> {
  const parent = join(root, CHECKPOINTS_DIR);
  const names = (await readdir(parent).catch(() => [] as string[])).filter((n) => /^ckpt-\d+-\d+$/.test(n)).sort();
  const out: string[] = [];
  for (const n of names) {
    await recoverFolder(join(parent, n));
    if (await stat(join(parent, n, STATE_FILE)).catch(() => null)) out.push(join(parent, n));
  }
  return out;
}

/** The newest complete checkpoint under `root`, or null. */
export async function latestCheckpoint(root: string): Promise<string | null> {
  const all = await listCheckpoints(root);
  return all.length ? all[all.length - 1] : null;
}

/** Remove incomplete checkpoint folders and complete ones beyond the newest `keep`. */
async function prune(parent: string, keep: number): Promise<void> {
  const done = (await listCheckpoints(join(parent, '..'))).map((d) => d.slice(parent.length + 1));
  for (const n of await readdir(parent)) if (/^ckpt-\d+-\d+$/.test(n) && !done.includes(n)) await rm(join(parent, n), { recursive: true, force: true });
  if (keep > 0) for (const n of done.slice(0, Math.max(0, done.length - keep))) await rm(join(parent, n), { recursive: true, force: true });
}

/** The largest trainer state read (its step history grows with the run: ~0.5 KB a step). */
const MAX_STATE_BYTES = 512 * 1024 * 1024;

/** Read a checkpoint's trainer state (checked), through tensor-core's folder reader. */
export async function readTrainerState(dir: string): Promise<TrainerState> {
  const file = join(dir, STATE_FILE);
  let s: TrainerState;
  try {
    s = (await (await FolderReader.open(dir)).readJson(STATE_FILE, { maxBytes: MAX_STATE_BYTES })) as TrainerState;
  } catch (e) {
    throw new TrainerError('CHECKPOINT', `cannot read the trainer state (${(e as Error).message})`, { file, cause: e });
  }
  const ok = s && s.version === 1 && Number.isInteger(s.stageIndex) && Number.isInteger(s.step) && typeof s.loaders === 'object' && typeof s.generators === 'object' && Array.isArray(s.history);
  TrainerError.check(ok, 'CHECKPOINT', `is not a trainer state written by this version (version 1 with stageIndex, step, loaders, generators, history)`, { file });
  return s;
}

/**
 * Load a checkpoint's parameters into `module` through tensor-core's folder reader (strict: every
 * name must match, with its shape, before any tensor is read).
 */
export async function loadCheckpointWeights(dir: string, module: Module): Promise<void> {
  const file = join(dir, WEIGHTS_FILE);
  try {
    const ckpt = await readCheckpoint(await FolderReader.open(dir), { index: null });
    const params = module.namedParameters();
    const plan: LoadPlan = [];
    const missing: string[] = [];
    const mismatched: { key: string; expected: number[]; actual: number[] }[] = [];
    for (const [name, p] of params) {
      const stored = ckpt.tensors.get(name);
      if (!stored) missing.push(name);
      else if (!sameShape(stored.info.shape, p.shape)) mismatched.push({ key: name, expected: p.shape, actual: stored.info.shape });
      else plan.push([name, stored]);
    }
    const names = new Set(params.map(([n]) => n));
    const unexpected = [...ckpt.tensors.keys()].filter((k) => !names.has(k));
    TrainerError.check(missing.length + unexpected.length + mismatched.length === 0, 'CHECKPOINT', () => `its weights do not fit the model (${describeMismatch(missing, unexpected, mismatched)})`, { file });
    await loadPlanInto(module, ckpt, plan);
  } catch (e) {
    if (e instanceof TrainerError) throw e;
    throw new TrainerError('CHECKPOINT', `cannot read its weights (${(e as Error).message})`, { file, cause: e });
  }
}
