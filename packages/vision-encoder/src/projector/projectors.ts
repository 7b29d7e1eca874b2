import { tf, Module, Linear, linear, gelu, kaimingUniform, biasUniform, getDefaultGenerator, type Generator, type Tensor } from '@healthgpt/tensor-core';
import { VisionEncoderError } from '../errors.js';

/** A projector from vision features to the LLM's embedding width: [B, N, mmHidden] → [B, N, hidden]. */
export interface Projector extends Module {
  /** The LLaVA `mm_projector_type` it implements (`mlp2x_gelu`, `linear`, `identity`, …). */
  readonly type: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  forward(x: Tensor): Tensor;
}

/** Validate at the door: features must end in the projector's input width. */
function checkFeatures(x: Tensor, inFeatures: number, op: string): void {
  VisionEncoderError.check(x.rank >= 1 && x.shape[x.rank - 1] === inFeatures && x.dtype === 'float32', 'ARGUMENT', () =>
    `'x' passed to '${op}' must be float32 [..., ${inFeatures}], got ${x.dtype} [${x.shape.join(', ')}]`);
}

export interface ProjectorOptions {
  gen?: Generator;
  /** Draw nn.Linear's initialisation (default true); `false` starts at zero, for weights about to be loaded. */
  init?: boolean;
}

/**
 * LLaVA `mlp{depth}x_gelu`: Linear(mmHidden → hidden), then (GELU (erf), Linear(hidden → hidden))
 * × (depth − 1). Linear layers sit at the `nn.Sequential` indices 0, 2, 4, … (GELUs have none).
 */
export class MlpGeluProjector extends Module implements Projector {
  readonly type: string;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly depth = 2,
    { gen = getDefaultGenerator(), init = true }: ProjectorOptions = {},
  ) {
    super();
    VisionEncoderError.check(Number.isInteger(depth) && depth >= 1, 'ARGUMENT', () => `'depth' passed to 'MlpGeluProjector' must be a positive integer, got ${depth}`);
    this.type = `mlp${depth}x_gelu`;
    for (let i = 0; i < depth; i++) this.registerModule(String(2 * i), new Linear(i === 0 ? inFeatures : outFeatures, outFeatures, { gen, init }));
  }

  /** x [..., mmHidden] → [..., hidden] */
  forward(x: Tensor): Tensor {
    checkFeatures(x, this.inFeatures, 'MlpGeluProjector');
    return tf.tidy(() => {
      let h = this.child<Linear>('0').forward(x);
      for (let i = 1; i < this.depth; i++) h = this.child<Linear>(String(2 * i)).forward(gelu(h));
      return h;
    });
  }
}

/** LLaVA `linear`: one Linear(mmHidden → hidden), its keys directly under the prefix (`model.mm_projector.weight`). */
export class LinearProjector extends Module implements Projector {
  readonly type = 'linear';

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    { gen = getDefaultGenerator(), init = true }: ProjectorOptions = {},
  ) {
    super();
    // nn.Linear's init, held directly so the keys are `weight` and `bias` (no child segment).
    this.registerParameter('weight', init ? kaimingUniform([outFeatures, inFeatures], { gen }) : tf.zeros([outFeatures, inFeatures]));
    this.registerParameter('bias', init ? biasUniform([outFeatures], inFeatures, gen) : tf.zeros([outFeatures]));
  }

  /** x [..., mmHidden] → [..., hidden] */
  forward(x: Tensor): Tensor {
    checkFeatures(x, this.inFeatures, 'LinearProjector');
    return linear(x, this.param('weight'), this.param('bias'));
  }
}

/** LLaVA `identity` (requires mmHidden = hidden); no parameters. */
export class IdentityProjector extends Module implements Projector {
  readonly type = 'identity';

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number = inFeatures,
  ) {
    super();
    VisionEncoderError.check(inFeatures === outFeatures, 'ARGUMENT', () => `'identity' projector needs mm_hidden_size = hidden_size, got ${inFeatures} and ${outFeatures}`);
  }

  forward(x: Tensor): Tensor {
    checkFeatures(x, this.inFeatures, 'IdentityProjector');
    return x.clone();
  }
}

/**
 * A projector by its LLaVA name (`mm_projector_type`): `linear`, `identity` or `mlp{N}x_gelu`
 * (HealthGPT uses `mlp2x_gelu` for both tasks).
 */
export function buildProjector(type: string, inFeatures: number, outFeatures: number, opts: ProjectorOptions = {}): Projector {
  VisionEncoderError.check(Number.isInteger(inFeatures) && inFeatures > 0 && Number.isInteger(outFeatures) && outFeatures > 0, 'ARGUMENT', () =>
    `'buildProjector' sizes must be positive integers, got ${inFeatures} → ${outFeatures}`);
  if (type === 'linear') return new LinearProjector(inFeatures, outFeatures, opts);
  if (type === 'identity') return new IdentityProjector(inFeatures, outFeatures);
  const m = /^mlp(\d+)x_gelu$/.exec(type);
  VisionEncoderError.check(m && Number(m[1]) >= 1, 'ARGUMENT', () => `unknown projector type '${type}' passed to 'buildProjector' (expected linear, identity or mlp{N}x_gelu such as mlp2x_gelu)`);
  return new MlpGeluProjector(inFeatures, outFeatures, Number(m[1]), opts);
}
