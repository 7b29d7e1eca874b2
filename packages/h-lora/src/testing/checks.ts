import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { tf, Generator, linear, type Tensor } from '@healthgpt/tensor-core';
import {
  getAdapterKind,
  registerAdapterKind,
  validateAdapterKind,
  injectAdapters,
  markOnlyAdapterTrainable,
  saveAdapter,
  loadAdapter,
  type AdapterKind,
  type ExpertWeights,
  type AdaptedLinear,
  type HLoraErrorCode,
} from '@healthgpt/h-lora';
import { assertClose, assertNoLeaks, build, caseArb, configOf, OneLayer, routed, values, type Built, type KindCase } from './cases.js';

export interface CheckAdapterKindOptions<S extends object = object> {
  /** Kind-specific settings to try; each case takes one in turn (default: none, the kind's defaults). */
  settings?: Partial<S>[];
  /** Random cases per property (default 8; save → load runs half as many). */
  numRuns?: number;
  /** fast-check seed, for a reproducible run. */
  seed?: number;
  /** Tolerance of the approximate comparisons (default atol = rtol = 1e-4). */
  tolerance?: { atol: number; rtol: number };
}

/** One named property of the conformance matrix; `run` throws an AssertionError (or the kind's error) when the kind fails it. */
export interface AdapterKindCheck {
  name: string;
  run(): Promise<void>;
}

type Kind = AdapterKind<object>;

const base = (layer: AdaptedLinear, x: Tensor) => linear(x, layer.weight, layer.bias);

/**
 * An h-lora error with `code`. Checked by name and code, not `instanceof HLoraError`: the kind under
 * test may come from another copy of the package (its ESM or CommonJS build).
 */
const hasCode = (e: unknown, code: HLoraErrorCode) => e instanceof Error && /^(HLoraError|AdapterStateError)$/.test(e.name) && (e as { code?: unknown }).code === code;

/** Σᵢ gᵢ·Bᵢ·Aᵢ·x·s + W0x + b in float64 JS from the explicit experts. */
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

const disposeExperts = (e: ExpertWeights) => tf.dispose([...e.A, ...e.B, e.route]);

/**
 * The conformance matrix of an adapter kind as plain async functions (no test framework needed):
 * every built-in kind passes each of them. `checkAdapterKind` (same module) registers them as
 * vitest tests; with another runner, call `run()` of each inside its own test.
 */
