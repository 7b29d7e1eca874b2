// tensor-core's own parity with the PyTorch fixtures: the blocks every model package builds on.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it, expect, describe } from 'vitest';
import { tf, linear, gelu, RotaryEmbedding, loadSafetensors, serializeSafetensors } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, goldenDir, loadGolden } from '@healthgpt/testing';

describeBackends('golden parity of tensor-core blocks', () => {
  it('linear: y = x Wᵀ + b equals lora_linear io.y_adapter_disabled', async () => {
    const g = await loadGolden('lora_linear');
    const y = linear(g.io.get('x')!, g.weights.get('layer.weight')!, g.weights.get('layer.bias')!);
    expectClose(y, g.io.get('y_adapter_disabled')!, { atol: 1e-5 }, 'y');
    y.dispose();
    g.dispose();
  });

  it('Linear → exact GELU → Linear equals projector_tiny (pre-GELU and output)', async () => {
    const g = await loadGolden('projector_tiny');
    const w = (k: string) => g.weights.get(`model.mm_projector.${k}`)!;
    const [pre, out] = tf.tidy(() => {
      const h = linear(g.io.get('in')!, w('0.weight'), w('0.bias'));
      return [h, linear(gelu(h), w('2.weight'), w('2.bias'))];
    });
    expectClose(pre, g.io.get('hidden_pre_gelu')!, { atol: 1e-5 }, 'hidden_pre_gelu');
    expectClose(out, g.io.get('out')!, { atol: 1e-5 }, 'out');
    tf.dispose([pre, out]);
    g.dispose();
  });

  it('rotary tables equal phi3_tiny io.rope_cos / io.rope_sin under left-padded position ids', async () => {
    const g = await loadGolden('phi3_tiny');
    const cfg = g.config as { hidden_size: number; num_attention_heads: number; rope_theta: number };
    const { cos, sin } = new RotaryEmbedding(cfg.hidden_size / cfg.num_attention_heads, cfg.rope_theta).tables(g.io.get('position_ids')!); // [B, 1, T, hd]
    const want = g.io.get('rope_cos')!;
    const [c, s] = [cos.reshape(want.shape), sin.reshape(want.shape)];
    expectClose(c, want, { atol: 1e-6 }, 'cos');
    expectClose(s, g.io.get('rope_sin')!, { atol: 1e-6 }, 'sin');
    tf.dispose([cos, sin, c, s]);
    g.dispose();
  });
});

describe('safetensors on every golden fixture', () => {
  const dir = goldenDir()!;
  const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors'));

  it('finds the fixtures', () => expect(files.length).toBeGreaterThanOrEqual(9));

  for (const f of files) {
    it(`${f}: load → save is byte-identical`, async () => {
      const path = join(dir, f);
      const { tensors, metadata } = await loadSafetensors(path);
      const bytes = serializeSafetensors(tensors, metadata);
      expect(Buffer.compare(Buffer.from(bytes), readFileSync(path))).toBe(0);
      tensors.forEach((t) => t.dispose());
    });
  }
});
