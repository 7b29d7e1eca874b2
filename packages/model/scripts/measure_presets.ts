/**
 * Measures what one training step of every demo stage costs for the `tiny` and `small` presets,
 * to size them for a demo that runs stage 0 (tokenizer, decoder, vision tower and VQ tokenizer
 * from scratch), stages 1–3 and an evaluation in under 10 minutes on two cores.
 *
 *   node --import tsx packages/model/scripts/measure_presets.ts [tiny|small ...]
 *
 * Each step is forward + backward + an AdamW update (tensor-core's). Reported per step: wall ms and process CPU ms (the better figure on a shared machine:
 * with one wasm thread, an idle machine's wall time is about the CPU time). Medians of 5 steps
 * after 2 warm-ups.
 */
import os from 'node:os';
import { tf, initBackend, AdamW, type Tensor, type Variable } from '@healthgpt/tensor-core';
import { DecoderLM } from '@healthgpt/decoder';
import { CLIPVisionModel } from '@healthgpt/vision-encoder';
import { VQTokenizer, rawImagesToTensor } from '@healthgpt/vq-tokenizer';
import { generateSynth, grayToRaw } from '@healthgpt/vl-health';
import { healthGPTPreset, countParameters, type HealthGPT, type EncodedSample } from '@healthgpt/model';
import { presetModel, synthTokenizer } from '../bench/support.js';

