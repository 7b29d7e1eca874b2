import { FolderReader, withFolderWriter, type FolderWriter } from '@healthgpt/tensor-core';
import { HealthGPTError } from '@healthgpt/tensor-core/base';
import { toVisionError } from '../model/config.js';
import { imageProcessorConfigSchema, resolveImageProcessorConfig, type CLIPImageProcessorConfig } from './processor_config.js';

/** HF's name of an image processor's config file. */
export const PROCESSOR_CONFIG_FILE = 'preprocessor_config.json';

/**
 * Read `preprocessor_config.json` from a folder (HF CLIPImageProcessor or the older
 * CLIPFeatureExtractor form), type-checked: a wrong field is a `VisionEncoderError` naming the file
 * and field. `source` may be a `FolderReader` (a sub-folder of a bigger model).
 */
export async function loadImageProcessorConfig(source: string | FolderReader): Promise<CLIPImageProcessorConfig> {
  try {
    const reader = await FolderReader.from(source);
    return await reader.readConfig(PROCESSOR_CONFIG_FILE, imageProcessorConfigSchema, { what: 'an image processor config' });
  } catch (e) {
    throw e instanceof HealthGPTError ? toVisionError(e) : e;
  }
}

/** Write `preprocessor_config.json` into a folder as one whole save (or stage it in a `FolderWriter`). */
export async function saveImageProcessorConfig(target: string | FolderWriter, config: Partial<CLIPImageProcessorConfig>): Promise<void> {
  const resolved = resolveImageProcessorConfig(config);
  try {
    await withFolderWriter(target, (w) => w.json(PROCESSOR_CONFIG_FILE, resolved));
  } catch (e) {
    throw e instanceof HealthGPTError ? toVisionError(e) : e;
  }
}
