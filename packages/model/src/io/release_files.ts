import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlanTensors, saveModelFolder, withFolderWriter, type Checkpoint, type Tensor } from '@healthgpt/tensor-core';
import { readCheckpointFile } from '@healthgpt/tensor-core/internal';
import { DecoderLM, HFTokenizer, type ChatTemplateName, type TextTokenizer } from '@healthgpt/decoder';
import { CLIPVisionModel } from '@healthgpt/vision-encoder';
import { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { adapterStateDict } from '@healthgpt/h-lora';
import type { HealthGPT } from '../model/healthgpt.js';
import { ModelError } from '../errors.js';
import { importRelease, disposeTensors, type ReleaseTaskOptions } from './release.js';
import { baseParameters, type LoadOptions } from './pretrained.js';
import { RELEASE_PREFIX, RELEASE_PROJECTOR, VISION_PREFIX, savedKeyToParameter } from './keys.js';
import { checkFusionHeader, checkPluginHeader, type PluginTarget } from './release_headers.js';
import { toModelError } from './spec.js';
import { stageTokenizer } from './tokenizer_files.js';

/** A release file's header, read alone (bounded, no tensor data; its tensors are read later from that same file); failures as a `ModelError` naming the file. */
async function releaseFile(file: string): Promise<Checkpoint> {
  try {
    return await readCheckpointFile(file);
  } catch (e) {
    throw toModelError(e);
  }
}

/** Every tensor of a release file whose header was checked, read from that very file (a `ModelError` naming the file on failure). */
async function readChecked(file: Checkpoint): Promise<Map<string, Tensor>> {
  try {
    return await loadPlanTensors(file, file.tensors.keys());
  } catch (e) {
    throw toModelError(e);
  }
}

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
 * `base_model.model.model.mm_projector.0.weight`, …). Header before allocation for every file: the
 * LLM and CLIP folders through their loaders, each plugin file's header checked against the built
 * decoder and tower (`checkPluginHeader`) and the fusion file's against the assembled model before
 * their tensors are read. Everything read is disposed on failure.
 */
export async function loadRelease(files: ReleaseFiles, { quantize }: LoadOptions = {}): Promise<HealthGPT> {
  const tensors: Record<string, Map<string, Tensor>> = {};
  let decoder: DecoderLM | null = null;
  let tower: CLIPVisionModel | null = null;
  let vq: VQTokenizer | null = null;
  let model: HealthGPT | null = null;
  try {
    const tokDir = files.tokenizer ?? files.llm;
    const tokenizer: TextTokenizer | undefined = existsSync(join(tokDir, 'tokenizer.json')) ? await HFTokenizer.fromFile(tokDir) : undefined;
    decoder = await DecoderLM.fromPretrained(files.llm);
    tower = await CLIPVisionModel.fromPretrained(files.clip);
    const target = pluginTarget(decoder, tower);
    const plugins = await Promise.all(Object.entries(files.plugins).map(async ([task, file]) => [task, file, await releaseFile(file)] as const));
    for (const [task, file, ckpt] of plugins) checkPluginHeader(ckpt.shards[0].header, file, task, target);
    for (const [task, , ckpt] of plugins) tensors[task] = await readChecked(ckpt);
    if (files.vq) vq = await VQTokenizer.fromPretrained(files.vq);
    const parts = { decoder, visionTower: tower, plugins: tensors, tokenizer, vq: vq ?? undefined, template: files.template, maxLength: files.maxLength, tasks: files.tasks };
    [decoder, tower, vq] = [null, null, null]; // importRelease owns them now (and disposes them on failure)
    model = importRelease(parts);
    if (files.fusion) await loadFusion(model, files.fusion);
    if (quantize) model.quantize(quantize);
    const done = model;
    model = null;
    return done;
  } finally {
    decoder?.dispose();
    tower?.dispose();
    vq?.dispose();
    model?.dispose();
    disposeTensors(...Object.values(tensors));
  }
}

/** The decoder linears a plugin may adapt, the projector's sizes and the plugin's parameter bound. */
function pluginTarget(decoder: DecoderLM, tower: CLIPVisionModel): PluginTarget {
  const linears = new Map<string, readonly number[]>();
  let count = 0;
  for (const [name, p] of decoder.namedParameters()) {
    count += p.size;
    if (/^model\.layers\.\d+\..+\.weight$/.test(name) && p.shape.length === 2) linears.set(name.slice(0, -'.weight'.length), p.shape);
  }
  return { linears, projectorIn: tower.config.hidden_size, projectorOut: decoder.config.hiddenSize, maxParameters: count };
}

/** `fusion_layer_weights` (embed_tokens, lm_head), its header checked against the assembled model first. */
async function loadFusion(model: HealthGPT, file: string): Promise<void> {
  const toParameter = (k: string) => savedKeyToParameter(k, 'fusion');
  const ckpt = await releaseFile(file);
  checkFusionHeader(ckpt.shards[0].header, file, new Map(model.namedParameters().map(([n, p]) => [n, p.shape])), toParameter);
  const fusion = await readChecked(ckpt);
  try {
    model.loadStateDict(new Map([...fusion].map(([k, t]) => [toParameter(k), t])), { strict: false });
  } finally {
    disposeTensors(fusion);
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
