import type { Module, Tensor, Generator } from '@healthgpt/tensor-core';
import { HLoraError } from './errors.js';
import { adaptedLayers, injectAdapters } from './inject.js';
import { loadAdapterStateDict, PEFT_PREFIX } from './state_dict.js';
import type { AdapterConfig } from './kinds/kind.js';

/** `base_model.model.<path>.lora_{A,B,route}.weight`: the key form of HealthGPT's released H-LoRA files. */
const RELEASE_KEY = /^base_model\.model\.(.+)\.(lora_A|lora_B|lora_route)\.weight$/;

/** What the release's tensors say about its H-LoRA: the adapted paths and the total rank and expert count. */
export interface ReleaseLayout {
  /** Module paths (without `base_model.model.`) that carry H-LoRA tensors, in file order. */
  paths: string[];
  /** Total rank R (rows of lora_A). */
  r: number;
  /** Experts k (rows of lora_route). */
  loraNums: number;
  /** Keys that are not H-LoRA tensors (e.g. `base_model.model.model.mm_projector.0.weight`). */
  otherKeys: string[];
}

/** Read the H-LoRA layout from release tensors; throws when ranks or expert counts disagree between layers. */
export function inspectRelease(tensors: Map<string, Tensor>): ReleaseLayout {
  const paths: string[] = [];
  const otherKeys: string[] = [];
  const ranks = new Set<number>();
  const experts = new Set<number>();
  for (const [k, t] of tensors) {
    const m = RELEASE_KEY.exec(k);
    if (!m) {
      otherKeys.push(k);
      continue;
    }
    if (!paths.includes(m[1])) paths.push(m[1]);
    if (m[2] === 'lora_A') ranks.add(t.shape[0]);
    if (m[2] === 'lora_route') experts.add(t.shape[0]);
  }
  if (!paths.length) throw new HLoraError('CHECKPOINT', `inspectRelease: no key of the form base_model.model.<module>.lora_A.weight among ${tensors.size} tensors`);
  if (ranks.size !== 1 || experts.size !== 1)
    throw new HLoraError('CHECKPOINT', `inspectRelease: layers disagree (lora_A ranks ${[...ranks].join(', ') || 'none'}; lora_route experts ${[...experts].join(', ') || 'none'})`);
  return { paths, r: [...ranks][0], loraNums: [...experts][0], otherKeys };
}

export interface ImportReleaseOptions {
  /** Adapter name (the task), e.g. `comprehension` or `generation`. */
  name: string;
  /** lora_alpha; every released configuration uses 2·r (64/128, 256/512, 32/64), the default. */
  loraAlpha?: number;
  loraDropout?: number;
  strict?: boolean;
  gen?: Generator;
}

/**
 * Import HealthGPT's released H-LoRA tensors (keys `base_model.model.<path>.lora_A.weight`,
 * `lora_B`, `lora_route`) as adapter `name` of kind `hlora`, injecting it into exactly the layers
 * the file covers when `root` does not hold it yet. Keys that are not H-LoRA tensors (the
 * projector) are returned in `otherKeys` for the caller; strict loading reports missing ones.
 */
export function importHealthGPTRelease(root: Module, tensors: Map<string, Tensor>, opts: ImportReleaseOptions): { layout: ReleaseLayout; injected: string[]; loaded: string[]; otherKeys: string[] } {
  const layout = inspectRelease(tensors);
  const { name, loraAlpha = 2 * layout.r, loraDropout = 0, strict = true, gen } = opts;
  const config: AdapterConfig = { r: layout.r, loraAlpha, loraNums: layout.loraNums, loraDropout };
  const has = adaptedLayers(root).some(([, l]) => l.adapterNames().includes(name));
  const wanted = new Set(layout.paths);
  const injected = has ? [] : injectAdapters(root, { targets: (p) => wanted.has(p), kind: 'hlora', config, name, ...(gen ? { gen } : {}) });
  const { loaded } = loadAdapterStateDict(root, name, tensors, { prefix: PEFT_PREFIX, strict, ignore: layout.otherKeys });
  return { layout, injected, loaded, otherKeys: layout.otherKeys };
}
