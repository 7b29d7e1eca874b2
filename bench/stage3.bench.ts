/**
 * `npm run bench -- stage3`: tokens/s of one stage-3 training step of the `tiny` and `small`
 * HealthGPT (vision tower frozen, the comprehension H-LoRA on every decoder linear and its
 * projector trainable, AdamW, gradient clipping) on @healthgpt/trainer's loop, against the same
 * model from the same safetensors and the same batch in PyTorch eager (stage3_step.py, Debian's
 * python3-torch), rounds interleaved in one run so machine load hits both alike.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf, initBackend, backendInfo, saveSafetensors, Generator } from '@healthgpt/tensor-core';
import { trainByteLevelBpe, IMAGE_TOKEN_INDEX } from '@healthgpt/decoder';
import { imageTokenVocabulary } from '@healthgpt/vq-tokenizer';
import { visionConfigToJSON } from '@healthgpt/vision-encoder';
import { HealthGPT, healthGPTPreset, type HealthGPTPresetName } from '@healthgpt/model';
import { Trainer, type Task } from '@healthgpt/trainer';
import { median, pathOf, torchPath, type BenchReport } from './report.js';
import { runTorch } from './torch.js';

const SCRIPT = fileURLToPath(new URL('./stage3_step.py', import.meta.url));
const ROUNDS = 3;
const STEPS = 3;
/** Untimed steps at the start of every round on both sides (our first step after a PyTorch round runs on caches it evicted). */
const WARMUP = 1;
const BATCH = 8;
const TEXT = 48;
const LR = 2e-4;

interface TorchRun {
  torch: string;
  trainable: number;
  ms: number[];
  losses: number[];
}

function model(preset: HealthGPTPresetName): HealthGPT {
  const specials = ['<|endoftext|>', '<|system|>', '<|user|>', '<|assistant|>', '<|end|>'];
  const probe = healthGPTPreset(preset);
  const tok = trainByteLevelBpe(['Is there a mass in the left lung? Yes.', 'Which organ is shown? The liver.'], { vocabSize: 300, minFrequency: 1, specialTokens: specials, eosToken: '<|endoftext|>', padToken: '<|endoftext|>' });
  tok.addTokens(imageTokenVocabulary(probe.vq_config!.n_embed), { special: true });
  const cfg = healthGPTPreset(preset, { tokenizer: tok });
  for (const t of Object.values(cfg.tasks)) t.plugin!.lora_dropout = 0; // the same computation on both sides
  return new HealthGPT(cfg, { seed: 1, tokenizer: tok });
}

/** One fixed batch: an image then TEXT tokens per row, the second half supervised. */
function batch(m: HealthGPT) {
  const g = new Generator(3);
  const v = 300;
  const ids = Array.from({ length: BATCH }, () => [1, IMAGE_TOKEN_INDEX, ...Array.from({ length: TEXT }, () => 5 + g.int(v - 5))]);
  const labels = ids.map((r) => r.map((x, j) => (j < 2 + TEXT / 2 ? -100 : x)));
  const s = m.config.vision.image_size;
  const pixels = Array.from({ length: BATCH * 3 * s * s }, () => g.normal());
  return { ids, labels, pixels, s, tokens: BATCH * (ids[0].length - 1 + m.patchesPerImage) };
}

