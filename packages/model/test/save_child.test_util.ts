// A process that saves versions start, start+1, … of a HealthGPT folder with the package's own
// `savePretrained` until it is killed, printing `committed <v>` after each commit. Version v:
// config.json's max_length = base + v, every parameter (base, both plugins, the VQ tokenizer)
// filled with v, and the tokenizer's chat template naming v. Run by the kill test after bundling.
import { readFileSync } from 'node:fs';
import { tf } from '@healthgpt/tensor-core';
import { HealthGPT, healthGPTPreset } from '../src/index.js';
import { tinyConfig, tinyTokenizer } from './tiny.test_util.js';

interface ChildSpec {
  dir: string;
  field: string;
  base: number;
  start: number;
}

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as ChildSpec;
await tf.setBackend('cpu');
const tok = tinyTokenizer(healthGPTPreset('tiny').vq_config!.n_embed);

process.stdout.write('started\n');
for (let v = spec.start; ; v++) {
  const model = new HealthGPT(tinyConfig(tok, (c) => void (c[spec.field] = spec.base + v)), { init: false, tokenizer: tok });
  for (const [, p] of [...model.namedParameters(), ...(model.vq?.namedParameters() ?? [])]) tf.tidy(() => p.assign(tf.fill(p.shape, v)));
  tok.setChatTemplate(`{# version ${v} #}{% for m in messages %}{{ m.content }}{% endfor %}`);
  await model.savePretrained(spec.dir);
  model.dispose();
  process.stdout.write(`committed ${v}\n`);
}
