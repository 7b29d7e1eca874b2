import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, AdamW, Adam, TensorCoreError, type Tensor, type Variable } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';

let uid = 0;
const variable = (values: number[], shape: number[]) => tf.variable(tf.tensor(values, shape), true, `adamw_test_${uid++}`);

interface Hyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  wd: number;
}

/** torch.optim.AdamW in float64, one parameter; `state.t` is the parameter's own step count. */
function referenceStep(p: number[], g: number[], state: { m: number[]; v: number[]; t: number }, h: Hyper): void {
  state.t++;
  const bc1 = 1 - h.beta1 ** state.t;
  const bc2 = 1 - h.beta2 ** state.t;
  for (let i = 0; i < p.length; i++) {
    p[i] *= 1 - h.lr * h.wd;
    state.m[i] = h.beta1 * state.m[i] + (1 - h.beta1) * g[i];
    state.v[i] = h.beta2 * state.v[i] + (1 - h.beta2) * g[i] * g[i];
    p[i] -= (h.lr / bc1) * (state.m[i] / (Math.sqrt(state.v[i]) / Math.sqrt(bc2) + h.eps));
  }
}

const hyperArb = fc.record({
  lr: fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
  beta1: fc.double({ min: 0, max: 0.99, noNaN: true }),
  beta2: fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
  eps: fc.constantFrom(1e-8, 1e-6, 1e-3),
  wd: fc.constantFrom(0, 0.01, 0.1),
});
const valueArb = fc.oneof(fc.constant(0), fc.double({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }));

