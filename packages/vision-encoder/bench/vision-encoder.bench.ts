/**
 * Images per second through the CLIP tower (every hidden state kept), on the wasm backend:
 * the tiny fixture shape and a ViT-B/16-sized tower at 224 px. Also times the preprocessing
 * (expand2square + Pillow bicubic + normalise) of one 512×384 RGB image to 224 px.
 */
import { tf, initBackend, normal, Generator } from '@healthgpt/tensor-core';
import { CLIPVisionModel, preprocessImage, clipImageProcessorConfig, visionParameterCount, type VisionPresetName } from '../src/index.js';
import { timeIt, pathOf, type BenchReport } from '../../../bench/report.js';

interface Case {
  preset: VisionPresetName;
  batch: number;
  repeats: number;
}

const CASES: Case[] = [
  { preset: 'tiny', batch: 8, repeats: 10 },
  { preset: 'clip-vit-base-patch16', batch: 1, repeats: 3 },
];

/** FLOPs of one image through the tower: 2·(params-ish matmuls) + attention's two T×T matmuls per layer. */
function flopsPerImage(m: CLIPVisionModel): number {
  const c = m.config;
  const t = (c.image_size / c.patch_size) ** 2 + 1;
  const d = c.hidden_size;
  const perLayer = 2 * t * (4 * d * d + 2 * d * c.intermediate_size) + 2 * 2 * t * t * d;
  return c.num_hidden_layers * perLayer + 2 * (t - 1) * d * c.num_channels * c.patch_size ** 2;
}

/** One training step (forward + backward over every parameter) of the tiny tower, batch 8. */
async function trainStep(): Promise<BenchReport['rows'][number]> {
  const model = CLIPVisionModel.fromPreset('tiny', {}, { seed: 0 }).train();
  const x = normal([8, 3, 32, 32], 0, 1, new Generator(2));
  const step = async () => {
    const { loss, grads } = model.computeGradients(() => tf.mean(tf.square(model.forward(x).hiddenStates[2])));
    await loss.data();
    tf.dispose([loss, ...grads.values()]);
  };
  const { median } = await timeIt(step, { warmup: 1, repeats: 10 });
  x.dispose();
  model.dispose();
  return { tower: 'tiny, train step (fwd + bwd)', params: visionParameterCount(model.config), 'image px': 32, tokens: 17, batch: 8, 'ms / batch': median, 'images / s': 8000 / median, 'GFLOP/s': null };
}

export default async function bench(): Promise<BenchReport> {
  const info = await initBackend({ backend: 'wasm' });
  const rows: BenchReport['rows'] = [];
  for (const { preset, batch, repeats } of CASES) {
    const model = CLIPVisionModel.fromPreset(preset, {}, { seed: 0 }).eval();
    const s = model.config.image_size;
    const x = normal([batch, 3, s, s], 0, 1, new Generator(1));
    const run = async () => {
      const out = model.forward(x);
      await out.lastHiddenState.data();
      out.hiddenStates.forEach((h) => h.dispose());
      out.poolerOutput.dispose();
    };
    const { median } = await timeIt(run, { warmup: 1, repeats });
    const gflops = (flopsPerImage(model) * batch) / (median / 1000) / 1e9;
    rows.push({
      tower: preset,
      params: visionParameterCount(model.config),
      'image px': s,
      tokens: (s / model.config.patch_size) ** 2 + 1,
      batch,
      'ms / batch': median,
      'images / s': (batch * 1000) / median,
      'GFLOP/s': gflops,
    });
    x.dispose();
    model.dispose();
  }
  rows.push(await trainStep());
  for (const row of rows) Object.assign(row, pathOf(info));
  const img = { width: 512, height: 384, channels: 3 as const, data: new Uint8Array(512 * 384 * 3).map((_, i) => (i * 31) & 255) };
  const cfg = clipImageProcessorConfig(224);
  const pre = await timeIt(() => tf.dispose(preprocessImage(img, cfg)), { warmup: 1, repeats: 5 });
  rows.push({ tower: 'preprocess 512×384 → 224 (JS)', params: null, 'image px': 224, tokens: null, batch: 1, 'ms / batch': pre.median, 'images / s': 1000 / pre.median, 'GFLOP/s': null });
  return {
    name: 'vision-encoder',
    title: `CLIP vision tower throughput (${info.name}, ${info.threads} thread${info.threads > 1 ? 's' : ''}, SIMD ${info.simd})`,
    rows,
    notes: [
      'Forward in eval mode keeping all L + 1 hidden states; median of the repeats after one warm-up.',
      'The machine is shared with other jobs while this runs: compare rows of the same run, not absolute figures across runs.',
      'GFLOP/s counts the matmuls only (projections, MLP, attention scores and mixing, patch embedding).',
    ],
  };
}
