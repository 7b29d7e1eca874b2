/**
 * Train the demo image tokenizer from scratch on synthetic phantoms on the one training loop and
 * report held-out PSNR / SSIM / codebook usage:
 *   node --import tsx packages/trainer/scripts/train_vq.ts [--steps N] [--out DIR] [--resume]
 */
import { parseArgs } from 'node:util';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { initBackend, tf } from '@healthgpt/tensor-core';
import { PRESETS, VQTokenizer, evaluateTokenizer, makeConfig, type VQConfig } from '@healthgpt/vq-tokenizer';
import { phantomImages } from '@healthgpt/vl-health';
import { Trainer, vqTask } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '1100' },
    batch: { type: 'string', default: '3' },
    lr: { type: 'string', default: '2e-3' },
    train: { type: 'string', default: '2048' },
    heldout: { type: 'string', default: '128' },
    out: { type: 'string', default: join(tmpdir(), 'healthgpt-vq-demo') },
    loss: { type: 'string', default: 'l2' },
    quantizer: { type: 'string', default: 'gumbel' },
    'n-embed': { type: 'string', default: '128' },
    'kl-weight': { type: 'string', default: '5e-4' },
    diversity: { type: 'string', default: '0.03' },
    hard: { type: 'boolean', default: false },
    resume: { type: 'boolean', default: false },
  },
});

console.error('backend', JSON.stringify(await initBackend()));
const steps = Number(args.steps);
const cfg: VQConfig = makeConfig({ ...PRESETS.f8_64px(), quantizer: args.quantizer as 'gumbel' | 'vq', n_embed: Number(args['n-embed']), kl_weight: Number(args['kl-weight']) });
const train = phantomImages(Number(args.train), { size: 64, seed: 1 });
const heldout = phantomImages(Number(args.heldout), { size: 64, seed: 999 });
const vq = new VQTokenizer(cfg, { seed: 3 });
const task = vqTask(vq, train, { steps, reconLoss: args.loss as 'l1' | 'l2', hard: args.hard, diversity: Number(args.diversity), temperature: { start: 1, end: 1 / 16, steps: Math.round(steps * 0.8) }, seed: 7 });
const t0 = performance.now();
await new Trainer({ model: vq, tasks: [task], outDir: args.out }).run(
  [{ name: 'vq', trainable: ['**'], lr: Number(args.lr), betas: [0.9, 0.99], batchSize: Number(args.batch), clipNorm: 1, length: { steps }, checkpointEvery: 100, schedule: { kind: 'cosine', warmupRatio: 0.1, floor: 0.1 } }],
  { resume: args.resume },
);
task.release();
const report = evaluateTokenizer(vq, heldout);
await mkdir(args.out, { recursive: true });
await vq.savePretrained(join(args.out, 'tokenizer'));
const summary = { ...report, steps, trainMinutes: (performance.now() - t0) / 60000, backend: tf.getBackend(), config: cfg, bar: { psnr: 24, perplexity: cfg.n_embed / 4 } };
await writeFile(join(args.out, 'report.json'), JSON.stringify(summary, null, 2));
console.log(JSON.stringify(summary, null, 2));
console.log(report.psnr >= 24 && report.perplexity >= cfg.n_embed / 4 ? 'BAR MET' : 'BAR NOT MET');
vq.dispose();
