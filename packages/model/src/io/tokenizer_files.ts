import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FolderReader, FolderWriter } from '@healthgpt/tensor-core';
import { HFTokenizer, type TextTokenizer } from '@healthgpt/decoder';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
const TOKENIZER_FILES = [TOKENIZER_FILE, TOKENIZER_CONFIG_FILE];
/** A large vocabulary's tokenizer.json runs to several MB (more than the default bound on config files). */
const MAX_TOKENIZER_BYTES = 256 * 2 ** 20;

/**
 * Stage the text tokenizer's files (whatever its `save` writes: tokenizer.json and, when it has
 * one, tokenizer_config.json) in a folder save; the tokenizer files of an earlier save that this
 * one does not write are removed at commit.
 */
export async function stageTokenizer(w: FolderWriter, tokenizer: TextTokenizer | null): Promise<void> {
  const written = new Set<string>();
  if (tokenizer) {
    const tmp = await mkdtemp(join(tmpdir(), 'healthgpt-tokenizer-'));
    try {
      await tokenizer.save(tmp);
      for (const name of (await readdir(tmp)).sort()) {
        await w.file(name, await readFile(join(tmp, name)));
        written.add(name);
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  for (const f of TOKENIZER_FILES) if (!written.has(f)) w.remove(f);
}

/** The folder's tokenizer (tokenizer.json + tokenizer_config.json when present), or null when it has none. */
export async function readTokenizer(reader: FolderReader): Promise<HFTokenizer | null> {
  const json = await reader.readJson(TOKENIZER_FILE, { optional: true, maxBytes: MAX_TOKENIZER_BYTES });
  if (json === undefined) return null;
  const config = await reader.readJson(TOKENIZER_CONFIG_FILE, { optional: true });
  return new HFTokenizer(json as Record<string, unknown>, (config ?? {}) as Record<string, unknown>, reader.path(TOKENIZER_FILE));
}