export function adapterKindChecks<S extends object>(kindS: AdapterKind<S>, options: CheckAdapterKindOptions<S> = {}): AdapterKindCheck[] {
  const kind = kindS as unknown as Kind;
  const settings = (options.settings ?? []) as Partial<object>[];
  const runs = { numRuns: options.numRuns ?? 8, ...(options.seed !== undefined ? { seed: options.seed } : {}) };
  const tol = options.tolerance ?? { atol: 1e-4, rtol: 1e-4 };
  const make = (c: KindCase, o?: { randomise?: boolean }): Built => build(kind, c, settings, o);
  // Run one case in its own tensor scope, so that a failing assertion leaks nothing either.
  const withCase = async (c: KindCase, fn: (b: Built) => unknown | Promise<unknown>, o?: { randomise?: boolean }) => {
    tf.engine().startScope();
    const b = make(c, o);
    try {
      await fn(b);
    } finally {
      b.root.dispose();
      tf.engine().endScope();
    }
  };
  const property = (fn: (c: KindCase) => Promise<void>, numRuns = runs.numRuns) => fc.assert(fc.asyncProperty(caseArb, fn), { ...runs, numRuns });

  const checks: AdapterKindCheck[] = [
    {
      name: 'has everything the wrapper calls, and is registered as itself',
      run: async () => {
        validateAdapterKind(kind, 'checkAdapterKind');
        let registered: Kind | undefined;
        try {
          registered = getAdapterKind(kind.name);
        } catch {
          registerAdapterKind(kind);
          registered = kind;
        }
        assert.ok(registered === kind, `another kind is registered as '${kind.name}'; checkAdapterKind needs this one registered (save → load looks kinds up by name)`);
      },
    },
    {
      name: 'resolve refuses a malformed config with HLoraError CONFIG',
      run: async () => {
        for (const bad of [{ r: 0 }, { r: 2.5 }, { loraAlpha: Number.NaN }, { loraDropout: 1 }, { loraNums: 0 }]) {
          const config = { ...configOf(kind, { inF: 2, outF: 2, re: 1, k: 2, lead: [1], alpha: 4, bias: true, seed: 0, variant: 0 }, settings), ...bad };
          assert.throws(() => kind.resolve(config), (e: unknown) => hasCode(e, 'CONFIG'), `resolve(${JSON.stringify(bad)}) must throw HLoraError CONFIG`);
        }
      },
    },
    {
      name: 'a fresh adapter leaves the output exactly as the base computes it, and the same seed gives the same initial values',
      run: () =>
        property(async (c) => {
          await withCase(c, async ({ layer, x }) => {
            const y0 = base(layer, x), y = layer.forward(x);
            assert.deepEqual(values(y), values(y0), 'a fresh adapter changed the output');
            tf.dispose([y0, y]);
            const again = make(c, { randomise: false });
            try {
              for (const [rel, v] of layer.adapterState('default')) assert.deepEqual(values(again.layer.adapterState('default').get(rel)!), values(v), `init of '${rel}' is not reproducible from the generator`);
            } finally {
              again.root.dispose();
            }
          }, { randomise: false });
        }),
    },
    {
      name: 'disabled gives exactly the base output, enabled again the adapted one',
      run: () =>
        property(async (c) => {
          await withCase(c, ({ layer, x }) => {
            const y = layer.forward(x);
            layer.disable();
            const y0 = base(layer, x), yd = layer.forward(x);
            assert.deepEqual(values(yd), values(y0), 'disabled output differs from the base');
            layer.enable();
            const ye = layer.forward(x);
            assert.deepEqual(values(ye), values(y), 'enabled output differs from before disable');
            tf.dispose([y, y0, yd, ye]);
          });
        }),
    },
    {
      name: 'rows are independent: a batch gives what each row gives alone, shaped [..., out]',
      run: () =>
        property(async (c) => {
          await withCase(c, ({ layer, x }) => {
            const y = layer.forward(x);
            assert.deepEqual(y.shape, [...c.lead, c.outF], 'output shape');
            const rows = tf.tidy(() => x.reshape([-1, c.inF]));
            const n = rows.shape[0];
            const each = Array.from({ length: n }, (_, i) => tf.tidy(() => layer.forward(rows.slice([i, 0], [1, c.inF]))));
            assertClose(values(y), each.flatMap(values), tol, 'batch vs one row at a time');
            tf.dispose([y, rows, ...each]);
          });
        }),
    },
    kind.mergeable
      ? {
          name: 'merge: the merged layer computes what the adapter did; unmerge restores W0 and b; a non-finite safe merge changes nothing',
          run: () =>
            property(async (c) => {
              await withCase(c, ({ layer, x }) => {
                const w0 = layer.weight.clone(), b0 = layer.bias?.clone() ?? null;
                const y = layer.forward(x);
                layer.merge();
                assert.deepEqual(layer.mergedAdapters(), ['default']);
                const ym = layer.forward(x), yl = base(layer, x);
                assertClose(ym, y, tol, 'merged forward');
                assertClose(yl, y, tol, 'plain linear with the merged weight and bias');
                assert.equal(layer.unmerge(), 'default');
                assertClose(layer.weight, w0, tol, 'W0 after unmerge');
                if (b0) assertClose(layer.bias!, b0, tol, 'b after unmerge');
                const st = [...layer.adapterState('default').values()];
                const saved = st.map((v) => v.clone());
                for (const v of st) tf.tidy(() => v.assign(tf.fill(v.shape, Number.NaN)));
                assert.throws(() => layer.merge(), (e: unknown) => hasCode(e, 'NON_FINITE'), 'a merge producing NaN must throw HLoraError NON_FINITE');
                assert.deepEqual(layer.mergedAdapters(), []);
                assertClose(layer.weight, w0, tol, 'W0 after a refused merge');
                st.forEach((v, i) => v.assign(saved[i]));
                tf.dispose([w0, ...(b0 ? [b0] : []), y, ym, yl, ...saved]);
              });
            }),
        }
      : {
          name: 'merge is refused with HLoraError NOT_MERGEABLE and W0 is untouched',
          run: () =>
            withCase({ inF: 3, outF: 2, re: 1, k: 2, lead: [2], alpha: 4, bias: true, seed: 5, variant: 0 }, ({ layer }) => {
              const w0 = values(layer.weight);
              assert.throws(() => layer.merge(), (e: unknown) => hasCode(e, 'NOT_MERGEABLE'));
              assert.deepEqual(values(layer.weight), w0);
              assert.deepEqual(layer.mergedAdapters(), []);
            }),
        },
    {
      name: 'with the base frozen, gradients reach only the active adapter, finite and not all zero',
      run: () =>
        property(async (c) => {
          await withCase(c, ({ root, layer, x }) => {
            injectAdapters(root, { targets: ['layer'], kind, config: configOf(kind, c, settings), name: 'other' });
            const trainable = markOnlyAdapterTrainable(root, 'default');
            assert.deepEqual([...trainable].sort(), layer.adapterParameterNames('default').map((n) => `layer.${n}`).sort());
            const { loss, grads } = root.computeGradients(() => tf.sum(tf.square(layer.forward(x))) as tf.Scalar);
            assert.deepEqual([...grads.keys()].sort(), [...trainable].sort());
            const sums = [...grads.values()].map((g) => tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]));
            assert.ok(sums.every(Number.isFinite), 'non-finite gradient');
            assert.ok(sums.some((s) => s > 0), 'every gradient is zero');
            tf.dispose([loss, ...grads.values()]);
          });
        }),
    },
    {
      name: 'numParameters matches what init makes',
      run: () =>
        property(async (c) => {
          await withCase(c, ({ root, layer }) => {
            const counted = [...layer.adapterState('default').values()].reduce((n, v) => n + v.size, 0);
            const cfg = layer.adapterInfo('default').config;
            assert.equal(kind.numParameters(c.inF, c.outF, cfg, layer.baseLayer()), counted);
            assert.equal(root.numParameters(), counted + c.inF * c.outF + (c.bias ? c.outF : 0));
          }, { randomise: false });
        }),
    },
    {
      name: 'save → load into a fresh model is the identity, the kind’s settings included',
      run: async () => {
        const dir = await mkdtemp(join(tmpdir(), 'h-lora-kind-'));
        try {
          await property(async (c) => {
            await withCase(c, async ({ layer, root, x }) => {
              await saveAdapter(root, dir, 'default');
              const fresh = new OneLayer(c.inF, c.outF, c.seed, c.bias).eval();
              try {
                const r = await loadAdapter(fresh, dir, { name: 'default' });
                assert.equal(r.kind, kind.name);
                assert.deepEqual(r.injected, ['layer']);
                const l2 = fresh.child<AdaptedLinear>('layer');
                assert.deepEqual(l2.adapterInfo('default').config, layer.adapterInfo('default').config, 'the resolved config (settings included) after a round trip');
                for (const [rel, v] of layer.adapterState('default')) assert.deepEqual(values(l2.adapterState('default').get(rel)!), values(v), `'${rel}' after a round trip`);
                const y = layer.forward(x), y2 = l2.forward(x);
                assert.deepEqual(values(y2), values(y), 'output after a round trip');
                tf.dispose([y, y2]);
              } finally {
                fresh.dispose();
              }
            });
          }, Math.max(1, Math.ceil(runs.numRuns / 2)));
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'forward (eval and train), a gradient step, merge and save → load leak no tensor',
      run: async () => {
        const c: KindCase = { inF: 4, outF: 3, re: 1, k: 2, lead: [2, 3], alpha: 4, bias: true, seed: 11, variant: 0 };
        const dir = await mkdtemp(join(tmpdir(), 'h-lora-kind-'));
        try {
          for (let variant = 0; variant < Math.max(1, settings.length); variant++)
            await withCase({ ...c, variant }, async ({ root, layer, x }) => {
              await assertNoLeaks(() => layer.forward(x), 'forward (eval)');
              root.train();
              await assertNoLeaks(() => layer.forward(x), 'forward (train)');
              await assertNoLeaks(() => {
                const { loss, grads } = root.computeGradients(() => tf.sum(tf.square(layer.forward(x))) as tf.Scalar);
                return [loss, ...grads.values()];
              }, 'a gradient step');
              root.eval();
              if (kind.mergeable) await assertNoLeaks(() => layer.merge().unmerge(), 'merge + unmerge');
              if (kind.gate) await assertNoLeaks(() => layer.routerProbs(x), 'routerProbs');
              await assertNoLeaks(() => saveAdapter(root, dir, 'default'), 'saveAdapter');
              await assertNoLeaks(() => loadAdapter(root, dir, { name: 'default' }), 'loadAdapter into the same model');
            });
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    },
  ];
  if (routed(kind)) checks.push(...routedChecks(kind, property, withCase, tol));
  return checks;
}

type Property = (fn: (c: KindCase) => Promise<void>) => Promise<void>;
type WithCase = (c: KindCase, fn: (b: Built) => unknown) => Promise<void>;

/** The checks of kinds with experts: the explicit mixture and the expert permutation. */
function routedChecks(kind: Kind, property: Property, withCase: WithCase, tol: { atol: number; rtol: number }): AdapterKindCheck[] {
  const split = (layer: AdaptedLinear) => {
    const st = layer.adapterState('default');
    return kind.experts!.split((n) => st.get(n)!, layer.adapterInfo('default').config);
  };
  return [
    {
      name: 'equals the explicit Σᵢ gᵢ·Bᵢ·Aᵢ·x·s of its experts',
      run: () =>
        property(async (c) => {
          await withCase(c, ({ layer, x }) => {
            const e = split(layer);
            const y = layer.forward(x);
            assertClose(values(y), explicitMixture(layer, x, e, kind.scaling(layer.adapterInfo('default').config)), tol, 'explicit mixture');
            disposeExperts(e);
            y.dispose();
          });
        }),
    },
    {
      name: 'permuting the experts together with their router rows changes nothing',
      run: () =>
        property(async (c) => {
          await withCase(c, ({ layer, x }) => {
            const y = layer.forward(x);
            const e = split(layer);
            const perm = new Generator(c.seed + 7).shuffle(Array.from({ length: c.k }, (_, i) => i));
            const route = tf.gather(e.route, perm);
            const m = kind.experts!.join({ A: perm.map((i) => e.A[i]), B: perm.map((i) => e.B[i]), route }, layer.adapterInfo('default').config);
            layer.loadAdapterState('default', m);
            const yp = layer.forward(x);
            assertClose(yp, y, tol, `experts permuted by [${perm}]`);
            tf.dispose([y, yp, route, ...m.values()]);
            disposeExperts(e);
          });
        }),
    },
  ];
}
