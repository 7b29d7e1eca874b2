import { HLoraError } from './errors.js';

/**
 * adapter_config.json fields handled elsewhere (`fromConfigJson`), or that describe the file
 * without changing what the adapter computes.
 */
const KNOWN = new Set([
  // read and implemented
  'peft_type', 'r', 'lora_alpha', 'lora_dropout', 'target_modules', 'exclude_modules', 'bias', 'use_rslora', 'use_dora',
  'rank_pattern', 'alpha_pattern', 'layers_to_transform', 'layers_pattern', 'lora_nums', 'adapter_kind', 'scaling_rule', 'scaling',
  // our Linear weights are [out, in]; peft sets fan_in_fan_out to false for nn.Linear too
  'fan_in_fan_out',
  // descriptive, or only about training, initialisation or runtime placement
  'task_type', 'base_model_name_or_path', 'revision', 'inference_mode', 'auto_mapping', 'peft_version', 'megatron_core',
  'runtime_config', 'eva_config', 'qalora_group_size', 'ensure_weight_tying', 'init_lora_weights',
]);

/** Fields whose non-default value changes the computation in a way this package does not implement. */
const REFUSED: Record<string, string> = {
  modules_to_save: 'extra modules trained in full and saved with the adapter',
  trainable_token_indices: 'trainable rows of the embedding',
  layer_replication: 'layers duplicated before adapting',
  lora_bias: 'a bias on lora_B',
  use_qalora: 'quantization-aware LoRA',
  target_parameters: 'adapted nn.Parameter tensors',
  alora_invocation_tokens: 'activated LoRA (alora)',
  arrow_config: 'Arrow routing between adapters',
  megatron_config: 'Megatron tensor-parallel layers',
  loftq_config: 'LoftQ (a quantized, residual base model)',
  corda_config: 'CorDA (a residual base model)',
};

/** `init_lora_weights` values that leave the base model as it was (the others rewrite W0, e.g. PiSSA's residual). */
const BASE_PRESERVING_INIT = new Set([true, false, 'gaussian', 'eva', 'orthogonal']);

const isDefault = (v: unknown) =>
  v === undefined || v === null || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/**
 * Refuse (`HLoraError` `UNSUPPORTED`, `path` the field) any adapter_config.json field that would
 * make peft compute something this package does not: a field peft defines that we do not
 * implement, set to a non-default value; an `init_lora_weights` that rewrites the base weights;
 * and any field we do not know, set to a non-default value (we cannot promise the same math).
 * `kindKeys` are the kind's own settings.
 */
export function checkSupported(json: Readonly<Record<string, unknown>>, file: string, kindKeys: readonly string[]): void {
  for (const [key, value] of Object.entries(json)) {
    if (KNOWN.has(key) || kindKeys.includes(key) || isDefault(value)) {
      if (key === 'init_lora_weights' && value !== undefined && value !== null)
        HLoraError.check(
          BASE_PRESERVING_INIT.has(value as string | boolean),
          'UNSUPPORTED',
          () => `'init_lora_weights' ${JSON.stringify(value)} means the adapter was trained against a rewritten base model (e.g. PiSSA's residual weights), which this package does not build; convert the adapter to plain LoRA in peft first`,
          { file, path: key },
        );
      continue;
    }
    const what = REFUSED[key];
    throw new HLoraError(
      'UNSUPPORTED',
      what
        ? `'${key}' (${what}) is not supported by @healthgpt/h-lora; loading this adapter would compute something other than peft does`
        : `'${key}' is not a field this package knows, and it is set (${JSON.stringify(value).slice(0, 60)}); refusing rather than computing something other than peft might`,
      { file, path: key },
    );
  }
}
