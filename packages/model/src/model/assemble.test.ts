import { describe, it, expect } from 'vitest';
import { tf } from '@healthgpt/tensor-core';
import { DecoderLM, trainByteLevelBpe } from '@healthgpt/decoder';
import { CLIPVisionModel, visionPreset } from '@healthgpt/vision-encoder';
import { VQTokenizer, findImageTokenIds } from '@healthgpt/vq-tokenizer';
import { AdaptedLinear, adaptedLayers } from '@healthgpt/h-lora';
import { expectNoLeaks } from '@healthgpt/testing';
import { assemble, healthGPTPreset, ModelError } from '../index.js';
import { SPECIAL } from '../../test/tiny.test_util.js';

function parts() {
  const tokenizer = trainByteLevelBpe(['Is there a mass? Yes.', 'Which organ? The liver.'], { vocabSize: 280, minFrequency: 1, specialTokens: SPECIAL, eosToken: '<|endoftext|>' });
  const preset = healthGPTPreset('tiny', { tokenizer });
  const decoder = new DecoderLM({ ...preset.text_config, vocab_size: tokenizer.length, num_hidden_layers: 2 }, { seed: 1 });
  const visionTower = new CLIPVisionModel(visionPreset('tiny'), { seed: 2 });
  const vq = new VQTokenizer(preset.vq_config!, { seed: 3 });
  return { tokenizer, decoder, visionTower, vq, tasks: preset.tasks };
}

describe('assemble', () => {
  it('extends the vocabulary (tokenizer, embedding, head) before the plugins wrap the decoder', () => {
    const p = parts();
    const oldLen = p.tokenizer.length;
    const oldMean = tf.tidy(() => tf.mean(p.decoder.embedWeight, 0));
    const model = assemble({ ...p, seed: 4 });
    const ids = findImageTokenIds(p.tokenizer, 64);
    expect(ids.start).toBe(oldLen);
    expect(model.config.imageTokens).toEqual(ids);
    expect(model.config.text.vocabSize).toBe(p.tokenizer.length);
    const newRow = model.lm.embedWeight.slice([ids.end, 0], [1, -1]).reshape([-1]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(newRow, oldMean))).dataSync()[0])).toBeLessThan(1e-6);
    expect(adaptedLayers(model).map(([path]) => path).every((path) => /^model\.layers\.\d+\./.test(path))).toBe(true);
    expect(model.getSubmodule('lm_head')).not.toBeInstanceOf(AdaptedLinear);
    expect(model.getSubmodule('model.vision_tower.vision_tower')).toBe(p.visionTower);
    // Fresh plugins change nothing yet (B = 0).
    expect(tf.tidy(() => tf.max(tf.abs(model.lm.child('lm_head').param('weight'))).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([oldMean, newRow]);
    model.dispose();
  });

  it('disposes the parts when it fails, and names what is missing', async () => {
    await expectNoLeaks(() => {
      const p = parts();
      const { vq, ...rest } = p;
      vq.dispose();
      expect(() => assemble(rest)).toThrow(ModelError);
    }, { what: 'failed assemble' });
  });
});