export default async function bench(): Promise<BenchReport> {
  const info = await initBackend();
  const rows: BenchReport['rows'] = [];
  const notes: string[] = [];
  for (const preset of ['tiny', 'small'] as const) {
    console.error(`# stage 3 step, ${preset}`);
    const m = model(preset);
    const b = batch(m);
    const pv = tf.tensor4d(b.pixels, [BATCH, 3, b.s, b.s]);
    const task: Task<number, null> = {
      name: 'comprehension',
      items: [0],
      collate: () => null,
      loss: () => m.computeLoss({ inputIds: b.ids, labels: b.labels, pixelValues: pv, task: 'comprehension' }),
      tokens: () => b.tokens,
    };
    const ms: number[] = [];
    const losses: number[] = [];
    const stage = (steps: number) => ({ name: 'stage3', trainable: ['**.lora_*.comprehension.weight', 'model.mm_projector.**'], lr: LR, batchSize: 1, clipNorm: 1, length: { steps } });
    const dir = mkdtempSync(join(tmpdir(), 'healthgpt-bench-stage3-'));
    try {
      const weights = join(dir, 'model.safetensors');
      await saveSafetensors(weights, new Map(m.namedParameters()));
      const plugin = m.task('comprehension').plugin!;
      const settings = join(dir, 'settings.json');
      writeFileSync(
        settings,
        JSON.stringify({
          text: m.config.text.json,
          vision: visionConfigToJSON(m.config.vision),
          task: 'comprehension',
          plugin: { r: plugin.config.r, alpha: plugin.config.loraAlpha, k: plugin.config.loraNums },
          select_layer: m.task('comprehension').selectLayer,
          projector: m.task('comprehension').projector,
          ids: b.ids,
          labels: b.labels,
          pixels: b.pixels,
          lr: LR,
          warmup: WARMUP,
          steps: STEPS,
        }),
      );
      // one optimizer, many rounds: a stage of 1 + ROUNDS·(WARMUP + STEPS) steps, paused for PyTorch between rounds
      const torchMs: number[] = [];
      let torch: TorchRun | string = '';
      let round = 0;
      const trainer = new Trainer({
        model: m,
        tasks: [task],
        progress: false,
        onStep: (r) => {
          losses.push(r.loss);
          const pos = (r.step - 2) % (WARMUP + STEPS); // step 1 warms up before the first round
          if (r.step > 1 && pos >= WARMUP) ms.push(r.ms);
          if (r.step > 1 && pos === WARMUP + STEPS - 1 && round < ROUNDS && typeof torch !== 'string') {
            const t = runTorch<TorchRun>(SCRIPT, [weights, settings]);
            if (typeof t === 'string') torch = t;
            else {
              torchMs.push(...t.ms);
              if (round === 0) torch = t;
            }
            round++;
          }
        },
      });
      const first = runTorch<TorchRun>(SCRIPT, [weights, settings]);
      if (typeof first === 'string') torch = first;
      else {
        torch = first;
        torchMs.push(...first.ms);
      }
      await trainer.run([stage(1 + ROUNDS * (WARMUP + STEPS))]);
      const ours = (b.tokens * 1000) / median(ms);
      rows.push({ model: preset, run: 'ours (@healthgpt/trainer)', ...pathOf(backendInfo()), 'tok/s': ours, 'ms/step': median(ms), 'vs PyTorch': null, note: `batch ${BATCH} × ${b.ids[0].length - 1 + m.patchesPerImage} spliced positions, ${m.numParameters({ trainableOnly: true }).toLocaleString('en-US')} trainable of ${m.numParameters().toLocaleString('en-US')}` });
      if (typeof torch === 'string') notes.push(`${preset}: ${torch}`);
      else {
        const theirs = (b.tokens * 1000) / median(torchMs);
        rows[rows.length - 1]['vs PyTorch'] = ours / theirs;
        rows.push({ model: preset, run: `PyTorch ${torch.torch}`, ...torchPath(torch.torch, 2), 'tok/s': theirs, 'ms/step': median(torchMs), 'vs PyTorch': 1, note: `${torch.trainable.toLocaleString('en-US')} trainable; first losses ours ${losses.slice(0, 2).map((x) => x.toFixed(5)).join(', ')}, PyTorch ${torch.losses.slice(0, 2).map((x) => x.toFixed(5)).join(', ')}` });
      }
    } finally {
      pv.dispose();
      m.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  notes.unshift(
    `One stage-3 step: the batch (${BATCH} rows: an image and ${TEXT} text tokens, the second half supervised) goes through the frozen CLIP tower, the projector, the decoder with the comprehension H-LoRA on every decoder linear (plugin dropout 0 on both sides so they compute the same thing), the cross-entropy, backward, clipping at 1 and AdamW (lr ${LR}); tokens = spliced positions (text + image patches). Median over ${ROUNDS} rounds × ${STEPS} steps after ${WARMUP} untimed warm-up step each, ours and PyTorch alternating. Backend: ${info.name}.`,
    'Compare the ratio within one run; absolute figures drift with the machine’s load.',
  );
  return { name: 'stage3', title: 'One stage-3 training step of HealthGPT tiny / small: @healthgpt/trainer against PyTorch eager', rows, notes };
}
