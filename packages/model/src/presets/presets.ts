import { preset as decoderPreset, type DecoderConfigJson, type ChatTemplateName, type TextTokenizer } from '@healthgpt/decoder';
import { visionPreset, visionConfigToJSON, type CLIPVisionConfig } from '@healthgpt/vision-encoder';
import { PRESETS as VQ_PRESETS, START_TOKEN, makeConfig, type VQConfig } from '@healthgpt/vq-tokenizer';
import type { HealthGPTConfigJson, PluginConfigJson, TaskConfigJson } from '../config/schema.js';
import { ModelError } from '../errors.js';

const PHI3_TARGETS = ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj'];
const QWEN2_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

const hlora = (r: number, targets: string[], dropout = 0): PluginConfigJson => ({ adapter_kind: 'hlora', r, lora_alpha: 2 * r, lora_nums: 4, lora_dropout: dropout, target_modules: targets });
const comprehension = (plugin: PluginConfigJson): TaskConfigJson => ({ output: 'text', select_layer: -2, projector: 'mm_projector', plugin });
const generation = (plugin: PluginConfigJson): TaskConfigJson => ({ output: 'image', select_layer: 1, projector: 'gen_mm_projector', plugin });

interface PresetSpec {
  text: DecoderConfigJson;
  vision: CLIPVisionConfig;
  vq: VQConfig | null;
  /** Entries of the text tokenizer before the image tokens (Phi-3's has 32,011 although its config says 32,064). */
  tokenizerLength: number;
  tasks: Record<string, TaskConfigJson>;
  template: ChatTemplateName;
  maxLength: number;
  /** `aligned_generation` (our extension): on for the from-scratch presets, off for the released weights'. */
  alignedGeneration?: boolean;
}

/** A small Phi-3-layout decoder for from-scratch training (vocab set by the tokenizer). */
const scratchText = (hidden: number, layers: number, heads: number, kv: number, inter: number, maxPos: number): DecoderConfigJson => ({
  ...decoderPreset('phi3-tiny'),
  hidden_size: hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  num_key_value_heads: kv,
  intermediate_size: inter,
  max_position_embeddings: maxPos,
});

const SPECS: Record<string, () => PresetSpec> = {
  /** HealthGPT-M3: CLIP ViT-L/14-336 + Phi-3-mini-4k, comprehension H-LoRA 64/128/4, generation 256/512/4, GumbelVQ f8-8192. */
  m3: () => ({
    text: decoderPreset('phi3-mini-4k'),
    vision: visionPreset('clip-vit-large-patch14-336'),
    vq: VQ_PRESETS.f8_8192(),
    tokenizerLength: 32011,
    tasks: { comprehension: comprehension(hlora(64, PHI3_TARGETS)), generation: generation(hlora(256, PHI3_TARGETS)) },
    template: 'phi3_instruct',
    maxLength: 4096,
  }),
  /** HealthGPT-L14: phi-4 (Phi-3 classes), comprehension only, H-LoRA 32/64/4. */
  l14: () => ({
    text: decoderPreset('phi-4'),
    vision: visionPreset('clip-vit-large-patch14-336'),
    vq: null,
    tokenizerLength: 100352,
    tasks: { comprehension: comprehension(hlora(32, PHI3_TARGETS)) },
    template: 'phi4_instruct',
    maxLength: 16384,
  }),
  /** HealthGPT-XL32: Qwen2.5-32B-Instruct, comprehension only, H-LoRA 32/64/4. */
  xl32: () => ({
    text: decoderPreset('qwen2.5-32b'),
    vision: visionPreset('clip-vit-large-patch14-336'),
    vq: null,
    tokenizerLength: 152064,
    tasks: { comprehension: comprehension(hlora(32, QWEN2_TARGETS)) },
    template: 'qwen_2',
    maxLength: 32768,
  }),
  /**
   * From scratch on two cores: 32 px images (16 patches), 8×8 = 64 image codes, a 4-layer d-128
   * decoder. Its image tokenizer is a straight-through VQ (`quantizer: 'vq'`) without attention:
   * trained from nothing for 80 steps on the synthetic set it reconstructs held-out images at SSIM
   * 0.50, where the Gumbel quantizer reaches 0.29–0.36 in as many steps.
   */
  tiny: () => ({
    text: scratchText(128, 4, 4, 2, 384, 512),
    vision: visionPreset('tiny', { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 3 }),
    vq: makeConfig({ quantizer: 'vq', beta: 0.25, embed_dim: 32, n_embed: 64, ddconfig: { z_channels: 32, resolution: 32, ch: 32, ch_mult: [1, 1, 1], num_res_blocks: 1, attn_resolutions: [] } }),
    tokenizerLength: 512,
    tasks: { comprehension: comprehension(hlora(16, PHI3_TARGETS, 0.05)), generation: generation(hlora(32, PHI3_TARGETS, 0.05)) },
    template: 'phi3_instruct',
    maxLength: 512,
    alignedGeneration: true,
  }),
  /** A larger from-scratch model: 64 px images (64 patches), 8×8 codes of 128, a 6-layer d-256 decoder. */
  small: () => ({
    text: scratchText(256, 6, 8, 4, 768, 1024),
    vision: visionPreset('small'),
    vq: VQ_PRESETS.f8_64px(),
    tokenizerLength: 512,
    tasks: { comprehension: comprehension(hlora(32, PHI3_TARGETS, 0.05)), generation: generation(hlora(64, PHI3_TARGETS, 0.05)) },
    template: 'phi3_instruct',
    maxLength: 1024,
    alignedGeneration: true,
  }),
};

