/**
 * One property matrix over every registered adapter kind (the built-ins and the custom `rslora`
 * kind of examples/rslora.ts): random shapes, ranks and expert counts.
 */
import { it, expect } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, Generator, normal, linear, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose } from '@healthgpt/testing';
import '../examples/rslora.js';
import {
  adapterKindNames,
  getAdapterKind,
  injectAdapters,
  markOnlyAdapterTrainable,
  saveAdapter,
  loadAdapter,
  HLoraError,
  type AdaptedLinear,
  type AdapterKind,
  type ExpertWeights,
} from './index.js';
import { oneLayer, type Holder } from './test_utils.js';

const RUNS = { numRuns: 8 };
const TOL = { atol: 1e-4, rtol: 1e-4 };

interface Case {
  inF: number;
  outF: number;
  re: number;
  k: number;
  lead: number[];
  alpha: number;
  seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  inF: fc.integer({ min: 1, max: 7 }),
  outF: fc.integer({ min: 1, max: 7 }),
  re: fc.integer({ min: 1, max: 3 }),
  k: fc.integer({ min: 1, max: 4 }),
  lead: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
  alpha: fc.integer({ min: 1, max: 16 }),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

const routed = (k: AdapterKind) => k.experts !== undefined;
const configOf = (kind: AdapterKind, c: Case) => (routed(kind) ? { r: c.re * c.k, loraAlpha: c.alpha, loraNums: c.k } : { r: c.re * c.k, loraAlpha: c.alpha });

/** A one-layer model with adapter `default` of `kind`, every adapter tensor random (B too). */
function build(kind: AdapterKind, c: Case, { randomise = true } = {}): { root: Holder; layer: AdaptedLinear; x: Tensor } {
  const root = oneLayer(c.inF, c.outF, c.seed);
  injectAdapters(root, { targets: ['layer'], kind: kind.name, config: configOf(kind, c), gen: new Generator(c.seed + 1) });
  root.eval();
  const layer = root.child<AdaptedLinear>('layer');
  const gen = new Generator(c.seed + 2);
  if (randomise) for (const [, v] of layer.adapterState('default')) tf.tidy(() => v.assign(normal(v.shape, 0, 0.5, gen)));
  return { root, layer, x: normal([...c.lead, c.inF], 0, 1, gen) };
}

const base = (layer: AdaptedLinear, x: Tensor) => linear(x, layer.weight, layer.bias);
const values = (t: Tensor) => Array.from(t.dataSync());

/** Σᵢ gᵢ·Bᵢ·Aᵢ·x·s + W0x + b, in float64 JS from the explicit experts. */
function explicitMixture(layer: AdaptedLinear, x: Tensor, e: ExpertWeights, s: number): number[] {
  const W = values(layer.weight), b = layer.bias ? values(layer.bias) : null;
  const [inF, outF, k] = [layer.inFeatures, layer.outFeatures, e.A.length];
  const As = e.A.map(values), Bs = e.B.map(values), R = values(e.route);
  const xs = values(x);
  const out: number[] = [];
  for (let n = 0; n < xs.length / inF; n++) {
    const xn = xs.slice(n * inF, (n + 1) * inF);
    const dot = (w: number[], row: number) => xn.reduce((acc, xi, i) => acc + xi * w[row * inF + i], 0);
    const logits = Array.from({ length: k }, (_, i) => dot(R, i));
    const m = Math.max(...logits), ex = logits.map((l) => Math.exp(l - m)), z = ex.reduce((p, q) => p + q);
    for (let o = 0; o < outF; o++) {
      let y = dot(W, o) + (b ? b[o] : 0);
      for (let i = 0; i < k; i++) {
        const re = e.A[i].shape[0];
        for (let j = 0; j < re; j++) y += (ex[i] / z) * Bs[i][o * re + j] * dot(As[i], j) * s;
      }
      out.push(y);
    }
  }
  return out;
}

function loadExperts(layer: AdaptedLinear, kind: AdapterKind, e: ExpertWeights): void {
  const m = kind.experts!.join(e, layer.adapterInfo('default').config);
  layer.loadAdapterState('default', m);
  m.forEach((t) => t.dispose());
}

const disposeExperts = (e: ExpertWeights) => tf.dispose([...e.A, ...e.B, e.route]);
const splitOf = (layer: AdaptedLinear, kind: AdapterKind) => {
  const st = layer.adapterState('default');
  return kind.experts!.split((n) => st.get(n)!, layer.adapterInfo('default').config);
};

describeBackends('adapter kind property matrix', () => {
  it('covers the built-in kinds and the custom rslora kind', () => {
    expect(adapterKindNames()).toEqual(expect.arrayContaining(['lora', 'moe-lora', 'hlora', 'rslora']));
  });

  for (const name of adapterKindNames()) {
    const kind = getAdapterKind(name);

    it(`${name}: a fresh adapter (B = 0) and an explicit B = 0 give exactly the base output`, () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { root, layer, x } = build(kind, c, { randomise: false });
          const y0 = base(layer, x), y = layer.forward(x);
          expect(values(y)).toEqual(values(y0));
          for (const [rel, v] of layer.adapterState('default')) tf.tidy(() => v.assign(rel.startsWith('lora_B') ? tf.zerosLike(v) : normal(v.shape, 0, 1, new Generator(c.seed))));
          const yz = layer.forward(x);
          expect(values(yz)).toEqual(values(y0));
          tf.dispose([y0, y, yz, x]);
          root.dispose();
        }),
        RUNS,
      );
    });

    it(`${name}: disabled gives exactly the base output, enabled the adapted one`, () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { root, layer, x } = build(kind, c);
          const y = layer.forward(x);
          layer.disable();
          const y0 = base(layer, x), yd = layer.forward(x);
          expect(values(yd)).toEqual(values(y0));
          layer.enable();
          const ye = layer.forward(x);
          expect(values(ye)).toEqual(values(y));
          tf.dispose([y, y0, yd, ye, x]);
          root.dispose();
        }),
        RUNS,
      );
    });

    if (kind.mergeable) {
      it(`${name}: merged forward equals unmerged; unmerge restores W0`, () => {
        fc.assert(
          fc.property(caseArb, (c) => {
            const { root, layer, x } = build(kind, c);
            const w0 = layer.weight.clone();
            const y = layer.forward(x);
            layer.merge();
            const ym = layer.forward(x);
            expectClose(ym, y, TOL, 'merged forward');
            expect(layer.unmerge()).toBe('default');
            expectClose(layer.weight, w0, { atol: 1e-5, rtol: 1e-5 }, 'W0 after unmerge');
            const yu = layer.forward(x);
            expectClose(yu, y, TOL, 'unmerged forward');
            tf.dispose([w0, y, ym, yu, x]);
            root.dispose();
          }),
          RUNS,
        );
      });
    } else {
      it(`${name}: merge is refused with a typed error and W0 is untouched`, () => {
        const c: Case = { inF: 3, outF: 2, re: 1, k: 2, lead: [2], alpha: 4, seed: 5 };
        const { root, layer, x } = build(kind, c);
        const w0 = layer.weight.clone();
        expect(() => layer.merge()).toThrow(HLoraError);
        expect(() => layer.merge()).toThrow(/cannot merge adapter 'default'.*depends on the input/);
        expect(values(layer.weight)).toEqual(values(w0));
        expect(layer.mergedAdapters()).toEqual([]);
        tf.dispose([w0, x]);
        root.dispose();
      });
    }

    if (routed(kind)) {
      it(`${name}: equals the explicit Σᵢ gᵢ·Bᵢ·Aᵢ·x·s`, () => {
        fc.assert(
          fc.property(caseArb, (c) => {
            const { root, layer, x } = build(kind, c);
            const e = splitOf(layer, kind);
            const y = layer.forward(x);
            const cfg = layer.adapterInfo('default').config;
            expectClose(values(y), explicitMixture(layer, x, e, kind.scaling(cfg)), TOL, 'explicit mixture');
            disposeExperts(e);
            tf.dispose([y, x]);
            root.dispose();
          }),
          RUNS,
        );
      });

      it(`${name}: permuting experts together with their router rows changes nothing`, () => {
        fc.assert(
          fc.property(caseArb, fc.integer({ min: 0, max: 1e6 }), (c, ps) => {
            const { root, layer, x } = build(kind, c);
            const y = layer.forward(x);
            const e = splitOf(layer, kind);
            const perm = new Generator(ps).shuffle(Array.from({ length: c.k }, (_, i) => i));
            const routeRows = tf.gather(e.route, perm);
            loadExperts(layer, kind, { A: perm.map((i) => e.A[i]), B: perm.map((i) => e.B[i]), route: routeRows });
            const yp = layer.forward(x);
            expectClose(yp, y, TOL, `experts permuted by [${perm}]`);
            disposeExperts(e);
            tf.dispose([y, yp, routeRows, x]);
            root.dispose();
          }),
          RUNS,
        );
      });

      for (const other of adapterKindNames().map(getAdapterKind).filter((o) => routed(o) && o.name !== name)) {
        it(`${name}: equals ${other.name} given the same expert weights`, () => {
          fc.assert(
            fc.property(caseArb, (c) => {
              const a = build(kind, c);
              const b = build(other, c, { randomise: false });
              const e = splitOf(a.layer, kind);
              loadExperts(b.layer, other, e);
              const ya = a.layer.forward(a.x), yb = b.layer.forward(a.x);
              expectClose(yb, ya, TOL, `${other.name} vs ${name}`);
              disposeExperts(e);
              tf.dispose([ya, yb, a.x, b.x]);
              a.root.dispose();
              b.root.dispose();
            }),
            RUNS,
          );
        });
      }
    }

    it(`${name}: with the base frozen, gradients reach only the active adapter’s parameters`, () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { root, layer, x } = build(kind, c);
          injectAdapters(root, { targets: ['layer'], kind: name, config: configOf(kind, c), name: 'other' });
          const trainable = markOnlyAdapterTrainable(root, 'default');
          expect(trainable.sort()).toEqual(layer.adapterParameterNames('default').map((n) => `layer.${n}`).sort());
          expect(root.trainableParameters().map(([n]) => n).sort()).toEqual(trainable);
          const { loss, grads } = root.computeGradients(() => tf.sum(tf.square(layer.forward(x))) as tf.Scalar);
          expect([...grads.keys()].sort()).toEqual(trainable);
          const total = [...grads.values()].reduce((acc, g) => acc + tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]), 0);
          expect(Number.isFinite(total) && total > 0).toBe(true);
          tf.dispose([loss, x, ...grads.values()]);
          root.dispose();
        }),
        RUNS,
      );
    });

    it(`${name}: parameter count matches the formula`, () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { root, layer, x } = build(kind, c, { randomise: false });
          const cfg = layer.adapterInfo('default').config;
          const counted = [...layer.adapterState('default').values()].reduce((n, v) => n + v.size, 0);
          const r = c.re * c.k;
          const formula = routed(kind) ? r * (c.inF + c.outF) + c.k * c.inF : r * (c.inF + c.outF);
          expect(counted).toBe(formula);
          expect(kind.numParameters(c.inF, c.outF, cfg)).toBe(formula);
          expect(root.numParameters()).toBe(formula + c.inF * c.outF + c.outF);
          x.dispose();
          root.dispose();
        }),
        RUNS,
      );
    });

    it(`${name}: save → load is the identity`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hlora-prop-'));
      try {
        await fc.assert(
          fc.asyncProperty(caseArb, async (c) => {
            const { root, layer, x } = build(kind, c);
            await saveAdapter(root, dir, 'default');
            const fresh = oneLayer(c.inF, c.outF, c.seed).eval();
            const r = await loadAdapter(fresh, dir, { name: 'default' });
            expect(r.kind).toBe(name);
            expect(r.injected).toEqual(['layer']);
            const l2 = fresh.child<AdaptedLinear>('layer');
            for (const [rel, v] of layer.adapterState('default')) expect(values(l2.adapterState('default').get(rel)!)).toEqual(values(v));
            const y = layer.forward(x), y2 = l2.forward(x);
            expect(values(y2)).toEqual(values(y));
            tf.dispose([y, y2, x]);
            root.dispose();
            fresh.dispose();
          }),
          { numRuns: 4 },
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
}, { only: ['cpu'] });
