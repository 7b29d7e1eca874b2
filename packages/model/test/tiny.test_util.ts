/**
 * Test support: a from-scratch `tiny` HealthGPT with both tasks, a byte-level BPE tokenizer
 * trained on a few sentences (plus the template's special tokens and the image tokens), and
 * small synthetic images.
 */
import { trainByteLevelBpe, type HFTokenizer } from '@healthgpt/decoder';
import { imageTokenVocabulary } from '@healthgpt/vq-tokenizer';
import { tf, type RawImage } from '@healthgpt/tensor-core';
import { GENERATION_ANSWER, type Sample } from '@healthgpt/vl-health';
import { HealthGPT, healthGPTPreset, type HealthGPTConfigJson } from '../src/index.js';

const CORPUS = [
  'Is there a mass in the left lung? Yes.',
  'Which organ is shown? The liver.',
  'What modality is this? CT, axial plane.',
  'Reconstruct this image. Convert this CT to MRI.',
  'Describe the image in one sentence. A brain MRI without lesions.',
];

export const SPECIAL = ['<|endoftext|>', '<|system|>', '<|user|>', '<|assistant|>', '<|end|>'];

/** A tokenizer for the tests: BPE over `CORPUS`, the template's special tokens, then the image tokens of `codebook`. */
export function tinyTokenizer(codebook: number): HFTokenizer {
  const tok = trainByteLevelBpe(CORPUS, { vocabSize: 300, minFrequency: 1, specialTokens: SPECIAL, eosToken: '<|endoftext|>', padToken: '<|endoftext|>' });
  tok.addTokens(imageTokenVocabulary(codebook), { special: true });
  return tok;
}

/** The tiny preset, sized for tests (2 decoder layers), over `tok`. */
export function tinyConfig(tok: HFTokenizer, edit: (c: HealthGPTConfigJson) => void = () => {}): HealthGPTConfigJson {
  const c = healthGPTPreset('tiny', { tokenizer: tok });
  c.text_config.num_hidden_layers = 2;
  c.max_length = 256;
  edit(c);
  return c;
}

export function tinyModel(seed = 1, edit?: (c: HealthGPTConfigJson) => void): HealthGPT {
  const probe = healthGPTPreset('tiny');
  const tok = tinyTokenizer(probe.vq_config!.n_embed);
  return new HealthGPT(tinyConfig(tok, edit), { seed, tokenizer: tok });
}

/** A w×h image with a gradient and a bright square (deterministic). */
export function image(w: number, h: number, channels: 1 | 3 | 4 = 3, seed = 0): RawImage {
  const data = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < channels; c++) {
        const inside = x > w / 4 && x < w / 2 && y > h / 3 && y < (2 * h) / 3;
        data[(y * w + x) * channels + c] = inside ? 230 : (x * 7 + y * 3 + c * 40 + seed * 17) % 200;
      }
  return { width: w, height: h, channels, data };
}

export function comprehensionSample(id: string, question: string, answer: string, images = ['a.png']): Sample {
  return { id, task: 'comprehension', subtask: 'vqa', images, conversations: [{ from: 'human', value: `<image>\n${question}` }, { from: 'gpt', value: answer }], metadata: {} };
}

export function generationSample(id: string, instruction: string): Sample {
  return { id, task: 'generation', subtask: 'reconstruction', images: ['in.png'], targetImage: 'target.png', conversations: [{ from: 'human', value: `<image>\n${instruction}` }, { from: 'gpt', value: GENERATION_ANSWER }], metadata: {} };
}

/** Give every adapter's B a random value (they start at zero, which would make plugins invisible). */
export function perturbPlugins(model: HealthGPT, seed = 3, std = 0.2): void {
  let s = seed;
  for (const [name, p] of model.namedParameters())
    if (name.includes('.lora_B.')) tf.tidy(() => p.assign(tf.randomNormal(p.shape, 0, std, 'float32', s++)));
}

/**
 * Zero every lm_head row except printable-ASCII text tokens, so greedy answers are clean text
 * ending at `<|endoftext|>` (id 0, the eos: a zero row wins when every kept logit is negative).
 */
export function asciiHead(model: HealthGPT): void {
  const tok = model.tokenizer!;
  const v = model.config.text.vocabSize;
  const keep = new Float32Array(v);
  for (let id = 0; id < v; id++) {
    const s = tok.idToToken(id) ?? '';
    const text = s.startsWith('<') ? '' : tok.decode([id]);
    keep[id] = text.length > 0 && /^[ -~]+$/.test(text) ? 1 : 0;
  }
  const w = model.lm.child('lm_head').param('weight');
  tf.tidy(() => w.assign(tf.mul(w, tf.tensor2d(keep, [v, 1]))));
}
