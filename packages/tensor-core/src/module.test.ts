import { describe, it, expect } from 'vitest';
import { tf, Module, ModuleList, Linear, LayerNorm, Dropout, StateDictError, TensorCoreError, type Tensor } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';

class Block extends Module {
  constructor() {
    super();
    this.registerModule('qkv_proj', new Linear(4, 6, { bias: false }));
    this.registerModule('norm', new LayerNorm(6));
    this.registerModule('drop', new Dropout(0.5));
  }
  forward(x: Tensor): Tensor {
    return tf.tidy(() => this.child<LayerNorm>('norm').forward(this.child<Linear>('qkv_proj').forward(x)));
  }
}

class Net extends Module {
  readonly layers = this.registerModule('layers', new ModuleList([new Block(), new Block()]));
  constructor() {
    super();
    this.registerModule('lm_head', new Linear(6, 3));
  }
}

describe('Module', () => {
  it('names parameters by dotted checkpoint path, in registration order', () => {
    const m = new Net();
    expect(m.namedParameters().map(([n, p]) => `${n}:${p.shape}`)).toEqual([
      'layers.0.qkv_proj.weight:6,4',
      'layers.0.norm.weight:6',
      'layers.0.norm.bias:6',
      'layers.1.qkv_proj.weight:6,4',
      'layers.1.norm.weight:6',
      'layers.1.norm.bias:6',
      'lm_head.weight:3,6',
      'lm_head.bias:3',
    ]);
    expect(m.numParameters()).toBe(2 * (24 + 12) + 21);
    m.dispose();
  });

  it('gets and replaces submodules by dotted path, and forward uses the replacement', () => {
    const m = new Net();
    const old = m.getSubmodule<Linear>('layers.1.qkv_proj');
    expect(old).toBeInstanceOf(Linear);
    class Zero extends Linear {
      override forward(x: Tensor): Tensor {
        return tf.zeros([...x.shape.slice(0, -1), 6]);
      }
    }
    const z = new Zero(4, 6, { bias: false });
    expect(m.setSubmodule('layers.1.qkv_proj', z)).toBe(old);
    expect(m.getSubmodule('layers.1.qkv_proj')).toBe(z);
    const x = tf.ones([1, 4]);
    const y = m.layers.at(1).forward(x);
    expect(Array.from(y.dataSync())).toEqual(new Array(6).fill(0)); // LayerNorm of zeros is its bias
    expect(() => m.getSubmodule('layers.7.qkv_proj')).toThrow(TensorCoreError);
    expect(() => m.setSubmodule('layers.0.nope', z)).toThrow(/no submodule 'layers.0.nope'/);
    tf.dispose([x, y]);
    old.dispose();
    m.dispose();
  });

  it('loadStateDict copies values and lists every missing, unexpected and mis-shaped key', () => {
    const a = new Net();
    const b = new Net();
    b.loadStateDict(a.stateDict());
    for (const [[n, p], [, q]] of a.namedParameters().map((e, i) => [e, b.namedParameters()[i]] as const)) {
      expect(Array.from(q.dataSync()), n).toEqual(Array.from(p.dataSync()));
    }
    const sd = new Map(a.stateDict());
    sd.delete('lm_head.bias');
    sd.set('extra.weight', tf.zeros([1]));
    sd.set('layers.0.norm.weight', tf.zeros([5]));
    let err: StateDictError | undefined;
    try {
      b.loadStateDict(sd);
    } catch (e) {
      err = e as StateDictError;
    }
    expect(err).toBeInstanceOf(StateDictError);
    expect(err!.missing).toEqual(['lm_head.bias']);
    expect(err!.unexpected).toEqual(['extra.weight']);
    expect(err!.mismatched).toEqual([{ key: 'layers.0.norm.weight', expected: [6], actual: [5] }]);
    expect(err!.message).toMatch(/missing keys: lm_head.bias; unexpected keys: extra.weight; shape mismatches: layers.0.norm.weight expected \[6\] got \[5\]/);
    // non-strict: missing/unexpected reported, shape mismatch still fatal
    sd.delete('layers.0.norm.weight');
    expect(b.loadStateDict(sd, { strict: false })).toEqual({ missing: ['layers.0.norm.weight', 'lm_head.bias'], unexpected: ['extra.weight'] });
    // ignorable keys
    sd.set('layers.0.norm.weight', tf.zeros([6]));
    sd.set('lm_head.bias', tf.zeros([3]));
    expect(() => b.loadStateDict(sd, { ignore: [/^extra\./] })).not.toThrow();
    sd.get('extra.weight')!.dispose();
    sd.get('layers.0.norm.weight')!.dispose();
    sd.get('lm_head.bias')!.dispose();
    a.dispose();
    b.dispose();
  });

  it('train/eval reach every module; trainable flags select gradients keyed by name', () => {
    const m = new Net();
    m.eval();
    expect(m.namedModules().every(([, x]) => !x.training)).toBe(true);
    m.train();
    expect(m.getSubmodule('layers.0.drop').training).toBe(true);
    m.setTrainable(false);
    m.setTrainableWhere((n) => n.startsWith('lm_head'));
    expect(m.trainableParameters().map(([n]) => n)).toEqual(['lm_head.weight', 'lm_head.bias']);
    const x = tf.ones([2, 6]);
    const { loss, grads } = m.computeGradients(() => tf.sum(m.child<Linear>('lm_head').forward(x)));
    expect([...grads.keys()]).toEqual(['lm_head.weight', 'lm_head.bias']);
    expect(Array.from(grads.get('lm_head.bias')!.dataSync())).toEqual([2, 2, 2]);
    tf.dispose([x, loss, ...grads.values()]);
    m.dispose();
  });

  it('forward and dispose leak nothing', async () => {
    await expectNoLeaks(() => {
      const m = new Net();
      const x = tf.ones([3, 4]);
      m.layers.at(0).forward(x).dispose();
      x.dispose();
      m.dispose();
    }, { what: 'Module lifecycle' });
  });
});

describe('Module edge cases', () => {
  it('loading its own state dict back is a no-op, and deleteSubmodule removes a child', () => {
    const m = new Net();
    const before = m.namedParameters().map(([, p]) => Array.from(p.dataSync()));
    m.loadStateDict(m.stateDict());
    expect(m.namedParameters().map(([, p]) => Array.from(p.dataSync()))).toEqual(before);
    const head = m.deleteSubmodule('lm_head');
    expect(m.namedParameters().some(([n]) => n.startsWith('lm_head'))).toBe(false);
    expect(() => m.deleteSubmodule('lm_head')).toThrow(/no submodule 'lm_head' to delete/);
    head.dispose();
    m.dispose();
  });

  it('addModule attaches a child from outside the class under a free name, and its parameters take that path', () => {
    const m = new Net();
    const inner = m.getSubmodule('layers.0');
    const extra = new Linear(6, 2);
    expect(inner.addModule('mm_projector', extra)).toBe(extra);
    expect(m.namedParameters().map(([n]) => n)).toContain('layers.0.mm_projector.weight');
    expect(m.getSubmodule('layers.0.mm_projector')).toBe(extra);
    expect(() => inner.addModule('mm_projector', new Module())).toThrow(/already has a submodule 'mm_projector'/);
    expect(() => inner.addModule('a.b', new Module())).toThrow(/must not contain '.'/);
    expect(() => inner.addModule('', new Module())).toThrow(TensorCoreError);
    expect(() => inner.addModule('x', {} as Module)).toThrow(/must be a Module, got Object/);
    expect(() => extra.addModule('loop', m)).toThrow(/cycle/);
    m.dispose();
  });
});
