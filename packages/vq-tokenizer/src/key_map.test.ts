import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Generator, getDefaultGenerator } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';
import { PRESETS, VQTokenizer, VQTokenizerError, makeConfig, vqKeyShapes, vqParameterCount } from './index.js';
import { tinyConfig } from './test_configs.test_util.js';

describe('VQ key map', () => {
  it('names every parameter a built tokenizer has, with its shape, in order; the count agrees (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('gumbel' as const, 'vq' as const),
        fc.array(fc.constantFrom(1, 2), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.boolean(),
        fc.constantFrom(4, 8),
        (quantizer, chMult, blocks, attn, z) => {
          const resolution = 8 * 2 ** (chMult.length - 1);
          const c = makeConfig({ quantizer, embed_dim: quantizer === 'gumbel' ? z : 3, n_embed: 5, ddconfig: { z_channels: z, resolution, ch: 32, ch_mult: chMult, num_res_blocks: blocks, attn_resolutions: attn ? [resolution, 8] : [] } });
          const m = new VQTokenizer(c, { init: false });
          expect([...vqKeyShapes(c)]).toEqual(m.namedParameters().map(([k, v]) => [k, v.shape]));
          expect(vqParameterCount(c)).toBe(m.numParameters());
          m.dispose();
        },
      ),
      { numRuns: 12 },
    );
  });

  it('counts the released f8-8192 model without building it', () => {
    const f8 = PRESETS.f8_8192();
    expect(vqParameterCount(f8)).toBe([...vqKeyShapes(f8)].reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0));
    expect(vqParameterCount(f8)).toBeGreaterThan(50e6);
    // One more res block per level changes the count by formula, without walking the blocks.
    expect(vqParameterCount(makeConfig({ ...f8, ddconfig: { ...f8.ddconfig, num_res_blocks: 1_000_000 } }))).toBeGreaterThan(1e12);
  });
});

describe('VQ tokenizer construction', () => {
  it('init: false draws no random number and starts at zero (norm scales at one)', () => {
    const gen = getDefaultGenerator().getState();
    const m = new VQTokenizer(tinyConfig({ quantizer: 'vq', embed_dim: 8 }), { init: false });
    expect(getDefaultGenerator().getState()).toEqual(gen);
    for (const [k, v] of m.namedParameters()) {
      const expected = /norm\w*\.weight$/.test(k) ? 1 : 0;
      expect(v.dataSync().every((x) => x === expected), k).toBe(true);
    }
    m.dispose();
  });

  it('a construction failing part-way leaks nothing; one too large is refused before allocating', async () => {
    // The seed's generator is internal: make a draw fail through the default one the blocks never use,
    // so patch Generator.prototype for one construction instead.
    const original = Generator.prototype.random;
    let draws = 0;
    Generator.prototype.random = function (this: Generator) {
      if (++draws > 20_000) throw new RangeError('generator exhausted');
      return original.call(this);
    };
    try {
      await expectNoLeaks(() => {
        expect(() => new VQTokenizer(tinyConfig())).toThrow('generator exhausted');
      }, { what: 'a VQTokenizer construction failing part-way' });
    } finally {
      Generator.prototype.random = original;
    }
    await expectNoLeaks(() => {
      expect(() => new VQTokenizer(tinyConfig({ n_embed: 4_000_000 }), { maxParameters: 1e6 })).toThrow(expect.objectContaining({ name: 'VQTokenizerError', code: 'CONFIG', detail: expect.stringMatching(/implies 68\d+ parameters for the VQ tokenizer, more than the bound of 1000000/) }));
      const wide = makeConfig({ embed_dim: 8, n_embed: 16, ddconfig: { ...tinyConfig().ddconfig, ch: 32 * 2048 } });
      expect(() => new VQTokenizer(wide)).toThrow(VQTokenizerError);
    }, { what: 'refused constructions' });
  });
});

describe('VQ config schema', () => {
  it('wrongly typed fields are CONFIG errors naming the field', () => {
    const base = tinyConfig();
    const cases: [Record<string, unknown>, string][] = [
      [{ n_embed: '16' }, 'n_embed'],
      [{ kl_weight: true }, 'kl_weight'],
      [{ quantizer: 'gumbel ' }, 'quantizer'],
      [{ ddconfig: { ...base.ddconfig, ch_mult: [1, '2'] } }, 'ddconfig.ch_mult[1]'],
      [{ ddconfig: { ...base.ddconfig, double_z: 'false' } }, 'ddconfig.double_z'],
      [{ ddconfig: { ...base.ddconfig, resolution: 1e12 } }, 'ddconfig.resolution'],
      [{ ddconfig: null }, 'ddconfig'],
    ];
    for (const [over, path] of cases) expect(() => makeConfig({ ...base, ...over } as never, 'v/config.json'), path).toThrow(expect.objectContaining({ name: 'VQTokenizerError', code: 'CONFIG', path, file: 'v/config.json' }));
  });

  it('any mutation of a valid config gives a config or a CONFIG error (fuzz)', () => {
    const base = tinyConfig();
    const top = Object.keys(base).filter((k) => k !== 'ddconfig');
    const dd = Object.keys(base.ddconfig);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...top), fc.jsonValue(), { maxKeys: 2 }), fc.dictionary(fc.constantFrom(...dd), fc.jsonValue(), { maxKeys: 2 }), (a, b) => {
        try {
          const c = makeConfig({ ...base, ...a, ddconfig: { ...base.ddconfig, ...b } } as never, 'v.json');
          expect(c.ddconfig.resolution % 2 ** (c.ddconfig.ch_mult.length - 1)).toBe(0);
        } catch (e) {
          expect(e).toBeInstanceOf(VQTokenizerError);
          expect(e).toMatchObject({ code: 'CONFIG', file: 'v.json' });
        }
      }),
      { numRuns: 300 },
    );
  });
});
