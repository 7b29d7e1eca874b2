import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Generator, getDefaultGenerator } from '@healthgpt/tensor-core';
import { expectNoLeaks, generatorFailingAfter } from '@healthgpt/testing';
import { resolveVisionConfig, visionParameterCount, numPatches, visionConfigToJSON } from './config.js';
import { visionKeyShapes } from './checkpoint.js';
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
      expect.objectContaining({ code: 'CONFIG', file: '/m/config.json', path: 'patch_size', message: expect.stringMatching(/\(file \/m\/config\.json, at patch_size\)$/) }),
    );
    expect(() => resolveVisionConfig({ num_hidden_layers: 0 })).toThrow(/'num_hidden_layers' must be > 0, got 0/);
    expect(() => resolveVisionConfig({ model_type: 'llama' } as Record<string, unknown>)).toThrow(/model_type/);
    expect(() => visionPreset('nope' as 'tiny')).toThrow(/unknown vision preset 'nope'/);
    expect(() => resolveVisionConfig({ hidden_act: 'mish' })).toThrow(/'hidden_act' must be one of "quick_gelu", "gelu"/);
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

  it('wrongly typed fields are CONFIG errors naming the field, in a flat or a nested (CLIPConfig) file', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ hidden_size: '48' }, 'hidden_size'],
      [{ layer_norm_eps: true }, 'layer_norm_eps'],
      [{ num_hidden_layers: 2.5 }, 'num_hidden_layers'],
      [{ image_size: 1e12 }, 'image_size'],
      [{ dropout: 1 }, 'dropout'],
    ];
    for (const [over, path] of cases) {
      expect(() => resolveVisionConfig({ ...visionPreset('tiny'), ...over }, 'c.json')).toThrow(expect.objectContaining({ name: 'VisionEncoderError', code: 'CONFIG', path, file: 'c.json' }));
      expect(() => resolveVisionConfig({ model_type: 'clip', vision_config: { ...visionPreset('tiny'), ...over } }, 'c.json')).toThrow(expect.objectContaining({ code: 'CONFIG', path: `vision_config.${path}` }));
    }
    expect(() => resolveVisionConfig(null as never, 'c.json')).toThrow(/a CLIP config must be a JSON object, got null/);
    expect(() => resolveVisionConfig({ vision_config: null }, 'c.json')).toThrow(expect.objectContaining({ path: 'vision_config' }));
  });

  it('any mutation of a valid config gives a config or a CONFIG VisionEncoderError (fuzz)', () => {
    const fields = Object.keys(visionPreset('tiny'));
    fc.assert(
      fc.property(fc.boolean(), fc.dictionary(fc.constantFrom(...fields), fc.jsonValue(), { maxKeys: 3 }), (nested, over) => {
        const flat = { ...visionPreset('tiny'), ...over };
        try {
          const c = resolveVisionConfig(nested ? { model_type: 'clip', vision_config: flat } : flat, 'c.json');
          expect(c.hidden_size % c.num_attention_heads).toBe(0);
          expect(c.image_size % c.patch_size).toBe(0);
        } catch (e) {
          expect(e).toBeInstanceOf(VisionEncoderError);
          expect(e).toMatchObject({ code: 'CONFIG', file: 'c.json' });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the key map names every parameter a built tower has, with its shape, in order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.constantFrom(1, 2, 4), fc.constantFrom(4, 8), fc.integer({ min: 1, max: 3 }), (layers, heads, patch, grid) => {
        const c = resolveVisionConfig({ hidden_size: 8, intermediate_size: 12, num_hidden_layers: layers, num_attention_heads: heads, patch_size: patch, image_size: patch * grid, num_channels: 3 });
        const m = new CLIPVisionModel(c, { init: false });
        expect([...visionKeyShapes(c)]).toEqual(m.namedParameters().map(([k, v]) => [k, v.shape]));
        expect(visionParameterCount(c)).toBe(m.numParameters());
        m.dispose();
      }),
      { numRuns: 15 },
    );
  });

  it('init: false draws no random number and starts at zero; a failed construction leaks nothing', async () => {
    const gen = new Generator(5);
    const before = [gen.getState(), getDefaultGenerator().getState()];
    const m = new CLIPVisionModel(visionPreset('tiny'), { init: false, gen });
    expect([gen.getState(), getDefaultGenerator().getState()]).toEqual(before);
    expect(m.namedParameters().every(([k, v]) => /norm\d?\.weight$|layrnorm\.weight$/.test(k) || v.dataSync().every((x) => x === 0))).toBe(true);
    m.dispose();
    await expectNoLeaks(() => {
      expect(() => new CLIPVisionModel(visionPreset('tiny'), { gen: generatorFailingAfter(5000, 1, 'exhausted') })).toThrow('exhausted');
      expect(() => new CLIPVisionModel(visionPreset('tiny'), { maxParameters: 1000 })).toThrow(expect.objectContaining({ name: 'VisionEncoderError', detail: expect.stringMatching(/more than the bound of 1000/) }));
      expect(() => new CLIPVisionModel(visionPreset('tiny', { hidden_size: 65536, num_attention_heads: 1, intermediate_size: 65536 }))).toThrow(/elements, more than the 2147483647 a tensor can hold|more than the bound/);
    }, { what: 'failed constructions' });
  });
});
