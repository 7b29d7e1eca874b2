import { tf, Module, Linear, activation, type Tensor } from '@healthgpt/tensor-core';
import type { CLIPVisionConfig } from './config.js';
import { drawFrom, initNormal, initZeros, type InitSource } from './init.js';

/** HF `CLIPMLP`: fc2(act(fc1(x))), act = `hidden_act` (quick_gelu for CLIP). */
export class CLIPMLP extends Module {
  private readonly act: (x: Tensor) => Tensor;

  constructor(config: CLIPVisionConfig, gen: InitSource) {
    super();
    const { hidden_size: d, intermediate_size: i, num_hidden_layers: l, initializer_factor: f } = config;
    this.act = activation(config.hidden_act);
    const fc1 = this.registerModule('fc1', new Linear(d, i, { gen: drawFrom(gen) }));
    const fc2 = this.registerModule('fc2', new Linear(i, d, { gen: drawFrom(gen) }));
    initNormal(fc1.weight, (2 * d) ** -0.5 * f, gen);
    initNormal(fc2.weight, d ** -0.5 * (2 * l) ** -0.5 * f, gen);
    initZeros(fc1.bias);
    initZeros(fc2.bias);
  }

  /** x [B, T, D] → [B, T, D] */
  forward(x: Tensor): Tensor {
    return tf.tidy(() => this.child<Linear>('fc2').forward(this.act(this.child<Linear>('fc1').forward(x))));
  }
}
