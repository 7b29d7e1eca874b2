import { describe, expect, it } from 'vitest';
import { PRESETS, makeConfig, latentSize, VQTokenizerError, VQTokenizer } from './index.js';
import { tinyConfig } from './test_configs.test_util.js';

describe('config', () => {
  it('presets are valid and have the documented code grids', () => {
    const f8 = PRESETS.f8_8192();
    expect(f8).toMatchObject({ embed_dim: 256, n_embed: 8192, ddconfig: { ch: 128, ch_mult: [1, 1, 2, 4], num_res_blocks: 2, attn_resolutions: [32], z_channels: 256 } });
    expect(latentSize(f8.ddconfig)).toBe(32);
    expect(latentSize(PRESETS.f8_64px().ddconfig)).toBe(8);
    expect(latentSize(PRESETS.tiny().ddconfig)).toBe(8);
  });

  it('rejects bad configs with a VQTokenizerError naming the field', () => {
    const bad: [string, () => unknown][] = [
      ['ch·ch_mult', () => makeConfig({ ddconfig: { ch: 48, ch_mult: [1], z_channels: 8, resolution: 8 }, embed_dim: 8 })],
      ['embed_dim', () => makeConfig({ embed_dim: 4, ddconfig: { z_channels: 8 } })],
      ['resolution', () => makeConfig({ ddconfig: { resolution: 100 } })],
      ['n_embed', () => makeConfig({ n_embed: 0, ddconfig: {} })],
      ['dropout', () => makeConfig({ ddconfig: { dropout: 0.1 } })],
      ['quantizer', () => makeConfig({ quantizer: 'x' as 'vq', ddconfig: {} })],
    ];
    for (const [field, f] of bad) {
      expect(f, field).toThrow(VQTokenizerError);
      expect(f, field).toThrow(field);
      expect(f, field).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    }
  });

  it('a vq config may have embed_dim ≠ z_channels', () => {
    expect(makeConfig({ quantizer: 'vq', embed_dim: 4, ddconfig: { z_channels: 8 } }).embed_dim).toBe(4);
  });

  it('builds taming key names (encoder levels, decoder up.{l} by level, quantizer)', () => {
    const m = new VQTokenizer(tinyConfig());
    const keys = [...m.stateDict().keys()];
    for (const k of [
      'encoder.conv_in.weight',
      'encoder.down.0.block.0.conv1.weight',
      'encoder.down.0.downsample.conv.weight',
      'encoder.down.1.block.0.nin_shortcut.weight',
      'encoder.down.1.attn.0.proj_out.bias',
      'encoder.mid.attn_1.q.weight',
      'quant_conv.weight',
      'quantize.proj.weight',
      'quantize.embed.weight',
      'post_quant_conv.bias',
      'decoder.up.1.block.1.norm2.weight',
      'decoder.up.1.upsample.conv.weight',
      'decoder.up.1.attn.1.k.weight',
      'decoder.up.0.block.0.nin_shortcut.weight',
      'decoder.norm_out.bias',
    ])
      expect(keys, k).toContain(k);
    expect(keys.some((k) => k.startsWith('encoder.down.1.downsample'))).toBe(false);
    expect(keys.some((k) => k.startsWith('decoder.up.0.upsample'))).toBe(false);
    const vq = new VQTokenizer(tinyConfig({ quantizer: 'vq' }));
    expect([...vq.stateDict().keys()].filter((k) => k.startsWith('quantize.'))).toEqual(['quantize.embedding.weight']);
    m.dispose();
    vq.dispose();
  });
});
