/**
 * Test support: a training run in its own process, for the kill / interrupt / resume tests.
 *   node --import tsx child_train.test_util.ts <outDir> <steps> [--resume] [--hold-at <n>]
 * Prints `STEP <n>` after every step and, at the end, `RESULT <json losses>` or `INTERRUPTED`.
 * With `--hold-at n` it waits after the n-th step's line until `<outDir>/.go` exists, so a parent
 * that signals it there does so while it is still training, however slow the machine is.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@healthgpt/tensor-core';
import { Trainer } from '../src/loop/trainer.js'; // the loop alone: a fast start
import { Toy, toyItems, toyTask } from './toy.test_util.js';

await initBackend();
const [outDir, stepsArg, ...flags] = process.argv.slice(2);
const steps = Number(stepsArg);
const holdAt = flags.includes('--hold-at') ? Number(flags[flags.indexOf('--hold-at') + 1]) : -1;
const pause = new Int32Array(new SharedArrayBuffer(4));
let seen = 0;
const model = new Toy(5, 0.3);
const trainer = new Trainer({
  model,
  tasks: [toyTask(model, toyItems(24, 3), 'a'), toyTask(model, toyItems(12, 4), 'b')],
  outDir,
  progress: false,
  keepCheckpoints: 3,
  onStep: (r) => {
    process.stdout.write(`STEP ${r.stage} ${r.step}\n`);
    // a synchronous wait; a SIGINT sent meanwhile is handled when the run next waits for I/O (its next checkpoint write)
    if (++seen === holdAt) while (!existsSync(join(outDir, '.go'))) Atomics.wait(pause, 0, 0, 5);
  },
});
const half = Math.floor(steps / 2);
const result = await trainer.run(
  [
    { name: 'a', trainable: ['**'], lr: 0.01, batchSize: 3, gradientAccumulation: 2, length: { steps: half }, checkpointEvery: 1, schedule: { kind: 'cosine', warmup: 2 }, mixture: { a: 2, b: 1 } },
    { name: 'b', trainable: ['fc2.*'], lr: 0.02, batchSize: 4, length: { steps: steps - half }, checkpointEvery: 2, seed: 9 },
  ],
  { resume: flags.includes('--resume') },
);
process.stdout.write(result.interrupted ? 'INTERRUPTED\n' : `RESULT ${JSON.stringify(result.stages.flatMap((s) => s.history.map((h) => h.loss)))}\n`);
