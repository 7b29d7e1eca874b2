import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, loadSafetensors } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';
import { Trainer, TrainerError, latestCheckpoint, MODEL_DIR, type StageSpec, type StepRecord } from '../index.js';
import { Toy, toyItems, toyTask } from '../../test/toy.test_util.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'trainer-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const stage = (over: Partial<StageSpec> = {}): StageSpec => ({ name: 'fit', trainable: ['**'], lr: 0.02, batchSize: 4, length: { steps: 12 }, ...over });
const snapshot = (m: Toy) => new Map(m.namedParameters().map(([n, p]) => [n, Array.from(p.dataSync())]));

describe('Trainer', () => {
  it('lowers the loss, trains only the selected parameters, and leaks nothing', async () => {
    const model = new Toy(1);
    const task = toyTask(model, toyItems(32));
    const before = snapshot(model);
    let result: Awaited<ReturnType<Trainer['run']>> | undefined;
    await expectNoLeaks(async () => {
      result = await new Trainer({ model, tasks: [task], progress: false }).run([stage({ trainable: ['fc2.*'], length: { steps: 40 } })]);
    }, { what: 'a training stage' });
    const h = result!.stages[0].history;
    expect(h).toHaveLength(40);
    expect(mean(h.slice(-5).map((r) => r.loss))).toBeLessThan(mean(h.slice(0, 5).map((r) => r.loss)));
    const after = snapshot(model);
    expect(after.get('fc1.weight')).toEqual(before.get('fc1.weight'));
    expect(after.get('fc1.bias')).toEqual(before.get('fc1.bias'));
    expect(after.get('fc2.weight')).not.toEqual(before.get('fc2.weight'));
    expect(result!.stages[0].trainableParameters).toBe(18);
    expect(h[0].parts).toHaveProperty('regress/mae');
    model.dispose();
  });

  it('refuses a selector that matches nothing and a mixture of unknown tasks', async () => {
    const model = new Toy();
    const t = new Trainer({ model, tasks: [toyTask(model, toyItems(8))], progress: false });
    await expect(t.run([stage({ trainable: ['fc3.*'] })])).rejects.toThrow(/selector fc3\.\* of stage 'fit' matches no parameter/);
    await expect(t.run([stage({ mixture: { nope: 1 } })])).rejects.toThrow(/mixes task 'nope'/);
    model.dispose();
  });

  it('gives parameter groups their own learning rate and follows the schedule', async () => {
    const model = new Toy();
    const records: StepRecord[] = [];
    await new Trainer({ model, tasks: [toyTask(model, toyItems(16))], progress: false, onStep: (r) => records.push(r) }).run([
      stage({ lr: 0.01, groups: [{ name: 'head', match: 'fc2.**', lr: 0.1 }], schedule: { kind: 'cosine', warmup: 3 }, length: { steps: 10 } }),
    ]);
    expect(records[0].lr.head).toBeCloseTo(0.1 / 4, 12);
    expect(records[0].lr.rest).toBeCloseTo(0.01 / 4, 12);
    expect(records[3].lr.head).toBeCloseTo(0.1, 12);
    expect(records[9].lr.head).toBeLessThan(records[5].lr.head);
    model.dispose();
  });

  it('trains only the given rows of a restricted matrix', async () => {
    const model = new Toy();
    const before = snapshot(model).get('fc1.weight')!;
    await new Trainer({ model, tasks: [toyTask(model, toyItems(16))], progress: false }).run([stage({ trainable: ['fc1.weight'], rows: [{ param: 'fc1.weight', rows: [2, 5] }], length: { steps: 5 } })]);
    const after = snapshot(model).get('fc1.weight')!;
    for (let r = 0; r < 8; r++) {
      const same = after.slice(r * 4, r * 4 + 4).every((v, k) => v === before[r * 4 + k]);
      expect(same).toBe(r < 2 || r >= 5);
    }
    model.dispose();
  });

  it('draws micro-batches from the mixture by weight and accumulates them', async () => {
    const model = new Toy();
    const tasks = [toyTask(model, toyItems(16, 1), 'a'), toyTask(model, toyItems(16, 2), 'b')];
    const records: StepRecord[] = [];
    await new Trainer({ model, tasks, progress: false, onStep: (r) => records.push(r) }).run([stage({ mixture: { a: 3, b: 1 }, gradientAccumulation: 2, length: { steps: 60 } })]);
    const a = records.filter((r) => 'a' in r.tasks).length;
    const b = records.filter((r) => 'b' in r.tasks).length;
    expect(a).toBeGreaterThan(b);
    expect(records.every((r) => r.tokens === 8)).toBe(true);
    model.dispose();
  });

  it('counts epochs over all tasks of the stage', async () => {
    const model = new Toy();
    const r = await new Trainer({ model, tasks: [toyTask(model, toyItems(10))], progress: false }).run([stage({ batchSize: 4, length: { epochs: 2 } })]);
    expect(r.stages[0].steps).toBe(6); // ⌈10/4⌉ = 3 batches per epoch
    model.dispose();
  });

  it('stops on a NaN loss with the last good checkpoint kept, or skips the step when told to', async () => {
    const model = new Toy();
    const items = toyItems(8, 1, [5]);
    const t = new Trainer({ model, tasks: [toyTask(model, items)], outDir: dir, progress: false });
    const err = await t.run([stage({ batchSize: 1, checkpointEvery: 2, length: { steps: 20 }, groupByLength: false })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainerError);
    expect((err as TrainerError).code).toBe('NON_FINITE');
    expect((err as Error).message).toMatch(/stage 'fit' step \d+: the loss of task 'regress' is NaN \(epoch 0, batch \d+, items 5\); the run stops with its last good checkpoint/);
    const kept = await latestCheckpoint(dir);
    const step = Number(/ckpt-00-(\d+)/.exec(kept ?? '')?.[1] ?? -1);
    const failed = Number(/step (\d+)/.exec((err as Error).message)![1]);
    expect(step).toBe(Math.floor((failed - 1) / 2) * 2);
    for (const [, p] of model.namedParameters()) expect(Array.from(p.dataSync()).every(Number.isFinite)).toBe(true);

    const model2 = new Toy();
    const r = await new Trainer({ model: model2, tasks: [toyTask(model2, items)], progress: false }).run([stage({ batchSize: 1, length: { steps: 16 }, onNonFinite: 'skip', groupByLength: false })]);
    expect(r.stages[0].skipped).toBe(2);
    expect(r.stages[0].history.filter((h) => h.skipped)).toHaveLength(2);
    for (const [, p] of model2.namedParameters()) expect(Array.from(p.dataSync()).every(Number.isFinite)).toBe(true);
    model.dispose();
    model2.dispose();
  });

  it('resumes from its newest checkpoint with the same losses, bit for bit', async () => {
    const stages = [stage({ name: 'one', length: { steps: 7 }, checkpointEvery: 3, schedule: { kind: 'cosine', warmup: 2 } }), stage({ name: 'two', trainable: ['fc2.*'], length: { steps: 5 }, checkpointEvery: 2, seed: 4 })];
    const full = new Toy(3);
    const whole = await new Trainer({ model: full, tasks: [toyTask(full, toyItems(20))], progress: false }).run(stages);
    const wholeLosses = whole.stages.flatMap((s) => s.history.map((h) => h.loss));

    const a = new Toy(3);
    const ta = new Trainer({ model: a, tasks: [toyTask(a, toyItems(20))], outDir: dir, progress: false, onStep: (r) => r.stage === 'one' && r.step === 5 && ta.requestStop() });
    const first = await ta.run(stages);
    expect(first.interrupted).toBe(true);
    const b = new Toy(99); // other weights: the checkpoint replaces them
    const resumed = await new Trainer({ model: b, tasks: [toyTask(b, toyItems(20))], outDir: dir, progress: false }).run(stages, { resume: true });
    const losses = resumed.stages.flatMap((s) => s.history.map((h) => h.loss));
    expect(losses).toEqual(wholeLosses);
    expect(snapshot(b)).toEqual(snapshot(full));
    const log = readFileSync(join(dir, 'train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StepRecord);
    expect(log.map((r) => r.loss)).toEqual(wholeLosses);
    expect(readdirSync(join(dir, 'checkpoints')).filter((n) => n.startsWith('ckpt-'))).toHaveLength(2);
    [full, a, b].forEach((m) => m.dispose());
  });

  it("puts the model's own folder into each stage's final checkpoint, committed with it", async () => {
    const m = new Toy(2);
    const exported: string[] = [];
    const run = await new Trainer({
      model: m,
      tasks: [toyTask(m, toyItems(8))],
      outDir: dir,
      progress: false,
      keepCheckpoints: 0,
      exportModel: async (model, w) => {
        exported.push(w.dir);
        await w.json('config.json', { kind: 'toy' });
        await w.safetensors('model.safetensors', model.namedParameters());
      },
    }).run([stage({ name: 'one', length: { steps: 4 }, checkpointEvery: 1 }), stage({ name: 'two', length: { steps: 2 } })]);
    const finals = run.stages.map((s) => s.checkpoint!);
    expect(exported).toEqual(finals.map((c) => join(c, MODEL_DIR)));
    for (const c of finals) expect(readdirSync(join(c, MODEL_DIR)).sort()).toEqual(['config.json', 'model.safetensors']);
    const all = readdirSync(join(dir, 'checkpoints')).map((n) => join(dir, 'checkpoints', n));
    for (const c of all.filter((c) => !finals.includes(c))) expect(readdirSync(c)).not.toContain(MODEL_DIR);
    const { tensors } = await loadSafetensors(join(finals[1], MODEL_DIR, 'model.safetensors'));
    expect(new Map([...tensors].map(([n, t]) => [n, Array.from(t.dataSync())]))).toEqual(snapshot(m));
    tf.dispose([...tensors.values()]);
    m.dispose();
  });

  it('refuses to resume into stages that do not match the checkpoint', async () => {
    const m = new Toy();
    await new Trainer({ model: m, tasks: [toyTask(m, toyItems(8))], outDir: dir, progress: false }).run([stage({ length: { steps: 2 } })]);
    await expect(new Trainer({ model: m, tasks: [toyTask(m, toyItems(8))], outDir: dir, progress: false }).run([stage({ name: 'other' })], { resume: true })).rejects.toThrow(/stage 0 'fit', which this run's stages do not have/);
    m.dispose();
  });
});

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
void tf;
