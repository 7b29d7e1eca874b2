/**
 * The main example (until the `healthgpt demo` command exists): the shipped decoder,
 * `@healthgpt/decoder`'s DecoderLM (Phi-3 layout) at the benchmark's size (d 256, 4 layers,
 * 4 heads, vocab 1024; 3.7 M parameters), learns a few radiology sentences with a byte-level BPE
 * tokenizer trained here, using tensor-core's AdamW (parameter groups, warm-up + cosine schedule,
 * gradient clipping) on the default backend; it is saved as an HF model folder, reloaded, and
 * asked to complete a prompt.
 *
 *   node --import tsx examples/train-decoder.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tf, initBackend, AdamW, Generator, paramGroups, warmupCosine, clipGradNorm, allFinite } from '@healthgpt/tensor-core';
import { DecoderLM, trainByteLevelBpe, allowedTokens } from '@healthgpt/decoder';
import { BENCH_DECODER } from '../bench/train_decoder.js';

const corpus = [
  'axial ct of the head shows no acute hemorrhage.',
  'frontal chest x-ray: the lungs are clear.',
  't2 mri shows a small lesion in the left lobe.',
  'coronal ct of the abdomen shows a normal liver and spleen.',
  'the heart size is normal and there is no pleural effusion.',
  'a round lesion is seen in the right kidney.',
];
const STEPS = 60;
const BATCH = 8;
const SEQ = 128;

const backend = await initBackend();
console.log(`backend: ${backend.engine}; matmuls: ${backend.matmul.label}`);

// A byte-level BPE learned from the corpus; its ids are the first rows of the model's 1024.
const tok = trainByteLevelBpe(corpus, { vocabSize: 300, minFrequency: 1, specialTokens: ['<|endoftext|>'], eosToken: '<|endoftext|>' });
const eos = tok.tokenToId('<|endoftext|>')!;
const stream = corpus.flatMap((s) => [...tok.encode(s + ' '), eos]);
console.log(`tokenizer: ${tok.length} tokens; corpus: ${stream.length} tokens`);

const model = new DecoderLM({ ...BENCH_DECODER, eos_token_id: eos }, { seed: 0 });
console.log(`model: DecoderLM ${model.config.modelType}, ${model.numParameters().toLocaleString('en-US')} parameters`);
model.train();

// Decay the matrices, not the norm weights; warm up for 10 steps, then cosine down to 10 %.
const opt = new AdamW(paramGroups(model.trainableParameters(), [{ name: 'no_decay', match: (_, p) => p.rank < 2, weightDecay: 0 }]), { lr: 3e-3, weightDecay: 0.01 });
const lr = warmupCosine({ peak: 3e-3, warmupSteps: 10, totalSteps: STEPS, floor: 3e-4 });

/** BATCH windows of SEQ tokens from the (repeated) corpus stream, at seeded offsets. */
const gen = new Generator(1);
const batch = () => {
  const rows = Array.from({ length: BATCH }, () => {
    const start = gen.int(stream.length);
    return Array.from({ length: SEQ }, (_, i) => stream[(start + i) % stream.length]);
  });
  return tf.tensor2d(rows, [BATCH, SEQ], 'int32');
};

const t0 = performance.now();
for (let step = 0; step < STEPS; step++) {
  opt.setLr(lr(step));
  const ids = batch();
  const { loss, grads } = model.computeGradients(() => model.forward({ inputIds: ids, labels: ids, useCache: false }).loss!);
  const norm = clipGradNorm(grads, 1.0);
  if (allFinite(grads)) opt.step(grads);
  if (step % 10 === 0 || step === STEPS - 1) console.log(`step ${String(step).padStart(3)}  loss ${loss.dataSync()[0].toFixed(3)}  grad norm ${norm.toFixed(2)}  lr ${lr(step).toExponential(1)}`);
  tf.dispose([ids, loss, ...grads.values()]);
}
console.log(`trained ${STEPS} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const dir = mkdtempSync(join(tmpdir(), 'healthgpt-example-'));
try {
  await model.savePretrained(dir);
  const reloaded = await DecoderLM.fromPretrained(dir);
  console.log(`saved and reloaded ${dir} (config.json + model.safetensors)`);
  const prompt = 'axial ct of the';
  const { sequences } = reloaded.generate({
    inputIds: [tok.encode(prompt)],
    maxNewTokens: 16,
    stopTokens: [eos],
    logitsProcessors: [allowedTokens('tokenizer', () => ({ lo: 0, hi: tok.length }))], // rows past the tokenizer were never trained
  });
  console.log(`completion: "${prompt}${tok.decode(sequences[0], { skipSpecialTokens: true })}"`);
  reloaded.dispose();
} finally {
  rmSync(dir, { recursive: true, force: true });
  opt.dispose();
  model.dispose();
}
