import { tf, Module, ModuleList, Linear, LayerNorm, Generator, type Tensor } from '@healthgpt/tensor-core';

/** A parent whose forward reads its child through `this.child`, as the decoder does. */
export class Holder extends Module {
  constructor(children: Record<string, Module>) {
    super();
    for (const [k, m] of Object.entries(children)) this.registerModule(k, m);
  }

  add<M extends Module>(name: string, m: M): M {
    return this.registerModule(name, m);
  }
}

/** `root.layer` = Linear(inF, outF) with seeded weights. */
export function oneLayer(inF: number, outF: number, seed = 1, bias = true): Holder {
  return new Holder({ layer: new Linear(inF, outF, { bias, gen: new Generator(seed) }) });
}

/** Phi-3-shaped toy: `model.layers.{i}.self_attn.{qkv_proj,o_proj}`, `model.layers.{i}.mlp.{gate_up_proj,down_proj}`, `lm_head`. */
export class ToyBlock extends Module {
  constructor(d: number, gen: Generator, bias = false) {
    super();
    const attn = this.registerModule('self_attn', new Holder({ qkv_proj: new Linear(d, 3 * d, { bias, gen }), o_proj: new Linear(3 * d, d, { bias, gen }) }));
    const mlp = this.registerModule('mlp', new Holder({ gate_up_proj: new Linear(d, 2 * d, { bias, gen }), down_proj: new Linear(2 * d, d, { bias, gen }) }));
    void attn;
    void mlp;
  }

  forward(x: Tensor): Tensor {
    const attn = this.child('self_attn');
    const mlp = this.child('mlp');
    const h = x.add(attn.child<Linear>('o_proj').forward(attn.child<Linear>('qkv_proj').forward(x)));
    return h.add(mlp.child<Linear>('down_proj').forward(mlp.child<Linear>('gate_up_proj').forward(h)));
  }
}

export class ToyLM extends Module {
  /** With `bias`, every projection and lm_head has a bias (Qwen2-like), and `model.norm` (a LayerNorm, unused by forward) one more. */
  constructor(d: number, layers: number, vocab: number, seed = 3, bias = false) {
    super();
    const gen = new Generator(seed);
    const model = this.registerModule('model', new Holder({ layers: new ModuleList(Array.from({ length: layers }, () => new ToyBlock(d, gen, bias))) }));
    if (bias) model.add('norm', new LayerNorm(d));
    this.registerModule('lm_head', new Linear(d, vocab, { bias, gen }));
  }

  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      let h = x;
      for (const block of this.child('model').child<ModuleList<ToyBlock>>('layers')) h = block.forward(h);
      return this.child<Linear>('lm_head').forward(h);
    });
  }
}
