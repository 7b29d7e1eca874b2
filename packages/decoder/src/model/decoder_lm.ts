import { tf, Module, ModuleList, RMSNorm, RotaryEmbedding, KVCache, attentionMask, linear, tidy, Generator, disposeOnThrow, type Tensor, type FolderReader, type FolderWriter, type LayerKV } from '@healthgpt/tensor-core';
import { DecoderError } from '../errors.js';
import { resizeRowsWithMean } from '../tokenizer/extend_vocabulary.js';
import { parseConfig, withVocabSize, type DecoderConfig, type DecoderConfigJson } from './config.js';
import { DecoderLayer } from './layer.js';
import { TokenEmbedding, HeadLinear } from './embedding.js';
import { positionsFromMask, positionsRange } from './positions.js';
import { cacheLength, type InitOptions, type PastKeyValues } from './types.js';
import { generate, type GenerateOptions, type GenerateResult } from '../generate/generate.js';
import type { GenerationConfig } from '../generate/generation_config.js';
import { fromPretrained, savePretrained, type SavePretrainedOptions } from '../io/pretrained.js';
import { checkBuildable } from '../io/key_map.js';
import { toIdsTensor, toMaskTensor, validateForward, type ForwardInput, type ForwardOutput } from './forward_input.js';
import { causalLmLoss, toLabelsTensor } from './causal_lm_loss.js';

export interface DecoderLMOptions {
  /** Seed of the weight initialisation (default 0). */
  seed?: number;
  /** Generator for the initialisation (overrides `seed`). */
  gen?: Generator;
  /** Draw random weights (default true); `false` fills zeros, for weights about to be loaded. */
  init?: boolean;
  /**
   * Refuse (with a `DecoderError`, before allocating) a config implying more parameters than
   * this; default: as many float32 values as the machine has memory.
   */
  maxParameters?: number;
}

/** The inner `model`: `embed_tokens`, `layers.{i}`, `norm` (HF's Phi3Model / Qwen2Model). */
export class DecoderModel extends Module {
  constructor(cfg: DecoderConfig, { gen, init = true }: InitOptions) {
    super();
    const std = typeof cfg.json.initializer_range === 'number' ? cfg.json.initializer_range : 0.02;
    this.registerModule('embed_tokens', new TokenEmbedding(cfg.vocabSize, cfg.hiddenSize, { gen, std, init }));
    this.registerModule('layers', new ModuleList(Array.from({ length: cfg.numLayers }, () => new DecoderLayer(cfg, { gen, init }))));
    this.registerModule('norm', new RMSNorm(cfg.hiddenSize, cfg.rmsNormEps));
  }
}

/**
 * A decoder-only causal LM in the Phi-3 or Qwen2 layout, configured by an HF config.json.
 * Parameter names are the HF checkpoint keys (`model.layers.0.self_attn.qkv_proj.weight`, …),
 * and every Linear layer is read through `child()` in forward, so an adapter that replaces one
 * by its dotted path (`model.layers.0.self_attn.qkv_proj`) is the one that runs.
 */
export class DecoderLM extends Module {
  private cfg: DecoderConfig;
  /** RoPE tables, cached per position across forwards. */
  private readonly rope: RotaryEmbedding;
  /** HF generation settings (`generation_config.json`, read by `fromPretrained`): `generate`'s defaults. */
  generationConfig: GenerationConfig | null = null;

  constructor(config: DecoderConfig | DecoderConfigJson, { seed = 0, gen, init = true, maxParameters }: DecoderLMOptions = {}) {
    super();
    this.cfg = 'modelType' in config ? (config as DecoderConfig) : parseConfig(config as DecoderConfigJson);
    checkBuildable(this.cfg, maxParameters);
    this.rope = new RotaryEmbedding(this.cfg.headDim, this.cfg.ropeTheta);
    const g = gen ?? new Generator(seed);
    disposeOnThrow(() => {
      this.registerModule('model', new DecoderModel(this.cfg, { gen: g, init }));
      if (!this.cfg.tieWordEmbeddings) this.registerModule('lm_head', new HeadLinear(this.cfg.hiddenSize, this.cfg.vocabSize, { bias: false, gen: g, init }));
    });
    this.eval();
  }

  /** Load an HF folder (config.json + model.safetensors or sharded) strictly, header before allocation. */
  static fromPretrained(source: string | FolderReader, options: DecoderLMOptions = {}): Promise<DecoderLM> {
    return fromPretrained(source, options);
  }

  /** Write config.json + weights as one whole-folder save (sharded with `maxShardBytes`). */
  savePretrained(target: string | FolderWriter, options: SavePretrainedOptions = {}): Promise<void> {
    return savePretrained(this, target, options);
  }

  get config(): DecoderConfig {
    return this.cfg;
  }

  /**
   * Resize the embedding (and an untied lm_head) to `size` rows: rows [0, keep) are kept, the rest
   * start at the mean of rows [0, keep). Default `keep`: the old size, capped at `size`.
   */
  resizeTokenEmbeddings(size: number, keep = Math.min(size, this.cfg.vocabSize)): void {
    DecoderError.check(Number.isInteger(size) && size > 0, 'ARGUMENT', `'size' passed to 'resizeTokenEmbeddings' must be a positive integer, got ${size}`);
    DecoderError.check(Number.isInteger(keep) && keep > 0 && keep <= Math.min(size, this.cfg.vocabSize), 'ARGUMENT', () => `'keep' passed to 'resizeTokenEmbeddings' must be in [1, ${Math.min(size, this.cfg.vocabSize)}], got ${keep}`);
    const emb = this.getSubmodule<TokenEmbedding>('model.embed_tokens');
    emb.replaceWeight(resizeRowsWithMean(emb.weight, size, keep));
    if (!this.cfg.tieWordEmbeddings) {
      const head = this.getSubmodule('lm_head');
      DecoderError.check(head instanceof HeadLinear, 'ARGUMENT', `resizeTokenEmbeddings: 'lm_head' was replaced by a ${head.constructor.name}; resize before wrapping it`);
      head.replaceWeight(resizeRowsWithMean(head.weight, size, keep));
    }
    this.cfg = withVocabSize(this.cfg, size);
  }

