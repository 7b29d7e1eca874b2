import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { tf, Module, Linear, Generator, normal, type Tensor } from '@healthgpt/tensor-core';
import { injectAdapters, type AdaptedLinear, type AdapterConfig, type AdapterKind } from '@healthgpt/h-lora';

/** One random case of the matrix: layer sizes, rank per expert, experts, leading dims, alpha, a bias or not, a seed. */
export interface KindCase {
  inF: number;
  outF: number;
  re: number;
  k: number;
  lead: number[];
  alpha: number;
  bias: boolean;
  seed: number;
  /** Index into the settings variants. */
  variant: number;
}

export const caseArb: fc.Arbitrary<KindCase> = fc.record({
  inF: fc.integer({ min: 1, max: 7 }),
  outF: fc.integer({ min: 1, max: 7 }),
  re: fc.integer({ min: 1, max: 3 }),
  k: fc.integer({ min: 1, max: 4 }),
  lead: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
  alpha: fc.integer({ min: 1, max: 16 }),
  bias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  variant: fc.nat(),
});

/** A kind with experts (a router and k expert pairs). */
export const routed = (k: AdapterKind<object>): boolean => k.experts !== undefined && k.gate !== undefined;

/** A parent whose forward reads its child through `this.child`, as the shipped models do. */
export class OneLayer extends Module {
  constructor(inF: number, outF: number, seed: number, bias: boolean) {
    super();
    this.registerModule('layer', new Linear(inF, outF, { bias, gen: new Generator(seed) }));
  }

  forward(x: Tensor): Tensor {
    return this.child<Linear>('layer').forward(x);
  }
}

export function configOf<S extends object>(kind: AdapterKind<S>, c: KindCase, settings: Partial<S>[]): AdapterConfig & Partial<S> {
  const extra = settings.length ? settings[c.variant % settings.length] : {};
  const base: AdapterConfig = routed(kind as AdapterKind<object>) ? { r: c.re * c.k, loraAlpha: c.alpha, loraNums: c.k } : { r: c.re * c.k, loraAlpha: c.alpha };
  return { ...base, ...extra } as AdapterConfig & Partial<S>;
}

export interface Built {
  root: OneLayer;
  layer: AdaptedLinear;
  x: Tensor;
}

/** A one-layer model (path `layer`) with adapter `default` of `kind`; with `randomise`, every adapter tensor N(0, 0.5). */
export function build<S extends object>(kind: AdapterKind<S>, c: KindCase, settings: Partial<S>[], { randomise = true } = {}): Built {
  const root = new OneLayer(c.inF, c.outF, c.seed, c.bias);
  injectAdapters(root, { targets: ['layer'], kind: kind as AdapterKind<object>, config: configOf(kind, c, settings), gen: new Generator(c.seed + 1) });
  root.eval();
  const layer = root.child<AdaptedLinear>('layer');
  const gen = new Generator(c.seed + 2);
  if (randomise) for (const [, v] of layer.adapterState('default')) tf.tidy(() => v.assign(normal(v.shape, 0, 0.5, gen)));
  return { root, layer, x: normal([...c.lead, c.inF], 0, 1, gen) };
}

export const values = (t: Tensor): number[] => Array.from(t.dataSync());

/** |a − b| ≤ atol + rtol·|b| elementwise, or an AssertionError naming `what` and the worst element. */
export function assertClose(actual: Tensor | number[], expected: Tensor | number[], { atol, rtol }: { atol: number; rtol: number }, what: string): void {
  const a = Array.isArray(actual) ? actual : values(actual);
  const b = Array.isArray(expected) ? expected : values(expected);
  assert.equal(a.length, b.length, `${what}: ${a.length} values, expected ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]);
    if (!ok) assert.fail(`${what}: element ${i} is ${a[i]}, expected ${b[i]} (atol ${atol}, rtol ${rtol})`);
  }
}

/** Run `fn` and assert it leaves as many tensors as it found (the result, a tensor or tensors, is disposed first). */
export async function assertNoLeaks(fn: () => unknown, what: string): Promise<void> {
  const before = tf.memory().numTensors;
  const out = await fn();
  if (out instanceof tf.Tensor) out.dispose();
  else if (Array.isArray(out)) tf.dispose(out.filter((t) => t instanceof tf.Tensor));
  else if (out instanceof Map) tf.dispose([...out.values()].filter((t) => t instanceof tf.Tensor));
  const after = tf.memory().numTensors;
  assert.equal(after - before, 0, `${what} leaked ${after - before} tensor(s)`);
}
