import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, type Tensor } from '@healthgpt/tensor-core';
import { goldenDir } from './paths.js';

export interface Golden {
  /** The fixture's JSON (config, semantics, io descriptions, tolerances, checks). */
  json: Record<string, unknown> & { config: Record<string, unknown> };
  /** `json.config`: hyper-parameters under their HF / peft / taming names. */
  config: Record<string, unknown>;
  /** Every tensor not named `io.*`: the checkpoint, under its real names. */
  weights: Map<string, Tensor>;
  /** Every `io.*` tensor, with the `io.` prefix removed. */
  io: Map<string, Tensor>;
  /** Path of the safetensors file. */
  file: string;
  /** Dispose every tensor of the fixture. */
  dispose(): void;
}

/**
 * Load fixture `name` from the golden folder (or from `folder`, for fixtures a package generates
 * and commits in the same format): `{ config, weights, io }`.
 */
export async function loadGolden(name: string, folder?: string): Promise<Golden> {
  const dir = folder ?? goldenDir();
  if (!dir) throw new Error(`golden fixture '${name}': the fixtures folder is missing (HEALTHGPT_GOLDEN or ../shared/golden)`);
  const file = join(dir, `${name}.safetensors`);
  const json = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  const { tensors } = await loadSafetensors(file);
  const weights = new Map<string, Tensor>();
  const io = new Map<string, Tensor>();
  for (const [k, t] of tensors) {
    if (k.startsWith('io.')) io.set(k.slice(3), t);
    else weights.set(k, t);
  }
  return {
    json,
    config: json.config ?? {},
    weights,
    io,
    file,
    dispose() {
      weights.forEach((t) => t.dispose());
      io.forEach((t) => t.dispose());
    },
  };
}

/** `io` tensor `key` of a fixture, with an error that names the fixture when absent. */
export function ioTensor(g: Golden, key: string): Tensor {
  const t = g.io.get(key);
  if (!t) throw new Error(`${g.file}: no tensor 'io.${key}'`);
  return t;
}
