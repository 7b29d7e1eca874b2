import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawImage } from '@healthgpt/tensor-core';
import { DecoderLM, HFTokenizer } from '@healthgpt/decoder';
import { CLIPVisionModel } from '@healthgpt/vision-encoder';
import { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { assemble, healthGPTPreset, type HealthGPT, type HealthGPTPresetName, type TaskConfigJson } from '@healthgpt/model';
import { DatasetError, generateSynth, splitByImage, type Sample } from '@healthgpt/vl-health';
import type { ImageResolver } from '../healthgpt/data.js';
import type { Stage0Result } from './stage0.js';

/** The synthetic set at a preset's image size, split by image into train and held-out samples. */
export interface SyntheticData {
  train: Sample[];
  heldOut: Sample[];
  images: ImageResolver;
  /** The seed `generateSynth` ran with. */
  synthSeed: number;
}

/**
 * `generateSynth`, retried with the next seeds when its plan asks for lesions a scene cannot hold
 * (vl-health 0.1.0 plans some that way, e.g. three large lesions in a coronal head); the seed
 * that worked is returned.
 */
function synthesize(seed: number, count: number, size: number): { synth: ReturnType<typeof generateSynth>; seed: number } {
  for (let k = 0; ; k++) {
    try {
      return { synth: generateSynth({ seed: seed + 1000 * k, count, size }), seed: seed + 1000 * k };
    } catch (e) {
      if (k >= 20 || !(e instanceof DatasetError) || !/cannot place/.test(e.message)) throw e;
    }
  }
}

export function syntheticData(preset: HealthGPTPresetName, scenes: number, seed = 0): SyntheticData {
  const size = healthGPTPreset(preset).vision_config.image_size!;
  const { synth, seed: used } = synthesize(seed, scenes, size);
  const split = splitByImage(synth.samples, { fractions: { train: 0.8, test: 0.2 }, seed });
  const images: ImageResolver = (p) => {
    const g = synth.images.get(p)!;
    return { width: g.width, height: g.height, channels: 1, data: g.data } satisfies RawImage;
  };
  return { train: split.train, heldOut: split.test, images, synthSeed: used };
}

/** The parts stage 0 trains, which `assemble` takes over. */
export type Stage0Parts = Pick<Stage0Result, 'tokenizer' | 'decoder' | 'visionTower' | 'vq'>;

/** Independent copies of stage 0's parts (weights and tokenizer), so several models can be assembled from one stage 0. */
export async function cloneParts(p: Stage0Parts): Promise<Stage0Parts> {
  const dir = await mkdtemp(join(tmpdir(), 'healthgpt-tokenizer-'));
  try {
    await p.tokenizer.save(dir);
    const tokenizer = await HFTokenizer.fromFile(dir);
    const decoder = new DecoderLM(p.decoder.config.json, { init: false });
    decoder.loadStateDict(p.decoder.stateDict());
    const visionTower = new CLIPVisionModel(p.visionTower.config, { init: false });
    visionTower.loadStateDict(p.visionTower.stateDict());
    let vq: VQTokenizer | null = null;
    if (p.vq) {
      vq = new VQTokenizer(p.vq.config, { init: false });
      vq.loadStateDict(p.vq.stateDict());
    }
    return { tokenizer, decoder, visionTower, vq };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * HealthGPT assembled from stage 0's parts with the preset's tasks (or `tasks`) and its
 * `aligned_generation` (kept off when there is no VQ tokenizer, hence no image task, unless
 * `alignedGeneration` asks for it); it takes the parts over.
 */
export function assembleModel(parts: Stage0Parts, preset: HealthGPTPresetName, { tasks, seed = 0, alignedGeneration }: { tasks?: Record<string, TaskConfigJson>; seed?: number; alignedGeneration?: boolean } = {}): HealthGPT {
  const p = healthGPTPreset(preset);
  const all = tasks ?? p.tasks;
  // without a VQ tokenizer only the text tasks can be assembled
  const usable = parts.vq ? all : Object.fromEntries(Object.entries(all).filter(([, t]) => t.output === 'text'));
  return assemble({ decoder: parts.decoder, visionTower: parts.visionTower, tokenizer: parts.tokenizer, vq: parts.vq ?? undefined, tasks: usable, template: p.template, maxLength: p.max_length, seed, alignedGeneration: alignedGeneration ?? (p.aligned_generation === true && parts.vq !== null) });
}
