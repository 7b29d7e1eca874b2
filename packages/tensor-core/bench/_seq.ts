import { tf, initBackend } from '../src/index.js';
import { useNativeMatmul, nativeBlas } from '../src/kernels/native.js';
import { TinyDecoder, BENCH_CONFIG, trainStep, syntheticBatch } from './tiny_decoder.js';
function run(label: string) {
  const model = new TinyDecoder(BENCH_CONFIG);
  const opt = tf.train.adam(1e-3);
  const { ids, labels } = syntheticBatch(BENCH_CONFIG, 8);
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) { const t0 = performance.now(); const l = trainStep(model, opt, ids, labels); l.dataSync(); l.dispose(); ms.push(performance.now() - t0); }
  console.log(label, ms.map((m) => m.toFixed(0)).join(' '));
  tf.dispose([ids, labels]); opt.dispose(); model.dispose();
}
await initBackend({ backend: 'wasm', threads: 1 }); useNativeMatmul(true); nativeBlas()!.setThreads(2);
run('native first');
if (process.argv[2] === 'threads') { useNativeMatmul(false); await initBackend({ backend: 'wasm', threads: 2 }); run('xnn 2 threads'); }
await initBackend({ backend: 'wasm', threads: 1 }); useNativeMatmul(true);
run('native after');
