import { Conv2d, GroupNorm, Module, tf, scaledDotProductAttention, type Generator, type Tensor } from '@healthgpt/tensor-core';
import { normalize } from './resnet_block.js';

/**
 * taming's `AttnBlock`: one head over all C channels, the H·W pixels (row-major) as tokens, on
 * tensor-core's attention: x + proj_out(softmax(q kᵀ / √C) v). x: [B, C, H, W] → [B, C, H, W]
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
      const tokens = (name: string) => this.child<Conv2d>(name).forward(hn).reshape([b, 1, c, h * w]).transpose([0, 1, 3, 2]); // [B, 1, HW, C]
      const out = scaledDotProductAttention(tokens('q'), tokens('k'), tokens('v')); // [B, 1, HW, C]
      const image = out.reshape([b, h * w, c]).transpose([0, 2, 1]).reshape([b, c, h, w]); // [B, C, H, W]
      return tf.add(x, this.child<Conv2d>('proj_out').forward(image));
    });
  }
}
