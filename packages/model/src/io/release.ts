import { tf, type Tensor } from '@healthgpt/tensor-core';
import type { DecoderLM, TextTokenizer, ChatTemplateName } from '@healthgpt/decoder';
import { inferProjector, type CLIPVisionModel } from '@healthgpt/vision-encoder';
import type { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { inspectRelease, loadAdapterStateDict } from '@healthgpt/h-lora';
import type { HealthGPT } from '../model/healthgpt.js';
import { assemble } from '../model/assemble.js';
import type { TaskConfigJson } from '../config/schema.js';
import { ModelError } from '../errors.js';
import { RELEASE_PREFIX, RELEASE_PROJECTOR, savedKeyToParameter, isAdapterKey } from './keys.js';

/** How a task of the release maps onto ours; the defaults follow the reference for `comprehension` and `generation`. */
export interface ReleaseTaskOptions {
  output?: 'text' | 'image';
  /** Default −2 for text tasks, 1 for image tasks (REFERENCE.md §1). */
  selectLayer?: number;
  /** Default `mm_projector` for comprehension, `gen_mm_projector` for generation. */
  projector?: string;
  /** Default 2·r, as every released configuration (scaling 8). */
  loraAlpha?: number;
}

/** The release's parts, already read: the base LLM and CLIP tower (adopted), and per-task tensors under PEFT names. */
export interface ReleaseParts {
  /** The base LLM with its weights; the model takes it over (its vocabulary is extended for image tasks). */
  decoder: DecoderLM;
  /** The CLIP tower with its weights; the model takes it over. */
  visionTower: CLIPVisionModel;
  /** Per task, the release's H-LoRA file (`base_model.model.…lora_{A,B,route}.weight`) with that task's `model.mm_projector`. */
  plugins: Record<string, Map<string, Tensor>>;
  /** `fusion_layer_weights` (stage 2: `embed_tokens`, `lm_head`), PEFT names; optional. */
  fusion?: Map<string, Tensor>;
  /** The base LLM's tokenizer (needed to place the image tokens for image tasks). */
  tokenizer?: TextTokenizer;
  /** The VQ image tokenizer (needed by image tasks). */
  vq?: VQTokenizer;
  /** Default: `phi3_instruct` for Phi-3 layouts, `qwen_2` for Qwen2. */
  template?: ChatTemplateName;
  /** Default: the decoder's `max_position_embeddings` (else 2048). */
  maxLength?: number;
  tasks?: Record<string, ReleaseTaskOptions>;
}

const DEFAULT_TASKS: Record<string, Required<Omit<ReleaseTaskOptions, 'loraAlpha'>>> = {
  comprehension: { output: 'text', selectLayer: -2, projector: 'mm_projector' },
  generation: { output: 'image', selectLayer: 1, projector: 'gen_mm_projector' },
};

function taskOptions(name: string, o: ReleaseTaskOptions = {}): Required<Omit<ReleaseTaskOptions, 'loraAlpha'>> {
  const d = DEFAULT_TASKS[name];
  const output = o.output ?? d?.output;
  const projector = o.projector ?? d?.projector;
  ModelError.check(output !== undefined && projector !== undefined, 'ARGUMENT', `release task '${name}': give its 'output' and 'projector' (only comprehension and generation have defaults)`, { key: name });
  return { output, projector, selectLayer: o.selectLayer ?? d?.selectLayer ?? (output === 'text' ? -2 : 1) };
}

/** The tasks a release's files describe (rank and experts from the tensors) and their projector type. */
function releaseTasks(parts: ReleaseParts): { tasks: Record<string, TaskConfigJson>; projectorType: string } {
  const tasks: Record<string, TaskConfigJson> = {};
  let projectorType: string | null = null;
  for (const [name, tensors] of Object.entries(parts.plugins)) {
    const o = taskOptions(name, parts.tasks?.[name]);
    const layout = inspectRelease(tensors);
    const proj = new Map([...tensors].filter(([k]) => k.startsWith(`${RELEASE_PREFIX}${RELEASE_PROJECTOR}.`)).map(([k, t]) => [k.slice(RELEASE_PREFIX.length), t]));
    ModelError.check(proj.size > 0, 'CHECKPOINT', `release task '${name}': no projector keys '${RELEASE_PREFIX}${RELEASE_PROJECTOR}.*' in its file`, { key: name });
    const type = inferProjector(proj, RELEASE_PROJECTOR).type;
    ModelError.check(projectorType === null || projectorType === type, 'CHECKPOINT', `release task '${name}' has a ${type} projector, another task a ${projectorType} one`, { key: name });
    projectorType = type;
    const targets = [...new Set(layout.paths.map((p) => p.split('.').pop()!))];
    tasks[name] = {
      output: o.output,
      select_layer: o.selectLayer,
      projector: o.projector,
      plugin: { adapter_kind: 'hlora', r: layout.r, lora_alpha: parts.tasks?.[name]?.loraAlpha ?? 2 * layout.r, lora_nums: layout.loraNums, lora_dropout: 0, target_modules: targets },
    };
  }
  return { tasks, projectorType: projectorType ?? 'mlp2x_gelu' };
}

/** Copy base (non-adapter) tensors by our names; every key must name a parameter (listed when not). */
function loadBase(model: HealthGPT, tensors: Map<string, Tensor>, source: string): void {
  const params = new Set(model.namedParameters().map(([n]) => n));
  const unknown = [...tensors.keys()].filter((k) => !params.has(k));
  ModelError.check(!unknown.length, 'CHECKPOINT', () => `${source}: keys that name no parameter of the model: ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? `, … (${unknown.length})` : ''}`, { key: unknown[0] });
  model.loadStateDict(tensors, { strict: false });
}

/**
 * Assemble HealthGPT from the reference release's parts: the base LLM, the CLIP tower, one
 * H-LoRA file per task (with that task's projector, both under PEFT names as
 * `com_hlora_weights` / `gen_hlora_weights` store them) and optionally the fusion layer weights.
 * Image tasks extend the vocabulary (tokenizer and decoder) before any adapter is injected. Each
 * plugin loads strictly (missing or unexpected keys listed). The model takes over the decoder,
 * tower and VQ tokenizer; on failure they are disposed with it.
 */
export function importRelease(parts: ReleaseParts): HealthGPT {
  let tasks: ReturnType<typeof releaseTasks>;
  try {
    tasks = releaseTasks(parts);
  } catch (e) {
    parts.decoder.dispose();
    parts.visionTower.dispose();
    parts.vq?.dispose();
    throw e;
  }
  const model = assemble({ ...parts, tasks: tasks.tasks, projectorType: tasks.projectorType });
  try {
    for (const [task, tensors] of Object.entries(parts.plugins)) {
      const projector = tasks.tasks[task].projector;
      const base = new Map([...tensors].filter(([k]) => !isAdapterKey(k)).map(([k, t]) => [savedKeyToParameter(k, task, { projector }), t]));
      loadAdapterStateDict(model, task, tensors, { prefix: RELEASE_PREFIX, strict: true, ignore: [...tensors.keys()].filter((k) => !isAdapterKey(k)) });
      const want: string[] = model.namedParameters().filter(([n]) => n.startsWith(`model.${projector}.`)).map(([n]) => n);
      const missing: string[] = want.filter((n) => !base.has(n));
      ModelError.check(!missing.length, 'CHECKPOINT', () => `release task '${task}': projector keys missing: ${missing.join(', ')}`, { key: missing[0] });
      loadBase(model, base, `release task '${task}'`);
    }
    if (parts.fusion) loadBase(model, new Map([...parts.fusion].map(([k, t]) => [savedKeyToParameter(k, 'fusion'), t])), 'fusion layer weights');
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** The tensors of a Map, disposed (for callers that read release files). */
export function disposeTensors(...maps: (Map<string, Tensor> | undefined)[]): void {
  for (const m of maps) if (m) tf.dispose([...m.values()]);
}
