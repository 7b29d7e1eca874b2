/**
 * Every model-folder loader (decoder, CLIP, VQ, assembled model, adapter) answers a hostile or
 * careless folder with its own package's typed error naming the file: never a generic
 * RangeError / TypeError / SyntaxError, and a byte-order mark before valid JSON is not an error
 * of its own.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@healthgpt/testing';
import { Module } from '@healthgpt/tensor-core';
import { DecoderLM } from '@healthgpt/decoder';
import { CLIPVisionModel } from '@healthgpt/vision-encoder';
import { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { loadAdapter } from '@healthgpt/h-lora';
import { fromPretrained } from '@healthgpt/model';

const LOADERS: { error: string; configFile: string; load: (dir: string) => Promise<unknown> }[] = [
  { error: 'DecoderError', configFile: 'config.json', load: (d) => DecoderLM.fromPretrained(d) },
  { error: 'VisionEncoderError', configFile: 'config.json', load: (d) => CLIPVisionModel.fromPretrained(d) },
  { error: 'VQTokenizerError', configFile: 'config.json', load: (d) => VQTokenizer.fromPretrained(d) },
  { error: 'ModelError', configFile: 'config.json', load: (d) => fromPretrained(d) },
  { error: 'HLoraError', configFile: 'adapter_config.json', load: (d) => loadAdapter(new Module(), d) },
];

/** JSON-ish texts a careless or hostile user may leave in a config or an index. */
const jsonText = fc.oneof(
  fc.constantFrom('null', '[]', '"x"', '7', 'true', '{', '', '\uFEFF', '{"a":1}{'),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom('model_type', 'hidden_size', 'num_hidden_layers', 'r', 'lora_alpha', 'ddconfig', 'vision_config', 'weight_map'), fc.oneof(fc.constant(null), fc.constant(1e12), fc.constant(-1), fc.constant('8'), fc.constant([]))).map((o) => JSON.stringify(o)),
);

async function failure(load: (dir: string) => Promise<unknown>, dir: string): Promise<{ name: string; file?: string; message: string } | null> {
  return load(dir).then(
    () => null,
    (e: { name: string; file?: string; message: string }) => e,
  );
}

describe('hostile model folders', () => {
  it.each(LOADERS)('$error: any config text (and any shard index) is a typed error naming a file of the folder (fuzz)', async ({ error, configFile, load }) => {
    await fc.assert(
      fc.asyncProperty(jsonText, fc.option(jsonText), fc.boolean(), async (config, index, bom) => {
        const dir = tempDir('hostile-folder');
        writeFileSync(join(dir, configFile), (bom ? '\uFEFF' : '') + config);
        if (index !== null) writeFileSync(join(dir, 'model.safetensors.index.json'), index);
        const e = await failure(load, dir);
        expect(e, 'a folder without weights never loads').not.toBeNull();
        expect(e!.name, e!.message).toBe(error);
        expect(e!.file, e!.message).toContain(dir);
      }),
      { numRuns: 25 },
    );
  });

  it.each(LOADERS)('$error: a byte-order mark before the JSON is read past', async ({ configFile, load }) => {
    const plain = tempDir('bom-plain');
    const marked = tempDir('bom-marked');
    writeFileSync(join(plain, configFile), '{}');
    writeFileSync(join(marked, configFile), '\uFEFF{}');
    const [a, b] = [await failure(load, plain), await failure(load, marked)];
    expect(b!.message.replace(marked, '<dir>')).toBe(a!.message.replace(plain, '<dir>'));
  });
});
