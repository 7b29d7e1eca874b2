import { extendVocabulary, type DecoderLM, type TextTokenizer, type ChatTemplateName } from '@healthgpt/decoder';
import { visionConfigToJSON, type CLIPVisionModel } from '@healthgpt/vision-encoder';
import { START_TOKEN, imageTokenVocabulary, findImageTokenIds, type VQTokenizer } from '@healthgpt/vq-tokenizer';
import type { HealthGPTConfigJson, TaskConfigJson } from '../config/schema.js';
import { ModelError } from '../errors.js';
import { HealthGPT } from './healthgpt.js';

/** Pretrained parts (e.g. from a from-scratch stage 0) to assemble into HealthGPT. */
export interface AssembleParts {
  /** The language model; the model takes it over. Its vocabulary is extended by the image tokens here when they are new. */
  decoder: DecoderLM;
  /** The vision tower; the model takes it over. */
  visionTower: CLIPVisionModel;
  /** The text tokenizer (the image tokens are added to it when new). */
  tokenizer?: TextTokenizer;
  /** The VQ image tokenizer (needed by image tasks); the model takes it over. */
  vq?: VQTokenizer;
  /** The tasks (e.g. `healthGPTPreset('tiny').tasks`). */
  tasks: Record<string, TaskConfigJson>;
  /** Default: `phi3_instruct` for Phi-3 layouts, `qwen_2` for Qwen2. */
  template?: ChatTemplateName;
  /** Default: the decoder's `max_position_embeddings` (else 2048). */
  maxLength?: number;
  /** LLaVA `mm_projector_type` (default `mlp2x_gelu`). */
  projectorType?: string;
  /** Seed of the new projectors and plugins (default 0). */
  seed?: number;
  /** `aligned_generation` (default false): image answers predicted from the input image's codes (our extension; see the README). */
  alignedGeneration?: boolean;
}

/** The `<start_index>` id: the tokenizer's, or (added now) the first new one after extending tokenizer and decoder. */
function placeImageTokens(decoder: DecoderLM, tokenizer: TextTokenizer | undefined, codebook: number): number {
  ModelError.check(tokenizer !== undefined, 'TOKENIZER', `an image task needs the tokenizer to place the ${codebook + 3} image tokens`);
  if (tokenizer.tokenToId(START_TOKEN) !== undefined) {
    const ids = findImageTokenIds(tokenizer, codebook);
    ModelError.check(ids.newline < decoder.config.vocabSize, 'TOKENIZER', `the tokenizer's image tokens end at id ${ids.newline}, past the decoder's vocabulary of ${decoder.config.vocabSize}`);
    return ids.start;
  }
  return extendVocabulary(decoder, tokenizer, imageTokenVocabulary(codebook)).firstNewId;
}

/** The config.json the parts and tasks describe, once the image tokens are placed. */
export function assembledConfig(parts: AssembleParts, firstImageId: number | null): HealthGPTConfigJson {
  const text = parts.decoder.config;
  const maxPos = typeof text.json.max_position_embeddings === 'number' ? text.json.max_position_embeddings : 2048;
  return {
    model_type: 'healthgpt',
    text_config: { ...text.json },
    vision_config: visionConfigToJSON(parts.visionTower.config),
    vq_config: parts.vq ? parts.vq.config : null,
    projector_type: parts.projectorType ?? 'mlp2x_gelu',
    tasks: parts.tasks,
    template: parts.template ?? (text.modelType === 'qwen2' ? 'qwen_2' : 'phi3_instruct'),
    image_tokens: firstImageId === null ? null : { first_id: firstImageId, codebook_size: parts.vq!.config.n_embed },
    max_length: parts.maxLength ?? maxPos,
    ...(parts.alignedGeneration ? { aligned_generation: true } : {}),
  };
}

/**
 * HealthGPT from pretrained parts: the image tokens are added to the tokenizer and the decoder's
 * embedding and head (new rows at the mean of the old ones) before any plugin wraps a layer;
 * then each task gets a fresh projector and plugin. The model takes over the decoder, tower and
 * VQ tokenizer, and disposes them if assembling fails.
 */
export function assemble(parts: AssembleParts): HealthGPT {
  try {
    const needsImages = Object.values(parts.tasks).some((t) => t.output === 'image');
    if (needsImages) ModelError.check(parts.vq !== undefined, 'ARGUMENT', `an image task needs the VQ tokenizer ('vq')`);
    const first = needsImages ? placeImageTokens(parts.decoder, parts.tokenizer, parts.vq!.config.n_embed) : null;
    const config = assembledConfig(parts, first);
    return new HealthGPT(config, { decoder: parts.decoder, visionTower: parts.visionTower, vq: parts.vq ?? null, tokenizer: parts.tokenizer ?? null, seed: parts.seed });
  } catch (e) {
    parts.decoder.dispose();
    parts.visionTower.dispose();
    parts.vq?.dispose();
    throw e;
  }
}
