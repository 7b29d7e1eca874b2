import { Conv2d, GroupNorm, Module, silu, tf, type Generator, type Tensor } from '@healthgpt/tensor-core';

/** taming's `Normalize`: GroupNorm with 32 groups, eps 1e-6, affine. */
export function normalize(channels: number): GroupNorm {
  return new GroupNorm(32, channels, 1e-6);
}

/**
 * taming's `ResnetBlock` without a time embedding:
 * shortcut(x) + conv2(swish(norm2(conv1(swish(norm1(x)))))), shortcut = 1x1 `nin_shortcut` when in ≠ out.
 * x: [B, Cin, H, W] → [B, Cout, H, W]
 */
export class ResnetBlock extends Module {
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    gen?: Generator,
    init = true,
  ) {
    super();
    this.registerModule('norm1', normalize(inChannels));
    this.registerModule('conv1', new Conv2d(inChannels, outChannels, 3, { padding: 1, gen, init }));
    this.registerModule('norm2', normalize(outChannels));
    this.registerModule('conv2', new Conv2d(outChannels, outChannels, 3, { padding: 1, gen, init }));
    if (inChannels !== outChannels) this.registerModule('nin_shortcut', new Conv2d(inChannels, outChannels, 1, { gen, init }));
  }

  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      let h = this.child<Conv2d>('conv1').forward(silu(this.child<GroupNorm>('norm1').forward(x)));
      h = this.child<Conv2d>('conv2').forward(silu(this.child<GroupNorm>('norm2').forward(h)));
      const shortcut = this.inChannels !== this.outChannels ? this.child<Conv2d>('nin_shortcut').forward(x) : x;
      return tf.add(shortcut, h);
    });
  }
}
