import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, type RawImage } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';
import { VQTokenizer, makeConfig } from '@healthgpt/vq-tokenizer';
import { phantomImages } from '@healthgpt/vl-health';
import { Trainer, vqTask, type StageSpec } from '../index.js';

const config = () => makeConfig({ embed_dim: 8, n_embed: 16, kl_weight: 1e-3, ddconfig: { z_channels: 8, resolution: 8, ch: 32, ch_mult: [1, 1], num_res_blocks: 1, attn_resolutions: [] } });
const images: RawImage[] = phantomImages(6, { size: 16, seed: 2 });
const stage = (steps: number, every = 0): StageSpec => ({ name: 'vq', trainable: ['**'], lr: 3e-3, betas: [0.9, 0.99], batchSize: 2, clipNorm: 1, length: { steps }, checkpointEvery: every, schedule: { kind: 'cosine', warmup: 1, floor: 0.1 } });
let dirs: string[] = [];
afterEach(() => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  dirs = [];
});

describe('the VQ tokenizer as a task on the one loop', () => {
  it('lowers its loss (reconstruction and KL parts logged), leaking nothing', async () => {
    const vq = new VQTokenizer(config(), { seed: 1 });
    const task = vqTask(vq, images, { steps: 8, reconLoss: 'l2', temperature: { start: 1, end: 0.25 } });
    let losses: number[] = [];
    let parts: string[] = [];
    await expectNoLeaks(async () => {
      const r = await new Trainer({ model: vq, tasks: [task], progress: false }).run([stage(8)]);
      losses = r.stages[0].history.map((h) => h.loss);
      parts = Object.keys(r.stages[0].history[0].parts ?? {});
    }, { what: 'VQ training' });
    expect(parts.sort()).toEqual(['vq/quant', 'vq/recon']);
    expect(Math.min(...losses.slice(-3))).toBeLessThan(losses[0]);
    task.release();
    vq.dispose();
  });

  it('resumes exactly: the Gumbel noise generator is saved with the checkpoint', async () => {
    const whole = new VQTokenizer(config(), { seed: 1 });
    const wt = vqTask(whole, images, { steps: 6, seed: 4 });
    const straight = (await new Trainer({ model: whole, tasks: [wt], progress: false }).run([stage(6)])).stages[0].history.map((h) => h.loss);
    const dir = mkdtempSync(join(tmpdir(), 'vq-loop-'));
    dirs.push(dir);
    const a = new VQTokenizer(config(), { seed: 1 });
    const at = vqTask(a, images, { steps: 6, seed: 4 });
    const ta = new Trainer({ model: a, tasks: [at], outDir: dir, progress: false, onStep: (r) => r.step === 3 && ta.requestStop() });
    expect((await ta.run([stage(6, 1)])).interrupted).toBe(true);
    const b = new VQTokenizer(config(), { seed: 9 });
    const bt = vqTask(b, images, { steps: 6, seed: 4 });
    const resumed = (await new Trainer({ model: b, tasks: [bt], outDir: dir, progress: false }).run([stage(6, 1)], { resume: true })).stages[0].history.map((h) => h.loss);
    expect(resumed).toEqual(straight);
    for (const [t, m] of [[wt, whole], [at, a], [bt, b]] as const) {
      t.release();
      m.dispose();
    }
    void tf;
  });
});
