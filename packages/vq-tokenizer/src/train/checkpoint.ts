import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { saveSafetensors, writeFileAtomic, type Tensor } from '@healthgpt/tensor-core';
import type { VQTokenizer } from '../model.js';
import { VQTokenizerError } from '../errors.js';

export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINER_STATE_FILE = 'trainer_state.json';

/** What a checkpoint remembers about the run besides the weights. */
export interface TrainerState {
  step: number;
  /** The sampling generator's state (batches and Gumbel noise). */
  rng: number[];
  /** The options the run was started with (numbers and strings only). */
  options: Record<string, unknown>;
  history: { step: number; loss: number; recon: number; quant: number }[];
}

/**
 * Write a checkpoint folder `dir` (config.json, model.safetensors, optimizer.safetensors,
 * trainer_state.json) atomically: everything goes to a hidden sibling folder that is renamed into
 * place, replacing an older folder of the same name.
 */
export async function writeCheckpoint(dir: string, model: VQTokenizer, optimizer: Map<string, Tensor>, state: TrainerState): Promise<void> {
  const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  try {
    await model.savePretrained(tmp);
    await saveSafetensors(join(tmp, OPTIMIZER_FILE), optimizer);
    await writeFileAtomic(join(tmp, TRAINER_STATE_FILE), JSON.stringify(state) + '\n');
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Read the trainer state of a checkpoint folder (the optimizer state is `OPTIMIZER_FILE`, read by the optimizer itself). */
export async function readCheckpointState(dir: string): Promise<TrainerState> {
  const file = join(dir, TRAINER_STATE_FILE);
  let state: TrainerState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as TrainerState;
  } catch (e) {
    throw new VQTokenizerError('CHECKPOINT', `cannot read the trainer state (${(e as Error).message})`, { file, cause: e });
  }
  if (!Number.isInteger(state.step) || !Array.isArray(state.rng) || state.rng.length !== 4) throw new VQTokenizerError('CHECKPOINT', `'step' and 'rng' (4 words) are required`, { file });
  return state;
}
