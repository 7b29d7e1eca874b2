/**
 * Evaluate a saved tokenizer (or trainer checkpoint) on held-out synthetic phantoms:
 * node --import tsx packages/vq-tokenizer/scripts/eval_checkpoint.ts <dir> [--n 128] [--seed 999]
 */
import { parseArgs } from 'node:util';
import { initBackend } from '@healthgpt/tensor-core';
import { VQTokenizer, evaluateTokenizer } from '../src/index.js';
import { phantoms } from '../src/phantoms.test_util.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { n: { type: 'string', default: '128' }, seed: { type: 'string', default: '999' }, backend: { type: 'string', default: 'wasm' } } });
await initBackend({ backend: values.backend as 'wasm' | 'cpu' });
const model = await VQTokenizer.fromPretrained(positionals[0]);
const size = model.config.ddconfig.resolution;
const heldout = phantoms(Number(values.n), { size, seed: Number(values.seed) });
const r = evaluateTokenizer(model, heldout);
console.log(JSON.stringify({ dir: positionals[0], ...r, bar: { psnr: 24, perplexity: r.codebookSize / 4 }, met: r.psnr >= 24 && r.perplexity >= r.codebookSize / 4 }, null, 2));
heldout.dispose();
model.dispose();