const WARMUP = 2;
const STEPS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median wall and CPU ms of `step`. */
function time(step: () => void): { wall: number; cpu: number } {
  for (let i = 0; i < WARMUP; i++) step();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    step();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** One training step: loss → gradients of the named variables → AdamW. */
function stepper(named: [string, Variable][]): (loss: () => Tensor) => void {
  const opt = new AdamW(named, { lr: 1e-3, weightDecay: 0 });
  const vars = named.map(([, v]) => v);
  return (loss) => {
    const { value, grads } = tf.variableGrads(loss as () => tf.Scalar, vars);
    const byName = new Map(named.flatMap(([n, v]) => (grads[v.name] ? [[n, grads[v.name]] as [string, Tensor]] : [])));
    opt.step(byName);
    tf.dispose([value, ...byName.values()]);
  };
}

const trainable = (m: { trainableParameters(): [string, Variable][] }, keep: (n: string) => boolean = () => true) => m.trainableParameters().filter(([n]) => keep(n));

async function measure(name: 'tiny' | 'small'): Promise<void> {
  const cfg = healthGPTPreset(name);
  const size = cfg.vision_config.image_size!;
  const synth = generateSynth({ seed: 0, count: 100, size: Math.max(64, size) }); // the phantoms need ≥ 64 px; the processor resizes
  const images = [...synth.images.values()].map(grayToRaw);
  const rows: [string, string, { wall: number; cpu: number }][] = [];

  const t0 = performance.now();
  const tok = synthTokenizer(cfg.image_tokens!.first_id, cfg.vq_config!.n_embed);
  rows.push(['stage 0', 'tokenizer (BPE over the synthetic texts, once)', { wall: performance.now() - t0, cpu: NaN }]);

  const vq = new VQTokenizer(cfg.vq_config!, { seed: 1 });
  const vqBatch = rawImagesToTensor(images.slice(0, 8), { size: cfg.vq_config!.ddconfig.resolution });
  const vqStep = stepper(trainable(vq));
  rows.push(['stage 0', `VQ tokenizer step, batch 8 at ${cfg.vq_config!.ddconfig.resolution} px`, time(() => vqStep(() => {
    const o = vq.trainForward(vqBatch, { temperature: 1, hard: false });
    return tf.add(tf.mean(tf.square(tf.sub(o.recon, vqBatch))), o.loss);
  }))]);

  const tower = new CLIPVisionModel(cfg.vision_config, { seed: 2 });
  const head = tf.variable(tf.randomNormal([cfg.vision_config.hidden_size!, 4], 0, 0.02));
  const model0: HealthGPT = presetModel(name, 3);
  const pixels = model0.processor.pixelTensor(images.slice(0, 16).map((im) => model0.processor.pixels(im)))!;
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 4), 'int32'), 4);
  const towerStep = stepper([...trainable(tower), ['head', head]]);
  rows.push(['stage 0', `vision tower step (attribute classifier on the CLS state), batch 16 at ${size} px`, time(() => towerStep(() => tf.losses.softmaxCrossEntropy(labels, tf.matMul(tower.forward(pixels).poolerOutput, head))))]);

  const text = synth.samples.flatMap((s) => s.conversations.map((c) => c.value.replace('<image>\n', ''))).join(' ');
  const ids = tok.encode(text).slice(0, 8 * 128);
  const lmIds = Array.from({ length: 8 }, (_, b) => ids.slice(b * 128, (b + 1) * 128));
  const lm = new DecoderLM({ ...cfg.text_config, vocab_size: tok.length }, { seed: 4 });
  const lmStep = stepper(trainable(lm));
  rows.push(['stage 0', 'decoder LM step, batch 8 × 128 tokens', time(() => lmStep(() => lm.forward({ inputIds: lmIds, labels: lmIds, useCache: false }).loss!))]);

  const model = presetModel(name, 5);
  const p = model.processor;
  const encoded: EncodedSample[] = [];
  for (const s of synth.samples) {
    if (encoded.filter((e) => e.task === s.task).length >= 4) continue;
    const imgs = s.images.map((path) => grayToRaw(synth.images.get(path)!));
    encoded.push(p.encodeSample(s, imgs, s.targetImage ? grayToRaw(synth.images.get(s.targetImage)!) : undefined));
  }
  const batch = p.collate(encoded);
  const stage = (label: string, keep: (n: string) => boolean) => {
    model.setTrainable(false);
    model.setTrainableWhere(keep, true);
    const named = trainable(model);
    const step = stepper(named);
    rows.push([label, `batch 8 (4 comprehension + 4 generation samples, ${Math.max(...batch.inputIds.map((r) => r.length))} ids + images), ${named.reduce((n, [, v]) => n + v.size, 0)} trainable`, time(() => step(() => model.computeLoss(batch)))]);
  };
  stage('stage 1', (n) => n.includes('_projector.') || n.includes('.generation.') || n === 'model.embed_tokens.weight' || n === 'lm_head.weight');
  stage('stage 2', (n) => n === 'model.embed_tokens.weight' || n === 'lm_head.weight');
  stage('stage 3', (n) => n.includes('_projector.') || n.includes('.lora_'));
  const q = images.slice(0, 8).map((im) => ({ images: im, question: 'Which organ is shown?' }));
  rows.push(['eval', '8 questions, answers up to 12 tokens', time(() => model.comprehendBatch(q, { maxNewTokens: 12 }))]);
  rows.push(['eval', '4 images generated (grid² codes + VQ decode)', time(() => model.generateImages(images.slice(0, 4).map((im) => ({ image: im, instruction: 'Reconstruct this image.' }))))]);

  const c = countParameters(model.config.json);
  console.log(`\n## ${name}: decoder ${c.decoder}, vision ${c.vision}, plugins ${Object.values(c.plugins).join(' + ')}, VQ ${c.vq} parameters; vocabulary ${model.config.text.vocabSize}`);
  console.log('| stage | step | wall ms | CPU ms |\n| --- | --- | --- | --- |');
  for (const [s, what, t] of rows) console.log(`| ${s} | ${what} | ${t.wall.toFixed(0)} | ${Number.isNaN(t.cpu) ? '–' : t.cpu.toFixed(0)} |`);
  tf.dispose([vqBatch, pixels, labels, head, batch.pixelValues!]);
  [vq, tower, model0, lm, model].forEach((m) => m.dispose());
}

const info = await initBackend({ backend: 'wasm', threads: 1 });
console.log(`engine: tfjs ${info.name}, ${info.threads} thread; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
for (const name of (process.argv.slice(2).length ? process.argv.slice(2) : ['tiny', 'small']) as ('tiny' | 'small')[]) await measure(name);
