import { tf, initBackend } from '../src/index.js';
import { TinyDecoder, BENCH_CONFIG, syntheticBatch } from './tiny_decoder.js';
await initBackend({ backend: 'wasm' });
const model = new TinyDecoder(BENCH_CONFIG);
const vars = model.trainableParameters().map(([, v]) => v);
const opt = tf.train.adam(1e-3);
const { ids, labels } = syntheticBatch(BENCH_CONFIG, 8);
const cpu = (f: () => void) => { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); return (c.user + c.system) / 1000; };
for (let i = 0; i < 6; i++) {
  const fwd = cpu(() => tf.tidy(() => { model.loss(ids, labels).dataSync(); }));
  let grads: tf.NamedTensorMap = {};
  const fb = cpu(() => { const r = tf.variableGrads(() => model.loss(ids, labels) as tf.Scalar, vars); grads = r.grads; r.value.dataSync(); r.value.dispose(); });
  const upd = cpu(() => { opt.applyGradients(grads); tf.dispose(grads); (vars[0].dataSync()); });
  if (i >= 2) console.log(`forward ${fwd.toFixed(0)} fwd+bwd ${fb.toFixed(0)} adam ${upd.toFixed(0)} ms cpu`);
}
