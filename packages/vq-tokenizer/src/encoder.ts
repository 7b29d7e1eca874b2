import { Conv2d, GroupNorm, Module, ModuleList, silu, tf, type Generator, type Tensor } from '@healthgpt/tensor-core';
import { ResnetBlock, normalize } from './blocks/resnet_block.js';
import { AttnBlock } from './blocks/attn_block.js';
import { Downsample } from './blocks/resample.js';
import { Level, Mid } from './blocks/level.js';
import type { DDConfig } from './config.js';

/**
 * taming's `Encoder`: conv_in → per level num_res_blocks ResnetBlocks (+attn) and a Downsample
 * (not on the last level) → mid → norm_out → swish → conv_out.
 * x: [B, in_channels, H, W] → [B, z_channels, H/f, W/f]
 */
export class Encoder extends Module {
  constructor(
    readonly cfg: DDConfig,
    gen?: Generator,
    init = true,
  ) {
    super();
    const { ch, ch_mult, num_res_blocks, attn_resolutions } = cfg;
    this.registerModule('conv_in', new Conv2d(cfg.in_channels, ch, 3, { padding: 1, gen, init }));
    const levels: Level[] = [];
    let res = cfg.resolution;
    let blockIn = ch;
    ch_mult.forEach((mult, i) => {
      const blockOut = ch * mult;
      const blocks: ResnetBlock[] = [];
      const attns: AttnBlock[] = [];
      for (let b = 0; b < num_res_blocks; b++) {
        blocks.push(new ResnetBlock(blockIn, blockOut, gen, init));
        blockIn = blockOut;
        if (attn_resolutions.includes(res)) attns.push(new AttnBlock(blockIn, gen, init));
      }
      const level = new Level(blocks, attns);
      if (i !== ch_mult.length - 1) {
        level.setResample('downsample', new Downsample(blockIn, gen, init));
        res /= 2;
      }
      levels.push(level);
    });
    this.registerModule('down', new ModuleList(levels));
    this.registerModule('mid', new Mid(blockIn, gen, init));
    this.registerModule('norm_out', normalize(blockIn));
    this.registerModule('conv_out', new Conv2d(blockIn, cfg.z_channels, 3, { padding: 1, gen, init }));
  }

  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      let h = this.child<Conv2d>('conv_in').forward(x);
      for (const level of this.child<ModuleList<Level>>('down')) h = level.forward(h);
      h = this.child<Mid>('mid').forward(h);
      h = silu(this.child<GroupNorm>('norm_out').forward(h));
      return this.child<Conv2d>('conv_out').forward(h);
    });
  }
}
