import { parseConfig as parseDecoderConfig, CHAT_TEMPLATES, type DecoderConfig, type ChatTemplateName } from '@healthgpt/decoder';
import { resolveVisionConfig, type CLIPVisionConfig } from '@healthgpt/vision-encoder';
import { makeConfig, imageTokenIds, type VQConfig, type ImageTokenIds } from '@healthgpt/vq-tokenizer';
import { getAdapterKind, type AdapterConfig } from '@healthgpt/h-lora';
import { ModelError } from '../errors.js';
import { healthGPTConfigSchema, type HealthGPTConfigJson, type PluginConfigJson } from './schema.js';

/** A task's adapter set, resolved. */
export interface PluginSpec {
  kind: string;
  config: AdapterConfig;
  targetModules: string[];
}

/** A task as the model runs it. */
export interface TaskSpec {
  name: string;
  output: 'text' | 'image';
  selectLayer: number;
  projector: string;
  plugin: PluginSpec | null;
}

/** A validated HealthGPT config with every sub-config resolved by its own package. */
export interface HealthGPTConfig {
  readonly json: HealthGPTConfigJson;
  readonly text: DecoderConfig;
  readonly vision: CLIPVisionConfig;
  readonly vq: VQConfig | null;
  readonly tasks: ReadonlyMap<string, TaskSpec>;
  readonly template: ChatTemplateName;
  readonly imageTokens: ImageTokenIds | null;
  readonly maxLength: number;
  readonly projectorType: string;
  /** `aligned_generation` (default false): image answers are predicted position by position from the input image's codes. */
  readonly alignedGeneration: boolean;
}

function sub<T>(fn: () => T, path: string, file?: string): T {
  try {
    return fn();
  } catch (e) {
    throw new ModelError('CONFIG', `invalid ${path}: ${(e as Error).message}`, { file, path, cause: e });
  }
}

function pluginSpec(p: PluginConfigJson, path: string, file?: string): PluginSpec {
  const config: AdapterConfig = { r: p.r, loraAlpha: p.lora_alpha, loraDropout: p.lora_dropout, ...(p.lora_nums !== undefined ? { loraNums: p.lora_nums } : {}) };
  sub(() => getAdapterKind(p.adapter_kind).resolve(config), path, file);
  return { kind: p.adapter_kind, config, targetModules: [...p.target_modules] };
}

/**
 * Validate a HealthGPT `config.json` object: its own fields (typed, with the path of the first
 * bad one), each sub-config by its package, and how they fit together (layer indices inside the
 * tower, image tokens inside the vocabulary, a VQ config for every image task). `file` names the
 * source in errors.
 */
export function parseHealthGPTConfig(raw: unknown, file?: string): HealthGPTConfig {
  const r = healthGPTConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path.map(String).join('.') || '(root)';
    throw new ModelError('CONFIG', `config field '${path}': ${issue.message}`, { file, path });
  }
  const json = r.data as unknown as HealthGPTConfigJson;
  const fail = (path: string, msg: string): never => {
    throw new ModelError('CONFIG', `config field '${path}': ${msg}`, { file, path });
  };
  const text = sub(() => parseDecoderConfig(json.text_config as Record<string, unknown>), 'text_config', file);
  const vision = sub(() => resolveVisionConfig(json.vision_config), 'vision_config', file);
  const vq = json.vq_config === null ? null : sub(() => makeConfig(json.vq_config as VQConfig), 'vq_config', file);
  if (!(json.template in CHAT_TEMPLATES)) fail('template', `unknown chat template '${json.template}' (expected one of ${Object.keys(CHAT_TEMPLATES).join(', ')})`);
  const hiddenStates = vision.num_hidden_layers + 1;
  const tasks = new Map<string, TaskSpec>();
  const projectors = new Set<string>();
  for (const [name, t] of Object.entries(json.tasks)) {
    const at = `tasks.${name}`;
    if (t.select_layer < -hiddenStates || t.select_layer >= hiddenStates) fail(`${at}.select_layer`, `must index one of the tower's ${hiddenStates} hidden states ([${-hiddenStates}, ${hiddenStates - 1}]), got ${t.select_layer}`);
    if (projectors.has(t.projector)) fail(`${at}.projector`, `'${t.projector}' is already another task's projector`);
    if (['embed_tokens', 'layers', 'norm', 'vision_tower'].includes(t.projector)) fail(`${at}.projector`, `'${t.projector}' is a decoder or tower module name`);
    projectors.add(t.projector);
    if (t.output === 'image' && (vq === null || json.image_tokens === null)) fail(`${at}.output`, `an image task needs 'vq_config' and 'image_tokens'`);
    tasks.set(name, { name, output: t.output, selectLayer: t.select_layer, projector: t.projector, plugin: t.plugin ? pluginSpec(t.plugin, `${at}.plugin`, file) : null });
  }
  let imageTokens: ImageTokenIds | null = null;
  if (json.image_tokens) {
    const { first_id, codebook_size } = json.image_tokens;
    imageTokens = imageTokenIds(first_id, codebook_size);
    if (imageTokens.newline >= text.vocabSize) fail('image_tokens', `${codebook_size + 3} image tokens from id ${first_id} run past the vocabulary of ${text.vocabSize} (text_config.vocab_size)`);
    if (vq && vq.n_embed !== codebook_size) fail('image_tokens.codebook_size', `must equal vq_config.n_embed (${vq.n_embed}), got ${codebook_size}`);
  }
  const alignedGeneration = json.aligned_generation === true;
  if (alignedGeneration && imageTokens === null) fail('aligned_generation', `needs 'image_tokens' and 'vq_config' (an image task)`);
  const maxPos = json.text_config.max_position_embeddings;
  if (typeof maxPos === 'number' && json.max_length > maxPos) fail('max_length', `must not exceed text_config.max_position_embeddings (${maxPos}), got ${json.max_length}`);
  return { json, text, vision, vq, tasks, template: json.template as ChatTemplateName, imageTokens, maxLength: json.max_length, projectorType: json.projector_type, alignedGeneration };
}

/** The config.json object of a parsed config, with the decoder's vocabulary as it is now. */
export function configToJson(config: HealthGPTConfig): HealthGPTConfigJson {
  return { ...config.json, text_config: { ...config.text.json } };
}
