import { tf, initBackend } from '@healthgpt/tensor-core';
import { VQTokenizer, PRESETS, makeConfig } from './src/index.js';
const be = process.argv[2] as 'wasm' | 'cpu';
await initBackend({ backend: be });
for (const [name, cfg] of [
  ['f8_64px', PRESETS.f8_64px()],
  ['f8_64px_noattn_ch32_1111', makeConfig({ embed_dim: 64, n_embed: 256, kl_weight: 5e-4, ddconfig: { z_channels: 64, resolution: 64, ch: 32, ch_mult: [1, 1, 1, 2], num_res_blocks: 1, attn_resolutions: [] } })],
] as const) {
  const m = new VQTokenizer(cfg as any);
  m.train();
  const x = tf.randomUniform([8, 3, 64, 64], -1, 1);
  const opt = tf.train.adam(1e-3);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const o = m.trainForward(x, { temperature: 1, seed: i });
        return tf.add(tf.mean(tf.abs(tf.sub(o.recon, x))), o.loss) as tf.Scalar;
      }, m.parameters());
      opt.applyGradients(grads);
      value.dataSync();
    });
    console.log(be, name, 'step ms', (performance.now() - t0).toFixed(0), 'params', m.numParameters(), tf.memory().numTensors);
  }
  const t0 = performance.now();
  tf.tidy(() => m.reconstruct(x).dataSync());
  console.log('recon ms', performance.now() - t0);
}