export type HealthGPTPresetName = 'm3' | 'l14' | 'xl32' | 'tiny' | 'small';
export const HEALTHGPT_PRESETS = Object.keys(SPECS) as HealthGPTPresetName[];

export interface PresetOptions {
  /**
   * The text tokenizer's length before the image tokens (default: the preset's). The vocabulary
   * becomes this plus the image tokens, which start at this id.
   */
  tokenizerLength?: number;
  /**
   * A tokenizer trained for this model: its length (before any image tokens it already holds)
   * sets the vocabulary, and its bos / eos / pad ids go into `text_config`.
   */
  tokenizer?: TextTokenizer;
}

/**
 * A preset's config.json: `m3`, `l14`, `xl32` carry the paper's shapes (for the released weights;
 * see `countParameters`), `tiny` and `small` train from scratch on two cores (with
 * `aligned_generation`, our extension; HealthGPT's own generation for the other three).
 */
export function healthGPTPreset(name: HealthGPTPresetName, { tokenizerLength, tokenizer }: PresetOptions = {}): HealthGPTConfigJson {
  const spec = SPECS[name];
  ModelError.check(spec !== undefined, 'CONFIG', `unknown preset '${name}' (expected one of ${HEALTHGPT_PRESETS.join(', ')})`);
  const s = spec();
  const base = tokenizerLength ?? (tokenizer ? (tokenizer.tokenToId(START_TOKEN) ?? tokenizer.length) : s.tokenizerLength);
  ModelError.check(Number.isInteger(base) && base > 0, 'ARGUMENT', `'tokenizerLength' must be a positive integer, got ${base}`);
  const codebook = s.vq?.n_embed ?? 0;
  const vocab = s.vq ? base + codebook + 3 : Math.max(base, s.text.vocab_size);
  const special = tokenizer ? { bos_token_id: tokenizer.bosTokenId, eos_token_id: tokenizer.eosTokenId, pad_token_id: tokenizer.padTokenId ?? tokenizer.eosTokenId } : {};
  return {
    model_type: 'healthgpt',
    text_config: { ...s.text, ...special, vocab_size: vocab },
    vision_config: visionConfigToJSON(s.vision) as Partial<CLIPVisionConfig>,
    vq_config: s.vq,
    projector_type: 'mlp2x_gelu',
    tasks: s.tasks,
    template: s.template,
    image_tokens: s.vq ? { first_id: base, codebook_size: codebook } : null,
    max_length: s.maxLength,
    ...(s.alignedGeneration ? { aligned_generation: true } : {}),
  };
}
