import { describe, it, expect } from 'vitest';
import { Module, ModuleList, Linear, Embedding, isModule, isLinear } from './index.js';

class Sub extends Linear {}

describe('isModule / isLinear (brands that survive two copies of tensor-core)', () => {
  it('recognise modules and Linear layers, subclasses included', () => {
    const lin = new Linear(2, 3);
    const sub = new Sub(2, 2);
    const emb = new Embedding(4, 2);
    expect([new Module(), new ModuleList(), lin, sub, emb].map(isModule)).toEqual([true, true, true, true, true]);
    expect([lin, sub].map(isLinear)).toEqual([true, true]);
    expect([new Module(), emb].map(isLinear)).toEqual([false, false]);
    for (const m of [lin, sub, emb]) m.dispose();
  });

  it('reject everything else, including look-alikes without the brand', () => {
    const fake = { weight: null, forward: () => null, namedModules: () => [] };
    for (const x of [null, undefined, 0, 'Linear', {}, [], fake, Linear, Module]) {
      expect(isModule(x)).toBe(false);
      expect(isLinear(x)).toBe(false);
    }
  });

  it('use global symbols, so an object branded by another copy of the class is recognised', () => {
    // What a second copy of tensor-core (the other module format) puts on its prototypes.
    const foreign = Object.create({ [Symbol.for('@healthgpt/tensor-core/Module')]: true, [Symbol.for('@healthgpt/tensor-core/Linear')]: true });
    expect(foreign instanceof Linear).toBe(false);
    expect(isModule(foreign)).toBe(true);
    expect(isLinear(foreign)).toBe(true);
  });
});
