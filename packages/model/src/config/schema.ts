import { z } from 'zod';
import type { DecoderConfigJson, ChatTemplateName } from '@healthgpt/decoder';
import type { CLIPVisionConfig } from '@healthgpt/vision-encoder';
import type { VQConfig } from '@healthgpt/vq-tokenizer';

/** One task plugin's adapter settings, under PEFT / HealthGPT `LoraConfig` names. */
export interface PluginConfigJson {
  /** A registered h-lora kind; HealthGPT uses `hlora`. */
  adapter_kind: string;
  /** Total rank R. */
  r: number;
  lora_alpha: number;
  /** Experts k (routed kinds). */
  lora_nums?: number;
  lora_dropout: number;
  /** Module names wrapped in every decoder layer (never the vision tower, the projectors or lm_head). */
  target_modules: string[];
}

/** One task: what it outputs, which ViT layer it reads, its projector and its plugin. */
export interface TaskConfigJson {
  /** `text` (comprehension) or `image` (generation: the answer is VQ codes). */
  output: 'text' | 'image';
  /** The ViT hidden state the task reads (Python index: −2 = second to last, 1 = first block's output). */
  select_layer: number;
  /** The projector's name under `model.` (`mm_projector`, `gen_mm_projector`). */
  projector: string;
  /** The task's adapter set, or null for a task that runs the bare decoder. */
  plugin: PluginConfigJson | null;
}

/** Where the image tokens sit in the vocabulary: `<start_index>` at `first_id`, then the codes, `<end_index>`, `<pixel_newline>`. */
export interface ImageTokensJson {
  first_id: number;
  codebook_size: number;
}

/** `config.json` of a HealthGPT folder (`model_type: "healthgpt"`). Unknown keys are kept. */
export interface HealthGPTConfigJson {
  model_type: 'healthgpt';
  /** The decoder's HF config (vocabulary already extended by the image tokens). */
  text_config: DecoderConfigJson;
  /** The CLIP vision tower's HF `CLIPVisionConfig`. */
  vision_config: Partial<CLIPVisionConfig>;
  /** The VQ image tokenizer's config, or null when no task outputs images. */
  vq_config: VQConfig | null;
  /** LLaVA `mm_projector_type` of every projector (`mlp2x_gelu`). */
  projector_type: string;
  tasks: Record<string, TaskConfigJson>;
  /** Chat template name (`phi3_instruct`, `phi4_instruct`, `qwen_2`). */
  template: ChatTemplateName;
  image_tokens: ImageTokensJson | null;
  /** Longest spliced sequence (prompt + answer) a forward or generation accepts. */
  max_length: number;
  /**
   * Our extension, not in HealthGPT (absent or false in the released configs): an image task's
   * answer positions hold its input image's VQ codes, and the code at each position is predicted
   * from the input's code at that position (one forward, no feedback of chosen codes). See the
   * README's "Aligned generation".
   */
  aligned_generation?: boolean;
  [key: string]: unknown;
}

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const name = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or -');

const pluginSchema = z.object({
  adapter_kind: z.string().min(1),
  r: posInt,
  lora_alpha: z.number().finite(),
  lora_nums: posInt.optional(),
  lora_dropout: z.number().min(0).lt(1),
  target_modules: z.array(z.string().min(1)).min(1),
});

const taskSchema = z.object({
  output: z.enum(['text', 'image']),
  select_layer: z.number().int(),
  projector: name,
  plugin: pluginSchema.nullable(),
});

/** The top level of config.json; the sub-configs are checked by their own packages. */
export const healthGPTConfigSchema = z
  .object({
    model_type: z.literal('healthgpt'),
    text_config: z.record(z.string(), z.unknown()),
    vision_config: z.record(z.string(), z.unknown()),
    vq_config: z.record(z.string(), z.unknown()).nullable(),
    projector_type: z.string().min(1),
    tasks: z.record(name, taskSchema).refine((t) => Object.keys(t).length > 0, 'must name at least one task'),
    template: z.string().min(1),
    image_tokens: z.object({ first_id: nonNegInt, codebook_size: posInt }).nullable(),
    max_length: posInt,
    aligned_generation: z.boolean().optional(),
  })
  .passthrough();
