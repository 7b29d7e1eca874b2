// A process that saves versions 1, 2, 3, … of a folder until it is killed, printing
// `committed <v>` after each commit (stdout is synchronous on a pipe, so a printed commit is done).
// Run by `killDuringSaves` after bundling; it loads no TensorFlow.js (tensors are plain data).
import { readFileSync } from 'node:fs';
import { FolderWriter, saveModelFolder, type TensorData } from '@healthgpt/tensor-core/base';
import type { KillSpec } from './spec.js';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as KillSpec;

/** Every tensor filled with `v`: the parent checks every value against the config's version. */
const filled = (tensors: [string, number[]][], v: number): [string, TensorData][] =>
  tensors.map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return [name, { shape, dtype: 'float32', dataSync: () => new Float32Array(n).fill(v) }];
  });

async function save(v: number): Promise<void> {
  const w = await FolderWriter.open(spec.dir);
  try {
    const config = { ...spec.config, [spec.field]: spec.base + spec.scale * v };
    if (spec.layout === 'model') {
      // Odd versions sharded, even ones one file: every save also removes the other layout's files.
      await saveModelFolder(w, { config, weights: filled(spec.tensors, v), maxShardBytes: v % 2 ? spec.shardBytes : undefined });
      await w.json('tokenizer.json', { version: v });
      await saveModelFolder(w.sub('vq'), { config: { version: v }, weights: filled([['x', [4]]], v) });
    } else {
      await w.json(spec.configFile, config);
      await w.safetensors(spec.weightsFile, filled(spec.tensors, v), { metadata: { format: 'pt' } });
    }
    await w.commit();
  } catch (e) {
    await w.abort();
    throw e;
  }
}

process.stdout.write('started\n');
for (let v = spec.start; ; v++) {
  await save(v);
  process.stdout.write(`committed ${v}\n`);
}
