/**
 * The conformance matrix (`@healthgpt/h-lora/testing`) over every built-in kind and the example
 * kinds (rslora, IA³), plus the properties that only hold between particular kinds.
 */
import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, Generator, normal } from '@healthgpt/tensor-core';
import { describeBackends, expectClose } from '@healthgpt/testing';
import { checkAdapterKind } from '@healthgpt/h-lora/testing';
import { rsLoraKind } from '../examples/rslora.js';
import { ia3Kind } from '../examples/ia3.js';
import { loraKind, doraKind, moeLoraKind, hloraKind, injectAdapters, type AdaptedLinear, type AdapterKind } from './index.js';
import { oneLayer } from './modules.test_util.js';

describeBackends(
  'adapter kinds',
  () => {
    checkAdapterKind(loraKind, { settings: [{}, { useRslora: true }] });
    checkAdapterKind(doraKind, { settings: [{}, { useRslora: true }] });
    checkAdapterKind(moeLoraKind);
    checkAdapterKind(hloraKind);
    checkAdapterKind(rsLoraKind);
    checkAdapterKind(ia3Kind, { settings: [{ feedforwardModules: [] }, { feedforwardModules: ['layer'] }] });
  },
  { only: ['cpu'] },
);

const caseArb = fc.record({
  inF: fc.integer({ min: 1, max: 7 }),
  outF: fc.integer({ min: 1, max: 7 }),
  re: fc.integer({ min: 1, max: 3 }),
  k: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

function adapted(kind: AdapterKind, c: { inF: number; outF: number; re: number; k: number; seed: number }) {
  const root = oneLayer(c.inF, c.outF, c.seed);
  const config = kind.experts ? { r: c.re * c.k, loraAlpha: 4, loraNums: c.k } : { r: c.re * c.k, loraAlpha: 4 };
  injectAdapters(root, { targets: ['layer'], kind, config, gen: new Generator(c.seed + 1) });
  return { root: root.eval(), layer: root.child<AdaptedLinear>('layer') };
}

describeBackends(
  'properties between kinds',
  () => {
    it('lora, dora: B = 0 with any A (and DoRA’s magnitude at ‖W0‖) gives exactly the base output', () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          for (const kind of [loraKind, doraKind]) {
            const { root, layer } = adapted(kind, c);
            const x = normal([3, c.inF], 0, 1, new Generator(c.seed + 2));
            const y0 = layer.forward(x);
            tf.tidy(() => layer.adapterState('default').get('lora_A.weight')!.assign(normal([c.re * c.k, c.inF], 0, 1, new Generator(c.seed + 3))));
            const y = layer.forward(x);
            expect(Array.from(y.dataSync())).toEqual(Array.from(y0.dataSync()));
            tf.dispose([x, y0, y]);
            root.dispose();
          }
        }),
        { numRuns: 8 },
      );
    });

    it('hlora equals moe-lora given the same expert weights (both directions)', () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          for (const [from, to] of [
            [hloraKind, moeLoraKind],
            [moeLoraKind, hloraKind],
          ]) {
            const a = adapted(from, c), b = adapted(to, c);
            const gen = new Generator(c.seed + 4);
            for (const [, v] of a.layer.adapterState('default')) tf.tidy(() => v.assign(normal(v.shape, 0, 0.5, gen)));
            const st = a.layer.adapterState('default');
            const e = from.experts!.split((n) => st.get(n)!, a.layer.adapterInfo('default').config);
            const m = to.experts!.join(e, b.layer.adapterInfo('default').config);
            b.layer.loadAdapterState('default', m);
            const x = normal([2, c.inF], 0, 1, gen);
            const ya = a.layer.forward(x), yb = b.layer.forward(x);
            expectClose(yb, ya, { atol: 1e-4, rtol: 1e-4 }, `${to.name} vs ${from.name}`);
            tf.dispose([x, ya, yb, ...e.A, ...e.B, e.route, ...m.values()]);
            a.root.dispose();
            b.root.dispose();
          }
        }),
        { numRuns: 8 },
      );
    });
  },
  { only: ['cpu'] },
);
