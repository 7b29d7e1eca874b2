import { Conv2d, GroupNorm, Module, ModuleList, silu, tf, type Generator, type Tensor } from '@healthgpt/tensor-core';
import { ResnetBlock, normalize } from './blocks/resnet_block.js';
import { AttnBlock } from './blocks/attn_block.js';
import { Upsample } from './blocks/resample.js';
import { Level, Mid } from './blocks/level.js';
import { latentSize, type DDConfig } from './config.js';

/**
 * taming's `Decoder`: conv_in → mid → for level = last…0: num_res_blocks+1 ResnetBlocks (+attn) and
 * an Upsample (not on level 0) → norm_out → swish → conv_out (no tanh). `up.{l}` is indexed by level.
 * z: [B, z_channels, h, w] → [B, out_ch, h·f, w·f]
 */
export class Decoder extends Module {
  constructor(
    readonly cfg: DDConfig,
    gen?: Generator,
    init = true,
  ) {
    super();
    const { ch, ch_mult, num_res_blocks, attn_resolutions } = cfg;
    let blockIn = ch * ch_mult[ch_mult.length - 1];
    let res = latentSize(cfg);
    this.registerModule('conv_in', new Conv2d(cfg.z_channels, blockIn, 3, { padding: 1, gen, init }));
    this.registerModule('mid', new Mid(blockIn, gen, init));
    const levels: Level[] = new Array(ch_mult.length);
    for (let i = ch_mult.length - 1; i >= 0; i--) {
      const blockOut = ch * ch_mult[i];
      const blocks: ResnetBlock[] = [];
      const attns: AttnBlock[] = [];
      for (let b = 0; b <= num_res_blocks; b++) {
        blocks.push(new ResnetBlock(blockIn, blockOut, gen, init));
        blockIn = blockOut;
        if (attn_resolutions.includes(res)) attns.push(new AttnBlock(blockIn, gen, init));
      }
      const level = new Level(blocks, attns);
      if (i !== 0) {
        level.setResample('upsample', new Upsample(blockIn, gen, init));
        res *= 2;
      }
      levels[i] = level;
    }
    this.registerModule('up', new ModuleList(levels));
    this.registerModule('norm_out', normalize(blockIn));
    this.registerModule('conv_out', new Conv2d(blockIn, cfg.out_ch, 3, { padding: 1, gen, init }));
  }

  forward(z: Tensor): Tensor {
    return tf.tidy(() => {
      let h = this.child<Conv2d>('conv_in').forward(z);
      h = this.child<Mid>('mid').forward(h);
      const up = this.child<ModuleList<Level>>('up');
      for (let i = up.length - 1; i >= 0; i--) h = up.at(i).forward(h);
      h = silu(this.child<GroupNorm>('norm_out').forward(h));
      return this.child<Conv2d>('conv_out').forward(h);
    });
  }
}
