import { join } from 'node:path';
import { writeFileAtomic } from '@healthgpt/tensor-core';
import { readJson } from '../model/checkpoint.js';
import { resolveImageProcessorConfig, type CLIPImageProcessorConfig } from './processor_config.js';

/** Read `dir/preprocessor_config.json` (HF CLIPImageProcessor or the older CLIPFeatureExtractor form). */
export async function loadImageProcessorConfig(dir: string): Promise<CLIPImageProcessorConfig> {
  const file = join(dir, 'preprocessor_config.json');
  return resolveImageProcessorConfig(await readJson(file), file);
}

/** Write `dir/preprocessor_config.json` atomically. */
export async function saveImageProcessorConfig(dir: string, config: Partial<CLIPImageProcessorConfig>): Promise<void> {
  await writeFileAtomic(join(dir, 'preprocessor_config.json'), JSON.stringify(resolveImageProcessorConfig(config), null, 2) + '\n');
}
