import { expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, GradientAccumulator, TensorCoreError, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';

const float = fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true });

describeBackends('GradientAccumulator', () => {
  it('mean is Σ wᵢgᵢ / Σ wᵢ, a parameter missing from a micro-batch counting as zero there', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: fc.option(fc.array(float, { minLength: 3, maxLength: 3 }), { nil: undefined }), b: fc.array(float, { minLength: 2, maxLength: 2 }), w: fc.double({ min: 0.1, max: 5, noNaN: true }) }), { minLength: 1, maxLength: 5 }),
        (micro) => {
          const acc = new GradientAccumulator();
          for (const m of micro) {
            const grads = new Map<string, Tensor>([['b', tf.tensor1d(m.b)]]);
            if (m.a) grads.set('a', tf.tensor1d(m.a));
            acc.add(grads, m.w);
          }
          const total = micro.reduce((s, m) => s + m.w, 0);
          expect(acc.count).toBe(micro.length);
          expect(acc.totalWeight).toBeCloseTo(total, 10);
          const mean = acc.mean();
          const expected = (pick: (m: (typeof micro)[0]) => number[] | undefined, n: number) =>
            Array.from({ length: n }, (_, i) => micro.reduce((s, m) => s + m.w * (pick(m)?.[i] ?? 0), 0) / total);
          expectClose(mean.get('b')!, expected((m) => m.b, 2), { atol: 1e-5, rtol: 1e-5 }, 'b');
          if (micro.some((m) => m.a)) expectClose(mean.get('a')!, expected((m) => m.a, 3), { atol: 1e-5, rtol: 1e-5 }, 'a');
          else expect(mean.has('a')).toBe(false);
          expect(acc.count).toBe(0);
          tf.dispose([...mean.values()]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('takes over the gradients it is given and leaks nothing, inside tf.tidy or not', async () => {
    const acc = new GradientAccumulator();
    const grads = () => new Map([['w', tf.ones([2, 2])], ['b', tf.ones([2])]]);
    await expectNoLeaks(() => {
      acc.add(grads());
      tf.tidy(() => acc.add(grads(), 3));
      acc.add(grads());
      const mean = acc.mean();
      expectClose(mean.get('w')!, [1, 1, 1, 1], { atol: 1e-6 }, 'mean of ones');
      tf.dispose([...mean.values()]);
      acc.add(grads());
      const sum = acc.sum();
      tf.dispose([...sum.values()]);
      acc.add(grads());
      acc.reset();
    }, { what: 'accumulate' });
    const single = new Map([['w', tf.tensor1d([2, 4])]]);
    acc.add(single);
    const mean = acc.mean(); // one micro-batch of weight 1: the very tensors, now the caller's
    expect(Array.from(mean.get('w')!.dataSync())).toEqual([2, 4]);
    tf.dispose([...mean.values()]);
  });

  it('refuses shape changes, bad weights and a mean of nothing', () => {
    const acc = new GradientAccumulator();
    acc.add(new Map([['w', tf.ones([2])]]));
    const wrong = new Map([['w', tf.ones([3])]]);
    expect(() => acc.add(wrong)).toThrow(expect.objectContaining({ code: 'ARGUMENT', key: 'w' }));
    expect(() => acc.add(wrong, 0)).toThrow(TensorCoreError);
    tf.dispose([...wrong.values()]);
    acc.dispose();
    expect(() => acc.mean()).toThrow(/before any micro-batch/);
  });
});
