/**
 * Test support: HealthGPT assembled from a `healthgpt_tiny` fixture exactly as the release is
 * loaded (base Phi-3 from phi3_tiny, CLIP from clip_vision_tiny, the comprehension H-LoRA file
 * with its projector from healthgpt_tiny). Everything is read from the fixtures' JSON and tensors.
 * The fixtures are the shared one (seed 1007) and the seeds this package generates and commits
 * under test/fixtures/seed_<N>/ (scripts/make_healthgpt_fixture.py, same format and names).
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DecoderLM, type DecoderConfigJson } from '@healthgpt/decoder';
import { CLIPVisionModel, type CLIPVisionConfig } from '@healthgpt/vision-encoder';
import { loadGolden, type Golden } from '@healthgpt/testing';
import { importRelease, type HealthGPT } from '../src/index.js';

/** A config section whose key starts with `prefix` (the fixture names them `text_config (Phi-3, …)`). */
export function section<T = Record<string, unknown>>(g: Golden, prefix: string): T {
  const hit = Object.entries(g.config).find(([k]) => k === prefix || k.startsWith(`${prefix} `));
  if (!hit) throw new Error(`${g.file}: no config section '${prefix}'`);
  return hit[1] as T;
}

/** Numbers of a tolerance string such as "atol 1e-5 + rtol 1e-3". */
export function tolerance(g: Golden, key: string): { atol: number; rtol: number } {
  const s = String((g.json.tolerance as Record<string, unknown>)[key] ?? '');
  const num = (name: string) => Number(new RegExp(`${name}\\s+([0-9.e+-]+)`).exec(s)?.[1] ?? 0);
  return { atol: num('atol'), rtol: num('rtol') };
}

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A `healthgpt_tiny` fixture: its label and folder (undefined: the shared golden folder). */
export interface TinyFixture {
  label: string;
  folder?: string;
}

/** The shared fixture and every committed seed folder (at least one must be committed). */
export function tinyFixtures(): TinyFixture[] {
  const seeds = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((d) => /^seed_\d+$/.test(d)).sort() : [];
  if (seeds.length === 0) throw new Error(`${FIXTURES}: no seed_<N> fixture folders (regenerate them with scripts/make_healthgpt_fixture.py)`);
  return [{ label: 'healthgpt_tiny, shared seed 1007' }, ...seeds.map((d) => ({ label: `healthgpt_tiny, ${d.replace('_', ' ')}`, folder: `${FIXTURES}${d}` }))];
}

export interface TinyRelease {
  g: Golden;
  phi3: Golden;
  clip: Golden;
  model: HealthGPT;
  dispose(): void;
}

/** The fixture model: the release's import path over the three fixture files of `folder` (default: the shared ones). */
export async function tinyRelease(folder?: string): Promise<TinyRelease> {
  const g = await loadGolden('healthgpt_tiny', folder);
  const phi3 = await loadGolden('phi3_tiny', folder);
  const clip = await loadGolden('clip_vision_tiny', folder);
  const decoder = new DecoderLM(section<DecoderConfigJson>(g, 'text_config'), { init: false });
  decoder.loadStateDict(phi3.weights);
  const visionTower = new CLIPVisionModel(section<Partial<CLIPVisionConfig>>(g, 'vision_config'), { init: false });
  visionTower.loadWeights(clip.weights);
  const llava = section<{ mm_vision_select_layer: number }>(g, 'llava');
  const hlora = section<{ lora_alpha: number }>(g, 'hlora');
  const model = importRelease({
    decoder,
    visionTower,
    plugins: { comprehension: g.weights },
    tasks: { comprehension: { selectLayer: llava.mm_vision_select_layer, loraAlpha: hlora.lora_alpha } },
  });
  return {
    g,
    phi3,
    clip,
    model,
    dispose() {
      model.dispose();
      [g, phi3, clip].forEach((x) => x.dispose());
    },
  };
}
