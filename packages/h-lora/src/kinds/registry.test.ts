import { describe, it, expect } from 'vitest';
import { tf, Linear } from '@healthgpt/tensor-core';
import { registerAdapterKind, getAdapterKind, adapterKindNames, loraKind, HLoraError, AdaptedLinear } from '../index.js';

describe('adapter kind registry', () => {
  it('holds the built-in kinds and resolves them by name', () => {
    expect(adapterKindNames().slice(0, 4)).toEqual(['lora', 'dora', 'moe-lora', 'hlora']);
    expect(getAdapterKind('hlora').mergeable).toBe(false);
    expect(getAdapterKind('lora').mergeable).toBe(true);
    expect(getAdapterKind('hlora').scaling({ r: 64, loraAlpha: 128, loraNums: 4, loraDropout: 0, useRslora: false })).toBe(8);
    expect(getAdapterKind('lora').scaling({ r: 8, loraAlpha: 16, loraNums: 1, loraDropout: 0, useRslora: false })).toBe(2);
  });

  it('registers a custom kind and refuses duplicates and incomplete kinds', () => {
    registerAdapterKind({ ...loraKind, name: 'lora-copy' });
    expect(getAdapterKind('lora-copy').name).toBe('lora-copy');
    expect(() => registerAdapterKind({ ...loraKind, name: 'lora-copy' })).toThrow(/already registered/);
    registerAdapterKind({ ...loraKind, name: 'lora-copy', scalingRule: 'x' }, { replace: true });
    expect(getAdapterKind('lora-copy').scalingRule).toBe('x');
    expect(() => registerAdapterKind({ ...loraKind, name: 'bad name' })).toThrow(HLoraError);
    expect(() => registerAdapterKind({ ...loraKind, name: 'nodelta', deltaWeight: undefined })).toThrow(/mergeable but has no 'deltaWeight' function \(or 'merge' and 'unmerge'\)/);
    const { delta: _d, ...noDelta } = loraKind;
    expect(() => registerAdapterKind({ ...noDelta, name: 'x' } as typeof loraKind)).toThrow(/has no 'delta' or 'transform' function/);
    expect(() => getAdapterKind('nope')).toThrow(expect.objectContaining({ code: 'UNKNOWN_KIND' }));
  });

  it('refuses a kind whose tensor names lack a slot, leaking nothing', () => {
    const before = tf.memory().numTensors;
    const badKind = { ...loraKind, name: 'slotless', init: () => new Map([['weight', tf.zeros([2, 2])]]) };
    const layer = new AdaptedLinear(new Linear(2, 2));
    expect(() => layer.addAdapter('a', badKind, { r: 1, loraAlpha: 1 })).toThrow(/made a tensor named 'weight'/);
    expect(layer.adapterNames()).toEqual([]);
    layer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