  /** The token embedding table [V, hidden] (also the head when tied). */
  get embedWeight(): tf.Variable {
    return this.getSubmodule<TokenEmbedding>('model.embed_tokens').weight;
  }

  /** ids: int32 [B, T] (or nested arrays) → embeddings [B, T, hidden]. Throws on ids outside [0, V). */
  embedTokens(ids: Tensor | number[][]): Tensor {
    const t = toIdsTensor(ids, this.cfg.vocabSize, 'embedTokens');
    try {
      return this.getSubmodule<TokenEmbedding>('model.embed_tokens').forward(t);
    } finally {
      if (t !== ids) t.dispose();
    }
  }

  /** hidden [.., hidden] → logits [.., V] through `lm_head` (or the tied embedding). */
  head(h: Tensor): Tensor {
    if (this.cfg.tieWordEmbeddings) return linear(h, this.embedWeight);
    return this.child<HeadLinear>('lm_head').forward(h);
  }

  /**
   * One forward pass. Input ids or embeddings [B, T]; `attentionMask` [B, Tpast + T] (1 = real
   * token, 0 = padding); positions default to HF generate's `cumsum(mask) − 1` (padding → 1), or
   * `past … past + T − 1` without a mask. Returns logits [B, T, V] (or [B, 1, V] with `lastOnly`)
   * and the new cache (past + these positions), which the caller owns and disposes; the
   * `pastKeyValues` passed in are left untouched. With `labels` [B, T] it also returns `loss`,
   * the shifted next-token cross-entropy (−100 ignored), as HF's causal LMs do.
   */
  forward(input: ForwardInput & { pastKeyValues: KVCache }): ForwardOutput<KVCache>;
  forward(input: ForwardInput): ForwardOutput;
  forward(input: ForwardInput): ForwardOutput<PastKeyValues | KVCache> {
    const cfg = this.cfg;
    const { b, t } = validateForward(input, cfg);
    const past = input.pastKeyValues;
    const tk = cacheLength(past) + t;
    DecoderError.check(!(input.labels !== undefined && input.lastOnly), 'ARGUMENT', `'labels' passed to 'DecoderLM.forward' need the logits of every position; drop 'lastOnly'`);
    const mask = input.attentionMask === undefined ? null : toMaskTensor(input.attentionMask, b, tk);
    let labels: Tensor | null = null;
    try {
      labels = input.labels === undefined ? null : toLabelsTensor(input.labels, b, t, cfg.vocabSize);
      const targets = labels;
      return tidy(() => {
        const h0 = input.inputsEmbeds ?? this.embedTokens(input.inputIds!); // [B, T, hidden]
        const pos = input.positionIds ?? (mask ? positionsFromMask(mask.dataSync(), b, tk, t) : positionsRange(b, tk - t, t)); // [B, T]
        const { cos, sin } = this.rope.tables(pos, b, t); // [B, 1, T, hd]
        const ctx = { b, t, cos, sin, mask: attentionMask(t, tk, { causal: true, keyMask: mask ?? undefined, slidingWindow: cfg.slidingWindow }), cache: input.useCache !== false };
        const wantHidden = input.outputHiddenStates === true;
        const hidden: Tensor[] = wantHidden ? [input.inputsEmbeds ? h0.clone() : h0] : [];
        let h = h0.reshape([b * t, cfg.hiddenSize]); // [B·T, hidden]: the residual stream
        const present: LayerKV[] = [];
        const layers = this.getSubmodule<ModuleList<DecoderLayer>>('model.layers');
        for (let i = 0; i < cfg.numLayers; i++) {
          const r = layers.at(i).forward(h, ctx, past instanceof KVCache ? past.layer(i) : past?.[i]);
          h = r.h;
          if (!(past instanceof KVCache)) present.push(r.present as LayerKV);
          if (wantHidden) hidden.push(h.reshape([b, t, cfg.hiddenSize]));
        }
        h = this.getSubmodule<RMSNorm>('model.norm').forward(h).reshape([b, t, cfg.hiddenSize]); // [B, T, hidden]
        if (wantHidden) hidden[hidden.length - 1] = h;
        const last = input.lastOnly && t > 1 ? h.slice([0, t - 1, 0], [b, 1, cfg.hiddenSize]) : h; // [B, 1|T, hidden]
        const out: ForwardOutput<PastKeyValues | KVCache> = { logits: this.head(last), pastKeyValues: input.useCache === false ? [] : past instanceof KVCache ? past : present };
        if (wantHidden) out.hiddenStates = hidden;
        if (targets) out.loss = causalLmLoss(out.logits, targets);
        return out;
      });
    } finally {
      if (mask && mask !== input.attentionMask) mask.dispose();
      if (labels && labels !== input.labels) labels.dispose();
    }
  }

  /** Generate new tokens (greedy, sampling, constrained); see `GenerateOptions`. */
  generate(options: GenerateOptions): GenerateResult {
    return generate(this, options);
  }
}
