import { initBackend, tf } from '@healthgpt/tensor-core';
import { HealthGPT } from '@healthgpt/model';
import { clipImageProcessorConfig, preprocessSteps } from '@healthgpt/vision-encoder';
import { PIPELINE_BUDGETS, syntheticData } from '../src/index.js';
await initBackend();
const [dir, seed] = [process.argv[2], Number(process.argv[3] ?? 0)];
const model = await HealthGPT.fromPretrained(dir);
const data = syntheticData('tiny', PIPELINE_BUDGETS.demo.scenes, seed);
const imgs = [...new Set(data.heldOut.filter((s) => s.subtask === 'vqa').map((s) => s.images[0]))].slice(0, 32);
const proc = clipImageProcessorConfig(32);
const px = new Float32Array(imgs.length * 3 * 32 * 32);
for (const [i, p] of imgs.entries()) px.set(preprocessSteps(await data.images(p), proc).pixelValues, i * 3 * 32 * 32);
const x = tf.tensor4d(px, [imgs.length, 3, 32, 32]);
const f = model.encodeImages(x, 'comprehension'); // [N, P, H]
const stats = tf.tidy(() => {
  const mean = tf.mean(f, 0); // per position/channel mean across images
  const across = tf.mean(tf.sqrt(tf.mean(tf.square(tf.sub(f, mean)), 0))); // std across images
  const norm = tf.mean(tf.norm(f, 'euclidean', -1));
  const emb = model.namedParameters().find(([n]) => n === 'model.embed_tokens.weight')![1];
  const enorm = tf.mean(tf.norm(emb, 'euclidean', -1));
  return [across.dataSync()[0], norm.dataSync()[0], enorm.dataSync()[0], tf.mean(tf.norm(mean, 'euclidean', -1)).dataSync()[0]];
});
console.log(JSON.stringify({ dir, shape: f.shape, stdAcrossImages: stats[0], featureNorm: stats[1], meanFeatureNorm: stats[3], tokenEmbeddingNorm: stats[2] }));
