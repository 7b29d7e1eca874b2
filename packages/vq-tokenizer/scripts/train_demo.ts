/**
 * Train the demo tokenizer from scratch on synthetic phantoms and report held-out PSNR / SSIM /
 * codebook usage:  node --import tsx packages/vq-tokenizer/scripts/train_demo.ts [--steps N] [--out DIR]
 */
import { parseArgs } from 'node:util';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { initBackend, tf } from '@healthgpt/tensor-core';
import { PRESETS, VQTokenizer, VQTrainer, evaluateTokenizer, progressBar, makeConfig, type VQConfig } from '../src/index.js';
import { phantoms } from '../src/phantoms.test_util.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '1100' },
    batch: { type: 'string', default: '3' },
    lr: { type: 'string', default: '2e-3' },
    train: { type: 'string', default: '2048' },
    heldout: { type: 'string', default: '128' },
    out: { type: 'string', default: join(tmpdir(), 'healthgpt-vq-demo') },
    backend: { type: 'string', default: 'wasm' },
    loss: { type: 'string', default: 'l2' },
    quantizer: { type: 'string', default: 'gumbel' },
    'n-embed': { type: 'string', default: '128' },
    'kl-weight': { type: 'string', default: '5e-4' },
    'eval-every': { type: 'string', default: '100' },
    resume: { type: 'string' },
    hard: { type: 'boolean', default: false },
    diversity: { type: 'string', default: '0.03' },
  },
});

/** Does this backend differentiate a conv layer? (The package's convs do on every backend; this reports tfjs' own kernel.) */
function nativeConvBackprop(): boolean {
  return Boolean(tf.getKernel('Conv2DBackpropFilter', tf.getBackend()));
}

const backend = args.backend as 'wasm' | 'cpu';
try {
  await initBackend({ backend });
} catch (e) {
  console.error(`backend ${backend} unavailable (${(e as Error).message}); using cpu`);
  await initBackend({ backend: 'cpu' });
}
console.error(`backend ${tf.getBackend()} (tfjs Conv2DBackpropFilter kernel: ${nativeConvBackprop() ? 'present' : 'absent; the package computes conv weight gradients with forward convolutions'})`);

const steps = Number(args.steps);
const base = PRESETS.f8_64px();
const cfg: VQConfig = makeConfig({ ...base, quantizer: args.quantizer as 'gumbel' | 'vq', n_embed: Number(args['n-embed']), kl_weight: Number(args['kl-weight']) });
const t0 = performance.now();
const train = phantoms(Number(args.train), { size: 64, seed: 1 });
const heldout = phantoms(Number(args.heldout), { size: 64, seed: 999 });
console.error(`data: ${train.shape[0]} training and ${heldout.shape[0]} held-out phantoms (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

const options = {
  steps,
  batchSize: Number(args.batch),
  lr: Number(args.lr),
  reconLoss: args.loss as 'l1' | 'l2',
  hard: args.hard,
  diversity: Number(args.diversity),
  temperature: { start: 1, end: 1 / 16, steps: Math.round(steps * 0.8) },
  seed: 7,
  checkpointDir: join(args.out, 'checkpoints'),
  checkpointEvery: 100,
  onProgress: progressBar({ every: 10 }),
};
const trainer = args.resume ? await VQTrainer.resume(args.resume, train, options) : new VQTrainer(new VQTokenizer(cfg, { seed: 3 }), train, options);
console.error(`model: ${trainer.model.numParameters()} parameters, ${cfg.quantizer} quantizer, ${cfg.n_embed} codes, ${steps} steps from step ${trainer.step}`);
const evalEvery = Number(args['eval-every']);
const tStart = performance.now();
while (trainer.step < steps) {
  trainer.trainStep();
  if (trainer.step % options.checkpointEvery === 0 || trainer.step === steps) await trainer.saveCheckpoint(join(options.checkpointDir, 'latest'));
  if (trainer.step % evalEvery === 0 || trainer.step === steps) {
    const r = evaluateTokenizer(trainer.model, heldout);
    console.error(`[eval step ${trainer.step}] held-out PSNR ${r.psnr.toFixed(2)} dB, SSIM ${r.ssim.toFixed(4)}, perplexity ${r.perplexity.toFixed(1)} / ${r.codebookSize}, dead ${r.deadCodes}`);
  }
}
const report = evaluateTokenizer(trainer.model, heldout);
console.error(`[final] held-out PSNR ${report.psnr.toFixed(2)} dB, SSIM ${report.ssim.toFixed(4)}, perplexity ${report.perplexity.toFixed(1)} / ${report.codebookSize}, dead ${report.deadCodes}`);
await mkdir(args.out, { recursive: true });
await trainer.model.savePretrained(join(args.out, 'tokenizer'));
const summary = { ...report, steps, trainMinutes: (performance.now() - tStart) / 60000, backend: tf.getBackend(), config: cfg, bar: { psnr: 24, perplexity: cfg.n_embed / 4 } };
await writeFile(join(args.out, 'report.json'), JSON.stringify(summary, null, 2));
console.log(JSON.stringify(summary, null, 2));
console.log(report.psnr >= 24 && report.perplexity >= cfg.n_embed / 4 ? 'BAR MET' : 'BAR NOT MET');
trainer.dispose();
train.dispose();
heldout.dispose();
