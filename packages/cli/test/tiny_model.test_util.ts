import { join } from 'node:path';
import { trainByteLevelBpe } from '@healthgpt/decoder';
import { imageTokenVocabulary } from '@healthgpt/vq-tokenizer';
import { HealthGPT, healthGPTPreset } from '@healthgpt/model';

/**
 * Save an untrained `tiny` HealthGPT (random weights, a small BPE tokenizer with the template's
 * and the image tokens) into `dir/model`: a real model folder for the commands that load one.
 */
export async function saveTinyModel(dir: string): Promise<string> {
  const tokenizer = trainByteLevelBpe(['Is there a lesion in the left lung? Yes.', 'Which organ is shown? The liver.', 'Convert this CT image into a MRI-T2 image.'], {
    vocabSize: 300,
    minFrequency: 1,
    specialTokens: ['<|endoftext|>', '<|system|>', '<|user|>', '<|assistant|>', '<|end|>'],
    eosToken: '<|endoftext|>',
  });
  tokenizer.addTokens(imageTokenVocabulary(64), { special: true });
  const model = new HealthGPT(healthGPTPreset('tiny', { tokenizer }), { seed: 0, tokenizer });
  try {
    await model.savePretrained(join(dir, 'model'));
  } finally {
    model.dispose();
  }
  return join(dir, 'model');
}
