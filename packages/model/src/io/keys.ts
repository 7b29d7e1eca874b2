import { ModelError } from '../errors.js';

/** What PEFT puts before module paths in a saved adapter and in the release's state dicts. */
export const RELEASE_PREFIX = 'base_model.model.';
/** Where the CLIP tower's HF keys (`vision_model.*`) live in the assembled model (LLaVA's name). */
export const VISION_PREFIX = 'model.vision_tower.vision_tower.';
/** The projector's name in the reference's per-task H-LoRA files (each task's file has its own). */
export const RELEASE_PROJECTOR = 'model.mm_projector';

const ADAPTER_KEY = /^(.+)\.(lora_A|lora_B|lora_route)\.weight$/;
const ADAPTER_PARAM = /^(.+)\.(lora_A|lora_B|lora_route)\.([A-Za-z0-9_-]+)\.weight$/;

/**
 * A saved (PEFT / release) key → our parameter name. Adapter keys take the task's name:
 * `base_model.model.model.layers.0.mlp.down_proj.lora_A.weight` → `model.layers.0.mlp.down_proj.lora_A.<task>.weight`;
 * other keys lose the prefix: `base_model.model.model.mm_projector.0.weight` → `model.mm_projector.0.weight`.
 * `projector` renames the release's `model.mm_projector` (each task's file names its own projector so).
 */
export function savedKeyToParameter(key: string, task: string, { projector }: { projector?: string } = {}): string {
  ModelError.check(key.startsWith(RELEASE_PREFIX), 'CHECKPOINT', () => `key '${key}' does not start with '${RELEASE_PREFIX}'`, { key });
  const rest = key.slice(RELEASE_PREFIX.length);
  const m = ADAPTER_KEY.exec(rest);
  if (m) return `${m[1]}.${m[2]}.${task}.weight`;
  if (projector && rest.startsWith(`${RELEASE_PROJECTOR}.`)) return `model.${projector}.${rest.slice(RELEASE_PROJECTOR.length + 1)}`;
  return rest;
}

/** Our parameter name → its saved key and, for an adapter tensor, the task it belongs to. */
export function parameterToSavedKey(name: string): { key: string; task?: string } {
  const m = ADAPTER_PARAM.exec(name);
  if (m) return { key: `${RELEASE_PREFIX}${m[1]}.${m[2]}.weight`, task: m[3] };
  return { key: `${RELEASE_PREFIX}${name}` };
}

/** Whether a key of the release's files is an adapter tensor (`….lora_A.weight`, `lora_B`, `lora_route`). */
export const isAdapterKey = (key: string): boolean => ADAPTER_KEY.test(key);
