/**
 * The benchmark model of issue 2: a GPT-style decoder built from tensor-core nn blocks (pre-norm
 * LayerNorm, fused qkv Linear, causal scaled-dot-product attention, 4x GELU-tanh MLP, untied head,
 * cross-entropy), trained with Adam. At d 256, 4 layers, 4 heads, vocab 1024 it has 3.7 M
 * parameters; tiny_decoder.py is the same model in PyTorch.
 */
import { fusedGeluTanh, fusedCrossEntropy } from '../src/kernels/fused.js';
import { tf, Module, ModuleList, Linear, Embedding, LayerNorm, Generator, scaledDotProductAttention, geluTanh, crossEntropy, type Tensor } from '../src/index.js';

export interface DecoderConfig {
  vocab: number;
  dim: number;
  layers: number;
  heads: number;
  seq: number;
  /** Use tensor-core's fused GELU-tanh and cross-entropy (kernels/fused.ts) instead of nn's. */
  fused?: boolean;
}

export const BENCH_CONFIG: DecoderConfig = { vocab: 1024, dim: 256, layers: 4, heads: 4, seq: 128 };

class Block extends Module {
  constructor(
    readonly cfg: DecoderConfig,
    gen: Generator,
  ) {
    super();
    const d = cfg.dim;
    this.registerModule('ln1', new LayerNorm(d));
    this.registerModule('qkv', new Linear(d, 3 * d, { gen }));
    this.registerModule('proj', new Linear(d, d, { gen }));
    this.registerModule('ln2', new LayerNorm(d));
    this.registerModule('fc1', new Linear(d, 4 * d, { gen }));
    this.registerModule('fc2', new Linear(4 * d, d, { gen }));
  }

  /** x: [B, T, D] → [B, T, D] */
  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      const [b, t, d] = x.shape;
      const h = this.cfg.heads;
      const qkv = (this.child('qkv') as Linear).forward((this.child('ln1') as LayerNorm).forward(x)); // [B, T, 3D]
      const heads = qkv.reshape([b, t, 3, h, d / h]).transpose([2, 0, 3, 1, 4]); // [3, B, H, T, Dh]
      const [q, k, v] = tf.unstack(heads);
      const att = scaledDotProductAttention(q, k, v, { causal: true }); // [B, H, T, Dh]
      const merged = att.transpose([0, 2, 1, 3]).reshape([b, t, d]);
      const x1 = tf.add(x, (this.child('proj') as Linear).forward(merged));
      const m = (this.child('fc1') as Linear).forward((this.child('ln2') as LayerNorm).forward(x1));
      const act = this.cfg.fused ? fusedGeluTanh(m) : geluTanh(m);
      return tf.add(x1, (this.child('fc2') as Linear).forward(act));
    });
  }
}

export class TinyDecoder extends Module {
  constructor(
    readonly cfg: DecoderConfig,
    seed = 0,
  ) {
    super();
    const gen = new Generator(seed);
    this.registerModule('embed', new Embedding(cfg.vocab, cfg.dim, { gen, std: 0.02 }));
    this.registerModule('pos', new Embedding(cfg.seq, cfg.dim, { gen, std: 0.02 }));
    this.registerModule('blocks', new ModuleList(Array.from({ length: cfg.layers }, () => new Block(cfg, gen))));
    this.registerModule('ln_f', new LayerNorm(cfg.dim));
    this.registerModule('head', new Linear(cfg.dim, cfg.vocab, { bias: false, gen }));
  }

  /** ids: int32 [B, T] → logits [B, T, V] */
  forward(ids: Tensor): Tensor {
    return tf.tidy(() => {
      const t = ids.shape[ids.rank - 1] as number;
      const pos = tf.range(0, t, 1, 'int32');
      let x = tf.add((this.child('embed') as Embedding).forward(ids), (this.child('pos') as Embedding).forward(pos)); // [B, T, D]
      for (const blk of this.child('blocks') as ModuleList<Block>) x = blk.forward(x);
      return (this.child('head') as Linear).forward((this.child('ln_f') as LayerNorm).forward(x));
    });
  }

  loss(ids: Tensor, labels: Tensor): Tensor {
    return tf.tidy(() => (this.cfg.fused ? fusedCrossEntropy : crossEntropy)(this.forward(ids), labels));
  }
}

/** One Adam step; returns the loss (a scalar the caller disposes). */
export function trainStep(model: TinyDecoder, opt: tf.Optimizer, ids: Tensor, labels: Tensor): Tensor {
  return tf.tidy(() => {
    const vars = model.trainableParameters().map(([, v]) => v);
    return opt.minimize(() => model.loss(ids, labels) as tf.Scalar, true, vars)!;
  });
}

/** A deterministic batch: ids [B, T] and next-token labels. */
export function syntheticBatch(cfg: DecoderConfig, batch: number, seed = 1): { ids: Tensor; labels: Tensor } {
  const gen = new Generator(seed);
  const n = batch * (cfg.seq + 1);
  const toks = new Int32Array(n);
  for (let i = 0; i < n; i++) toks[i] = gen.int(cfg.vocab);
  return tf.tidy(() => {
    const all = tf.tensor2d(toks, [batch, cfg.seq + 1], 'int32');
    return { ids: all.slice([0, 0], [batch, cfg.seq]), labels: all.slice([0, 1], [batch, cfg.seq]) };
  });
}
