import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, saveModelFolder, withFolderWriter, type Tensor } from '@healthgpt/tensor-core';
import { DecoderLM, HFTokenizer, type ChatTemplateName, type TextTokenizer } from '@healthgpt/decoder';
import { CLIPVisionModel } from '@healthgpt/vision-encoder';
import { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { adapterStateDict } from '@healthgpt/h-lora';
import type { HealthGPT } from '../model/healthgpt.js';
import { ModelError } from '../errors.js';
import { importRelease, disposeTensors, type ReleaseTaskOptions } from './release.js';
import { baseParameters, type LoadOptions } from './pretrained.js';
import { RELEASE_PREFIX, RELEASE_PROJECTOR, VISION_PREFIX } from './keys.js';
import { toModelError } from './spec.js';
import { stageTokenizer } from './tokenizer_files.js';

/** Where the reference release's parts are (its `.bin` files converted to safetensors). */
export interface ReleaseFiles {
  /** The base LLM's HF folder (config.json + model.safetensors or shards; tokenizer.json). */
  llm: string;
  /** The CLIP folder (a full CLIPModel or a CLIPVisionModel). */
  clip: string;
  /** Per task, the H-LoRA file with its projector (`com_hlora_weights`, `gen_hlora_weights`) as safetensors. */
  plugins: Record<string, string>;
  /** `fusion_layer_weights` as safetensors (optional). */
  fusion?: string;
  /** The tokenizer's folder (default: `llm`). */
  tokenizer?: string;
  /** The VQ tokenizer's folder (our layout: config.json + model.safetensors, taming's keys). Needed by image tasks. */
  vq?: string;
  template?: ChatTemplateName;
  maxLength?: number;
  tasks?: Record<string, ReleaseTaskOptions>;
}

/** The release's file name of a task's H-LoRA weights. */
export function releasePluginFile(task: string): string {
  return `${task === 'comprehension' ? 'com' : task === 'generation' ? 'gen' : task}_hlora_weights.safetensors`;
}

/**
 * Load HealthGPT from the reference release's layout: base LLM folder + CLIP folder + one H-LoRA
 * file per task (+ the fusion layer weights), key names as the release stores them
 * (`base_model.model.model.layers.{i}.self_attn.qkv_proj.lora_A.weight`,
 * `base_model.model.model.mm_projector.0.weight`, …). Everything read is disposed on failure.
 */
export async function loadRelease(files: ReleaseFiles, { quantize }: LoadOptions = {}): Promise<HealthGPT> {
  const tensors: Record<string, Map<string, Tensor>> = {};
  let fusion: Map<string, Tensor> | undefined;
  let decoder: DecoderLM | null = null;
  let tower: CLIPVisionModel | null = null;
  let vq: VQTokenizer | null = null;
  try {
    const tokDir = files.tokenizer ?? files.llm;
    const tokenizer: TextTokenizer | undefined = existsSync(join(tokDir, 'tokenizer.json')) ? await HFTokenizer.fromFile(tokDir) : undefined;
    for (const [task, file] of Object.entries(files.plugins)) tensors[task] = (await loadSafetensors(file)).tensors;
    if (files.fusion) fusion = (await loadSafetensors(files.fusion)).tensors;
    decoder = await DecoderLM.fromPretrained(files.llm);
    tower = await CLIPVisionModel.fromPretrained(files.clip);
    if (files.vq) vq = await VQTokenizer.fromPretrained(files.vq);
    const parts = { decoder, visionTower: tower, plugins: tensors, fusion, tokenizer, vq: vq ?? undefined, template: files.template, maxLength: files.maxLength, tasks: files.tasks };
    [decoder, tower, vq] = [null, null, null]; // importRelease owns them now (and disposes them on failure)
    const model = importRelease(parts);
    if (quantize) model.quantize(quantize);
    return model;
  } finally {
    decoder?.dispose();
    tower?.dispose();
    vq?.dispose();
    disposeTensors(...Object.values(tensors), fusion);
  }
}

/**
 * Write the model in the release's layout, for PyTorch users of the reference code: `llm/` (the
 * decoder, vocabulary extended, and the tokenizer), `clip/` (the tower as a CLIPVisionModel),
 * `<com|gen|task>_hlora_weights.safetensors` (each task's H-LoRA with its projector as
 * `base_model.model.model.mm_projector.*`), `fusion_layer_weights.safetensors` (embed_tokens and
 * lm_head) and `vq/`, as one whole-folder save. `loadRelease` reads it back.
 */
export async function saveRelease(model: HealthGPT, dir: string): Promise<ReleaseFiles> {
  const base = baseParameters(model);
  const projectors = new Set([...model.config.tasks.values()].map((t) => `model.${t.projector}.`));
  const isDecoder = (k: string) => k === 'lm_head.weight' || (k.startsWith('model.') && !k.startsWith(VISION_PREFIX) && ![...projectors].some((p) => k.startsWith(p)));
  try {
    await withFolderWriter(dir, async (w) => {
      const llm = w.sub('llm');
      await saveModelFolder(llm, { config: model.config.text.json, weights: [...base].filter(([k]) => isDecoder(k)) });
      await stageTokenizer(llm, model.tokenizer);
      await model.visionTower.savePretrained(w.sub('clip'));
      for (const [task, spec] of model.config.tasks) {
        ModelError.check(spec.plugin !== null, 'ARGUMENT', `task '${task}' has no plugin: the release layout has no file for it`, { key: task });
        const out = new Map<string, Tensor>(adapterStateDict(model, task));
        for (const [k, v] of base) if (k.startsWith(`model.${spec.projector}.`)) out.set(`${RELEASE_PREFIX}${RELEASE_PROJECTOR}.${k.slice(`model.${spec.projector}.`.length)}`, v);
        await w.safetensors(releasePluginFile(task), out, { metadata: { format: 'pt' } });
      }
      const fusion = new Map([...base].filter(([k]) => k === 'model.embed_tokens.weight' || k === 'lm_head.weight').map(([k, v]) => [`${RELEASE_PREFIX}${k}`, v as Tensor]));
      await w.safetensors('fusion_layer_weights.safetensors', fusion, { metadata: { format: 'pt' } });
      if (model.vq) await model.vq.savePretrained(w.sub('vq'));
    });
  } catch (e) {
    throw toModelError(e);
  }
  const tasks = Object.fromEntries([...model.config.tasks].map(([n, t]) => [n, { output: t.output, selectLayer: t.selectLayer, projector: t.projector, loraAlpha: t.plugin!.config.loraAlpha }]));
  return {
    llm: join(dir, 'llm'),
    clip: join(dir, 'clip'),
    plugins: Object.fromEntries(model.tasks.map((t) => [t, join(dir, releasePluginFile(t))])),
    fusion: join(dir, 'fusion_layer_weights.safetensors'),
    ...(model.vq ? { vq: join(dir, 'vq') } : {}),
    template: model.config.template,
    maxLength: model.config.maxLength,
    tasks,
  };
}
