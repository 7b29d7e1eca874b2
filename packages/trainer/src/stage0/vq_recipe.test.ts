import { describe, it, expect } from 'vitest';
import type { RawImage } from '@healthgpt/tensor-core';
import { VQTokenizer, evaluateTokenizer, makeConfig } from '@healthgpt/vq-tokenizer';
import { phantomImages } from '@healthgpt/vl-health';
import { Trainer, vqTask, type StageSpec } from '../index.js';
import { CODEBOOK_LR, RESTART_EVERY, vqRecipe } from './vq_recipe.js';

const config = (quantizer: 'vq' | 'gumbel') => makeConfig({ quantizer, beta: 0.25, embed_dim: 8, n_embed: 16, kl_weight: 1e-3, ddconfig: { z_channels: 8, resolution: 8, ch: 32, ch_mult: [1, 1], num_res_blocks: 1, attn_resolutions: [] } });
const images: RawImage[] = phantomImages(8, { size: 16, seed: 3 });

/** Train `steps` steps of stage 0's VQ recipe (or, with `plain`, the same run without its codebook group and restarts). */
async function train(steps: number, plain = false) {
  const vq = new VQTokenizer(config('vq'), { seed: 1 });
  const recipe = vqRecipe(vq.config, steps, 0);
  const task = vqTask(vq, images, plain ? { steps, reconLoss: 'l2', seed: 0 } : recipe.loss);
  const stage: StageSpec = { name: 'vq', trainable: ['**'], lr: 3e-3, groups: plain ? [] : recipe.groups, betas: [0.9, 0.99], batchSize: 4, clipNorm: 1, length: { steps }, schedule: { kind: 'cosine', warmupRatio: 0.05, floor: 0.1 } };
  const run = await new Trainer({ model: vq, tasks: [task], progress: false }).run([stage]);
  task.release();
  const report = evaluateTokenizer(vq, images);
  vq.dispose();
  return { history: run.stages[0].history, report };
}

describe("stage 0's VQ recipe", () => {
  it('names a parameter of the straight-through tokenizer, restarts dead codes in the first half, and leaves the Gumbel recipe alone', () => {
    const vq = new VQTokenizer(config('vq'), { seed: 1 });
    const { loss, groups } = vqRecipe(vq.config, 40, 7);
    const names = vq.namedParameters().map(([n]) => n);
    expect(groups.map((g) => g.match)).toEqual(['quantize.embedding.weight']);
    expect(names).toContain(groups[0].match);
    expect(loss).toMatchObject({ steps: 40, reconLoss: 'l2', seed: 7, restartDeadCodes: { every: RESTART_EVERY, until: 20 } });
    vq.dispose();
    const gumbel = vqRecipe(config('gumbel'), 40, 7);
    expect(gumbel.groups).toEqual([]);
    expect(gumbel.loss.restartDeadCodes).toBeUndefined();
    expect(gumbel.loss.temperature).toEqual({ start: 1, end: 1 / 16 });
  });

  it('trains the codebook at its own lr and uses more of it, with a lower loss and a higher PSNR, than the plain run', async () => {
    const ours = await train(12);
    const plain = await train(12, true);
    const last = ours.history.at(-1)!;
    expect(last.lr?.codebook).toBeGreaterThan(last.lr!.rest);
    expect(ours.history[1].lr?.codebook).toBeCloseTo((CODEBOOK_LR * ours.history[1].lr!.rest) / 3e-3, 10);
    const facts = JSON.stringify({ ours: ours.report, plain: plain.report });
    expect(ours.report.usedCodes, facts).toBeGreaterThan(plain.report.usedCodes);
    expect(ours.history.at(-1)!.loss, facts).toBeLessThan(plain.history.at(-1)!.loss);
    expect(ours.report.psnr, facts).toBeGreaterThan(plain.report.psnr);
  });
});
