import { describe, expect, it } from 'vitest';
import { tf, AdamW, paramGroups, TensorCoreError, type Variable } from '@healthgpt/tensor-core';

const named = (): [string, Variable][] =>
  ['model.embed_tokens.weight', 'model.layers.0.input_layernorm.weight', 'model.layers.0.mlp.down_proj.weight', 'model.layers.0.mlp.down_proj.bias', 'lm_head.weight'].map((n, i) => [
    n,
    tf.variable(tf.zeros(n.endsWith('bias') || n.includes('norm') ? [4] : [4, 4]), true, `pg_${n}_${i}_${Math.random()}`),
  ]);

describe('paramGroups', () => {
  it('puts each parameter in the first matching rule (names, RegExp, predicate), the rest last, in the parameters\' order', () => {
    const params = named();
    const groups = paramGroups(
      params,
      [
        { name: 'head', match: ['lm_head.weight'], lr: 1e-4 },
        { name: 'no_decay', match: (_, p) => p.rank < 2, weightDecay: 0 },
        { name: 'embeddings', match: /embed_tokens/, lr: 5e-4 },
      ],
      { weightDecay: 0.1 },
    );
    expect(groups.map((g) => [g.name, [...g.params].map(([n]) => n)])).toEqual([
      ['head', ['lm_head.weight']],
      ['no_decay', ['model.layers.0.input_layernorm.weight', 'model.layers.0.mlp.down_proj.bias']],
      ['embeddings', ['model.embed_tokens.weight']],
      ['rest', ['model.layers.0.mlp.down_proj.weight']],
    ]);
    const opt = new AdamW(groups, { lr: 1e-3, weightDecay: 0.01 });
    expect(opt.groups.map((g) => [g.name, g.lr, g.weightDecay])).toEqual([
      ['head', 1e-4, 0.01],
      ['no_decay', 1e-3, 0],
      ['embeddings', 5e-4, 0.01],
      ['rest', 1e-3, 0.1],
    ]);
    opt.dispose();
    params.forEach(([, v]) => v.dispose());
  });

  it('keeps an empty rule as an empty group, leaves out an empty rest, and refuses names no parameter has', () => {
    const params = named();
    const groups = paramGroups(params, [{ match: /nothing/ }, { match: () => true }]);
    expect(groups.map((g) => [...g.params].length)).toEqual([0, 5]);
    expect(() => paramGroups(params, [{ match: ['lm_head.weight', 'lm_head.bias'] }])).toThrow(TensorCoreError);
    expect(() => paramGroups(params, [{ match: ['lm_head.weight', 'lm_head.bias'] }])).toThrow(/lm_head\.bias/);
    params.forEach(([, v]) => v.dispose());
  });
});
