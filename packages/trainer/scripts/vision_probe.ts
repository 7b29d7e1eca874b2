/**
 * Stage 0's vision part alone, as `healthgpt demo` runs it (the demo's synthetic set and BPE
 * tokenizer, `trainStage0Vision`), at any budget: the held-out linear probes of every scene label
 * on the mean patch feature (what the report shows) and on the patch features side by side, and
 * the training seconds, as one JSON line:
 *   node --import tsx packages/trainer/scripts/vision_probe.ts [--seed 0] [--steps N] [--batch B] [--lr X]
 * Unset options keep the `demo` budget's.
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { initBackend, tf } from '@healthgpt/tensor-core';
import { healthGPTPreset } from '@healthgpt/model';
import { clipImageProcessorConfig, preprocessSteps } from '@healthgpt/vision-encoder';
import { PIPELINE_BUDGETS, syntheticData, trainTokenizer, sampleDocuments, linearProbe } from '../src/index.js';
import { defaultCaptions, probeLabelSet, sceneLabels } from '../src/pipeline/stage0.js';
import { trainStage0Vision } from '../src/stage0/vision_stage.js';

const { values: args } = parseArgs({ options: { seed: { type: 'string', default: '0' }, steps: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' } } });
const seed = Number(args.seed);
const named = PIPELINE_BUDGETS.demo.stage0.vision;
const budget = { steps: Number(args.steps ?? named.steps), batchSize: Number(args.batch ?? named.batchSize), lr: Number(args.lr ?? named.lr) };
console.error('backend', JSON.stringify(await initBackend()));
const spec = healthGPTPreset('tiny');
const data = syntheticData('tiny', PIPELINE_BUDGETS.demo.scenes, seed);
const tokenizer = trainTokenizer(sampleDocuments(data.train), { vocabSize: spec.image_tokens?.first_id ?? 1024, template: spec.template });
const probe = { train: probeLabelSet(data.train, sceneLabels), heldOut: probeLabelSet(data.heldOut, sceneLabels) };
const t0 = performance.now();
const r = await trainStage0Vision({ config: spec.vision_config, tokenizer, captions: defaultCaptions(data.train), probe, images: data.images, budget, seed, trainer: { progress: false } });
const seconds = (performance.now() - t0) / 1000;
// the patch features of hidden state −2 side by side (what the projector reads), probed the same way
const size = spec.vision_config.image_size!;
const proc = clipImageProcessorConfig(size);
const patches = async (m: ReadonlyMap<string, Record<string, string>>) => {
  const rows: number[][] = [];
  for (const p of m.keys()) {
    const x = tf.tensor4d(preprocessSteps(await data.images(p), proc).pixelValues, [1, 3, size, size]);
    const f = tf.tidy(() => {
      const hs = r.tower.forward(x).hiddenStates;
      return hs[hs.length - 2].slice([0, 1, 0], [-1, -1, -1]).reshape([-1]);
    });
    rows.push([...(f.dataSync() as Float32Array)]);
    tf.dispose([x, f]);
  }
  return rows;
};
const [pa, pb] = [await patches(probe.train), await patches(probe.heldOut)];
const keys = Object.keys(r.probe.pretrained);
const la = [...probe.train.values()];
const lb = [...probe.heldOut.values()];
const patchProbe = Object.fromEntries(keys.map((k) => [k, +linearProbe({ x: pa, y: la.map((l) => l[k]) }, { x: pb, y: lb.map((l) => l[k]) }, { lambda: 1 }).toFixed(3)]));
const round = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, +v.toFixed(3)]));
console.log(JSON.stringify({ seed, budget, random: round(r.probe.random), pretrained: round(r.probe.pretrained), patches: patchProbe, lastLoss: +r.stage.history.at(-1)!.loss.toFixed(3), seconds: +seconds.toFixed(1), load: +loadavg()[0].toFixed(1) }));
r.tower.dispose();
