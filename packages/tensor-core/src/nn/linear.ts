import { tf, type Tensor } from '../tf.js';
import { Module } from '../module.js';
import { TensorCoreError } from '../errors.js';
import { Generator, biasUniform, kaimingUniform, getDefaultGenerator } from '../random.js';

export interface LinearOptions {
  bias?: boolean;
  gen?: Generator;
  /**
   * Draw the PyTorch initialisation (default). `false` fills zeros instead: much faster for
   * large layers whose weights are about to be loaded from a checkpoint.
   */
  init?: boolean;
}

/**
 * y = x Wᵀ + b over the last axis; W is `[out, in]` as in PyTorch. On wasm the product runs on
 * XNNPACK with W packed once per weight value (no transpose or copy of W per call, for any number
 * of rows); with the native BLAS, as one sgemm with W transposed in place.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const inF = weight.shape[1];
  TensorCoreError.check(x.shape[x.shape.length - 1] === inF, 'ARGUMENT', () => `'x' passed to 'linear' must end in ${inF}, got [${x.shape.join(', ')}]`);
  return tf.tidy(() => {
    const x2 = x.rank === 2 ? x : x.reshape([-1, inF]); // [N, in]
    let y = tf.matMul(x2, weight, false, true); // [N, out]
    if (bias) y = tf.add(y, bias);
    return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), weight.shape[0]]);
  });
}

/** PyTorch's `nn.Linear`: weight kaiming-uniform (a = √5), bias U(±1/√in). */
export class Linear extends Module {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    { bias = true, gen = getDefaultGenerator(), init = true }: LinearOptions = {},
  ) {
    super();
    TensorCoreError.check(inFeatures > 0 && outFeatures > 0, 'ARGUMENT', `Linear sizes must be positive, got in=${inFeatures} out=${outFeatures}`);
    this.registerParameter('weight', init ? kaimingUniform([outFeatures, inFeatures], { gen }) : tf.zeros([outFeatures, inFeatures]));
    if (bias) this.registerParameter('bias', init ? biasUniform([outFeatures], inFeatures, gen) : tf.zeros([outFeatures]));
  }

  get weight(): tf.Variable {
    return this.param('weight');
  }

  get bias(): tf.Variable | null {
    return this.namedParameters().find(([n]) => n === 'bias')?.[1] ?? null;
  }

  /** x: [..., in] → [..., out] */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

const LINEAR_BRAND = Symbol.for('@healthgpt/tensor-core/Linear');
Object.defineProperty(Linear.prototype, LINEAR_BRAND, { value: true });

/** True when `x` is a `Linear` (or a subclass) from any copy of tensor-core, ESM or CommonJS build (see `isModule`). */
export function isLinear(x: unknown): x is Linear {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[LINEAR_BRAND] === true;
}
