import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { HealthGPT } from '@healthgpt/model';
import type { RawImage } from '@healthgpt/tensor-core';
import { CliError } from '../errors.js';
import { existingDir, existingFile } from './args.js';

/** Load a model folder written by `healthgpt train` / `demo` (or `savePretrained`), checked first. */
export async function loadModel(dir: string, o: { int8?: boolean } = {}): Promise<HealthGPT> {
  const abs = existingDir('--model', dir);
  CliError.check(existsSync(join(abs, 'config.json')), 'MISSING', `--model ${dir}: no config.json: not a model folder (healthgpt train and healthgpt demo write one, e.g. healthgpt-demo/model)`);
  const { HealthGPT } = await import('@healthgpt/model');
  return HealthGPT.fromPretrained(abs, o.int8 ? { quantize: 'int8' } : {});
}

/** Read an image file (PNG, JPEG, WebP, DICOM, NIfTI) named by `flag`. */
export async function loadImageFile(flag: string, file: string): Promise<RawImage> {
  const abs = existingFile(flag, file);
  const { loadImage } = await import('@healthgpt/vl-health');
  return loadImage(dirname(abs), basename(abs));
}
