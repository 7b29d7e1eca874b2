import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { resolveVisionConfig, visionParameterCount, numPatches, visionConfigToJSON } from './config.js';
import { visionPreset, VISION_PRESETS } from './presets.js';
import { CLIPVisionModel } from './clip_vision_model.js';
import { VisionEncoderError } from '../errors.js';

describe('CLIPVisionConfig', () => {
  it('the ViT-L/14-336 preset is the reference tower (config and analytic parameter count only)', () => {
    const c = visionPreset('clip-vit-large-patch14-336');
    expect(c).toMatchObject({
      model_type: 'clip_vision_model',
      hidden_size: 1024,
      intermediate_size: 4096,
      num_hidden_layers: 24,
      num_attention_heads: 16,
      image_size: 336,
      patch_size: 14,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
    });
    expect(numPatches(c)).toBe(576);
    // 1024 + 1024·3·14² + 577·1024 + 4·1024 + 24·(4·(1024² + 1024) + 4·1024 + 2·1024·4096 + 4096 + 1024)
    expect(visionParameterCount(c)).toBe(303_507_456);
    // The 224-px ViT-L/14 differs only by 320 position rows: HF's well-known 303,179,776.
    expect(visionParameterCount(visionPreset('clip-vit-large-patch14'))).toBe(303_179_776);
  });

  it('the analytic count equals the instantiated module for the small presets', () => {
    for (const name of ['tiny', 'small'] as const) {
      const m = CLIPVisionModel.fromPreset(name, {}, { seed: 3 });
      expect(m.numParameters(), name).toBe(visionParameterCount(m.config));
      m.dispose();
    }
  });

  it('accepts a full CLIPConfig (vision_config nested) and fills HF defaults', () => {
    const c = resolveVisionConfig({ model_type: 'clip', vision_config: { hidden_size: 64, num_attention_heads: 4, intermediate_size: 128, image_size: 32, patch_size: 8 } });
    expect(c).toMatchObject({ hidden_size: 64, num_hidden_layers: 12, hidden_act: 'quick_gelu', num_channels: 3 });
    expect(visionConfigToJSON(c)).toMatchObject({ architectures: ['CLIPVisionModel'], model_type: 'clip_vision_model', hidden_size: 64 });
  });

  it('rejects inconsistent configs with a typed error naming the field', () => {
    expect(() => resolveVisionConfig({ hidden_size: 50, num_attention_heads: 4 })).toThrow(/hidden_size \(50\) must be divisible by num_attention_heads \(4\)/);
    expect(() => resolveVisionConfig({ image_size: 30, patch_size: 8 })).toThrow(VisionEncoderError);
    expect(() => resolveVisionConfig({ patch_size: 0 }, '/m/config.json')).toThrow(
      expect.objectContaining({ code: 'CONFIG', file: '/m/config.json', message: expect.stringMatching(/\(file \/m\/config\.json\)$/) }),
    );
    expect(() => resolveVisionConfig({ num_hidden_layers: 0 })).toThrow(/'num_hidden_layers' must be a positive integer/);
    expect(() => resolveVisionConfig({ model_type: 'llama' } as Record<string, unknown>)).toThrow(/model_type/);
    expect(() => visionPreset('nope' as 'tiny')).toThrow(/unknown vision preset 'nope'/);
    expect(() => resolveVisionConfig({ hidden_act: 'mish' })).toThrow(/'hidden_act' must name a known activation/);
  });

  it('every preset validates, and the count grows with depth (property)', () => {
    for (const p of VISION_PRESETS) expect(visionParameterCount(visionPreset(p))).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), (layers) => {
        const a = visionParameterCount(visionPreset('tiny', { num_hidden_layers: layers }));
        const b = visionParameterCount(visionPreset('tiny', { num_hidden_layers: layers + 1 }));
        return b - a === 4 * (48 * 48 + 48) + 4 * 48 + 2 * 48 * 96 + 96 + 48;
      }),
      { numRuns: 15 },
    );
  });
});
