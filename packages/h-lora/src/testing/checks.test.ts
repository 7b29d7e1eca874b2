/**
 * The conformance matrix catches broken kinds: each deliberately broken variant of LoRA fails the
 * check written for its fault (and the intact kind passes them all, in properties.test.ts).
 */
import { it, expect } from 'vitest';
import { tf, normal, kaimingUniform } from '@healthgpt/tensor-core';
import { describeBackends } from '@healthgpt/testing';
import { adapterKindChecks } from '@healthgpt/h-lora/testing';
import { loraKind, resolveConfig, HLoraError, type AdapterKind, type AdapterConfig } from '../index.js';

interface Extra {
  level: number;
}

/** LoRA with one function replaced. */
const variant = (over: Partial<AdapterKind>): AdapterKind => ({ ...loraKind, ...over });

const broken: [string, AdapterKind<object> | AdapterKind<Extra>, string][] = [
  [
    'init-not-identity',
    variant({ init: (inF, outF, c, gen) => new Map([['lora_A.weight', kaimingUniform([c.r, inF], { gen })], ['lora_B.weight', normal([outF, c.r], 0, 1, gen)]]) }),
    'a fresh adapter leaves the output exactly',
  ],
  [
    'init-not-seeded',
    variant({ init: (inF, outF, c) => new Map([['lora_A.weight', tf.randomNormal([c.r, inF])], ['lora_B.weight', tf.zeros([outF, c.r])]]) }),
    'a fresh adapter leaves the output exactly',
  ],
  ['count-off-by-one', variant({ numParameters: (inF, outF, c) => c.r * (inF + outF) + 1 }), 'numParameters matches'],
  ['merge-twice-too-big', variant({ deltaWeight: (p, ctx) => loraKind.deltaWeight!(p, ctx).mul(2) }), 'merge: the merged layer'],
  ['rows-mixed', variant({ delta: (x, p, ctx) => tf.tidy(() => loraKind.delta!(x, p, ctx).add(tf.mean(x).mul(0.5))) }), 'rows are independent'],
  [
    'leaky-forward',
    variant({
      delta: (x, p, ctx) => {
        tf.keep(tf.zeros([1]));
        return loraKind.delta!(x, p, ctx);
      },
    }),
    'forward (eval and train), a gradient step',
  ],
  ['accepts-r-0', variant({ resolve: (c) => ({ ...resolveConfig('x', { ...c, r: 1 }, { routed: false }), r: c.r ?? 8 }) }), 'resolve refuses a malformed config'],
  [
    'settings-not-saved',
    {
      ...(loraKind as unknown as AdapterKind<Extra>),
      resolve: (c: AdapterConfig & Partial<Extra>) => ({ ...resolveConfig('x', c, { routed: false }), level: c.level ?? 1 }),
      settings: { keys: ['level'], read: (j) => (typeof j.level === 'number' ? { level: j.level } : {}), write: () => ({}) },
    },
    'save → load into a fresh model is the identity',
  ],
];

describeBackends(
  'the conformance matrix catches broken kinds',
  () => {
    for (const [name, kind, failing] of broken) {
      it(`${name} fails '${failing}…'`, async () => {
        const k = { ...kind, name: `broken-${name}` } as AdapterKind<Extra>;
        const checks = adapterKindChecks(k, { numRuns: 3, seed: 1, settings: [{ level: 2 }] });
        await checks[0].run(); // registers it
        const check = checks.find((c) => c.name.startsWith(failing));
        expect(check, failing).toBeDefined();
        const before = tf.memory().numTensors;
        await expect(check!.run()).rejects.toThrow();
        // A failing check still disposes its models (the leaky kind's own kept tensors aside).
        if (name !== 'leaky-forward') expect(tf.memory().numTensors).toBe(before);
      });
    }

    it('an incomplete kind fails the first check with the wrapper’s own message', async () => {
      const { delta: _d, ...noForward } = loraKind;
      const [first] = adapterKindChecks({ ...noForward, name: 'no-forward' } as AdapterKind);
      await expect(first.run()).rejects.toThrow(HLoraError);
      await expect(first.run()).rejects.toThrow(/has no 'delta' or 'transform' function/);
    });

    it('refuses to check a kind while another is registered under its name', async () => {
      const [first] = adapterKindChecks({ ...loraKind, name: 'lora' });
      await expect(first.run()).rejects.toThrow(/another kind is registered as 'lora'/);
    });
  },
  { only: ['cpu'] },
);
