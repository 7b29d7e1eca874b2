import { Conv2d, Module, tf, type Generator, type Tensor } from '@healthgpt/tensor-core';

/** taming's `Downsample` (with conv): zero-pad right and bottom by 1, then a 3x3 conv, stride 2. [B, C, H, W] → [B, C, H/2, W/2] */
export class Downsample extends Module {
  constructor(channels: number, gen?: Generator, init = true) {
    super();
    this.registerModule('conv', new Conv2d(channels, channels, 3, { stride: 2, padding: [0, 1, 0, 1], gen, init }));
  }

  forward(x: Tensor): Tensor {
    return this.child<Conv2d>('conv').forward(x);
  }
}

/** Nearest-neighbour ×2 (out[y][x] = in[y/2][x/2]) from rank-4 tiles, so its gradient exists on every backend. [B, C, H, W] → [B, C, 2H, 2W] */
export function upsampleNearest2x(x: Tensor): Tensor {
  const [b, c, h, w] = x.shape;
  return tf.tidy(() => {
    const cols = tf.tile(x.reshape([b * c, h, w, 1]), [1, 1, 1, 2]).reshape([b * c, h, 1, 2 * w]); // [BC, H, 1, 2W]
    return tf.tile(cols, [1, 1, 2, 1]).reshape([b, c, 2 * h, 2 * w]); // [BC, H, 2, 2W] → [B, C, 2H, 2W]
  });
}

/** taming's `Upsample` (with conv): nearest ×2, then a 3x3 conv. [B, C, H, W] → [B, C, 2H, 2W] */
export class Upsample extends Module {
  constructor(channels: number, gen?: Generator, init = true) {
    super();
    this.registerModule('conv', new Conv2d(channels, channels, 3, { padding: 1, gen, init }));
  }

  forward(x: Tensor): Tensor {
    return tf.tidy(() => this.child<Conv2d>('conv').forward(upsampleNearest2x(x)));
  }
}
