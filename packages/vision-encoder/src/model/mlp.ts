import { tf, Module, Linear, activation, type Tensor } from '@healthgpt/tensor-core';
import type { CLIPVisionConfig } from './config.js';
import { initNormal, type InitSource } from './init.js';

/** HF `CLIPMLP`: fc2(act(fc1(x))), act = `hidden_act` (quick_gelu for CLIP). */
export class CLIPMLP extends Module {
  private readonly act: (x: Tensor) => Tensor;

  constructor(config: CLIPVisionConfig, gen: InitSource) {
    super();
    const { hidden_size: d, intermediate_size: i, num_hidden_layers: l, initializer_factor: f } = config;
    this.act = activation(config.hidden_act);
    // HF's init: weights N(0, std²), biases 0 (no kaiming draw to overwrite).
    const fc1 = this.registerModule('fc1', new Linear(d, i, { init: false }));
    const fc2 = this.registerModule('fc2', new Linear(i, d, { init: false }));
    initNormal(fc1.weight, (2 * d) ** -0.5 * f, gen);
    initNormal(fc2.weight, d ** -0.5 * (2 * l) ** -0.5 * f, gen);
  }

  /** x [B, T, D] → [B, T, D] */
  forward(x: Tensor): Tensor {
    return tf.tidy(() => this.child<Linear>('fc2').forward(this.act(this.child<Linear>('fc1').forward(x))));
  }
}
