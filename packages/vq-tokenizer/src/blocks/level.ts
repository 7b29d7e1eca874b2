import { Module, ModuleList, tf, type Generator, type Tensor } from '@healthgpt/tensor-core';
import { ResnetBlock } from './resnet_block.js';
import { AttnBlock } from './attn_block.js';

/**
 * One resolution level: `block.{i}` ResnetBlocks, each followed by `attn.{i}` when the level has
 * attention, and optionally a `downsample` (encoder) or `upsample` (decoder) registered by the owner.
 */
export class Level extends Module {
  constructor(blocks: ResnetBlock[], attns: AttnBlock[]) {
    super();
    this.registerModule('block', new ModuleList(blocks));
    this.registerModule('attn', new ModuleList(attns));
  }

  /** Register the level's resampler under taming's name. */
  setResample(name: 'downsample' | 'upsample', m: Module & { forward(x: Tensor): Tensor }): void {
    this.registerModule(name, m);
  }

  hasResample(name: 'downsample' | 'upsample'): boolean {
    return this.namedChildren().some(([n]) => n === name);
  }

  /** Blocks (and attentions), then the resampler if any. [B, Cin, H, W] → [B, Cout, H', W'] */
  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      const blocks = this.child<ModuleList<ResnetBlock>>('block');
      const attns = this.child<ModuleList<AttnBlock>>('attn');
      let h = x;
      for (let i = 0; i < blocks.length; i++) {
        h = blocks.at(i).forward(h);
        if (attns.length) h = attns.at(i).forward(h);
      }
      for (const name of ['downsample', 'upsample'] as const)
        if (this.hasResample(name)) h = this.child<Module & { forward(x: Tensor): Tensor }>(name).forward(h);
      return h;
    });
  }
}

/** The middle: `block_1`, `attn_1`, `block_2` at the lowest resolution. [B, C, h, w] → same */
export class Mid extends Module {
  constructor(channels: number, gen?: Generator, init = true) {
    super();
    this.registerModule('block_1', new ResnetBlock(channels, channels, gen, init));
    this.registerModule('attn_1', new AttnBlock(channels, gen, init));
    this.registerModule('block_2', new ResnetBlock(channels, channels, gen, init));
  }

  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      const h = this.child<AttnBlock>('attn_1').forward(this.child<ResnetBlock>('block_1').forward(x));
      return this.child<ResnetBlock>('block_2').forward(h);
    });
  }
}
