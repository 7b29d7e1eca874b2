import { tf, Module, ModuleList, LayerNorm, getDefaultGenerator, type Tensor } from '@healthgpt/tensor-core';
import type { InitSource } from './init.js';
import type { CLIPVisionConfig } from './config.js';
import { CLIPVisionEmbeddings } from './embeddings.js';
import { CLIPEncoderLayer } from './encoder_layer.js';

/** What a CLIP vision forward returns. The caller owns (and disposes) every tensor. */
export interface CLIPVisionOutput {
  /**
   * L + 1 tensors [B, N + 1, D] (HF `output_hidden_states`): [0] = pre_layrnorm(embeddings),
   * [i] = output of encoder layer i − 1. None has post_layernorm applied.
   */
  hiddenStates: Tensor[];
  /** [B, N + 1, D]: the same tensor object as `hiddenStates[L]` (disposing either frees both). */
  lastHiddenState: Tensor;
  /** [B, D] = post_layernorm(lastHiddenState[:, 0]) (CLS only; HealthGPT does not use it). */
  poolerOutput: Tensor;
}

/** HF `CLIPEncoder`: the layer stack, registered as `layers.{i}`. */
export class CLIPEncoder extends Module {
  constructor(config: CLIPVisionConfig, gen: InitSource) {
    super();
    const layers = new ModuleList<CLIPEncoderLayer>();
    for (let i = 0; i < config.num_hidden_layers; i++) layers.push(new CLIPEncoderLayer(config, gen));
    this.registerModule('layers', layers);
  }

  get layers(): ModuleList<CLIPEncoderLayer> {
    return this.child<ModuleList<CLIPEncoderLayer>>('layers');
  }
}

/** HF `CLIPVisionTransformer`: embeddings → pre_layrnorm (sic) → encoder; post_layernorm on CLS. */
export class CLIPVisionTransformer extends Module {
  constructor(
    readonly config: CLIPVisionConfig,
    gen: InitSource = getDefaultGenerator(),
  ) {
    super();
    const { hidden_size: d, layer_norm_eps: eps } = config;
    this.registerModule('embeddings', new CLIPVisionEmbeddings(config, gen));
    this.registerModule('pre_layrnorm', new LayerNorm(d, eps));
    this.registerModule('encoder', new CLIPEncoder(config, gen));
    this.registerModule('post_layernorm', new LayerNorm(d, eps));
  }

  /** pixelValues [B, C, S, S] → every hidden state, the last one and the pooled CLS. */
  forward(pixelValues: Tensor): CLIPVisionOutput {
    return tf.tidy(() => {
      const emb = this.child<CLIPVisionEmbeddings>('embeddings').forward(pixelValues); // [B, N + 1, D]
      let h = this.child<LayerNorm>('pre_layrnorm').forward(emb);
      const hiddenStates = [h];
      for (const layer of this.child<CLIPEncoder>('encoder').layers) {
        h = layer.forward(h);
        hiddenStates.push(h);
      }
      const cls = h.slice([0, 0, 0], [-1, 1, -1]).reshape([h.shape[0], this.config.hidden_size]); // [B, D]
      const poolerOutput = this.child<LayerNorm>('post_layernorm').forward(cls);
      return { hiddenStates, lastHiddenState: h, poolerOutput };
    });
  }
}
