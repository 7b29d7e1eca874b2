import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Linear, Module, tf, type Tensor } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';
import { STATE_FILE, TrainerError, WEIGHTS_FILE, loadCheckpointWeights, readTrainerState, writeCheckpoint, type TrainerState } from '../index.js';
import { Toy } from '../../test/toy.test_util.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'trainer-ckpt-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const state: TrainerState = { version: 1, stageIndex: 0, stage: 'fit', step: 3, stageSteps: 5, loaders: {}, generators: {}, skipped: 0, history: [], seconds: 1 };
const values = (m: Module) => m.namedParameters().map(([n, p]) => [n, Array.from(p.dataSync())] as const);

/** A model like Toy whose second layer has another width. */
class Wider extends Module {
  constructor() {
    super();
    this.registerModule('fc1', new Linear(4, 8));
    this.registerModule('fc2', new Linear(8, 3));
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

describe('checkpoint reading', () => {
  it('round-trips the parameters bit for bit and the trainer state, leaking nothing', async () => {
    const saved = new Toy(3);
    const ckpt = await writeCheckpoint(dir, saved, new Map(), state);
    const loaded = new Toy(4);
    expect(values(loaded)).not.toEqual(values(saved));
    await expectNoLeaks(() => loadCheckpointWeights(ckpt, loaded), { what: 'loading checkpoint weights' });
    expect(values(loaded)).toEqual(values(saved));
    expect(await readTrainerState(ckpt)).toEqual(state);
  });

  it('refuses weights that do not fit the model before reading any, naming the file and the tensors', async () => {
    const ckpt = await writeCheckpoint(dir, new Toy(3), new Map(), state);
    const other = new Wider();
    const before = values(other);
    const err = await loadCheckpointWeights(ckpt, other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainerError);
    expect((err as TrainerError).code).toBe('CHECKPOINT');
    expect((err as TrainerError).file).toBe(join(ckpt, WEIGHTS_FILE));
    expect((err as Error).message).toMatch(/shape mismatches: fc2\.weight expected \[3,8\] got \[2,8\]/);
    expect(values(other)).toEqual(before); // nothing half loaded
    tf.dispose(other.namedParameters().map(([, p]) => p));
  });

  it('gives typed errors naming the file for a missing or corrupt weights file and a bad trainer state', async () => {
    const ckpt = await writeCheckpoint(dir, new Toy(3), new Map(), state);
    writeFileSync(join(ckpt, WEIGHTS_FILE), 'trunc');
    await expect(loadCheckpointWeights(ckpt, new Toy(3))).rejects.toMatchObject({ code: 'CHECKPOINT', file: join(ckpt, WEIGHTS_FILE) });
    rmSync(join(ckpt, WEIGHTS_FILE));
    await expect(loadCheckpointWeights(ckpt, new Toy(3))).rejects.toMatchObject({ code: 'CHECKPOINT', file: join(ckpt, WEIGHTS_FILE) });
    writeFileSync(join(ckpt, STATE_FILE), '{"version": 2}');
    await expect(readTrainerState(ckpt)).rejects.toMatchObject({ code: 'CHECKPOINT', file: join(ckpt, STATE_FILE) });
    writeFileSync(join(ckpt, STATE_FILE), '{"version": 1, ');
    await expect(readTrainerState(ckpt)).rejects.toMatchObject({ code: 'CHECKPOINT', file: join(ckpt, STATE_FILE) });
  });
});
