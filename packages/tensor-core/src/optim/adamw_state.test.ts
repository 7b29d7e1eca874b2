import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, AdamW, StateDictError, TensorCoreError, loadSafetensors, saveSafetensors, type Tensor, type Variable } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';

let uid = 0;
const variable = (shape: number[], fill: number) => tf.variable(tf.fill(shape, fill), true, `adamw_state_${uid++}`);

/** Two parameters in two groups, `steps` steps taken with `b` skipped on the last one. */
function trained(steps: number): { opt: AdamW; a: Variable; b: Variable } {
  const [a, b] = [variable([2, 3], 1), variable([3], -1)];
  const opt = new AdamW([{ params: [['layer.weight', a]], weightDecay: 0.1 }, { params: [['layer.bias', b]], weightDecay: 0 }], { lr: 0.05 });
  for (let s = 0; s < steps; s++) {
    const grads = new Map<string, Tensor>([['layer.weight', tf.fill([2, 3], s + 1)]]);
    if (s < steps - 1) grads.set('layer.bias', tf.tensor1d([s, -s, 0.5]));
    opt.step(grads);
    tf.dispose([...grads.values()]);
  }
  return { opt, a, b };
}

const values = (t: Tensor) => Array.from(t.dataSync());
const free = (x: { opt: AdamW; a: Variable; b: Variable }) => (x.opt.dispose(), tf.dispose([x.a, x.b]));

