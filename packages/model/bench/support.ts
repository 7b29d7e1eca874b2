/**
 * Bench support: the shipped presets built with a tokenizer trained the way the demo trains one
 * (byte-level BPE over vl-health-synth's texts, the template's special tokens, the image tokens).
 * The weights are random: speed does not depend on their values (answers run a fixed length).
 */
import { trainByteLevelBpe, type HFTokenizer } from '@healthgpt/decoder';
import { imageTokenVocabulary } from '@healthgpt/vq-tokenizer';
import { generateSynth } from '@healthgpt/vl-health';
import type { RawImage } from '@healthgpt/tensor-core';
import { HealthGPT, healthGPTPreset, type HealthGPTPresetName } from '@healthgpt/model';

export const SPECIAL = ['<|endoftext|>', '<|system|>', '<|user|>', '<|assistant|>', '<|end|>'];

/** A BPE of about `vocabSize` entries over the synthetic set's questions, answers, captions and reports. */
export function synthTokenizer(vocabSize: number, codebook: number): HFTokenizer {
  const synth = generateSynth({ seed: 0, count: 200, size: 64 });
  const corpus = synth.samples.flatMap((s) => s.conversations.map((c) => c.value.replace('<image>\n', '')));
  const tok = trainByteLevelBpe(corpus, { vocabSize, minFrequency: 2, specialTokens: SPECIAL, eosToken: '<|endoftext|>', padToken: '<|endoftext|>' });
  tok.addTokens(imageTokenVocabulary(codebook), { special: true });
  return tok;
}

/** A preset model (random weights) with such a tokenizer. */
export function presetModel(name: Extract<HealthGPTPresetName, 'tiny' | 'small'>, seed = 0): HealthGPT {
  const probe = healthGPTPreset(name);
  const tok = synthTokenizer(probe.image_tokens!.first_id, probe.vq_config!.n_embed);
  return new HealthGPT(healthGPTPreset(name, { tokenizer: tok }), { seed, tokenizer: tok });
}

/** A grey 8-bit test image (a gradient with a disc), as vl-health-synth's scans are. */
export function scan(size: number): RawImage {
  const data = new Uint8Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) data[y * size + x] = (x - size / 2) ** 2 + (y - size / 3) ** 2 < (size / 6) ** 2 ? 220 : (x + y) % 160;
  return { width: size, height: size, channels: 1, data };
}
