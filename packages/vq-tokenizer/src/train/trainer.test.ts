import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tf, loadSafetensors, type RawImage, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { VQTokenizer, VQTrainer, VQTokenizerError, evaluateTokenizer, toUint8HWC } from '../index.js';
import { trainConfig } from '../test_configs.test_util.js';
import { phantoms } from '../phantoms.test_util.js';

// Training runs on cpu until tensor-core's wasm conv-gradient kernels land (the package's own
// convolution gradients work on wasm too; this keeps the suite's CPU time small).
describeBackends(
  'VQTrainer',
  () => {
    let images: Tensor;
    let dir: string;
    beforeAll(async () => {
      images = phantoms(2, { size: 8, seed: 11 });
      dir = await mkdtemp(join(tmpdir(), 'vq-trainer-'));
    });
    afterAll(async () => {
      images.dispose();
      await rm(dir, { recursive: true, force: true });
    });

    const opts = { steps: 4, batchSize: 2, lr: 3e-3, warmupSteps: 0, seed: 5, reconLoss: 'l2' as const };

    /** Reconstruction MSE of a fixed-seed training forward (no update). */
    const lossOn = (model: VQTokenizer, x: Tensor) => tf.tidy(() => tf.mean(tf.square(tf.sub(model.trainForward(x, { temperature: 0.5, seed: 1 }).recon, x))).dataSync()[0]);

    it('a few steps reduce the loss (Gumbel and VQ quantizers)', () => {
      for (const quantizer of ['gumbel', 'vq'] as const) {
        const model = new VQTokenizer(trainConfig({ quantizer }), { seed: 1 });
        const trainer = new VQTrainer(model, images, { ...opts, steps: 5, temperature: { start: 0.5, end: 0.5 } });
        const before = lossOn(model, images);
        for (let i = 0; i < 5; i++) trainer.trainStep();
        const after = lossOn(model, images);
        expect(after, `${quantizer}: ${before} → ${after}`).toBeLessThan(before * 0.8);
        trainer.dispose();
        model.dispose();
      }
    });

    it('a training step leaks no tensors', async () => {
      const model = new VQTokenizer(trainConfig(), { seed: 1 });
      const trainer = new VQTrainer(model, images, opts);
      trainer.trainStep(); // creates the optimizer moments
      await expectNoLeaks(() => void trainer.trainStep(), { what: 'trainStep' });
      trainer.dispose();
      model.dispose();
    });

    it('checkpoints atomically and resumes to the same weights and optimizer state as an uninterrupted run', async () => {
      const ropts = { ...opts, warmupSteps: 1 }; // the schedule crosses the resume
      const straight = new VQTrainer(new VQTokenizer(trainConfig(), { seed: 1 }), images, ropts);
      await straight.run();
      const interrupted = new VQTrainer(new VQTokenizer(trainConfig(), { seed: 1 }), images, { ...ropts, checkpointDir: dir, checkpointEvery: 2 });
      interrupted.trainStep();
      interrupted.trainStep();
      await interrupted.saveCheckpoint(join(dir, 'checkpoint-2'));
      expect((await readdir(dir)).filter((f) => f.includes('.tmp'))).toEqual([]);
      expect((await readdir(join(dir, 'checkpoint-2'))).sort()).toEqual(['config.json', 'model.safetensors', 'optimizer.safetensors', 'trainer_state.json']);
      // The optimizer file is tensor-core's AdamW state: step, and exp_avg / exp_avg_sq / step per parameter.
      const { tensors: saved } = await loadSafetensors(join(dir, 'checkpoint-2', 'optimizer.safetensors'));
      expect(saved.get('step')!.dataSync()[0]).toBe(2);
      expect([...saved.keys()]).toContain('exp_avg_sq.encoder.conv_in.weight');
      saved.forEach((t) => t.dispose());
      const resumed = await VQTrainer.resume(join(dir, 'checkpoint-2'), images, ropts);
      expect(resumed.step).toBe(2);
      await resumed.run();
      expect(resumed.step).toBe(4);
      expect(resumed.history.map((h) => h.loss)).toEqual(straight.history.map((h) => h.loss));
      const same = (a: Map<string, Tensor>, b: Map<string, Tensor>) => {
        expect([...b.keys()]).toEqual([...a.keys()]);
        for (const [k, t] of a) expect(tf.tidy(() => tf.max(tf.abs(tf.sub(t, b.get(k)!))).dataSync()[0]), k).toBe(0);
      };
      same(straight.model.stateDict(), resumed.model.stateDict());
      const [sa, sb] = [straight.optimizer.stateDict(), resumed.optimizer.stateDict()];
      same(sa, sb);
      tf.dispose([...sa.values(), ...sb.values()]);
      for (const t of [straight, interrupted, resumed]) {
        t.model.dispose();
        t.dispose();
      }
    });

    it('accepts RawImages and evaluates PSNR / SSIM / codebook usage', () => {
      const raws: RawImage[] = toUint8HWC(images);
      const model = new VQTokenizer(trainConfig(), { seed: 1 });
      const trainer = new VQTrainer(model, raws, opts);
      trainer.trainStep();
      const r = evaluateTokenizer(model, raws);
      expect(r.images).toBe(2);
      expect(r.psnr).toBeGreaterThan(0);
      expect(r.ssim).toBeNaN(); // 8 px is below the 11×11 SSIM window
      expect(r.usedCodes + r.deadCodes).toBe(16);
      expect(r.perplexity).toBeGreaterThanOrEqual(1);
      expect(() => new VQTrainer(model, images, { ...opts, steps: 0 })).toThrow(VQTokenizerError);
      trainer.dispose();
      model.dispose();
    });
  },
  { only: ['cpu'] },
);