describeBackends('AdamW', () => {
  it('equals a float64 PyTorch-semantics AdamW over steps where some parameters get no gradient (per-parameter step counts)', () => {
    fc.assert(
      fc.property(
        fc.array(hyperArb, { minLength: 1, maxLength: 2 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        fc.array(valueArb, { minLength: 6 * 3 * 5, maxLength: 6 * 3 * 5 }),
        (hypers, n, present, values) => {
          // Three parameters spread over the groups, each of n elements.
          const names = ['a.weight', 'b.bias', 'c.weight'];
          const init = names.map((_, j) => values.slice(j * n, (j + 1) * n));
          const vars = names.map((_, j) => variable(init[j], [n]));
          const groupOf = (j: number) => j % hypers.length;
          const opt = new AdamW(
            hypers.map((h, gi) => ({
              params: names.map((nm, j) => [nm, vars[j]] as [string, Variable]).filter((_, j) => groupOf(j) === gi),
              lr: h.lr,
              betas: [h.beta1, h.beta2] as const,
              eps: h.eps,
              weightDecay: h.wd,
            })),
          );
          const ref = init.map((p) => ({ p: [...p], state: { m: p.map(() => 0), v: p.map(() => 0), t: 0 } }));
          present.forEach((mask, s) => {
            const grads = new Map<string, Tensor>();
            names.forEach((nm, j) => {
              if (!mask[j]) return;
              const g = values.slice(3 * n + ((s * 3 + j) % 12) * n, 3 * n + ((s * 3 + j) % 12) * n + n);
              while (g.length < n) g.push(0.5);
              grads.set(nm, tf.tensor1d(g));
              referenceStep(ref[j].p, g, ref[j].state, hypers[groupOf(j)]);
            });
            opt.step(grads);
            tf.dispose([...grads.values()]);
          });
          names.forEach((nm, j) => {
            expectClose(vars[j], ref[j].p, { atol: 2e-6, rtol: 2e-6 }, nm);
            const st = opt.paramState(nm);
            expect(st?.step ?? 0, `${nm} step`).toBe(ref[j].state.t);
            if (st) expectClose(st.expAvgSq, ref[j].state.v, { atol: 1e-6, rtol: 1e-5 }, `${nm} exp_avg_sq`);
          });
          expect(opt.stepCount).toBe(present.length);
          opt.dispose();
          vars.forEach((v) => v.dispose());
        },
      ),
      { numRuns: 25 },
    );
  });

  it('leaves a parameter without a gradient, and its state, exactly as they were', () => {
    const a = variable([1, 2, 3], [3]);
    const b = variable([4, 5], [2]);
    const opt = new AdamW([['a', a], ['b', b]], { lr: 0.1, weightDecay: 0.5 });
    const g1 = new Map([['a', tf.tensor1d([1, 1, 1])], ['b', tf.tensor1d([1, -1])]]);
    opt.step(g1);
    const bBefore = Array.from(b.dataSync());
    const bState = Array.from(opt.paramState('b')!.expAvg.dataSync());
    const g2 = new Map([['a', tf.tensor1d([1, 1, 1])]]);
    opt.step(g2);
    expect(Array.from(b.dataSync())).toEqual(bBefore);
    expect(Array.from(opt.paramState('b')!.expAvg.dataSync())).toEqual(bState);
    expect([opt.paramState('a')!.step, opt.paramState('b')!.step, opt.stepCount]).toEqual([2, 1, 2]);
    opt.step(new Map()); // no gradients at all: a no-op but for the count
    expect(opt.stepCount).toBe(3);
    tf.dispose([...g1.values(), ...g2.values(), a, b]);
    opt.dispose();
  });

  it('the learning rate is set per step and per group; lr 0 with decay leaves the parameter unchanged', () => {
    const a = variable([1, 1], [2]);
    const b = variable([1, 1], [2]);
    const opt = new AdamW(
      [
        { name: 'decay', params: [['a', a]], lr: 0.2, weightDecay: 0.1 },
        { name: 'no_decay', params: [['b', b]], weightDecay: 0 },
      ],
      { lr: 0.01 },
    );
    expect(opt.lrs).toEqual([0.2, 0.01]);
    opt.scaleLr(0.5);
    expect(opt.lrs).toEqual([0.1, 0.005]);
    opt.setLr(0, 'decay');
    opt.setLr(0.3, 1);
    expect(opt.lrs).toEqual([0, 0.3]);
    const g = new Map([['a', tf.tensor1d([1, -1])], ['b', tf.tensor1d([1, -1])]]);
    opt.step(g);
    expect(Array.from(a.dataSync())).toEqual([1, 1]);
    // First step: m̂/√v̂ = sign(g), so b moves by exactly lr against the gradient.
    expectClose(b, [0.7, 1.3], { atol: 1e-6 }, 'b');
    expect(() => opt.setLr(-1)).toThrow(TensorCoreError);
    expect(() => opt.setLr(1, 'nope')).toThrow(/no parameter group "nope"/);
    tf.dispose([...g.values(), a, b]);
    opt.dispose();
  });

  it('a step leaks no tensors, inside tf.tidy or not; stateDict/loadStateDict and dispose leak none either', async () => {
    const a = variable([1, 2, 3, 4], [2, 2]);
    const opt = new AdamW([['a', a]]);
    const grads = () => new Map([['a', tf.ones([2, 2])]]);
    await expectNoLeaks(() => {
      const g = grads();
      opt.step(g);
      tf.dispose([...g.values()]);
      opt.dispose(); // the first step's moments
    }, { what: 'first step + dispose' });
    const g = grads();
    opt.step(g);
    await expectNoLeaks(() => opt.step(g), { what: 'step' });
    await expectNoLeaks(() => tf.tidy(() => opt.step(g)), { what: 'step in tidy' });
    await expectNoLeaks(() => {
      const sd = opt.stateDict();
      opt.loadStateDict(sd);
      tf.dispose([...sd.values()]);
    }, { what: 'stateDict → loadStateDict' });
    tf.dispose([...g.values(), a]);
    opt.dispose();
  });
});

describe('AdamW arguments', () => {
  const p = () => variable([0, 0], [2]);

  it('rejects bad settings, duplicates and empty parameter lists with TensorCoreError', () => {
    const a = p();
    const bad: [string, () => unknown][] = [
      ['lr', () => new AdamW([['a', a]], { lr: -1 })],
      ['betas', () => new AdamW([['a', a]], { betas: [0.9, 1] })],
      ['eps', () => new AdamW([['a', a]], { eps: Number.NaN })],
      ['weightDecay', () => new AdamW([{ params: [['a', a]], weightDecay: -0.1 }])],
      ['given twice', () => new AdamW([{ params: [['a', a]] }, { params: [['a', a]] }])],
      ['no parameters', () => new AdamW([])],
      ['weightDecay', () => new Adam([['a', a]], { weightDecay: 0.1 } as never)],
      ['weightDecay', () => new Adam([{ params: [['a', a]], weightDecay: 0.1 }])],
    ];
    for (const [what, f] of bad) {
      expect(f, what).toThrow(TensorCoreError);
      expect(f, what).toThrow(what);
    }
    a.dispose();
  });

  it('refuses gradients of unknown parameters, of another shape or dtype, before changing anything', () => {
    const a = p();
    const opt = new AdamW([['a', a]], { lr: 0.1 });
    const cases: [Map<string, Tensor>, RegExp][] = [
      [new Map([['a', tf.ones([2])], ['ghost', tf.ones([2])]]), /not a parameter of this optimizer/],
      [new Map([['a', tf.ones([3])]]), /shape \[3\], the parameter \[2\]/],
      [new Map([['a', tf.ones([2], 'int32')]]), /must be float32/],
    ];
    for (const [g, msg] of cases) {
      expect(() => opt.step(g)).toThrow(msg);
      try {
        opt.step(g);
      } catch (e) {
        expect((e as TensorCoreError).key).toBeDefined();
      }
      tf.dispose([...g.values()]);
    }
    expect(Array.from(a.dataSync())).toEqual([0, 0]);
    expect(opt.stepCount).toBe(0);
    expect(opt.paramState('a')).toBeUndefined();
    opt.dispose();
    a.dispose();
  });

  it('Adam is AdamW without decay', () => {
    const [a, b] = [variable([1, -2], [2]), variable([1, -2], [2])];
    const adam = new Adam([['a', a]], { lr: 0.05 });
    const adamw = new AdamW([['b', b]], { lr: 0.05, weightDecay: 0 });
    for (let i = 0; i < 3; i++) {
      const ga = new Map([['a', tf.tensor1d([0.3, i - 1])]]);
      const gb = new Map([['b', ga.get('a')!]]);
      adam.step(ga);
      adamw.step(gb);
      tf.dispose([...ga.values()]);
    }
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(adam.groups[0].weightDecay).toBe(0);
    tf.dispose([a, b]);
    adam.dispose();
    adamw.dispose();
  });
});
