import { tf, Module, LayerNorm, type Tensor } from '@healthgpt/tensor-core';
import type { InitSource } from './init.js';
import type { CLIPVisionConfig } from './config.js';
import { CLIPAttention } from './attention.js';
import { CLIPMLP } from './mlp.js';

/** HF `CLIPEncoderLayer` (pre-LN): h += attn(ln1(h)); h += mlp(ln2(h)). */
export class CLIPEncoderLayer extends Module {
  constructor(config: CLIPVisionConfig, gen: InitSource) {
    super();
    this.registerModule('self_attn', new CLIPAttention(config, gen));
    this.registerModule('layer_norm1', new LayerNorm(config.hidden_size, config.layer_norm_eps));
    this.registerModule('mlp', new CLIPMLP(config, gen));
    this.registerModule('layer_norm2', new LayerNorm(config.hidden_size, config.layer_norm_eps));
  }

  /** h [B, T, D] → [B, T, D] */
  forward(h: Tensor): Tensor {
    const run = (name: string, x: Tensor) => this.child<Module & { forward(x: Tensor): Tensor }>(name).forward(x);
    return tf.tidy(() => {
      const h1 = tf.add(h, run('self_attn', run('layer_norm1', h)));
      return tf.add(h1, run('mlp', run('layer_norm2', h1)));
    });
  }
}
