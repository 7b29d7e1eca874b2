import type { SafetensorsHeader } from '@healthgpt/tensor-core';
import { numelOf } from '@healthgpt/tensor-core/internal';
import { inferProjector, projectorKeyShapes } from '@healthgpt/vision-encoder';
import { ModelError } from '../errors.js';
import { RELEASE_PREFIX, RELEASE_PROJECTOR } from './keys.js';

const ADAPTER = /^base_model\.model\.(.+)\.(lora_A|lora_B|lora_route)\.weight$/;
const PARTS = ['lora_A', 'lora_B', 'lora_route'] as const;
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** What a task's H-LoRA file is checked against: the built decoder and tower. */
export interface PluginTarget {
  /** Every adaptable decoder linear: module path (`model.layers.0.self_attn.qkv_proj`) → weight shape [out, in]. */
  linears: ReadonlyMap<string, readonly number[]>;
  /** The projector's input (the tower's width) and output (the decoder's width). */
  projectorIn: number;
  projectorOut: number;
  /** Bound on the file's parameter count: the decoder's own (an adapter set larger than its base is not a plugin). */
  maxParameters: number;
}

/**
 * Check a task's H-LoRA file (`com_hlora_weights` / `gen_hlora_weights`) from its header alone,
 * before any tensor is read: every key is an H-LoRA tensor of a decoder linear or the task's
 * projector; one rank r and one expert count k (r a multiple of k); `lora_A` [r, in], `lora_B`
 * [out, r], `lora_route` [k, in] against that linear; every covered linear of every layer has all
 * three; the projector has exactly its type's keys and shapes from the tower's width to the
 * decoder's; the parameter count within `maxParameters`. A `ModelError` (`CHECKPOINT`) names the file and key.
 */
export function checkPluginHeader(header: SafetensorsHeader, file: string, task: string, target: PluginTarget): void {
  function fail(key: string | undefined, message: string): never {
    throw new ModelError('CHECKPOINT', `release task '${task}': ${message}`, { file, key });
  }
  const shapes = new Map([...header.tensors].map(([k, t]) => [k, t.shape]));
  const projPrefix = `${RELEASE_PREFIX}${RELEASE_PROJECTOR}.`;
  const covered = new Map<string, Set<string>>();
  let r = 0;
  let k = 0;
  for (const [key, shape] of shapes) {
    if (key.startsWith(projPrefix)) continue;
    const m = ADAPTER.exec(key);
    if (!m) fail(key, `key '${key}' is neither an H-LoRA tensor nor the projector ('${projPrefix}*')`);
    if (!target.linears.has(m[1])) fail(key, `key '${key}' adapts '${m[1]}', which is no linear layer of the decoder`);
    if (shape.length !== 2) fail(key, `'${key}' has shape ${fmt(shape)}, expected a matrix`);
    if (m[2] === 'lora_A') r ||= shape[0];
    if (m[2] === 'lora_route') k ||= shape[0];
    if (!covered.has(m[1])) covered.set(m[1], new Set());
    covered.get(m[1])!.add(m[2]);
  }
  if (covered.size === 0) fail(undefined, 'no H-LoRA tensor (base_model.model.<module>.lora_A.weight) in the file');
  if (!(r > 0 && k > 0 && r % k === 0)) fail(undefined, `rank ${r} and expert count ${k}: the rank must be a positive multiple of the experts`);
  for (const [key, shape] of shapes) {
    const m = ADAPTER.exec(key);
    if (!m) continue;
    const [out, inp] = target.linears.get(m[1])!;
    const want = m[2] === 'lora_A' ? [r, inp] : m[2] === 'lora_B' ? [out, r] : [k, inp];
    if (shape[0] !== want[0] || shape[1] !== want[1]) fail(key, `'${key}' has shape ${fmt(shape)}, expected ${fmt(want)} (r ${r}, k ${k}, the linear's weight ${fmt([out, inp])})`);
  }
  const leaves = new Set([...covered.keys()].map((p) => p.split('.').pop()!));
  const missing = [...target.linears.keys()]
    .filter((p) => leaves.has(p.split('.').pop()!))
    .flatMap((p) => PARTS.filter((x) => !covered.get(p)?.has(x)).map((x) => `${RELEASE_PREFIX}${p}.${x}.weight`));
  if (missing.length) fail(missing[0], `missing keys: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? `, … (${missing.length})` : ''}`);
  const proj = new Map([...shapes].filter(([key]) => key.startsWith(projPrefix)).map(([key, shape]) => [key.slice(RELEASE_PREFIX.length), { shape }]));
  if (proj.size === 0) fail(`${projPrefix}0.weight`, `no projector keys '${projPrefix}*' in its file`);
  let type: string;
  try {
    type = inferProjector(proj, RELEASE_PROJECTOR, file).type;
  } catch (e) {
    throw new ModelError('CHECKPOINT', `release task '${task}': ${(e as Error).message}`, { file, cause: e });
  }
  const want = new Map([...projectorKeyShapes({ type, inFeatures: target.projectorIn, outFeatures: target.projectorOut })].map(([key, s]) => [`${projPrefix}${key}`, s]));
  for (const [key, s] of want) {
    const got = shapes.get(key) ?? fail(key, `missing keys: ${key} (a ${type} projector)`);
    if (got.length !== s.length || got.some((d, i) => d !== s[i])) fail(key, `'${key}' has shape ${fmt(got)}, expected ${fmt(s)} (a ${type} projector from ${target.projectorIn} to ${target.projectorOut})`);
  }
  const extra = [...proj.keys()].map((key) => RELEASE_PREFIX + key).find((key) => !want.has(key));
  if (extra) fail(extra, `unexpected key '${extra}' for a ${type} projector`);
  let count = 0;
  for (const s of shapes.values()) count += numelOf(s);
  if (count > target.maxParameters) fail(undefined, `${count} parameters, more than the ${target.maxParameters} of the decoder it adapts`);
}

/**
 * Check `fusion_layer_weights` from its header against the assembled model's parameters (after the
 * vocabulary is extended): each key, mapped by `toParameter`, names a parameter of the same shape.
 */
export function checkFusionHeader(header: SafetensorsHeader, file: string, params: ReadonlyMap<string, readonly number[]>, toParameter: (key: string) => string): void {
  for (const [key, info] of header.tensors) {
    const name = toParameter(key);
    const want = params.get(name);
    if (!want) throw new ModelError('CHECKPOINT', `fusion layer weights: key '${key}' names no parameter of the model`, { file, key });
    if (want.length !== info.shape.length || want.some((d, i) => d !== info.shape[i]))
      throw new ModelError('CHECKPOINT', `fusion layer weights: '${key}' has shape ${fmt(info.shape)}, the model's '${name}' is ${fmt(want)}`, { file, key });
  }
}
