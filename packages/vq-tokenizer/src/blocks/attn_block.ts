import { Conv2d, GroupNorm, Module, tf, type Generator, type Tensor } from '@healthgpt/tensor-core';
import { normalize } from './resnet_block.js';

/**
 * taming's `AttnBlock`: one head over all C channels, the H·W pixels (row-major) as tokens.
 * x + proj_out(v · softmax(qᵀk / √C)ᵀ). x: [B, C, H, W] → [B, C, H, W]
 */
export class AttnBlock extends Module {
  constructor(
    readonly channels: number,
    gen?: Generator,
    init = true,
  ) {
    super();
    this.registerModule('norm', normalize(channels));
    for (const name of ['q', 'k', 'v', 'proj_out']) this.registerModule(name, new Conv2d(channels, channels, 1, { gen, init }));
  }

  forward(x: Tensor): Tensor {
    const [b, c, h, w] = x.shape;
    return tf.tidy(() => {
      const hn = this.child<GroupNorm>('norm').forward(x);
      const proj = (name: string) => this.child<Conv2d>(name).forward(hn).reshape([b, c, h * w]); // [B, C, HW]
      const q = proj('q');
      const k = proj('k');
      const v = proj('v');
      const scores = tf.mul(tf.matMul(q, k, true, false), c ** -0.5); // [B, HWq, HWk]
      const attn = tf.softmax(scores, -1);
      const out = tf.matMul(v, attn, false, true).reshape([b, c, h, w]); // [B, C, HWq] → [B, C, H, W]
      return tf.add(x, this.child<Conv2d>('proj_out').forward(out));
    });
  }
}
