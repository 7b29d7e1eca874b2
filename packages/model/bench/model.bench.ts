/**
 * @healthgpt/model latency and memory on the shipped `tiny` and `small` presets (random weights):
 * comprehension (prefill + a 32-token answer), one generated image (grid² constrained tokens +
 * the VQ decoder), and int8 weight-only inference against float32 (weight memory, forward and
 * answer latency; interleaved rounds, medians).
 */
import os from 'node:os';
import { tf, initBackend, Int8Linear, type Tensor } from '@healthgpt/tensor-core';
import { countParameters, type HealthGPT } from '@healthgpt/model';
import { median, pathOf, type BenchReport } from '../../../bench/report.js';
import { presetModel, scan } from './support.js';

const ANSWER = 32;
const ROUNDS = 5;
const QUESTION = 'Is there a lesion in the left lung? Describe its size and location.';

/** Prompt ids (one image) and pixel values for the comprehension question. */
function request(model: HealthGPT): { ids: number[][]; pixels: Tensor } {
  const p = model.processor;
  return { ids: [p.promptIds(QUESTION, { images: 1, task: 'comprehension' })], pixels: p.pixelTensor([p.pixels(scan(64))])! };
}

/** ms to the first token (vision + projector + prefill) and for the whole 32-token answer. */
function answer(model: HealthGPT, ids: number[][], pixels: Tensor): { prefill: number; total: number } {
  const t0 = performance.now();
  let first = 0;
  model.generate({ inputIds: ids, pixelValues: pixels, task: 'comprehension' }, { maxNewTokens: ANSWER, stopTokens: [], onToken: ({ step }) => void (step === 0 && (first = performance.now())) });
  return { prefill: first - t0, total: performance.now() - t0 };
}

function forward(model: HealthGPT, ids: number[][], pixels: Tensor): number {
  const t0 = performance.now();
  tf.dispose(model.forward({ inputIds: ids, pixelValues: pixels, task: 'comprehension' }).logits);
  return performance.now() - t0;
}

/** Float32 tensor bytes plus int8 weights held outside TensorFlow.js. */
function weightMB(model: HealthGPT): number {
  const floats = model.namedParameters().reduce((n, [, p]) => n + 4 * p.size, 0);
  const int8 = model.namedModules().reduce((n, [, m]) => n + (m instanceof Int8Linear ? m.weightBytes : 0), 0);
  return (floats + int8) / 2 ** 20;
}

export default async function bench(): Promise<BenchReport> {
  const info = await initBackend();
  const path = pathOf(info);
  const engine = `${path.engine}, matmuls on ${path.matmul}`;
  const int8Rows = path.matmul.startsWith('native') ? "the native addon's int8 × float32 kernel" : 'int8 × float32 dot products in JS';
  const rows: BenchReport['rows'] = [];
  const notes: string[] = [`Engine: ${engine}. Random weights; answers run exactly ${ANSWER} tokens (no stop token), images exactly grid² codes. Medians of ${ROUNDS} runs after one warm-up. Load average at the start: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores.`];
  for (const name of ['tiny', 'small'] as const) {
    const model = presetModel(name, 1);
    const counts = countParameters(model.config.json);
    const { ids, pixels } = request(model);
    answer(model, ids, pixels);
    const runs = Array.from({ length: ROUNDS }, () => answer(model, ids, pixels));
    model.generateImage(scan(64), 'Reconstruct this image.');
    const image = Array.from({ length: ROUNDS }, () => {
      const t0 = performance.now();
      model.generateImage(scan(64), 'Reconstruct this image.');
      return performance.now() - t0;
    });
    const grid = Math.sqrt(model.generateImage(scan(64), 'Reconstruct this image.').codes.length);
    rows.push({
      preset: name,
      row: 'float32',
      ...path,
      parameters: counts.model,
      prompt_positions: ids[0].length - 1 + model.patchesPerImage,
      prefill_ms: median(runs.map((r) => r.prefill)),
      answer_32_ms: median(runs.map((r) => r.total)),
      answer_tok_s: (ANSWER - 1) / ((median(runs.map((r) => r.total)) - median(runs.map((r) => r.prefill))) / 1000),
      image_ms: median(image),
      image_tokens: grid * grid + 1,
      weights_mb: weightMB(model),
      forward_ms: null,
    });
    // int8 against float32 on the same prompt: a second model with the same weights, quantized; rounds interleaved.
    const q = presetModel(name, 1);
    q.quantize('int8');
    const f32: { fwd: number[]; ans: number[] } = { fwd: [], ans: [] };
    const i8: { fwd: number[]; ans: number[] } = { fwd: [], ans: [] };
    forward(q, ids, pixels);
    answer(q, ids, pixels);
    for (let r = 0; r < ROUNDS; r++) {
      f32.fwd.push(forward(model, ids, pixels));
      i8.fwd.push(forward(q, ids, pixels));
      f32.ans.push(answer(model, ids, pixels).total);
      i8.ans.push(answer(q, ids, pixels).total);
    }
    const fl = model.forward({ inputIds: ids, pixelValues: pixels, task: 'comprehension' });
    const ql = q.forward({ inputIds: ids, pixelValues: pixels, task: 'comprehension' });
    const err = tf.tidy(() => tf.max(tf.abs(tf.sub(fl.logits, ql.logits))).dataSync()[0] / tf.max(tf.abs(fl.logits)).dataSync()[0]);
    tf.dispose([fl.logits, ql.logits]);
    rows[rows.length - 1].forward_ms = median(f32.fwd);
    rows.push({ preset: name, row: 'int8 weights', engine: path.engine, matmul: `${int8Rows} for ≤ 8 rows, else dequantized onto ${path.matmul}`, parameters: counts.model, prompt_positions: ids[0].length - 1 + model.patchesPerImage, prefill_ms: null, answer_32_ms: median(i8.ans), answer_tok_s: null, image_ms: null, image_tokens: null, weights_mb: weightMB(q), forward_ms: median(i8.fwd) });
    notes.push(`${name}: int8 forward ${(median(i8.fwd) / median(f32.fwd)).toFixed(2)}x float32's time, 32-token answer ${(median(i8.ans) / median(f32.ans)).toFixed(2)}x (interleaved rounds); weights ${weightMB(q).toFixed(1)} MB vs ${weightMB(model).toFixed(1)} MB (the embedding table and adapters stay float32); max |Δlogit| ${(100 * err).toFixed(2)} % of max |logit|.`);
    pixels.dispose();
    model.dispose();
    q.dispose();
  }
  notes.push(`int8 runs its dot products for ≤ 8 rows (decoding) on ${int8Rows} and dequantizes a layer at a time for longer inputs.`);
  return { name: 'model', title: 'HealthGPT (tiny, small): comprehension and image generation latency; int8 vs float32', rows, notes };
}
