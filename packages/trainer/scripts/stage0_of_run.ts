/** The stage-0 parts of an earlier `healthgpt demo --out DIR` run, for the scripts that rerun its stages 1–3. */
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { DecoderLM } from '@healthgpt/decoder';
import { CLIPVisionModel } from '@healthgpt/vision-encoder';
import { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { HealthGPT, healthGPTPreset } from '@healthgpt/model';
import { loadCheckpointWeights } from '../src/loop/checkpoint.js';

/**
 * The run's stage-0 decoder checkpoint after the language model (a question phase's checkpoint
 * comes after it), as a text-only decoder without image-token rows, and the tokenizer, vision tower
 * and VQ tokenizer of its trained model, which stages 1–3 never train.
 */
export async function stage0OfRun(dir: string) {
  const trained = await HealthGPT.fromPretrained(join(dir, 'model'));
  const tokenizer = trained.tokenizer!;
  const imageTokens = trained.config.imageTokens!;
  const ckptDir = join(dir, 'stage0-decoder', 'checkpoints');
  const spec = healthGPTPreset('tiny');
  const decoder = new DecoderLM({ ...spec.text_config, vocab_size: imageTokens.start, bos_token_id: tokenizer.bosTokenId, eos_token_id: tokenizer.eosTokenId, pad_token_id: tokenizer.padTokenId ?? tokenizer.eosTokenId }, { init: false });
  await loadCheckpointWeights(join(ckptDir, readdirSync(ckptDir).sort()[0]), decoder);
  const visionTower = new CLIPVisionModel(trained.visionTower.config, { init: false });
  visionTower.loadStateDict(trained.visionTower.stateDict());
  const vq = new VQTokenizer(trained.vq!.config, { init: false });
  vq.loadStateDict(trained.vq!.stateDict());
  trained.dispose();
  return { tokenizer, decoder, visionTower, vq, imageTokens, template: spec.template };
}
