/**
 * encode / decode throughput of the GumbelVQ tokenizer (random weights) on the wasm backend:
 * the 64 px demo preset (f8_64px, 8×8 codes) and the released f8-8192 architecture at 256 px
 * (32×32 codes, batch 1, few repeats). `npm run bench -- vq-tokenizer`
 */
import { initBackend, tf } from '@healthgpt/tensor-core';
import { timeIt, pathOf, type BenchReport } from '../../../bench/report.js';
import { PRESETS, VQTokenizer, type VQConfig } from '../src/index.js';
import { phantoms } from '../src/phantoms.test_util.js';

async function measure(name: string, cfg: VQConfig, batch: number, repeats: number): Promise<Record<string, string | number>> {
  const model = new VQTokenizer(cfg, { seed: 1 });
  const size = cfg.ddconfig.resolution;
  const x = phantoms(batch, { size, seed: 1 });
  const idx = model.encode(x);
  const enc = await timeIt(() => tf.tidy(() => model.encode(x).dataSync()), { warmup: 0, repeats });
  const dec = await timeIt(() => tf.tidy(() => model.decode(idx).dataSync()), { warmup: 0, repeats });
  const row = {
    model: name,
    px: size,
    codes: `${idx.shape[1]}×${idx.shape[2]}`,
    params: model.numParameters(),
    batch,
    'encode ms/batch': enc.median,
    'encode img/s': (1000 * batch) / enc.median,
    'decode ms/batch': dec.median,
    'decode img/s': (1000 * batch) / dec.median,
    'decode/encode time': dec.median / enc.median,
  };
  tf.dispose([x, idx]);
  model.dispose();
  return row;
}

export default async function bench(): Promise<BenchReport> {
  const info = await initBackend({ backend: 'wasm' });
  const rows = [await measure('f8_64px (demo)', PRESETS.f8_64px(), 8, 3), await measure('f8_8192 (HealthGPT codec, random weights)', PRESETS.f8_8192(), 1, 2)].map((row) => ({ ...row, ...pathOf(info) }));
  return {
    name: 'vq-tokenizer',
    title: `vq-tokenizer: encode / decode throughput (${info.name}${info.simd ? ' SIMD' : ''}, ${info.threads} thread)`,
    rows,
    notes: [
      'Random weights; encode = encoder + quant_conv + quantize.proj + argmax, decode = codebook lookup + post_quant_conv + decoder.',
      'Medians of few repeats on a shared 2-core machine: absolute figures are noisy; the decode/encode ratio within a row is the stable figure.',
    ],
  };
}
