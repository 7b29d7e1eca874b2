import { tf, kaimingUniform } from '@healthgpt/tensor-core';
import type { AdapterKind } from './kind.js';
import { resolveConfig, loraScaling } from './resolve.js';

/**
 * Plain LoRA with peft semantics: y = W0x + b + B(A·dropout(x))·s, s = α/r (α/√r with
 * `useRslora`, peft's rsLoRA). A [r, in] kaiming-uniform (a = √5), B [out, r] zeros, so a fresh
 * adapter changes nothing.
 */
export const loraKind: AdapterKind = {
  name: 'lora',
  mergeable: true,
  scalingRule: (c) => (c.useRslora ? 'lora_alpha / sqrt(r)' : 'lora_alpha / r'),
  resolve: (config) => resolveConfig('lora', config, { routed: false, rslora: true }),
  scaling: loraScaling,
  init: (inF, outF, c, gen) =>
    new Map([
      ['lora_A.weight', kaimingUniform([c.r, inF], { gen })],
      ['lora_B.weight', tf.zeros([outF, c.r])],
    ]),
  numParameters: (inF, outF, c) => c.r * (inF + outF),
  delta: (x, p, { scaling, dropout }) =>
    tf.tidy(() => {
      const h = tf.matMul(dropout(x), p('lora_A.weight'), false, true).mul(scaling); // [N, r]: scale the narrow side
      return tf.matMul(h, p('lora_B.weight'), false, true); // [N, out]
    }),
  deltaWeight: (p, { scaling }) => tf.tidy(() => tf.matMul(p('lora_B.weight'), p('lora_A.weight')).mul(scaling)), // [out, in]
};
