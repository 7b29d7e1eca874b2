import { Conv2d, Module, type Generator, type Tensor } from '@healthgpt/tensor-core';

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

/** taming's `Upsample` (with conv): nearest ×2, then a 3x3 conv (fused: `Conv2d`'s `upsample: 2`). [B, C, H, W] → [B, C, 2H, 2W] */
export class Upsample extends Module {
  constructor(channels: number, gen?: Generator, init = true) {
    super();
    this.registerModule('conv', new Conv2d(channels, channels, 3, { padding: 1, upsample: 2, gen, init }));
  }

  forward(x: Tensor): Tensor {
    return this.child<Conv2d>('conv').forward(x);
  }
}