describe('AdamW state', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'adamw-state-'))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('stateDict holds step, and exp_avg / exp_avg_sq / step per parameter under its checkpoint name', () => {
    const x = trained(3);
    const sd = x.opt.stateDict();
    expect([...sd.keys()]).toEqual(['step', 'exp_avg.layer.weight', 'exp_avg_sq.layer.weight', 'step.layer.weight', 'exp_avg.layer.bias', 'exp_avg_sq.layer.bias', 'step.layer.bias']);
    expect(values(sd.get('step')!)).toEqual([3]);
    expect(values(sd.get('step.layer.weight')!)).toEqual([3]);
    expect(values(sd.get('step.layer.bias')!)).toEqual([2]);
    expect(sd.get('exp_avg.layer.weight')!.shape).toEqual([2, 3]);
    tf.dispose([...sd.values()]);
    free(x);
  });

  it('a parameter that never had a gradient saves zeros and step 0, and loads back as no state', () => {
    const a = variable([2], 0);
    const b = variable([2], 0);
    const opt = new AdamW([['a', a], ['b', b]]);
    const g = new Map([['a', tf.ones([2])]]);
    opt.step(g);
    const sd = opt.stateDict();
    expect(values(sd.get('step.b')!)).toEqual([0]);
    expect(values(sd.get('exp_avg.b')!)).toEqual([0, 0]);
    opt.loadStateDict(sd);
    expect(opt.paramState('b')).toBeUndefined();
    expect(opt.paramState('a')!.step).toBe(1);
    tf.dispose([...sd.values(), ...g.values(), a, b]);
    opt.dispose();
  });

  it('save → load into a fresh optimizer continues exactly as the original', async () => {
    const x = trained(2);
    const y = trained(0);
    await x.opt.save(join(dir, 'state.safetensors'));
    await y.opt.load(join(dir, 'state.safetensors'));
    y.a.assign(x.a);
    y.b.assign(x.b);
    expect(y.opt.stepCount).toBe(2);
    for (const o of [x, y]) {
      const g = new Map<string, Tensor>([['layer.weight', tf.fill([2, 3], -0.5)], ['layer.bias', tf.tensor1d([1, 2, 3])]]);
      o.opt.step(g);
      tf.dispose([...g.values()]);
    }
    expect(values(y.a)).toEqual(values(x.a));
    expect(values(y.b)).toEqual(values(x.b));
    for (const k of ['layer.weight', 'layer.bias']) {
      expect(values(y.opt.paramState(k)!.expAvgSq)).toEqual(values(x.opt.paramState(k)!.expAvgSq));
      expect(y.opt.paramState(k)!.step).toBe(x.opt.paramState(k)!.step);
    }
    free(x);
    free(y);
  });

  it('strict load lists missing, unexpected and mis-shaped keys, names the file, and changes nothing', async () => {
    const x = trained(2);
    const sd = x.opt.stateDict();
    const file = join(dir, 'bad.safetensors');
    const bad = new Map(sd);
    bad.delete('exp_avg_sq.layer.bias');
    bad.set('exp_avg.layer.weight', tf.zeros([3, 2]));
    bad.set('exp_avg.other', tf.zeros([1]));
    await saveSafetensors(file, bad);
    const before = values(x.opt.paramState('layer.weight')!.expAvg);
    const err = await x.opt.load(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateDictError);
    expect(err).toMatchObject({ code: 'STATE_DICT', file, missing: ['exp_avg_sq.layer.bias'], unexpected: ['exp_avg.other'], mismatched: [{ key: 'exp_avg.layer.weight', expected: [2, 3], actual: [3, 2] }] });
    expect(values(x.opt.paramState('layer.weight')!.expAvg)).toEqual(before);
    expect(x.opt.stepCount).toBe(2);
    tf.dispose([bad.get('exp_avg.layer.weight')!, bad.get('exp_avg.other')!, ...sd.values()]);
    free(x);
  });

  it('rejects bad step values and incomplete entries with typed errors naming the key', () => {
    const x = trained(2);
    const broken = (edit: (m: Map<string, Tensor>) => void): unknown => {
      const sd = x.opt.stateDict();
      const m = new Map(sd);
      edit(m);
      try {
        x.opt.loadStateDict(m, { strict: false });
        return null;
      } catch (e) {
        return e;
      } finally {
        tf.dispose([...sd.values(), ...m.values()]);
      }
    };
    expect(broken((m) => m.set('step.layer.bias', tf.scalar(1.5)))).toMatchObject({ code: 'STATE_DICT', key: 'step.layer.bias' });
    expect(broken((m) => m.set('step.layer.bias', tf.scalar(7, 'int32')))).toMatchObject({ code: 'STATE_DICT', key: 'step.layer.bias' });
    expect(broken((m) => m.set('step', tf.tensor1d([1, 2], 'int32')))).toMatchObject({ code: 'STATE_DICT', key: 'step' });
    expect(broken((m) => m.delete('exp_avg.layer.bias'))).toBeInstanceOf(TensorCoreError);
    free(x);
  });

  it('non-strict load starts missing parameters afresh and ignores unknown keys', () => {
    const x = trained(2);
    const sd = x.opt.stateDict();
    const partial = new Map([...sd].filter(([k]) => !k.endsWith('layer.bias')));
    const extra = tf.zeros([4]);
    partial.set('exp_avg.elsewhere', extra);
    const y = trained(0);
    expect(() => y.opt.loadStateDict(partial)).toThrow(StateDictError);
    y.opt.loadStateDict(partial, { strict: false });
    expect(y.opt.paramState('layer.weight')!.step).toBe(2);
    expect(y.opt.paramState('layer.bias')).toBeUndefined();
    tf.dispose([...sd.values(), extra]);
    free(x);
    free(y);
  });

  it('loading a file leaks nothing, a failed load included', async () => {
    const x = trained(2);
    const file = join(dir, 'ok.safetensors');
    await x.opt.save(file);
    const { tensors } = await loadSafetensors(file);
    expect([...tensors.keys()]).toContain('exp_avg_sq.layer.bias');
    tf.dispose([...tensors.values()]);
    await expectNoLeaks(() => x.opt.load(file), { what: 'load' });
    const wrong = new AdamW([['layer.weight', x.b]]);
    await expectNoLeaks(() => wrong.load(file).catch(() => undefined), { what: 'failed load' });
    wrong.dispose();
    free(x);
  });
});
