import { HealthGPTError, checkBuildable as checkSpecBuildable, type ModelSpec } from '@healthgpt/tensor-core/base';
import { decoderConfigSchema, toDecoderError, type DecoderConfig } from '../model/config.js';
import { parameterCount } from '../model/presets.js';

/**
 * Every parameter of a decoder with config `c`: its HF checkpoint name and shape, in the order the
 * model registers them. Analytic: nothing is allocated.
 */
export function* decoderKeyShapes(c: DecoderConfig): Generator<[string, number[]]> {
  const { hiddenSize: d, intermediateSize: i, numHeads: h, numKvHeads: kv, headDim: hd, vocabSize: v } = c;
  yield ['model.embed_tokens.weight', [v, d]];
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}`;
    yield [`${p}.input_layernorm.weight`, [d]];
    if (c.modelType === 'phi3') {
      yield [`${p}.self_attn.qkv_proj.weight`, [(h + 2 * kv) * hd, d]];
    } else {
      for (const [name, out] of [['q_proj', h * hd], ['k_proj', kv * hd], ['v_proj', kv * hd]] as const) {
        yield [`${p}.self_attn.${name}.weight`, [out, d]];
        yield [`${p}.self_attn.${name}.bias`, [out]];
      }
    }
    yield [`${p}.self_attn.o_proj.weight`, [d, h * hd]];
    yield [`${p}.post_attention_layernorm.weight`, [d]];
    if (c.modelType === 'phi3') {
      yield [`${p}.mlp.gate_up_proj.weight`, [2 * i, d]];
    } else {
      yield [`${p}.mlp.gate_proj.weight`, [i, d]];
      yield [`${p}.mlp.up_proj.weight`, [i, d]];
    }
    yield [`${p}.mlp.down_proj.weight`, [d, i]];
  }
  yield ['model.norm.weight', [d]];
  if (!c.tieWordEmbeddings) yield ['lm_head.weight', [v, d]];
}

/**
 * What the shared model-folder loader needs to know about the decoder: its config schema and key
 * map. A tied checkpoint may carry a redundant `lm_head.weight`; it is skipped, never read.
 */
export const decoderSpec: ModelSpec<DecoderConfig> = {
  name: 'decoder',
  schema: decoderConfigSchema,
  parameterCount,
  keyShapes: decoderKeyShapes,
  ignore: (c) => (c.tieWordEmbeddings ? ['lm_head.weight'] : []),
};

/**
 * Refuse, before anything is allocated, a config whose parameters exceed `maxParameters` (default:
 * what this machine's memory holds as float32) or whose largest tensor TensorFlow.js cannot hold.
 */
export function checkBuildable(c: DecoderConfig, maxParameters?: number): void {
  try {
    checkSpecBuildable(decoderSpec, c, maxParameters);
  } catch (e) {
    throw e instanceof HealthGPTError ? toDecoderError(e) : e;
  }
}
