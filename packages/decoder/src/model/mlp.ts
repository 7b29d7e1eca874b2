import { tf, Module, Linear, siluGate, type Tensor } from '@healthgpt/tensor-core';
import type { DecoderConfig } from './config.js';
import type { InitOptions } from './types.js';
import type { LinearLike } from './types.js';

/**
 * The SiLU-gated MLP: down(silu(gate(x)) · up(x)). Phi-3 fuses gate and up into `gate_up_proj`
 * (rows gate; up); Qwen2 has `gate_proj` and `up_proj`. No biases.
 */
export class DecoderMLP extends Module {
  private readonly fused: boolean;

  constructor(cfg: DecoderConfig, { gen, init = true }: InitOptions = {}) {
    super();
    const { hiddenSize: d, intermediateSize: i } = cfg;
    this.fused = cfg.modelType === 'phi3';
    if (this.fused) {
      this.registerModule('gate_up_proj', new Linear(d, 2 * i, { bias: false, gen, init }));
    } else {
      this.registerModule('gate_proj', new Linear(d, i, { bias: false, gen, init }));
      this.registerModule('up_proj', new Linear(d, i, { bias: false, gen, init }));
    }
    this.registerModule('down_proj', new Linear(i, d, { bias: false, gen, init }));
  }

  /** x: [..., hidden] → [..., hidden] */
  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      const act = this.fused ? siluGate(this.child<LinearLike>('gate_up_proj').forward(x)) : siluGate(this.child<LinearLike>('gate_proj').forward(x), this.child<LinearLike>('up_proj').forward(x));
      return this.child<LinearLike>('down_proj').forward(act);
    });
  }
}
