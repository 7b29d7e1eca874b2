import { describe, it, expect } from 'vitest';
import { VQTokenizer, PRESETS as VQ } from '@healthgpt/vq-tokenizer';
import { parameterCount, preset } from '@healthgpt/decoder';
import { visionParameterCount, visionPreset } from '@healthgpt/vision-encoder';
import { HealthGPT, healthGPTPreset, countParameters, vqParameterCount, HEALTHGPT_PRESETS, ModelError } from '../index.js';

/** R·in + out·R + k·in per wrapped layer (REFERENCE.md §2), summed over Phi-3's four Linear layers and all layers. */
function hloraPhi3(r: number, k: number, d: number, inter: number, heads: number, kv: number, hd: number, layers: number): number {
  const shapes: [number, number][] = [
    [d, (heads + 2 * kv) * hd],
    [heads * hd, d],
    [d, 2 * inter],
    [inter, d],
  ];
  return layers * shapes.reduce((n, [i, o]) => n + r * i + o * r + k * i, 0);
}

describe('presets', () => {
  it('count m3 from its shapes: Phi-3-mini with 40,206 rows, CLIP ViT-L/14-336, two plugins and two projectors', () => {
    const c = countParameters(healthGPTPreset('m3'));
    expect(c.decoder).toBe(parameterCount({ ...preset('phi3-mini-4k'), vocab_size: 32011 + 8195 }));
    expect(c.decoder).toBe(3_871_104_000);
    expect(c.vision).toBe(visionParameterCount(visionPreset('clip-vit-large-patch14-336')));
    expect(c.projectors).toEqual({ comprehension: 1024 * 3072 + 3072 + 3072 * 3072 + 3072, generation: 1024 * 3072 + 3072 + 3072 * 3072 + 3072 });
    expect(c.plugins.comprehension).toBe(hloraPhi3(64, 4, 3072, 8192, 32, 32, 96, 32));
    expect(c.plugins.generation).toBe(hloraPhi3(256, 4, 3072, 8192, 32, 32, 96, 32));
    expect(c.vq).toBe(vqParameterCount(VQ.f8_8192()));
    expect(c.total).toBe(c.model + c.vq);
    expect(healthGPTPreset('m3').image_tokens).toEqual({ first_id: 32011, codebook_size: 8192 });
  });

  it('count l14 and xl32 (comprehension only, no image tokens, no VQ)', () => {
    const l14 = countParameters(healthGPTPreset('l14'));
    expect(l14.decoder).toBe(parameterCount(preset('phi-4')));
    expect(l14.plugins).toEqual({ comprehension: hloraPhi3(32, 4, 5120, 17920, 40, 10, 128, 40) });
    expect(l14.vq).toBe(0);
    const xl = countParameters(healthGPTPreset('xl32'));
    expect(xl.decoder).toBe(parameterCount(preset('qwen2.5-32b')));
    const qwen = [[5120, 5120], [5120, 1024], [5120, 1024], [5120, 5120], [5120, 27648], [5120, 27648], [27648, 5120]];
    expect(xl.plugins.comprehension).toBe(64 * qwen.reduce((n, [i, o]) => n + 32 * i + o * 32 + 4 * i, 0));
    expect(healthGPTPreset('xl32').template).toBe('qwen_2');
  });

  it('give the built model’s counts for the trainable presets (module tree and VQ tokenizer)', () => {
    for (const name of ['tiny', 'small'] as const) {
      const cfg = healthGPTPreset(name);
      const c = countParameters(cfg);
      const m = new HealthGPT(cfg, { init: false });
      expect(m.numParameters(), name).toBe(c.model);
      expect(m.vq!.numParameters(), name).toBe(c.vq);
      m.dispose();
    }
    for (const v of [VQ.f8_64px(), VQ.tiny()]) {
      const vq = new VQTokenizer(v);
      expect(vq.numParameters()).toBe(vqParameterCount(v));
      vq.dispose();
    }
  });

  it('size the vocabulary from a tokenizer length and refuse an unknown preset', () => {
    const c = healthGPTPreset('tiny', { tokenizerLength: 500 });
    expect(c.text_config.vocab_size).toBe(500 + 64 + 3);
    expect(c.image_tokens).toEqual({ first_id: 500, codebook_size: 64 });
    expect(() => healthGPTPreset('huge' as never)).toThrow(ModelError);
    expect(HEALTHGPT_PRESETS).toEqual(['m3', 'l14', 'xl32', 'tiny', 'small']);
  });
});
