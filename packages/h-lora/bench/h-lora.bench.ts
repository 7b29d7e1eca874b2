/**
 * Forward + backward time of a stack of adapted layers (d 1024, total rank R = 64, 4096 tokens
 * per step, base frozen, gradients for the adapter only) for plain LoRA, DoRA, H-LoRA and looped
 * MoE-LoRA at k = 2, 4, 8, 32, as ratios to LoRA measured in the same run.
 *
 * Paired, interleaved rounds (see bench/README.md, "Paired ratios"): each round times every
 * config against LoRA back to back in the order LoRA, config, config, LoRA (drift during the
 * quartet cancels to first order), the timed region being `HLORA_BENCH_STEPS` steps after a forced
 * garbage collection; the configs' order is shuffled per round. A config's ratio is the median of
 * its per-round paired ratios; its spread is the 95 % bootstrap interval of that median, beside
 * the interquartile range of the per-round ratios. The native BLAS runs on a pinned thread count.
 *
 * Env: HLORA_BENCH_LAYERS (2), HLORA_BENCH_TOKENS (4096), HLORA_BENCH_ROUNDS (15, at least 5),
 * HLORA_BENCH_D (1024), HLORA_BENCH_STEPS (1: steps per timed region), HLORA_BENCH_THREADS
 * (1: native BLAS threads), HLORA_BENCH_CONFIGS (comma-separated labels; default all).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { tf, initBackend, backendInfo, Module, Linear, Generator, normal, type Tensor } from '@healthgpt/tensor-core';
import { injectAdapters, markOnlyAdapterTrainable, adaptedLayers, type AdaptedLinear } from '../src/index.js';
import { nativeBlas } from '@healthgpt/tensor-core/internal';
import { median, pathOf, type BenchReport } from '../../../bench/report.js';
import { pairedSpread } from '../../../bench/paired.js';

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const D = env('HLORA_BENCH_D', 1024);
const LAYERS = env('HLORA_BENCH_LAYERS', 2);
const TOKENS = env('HLORA_BENCH_TOKENS', 4096);
const ROUNDS = Math.max(5, env('HLORA_BENCH_ROUNDS', 15));
const STEPS = Math.max(1, env('HLORA_BENCH_STEPS', 1));
const THREADS = Math.max(1, env('HLORA_BENCH_THREADS', 1));
const R = 64;
const ALPHA = 128;

/** `layers.{i}` = Linear(D, D), run one after another. */
class Stack extends Module {
  constructor(gen: Generator) {
    super();
    for (let i = 0; i < LAYERS; i++) this.registerModule(`l${i}`, new Linear(D, D, { bias: false, gen }));
  }

  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      let h = x;
      for (let i = 0; i < LAYERS; i++) h = this.child<Linear>(`l${i}`).forward(h);
      return h;
    });
  }
}

interface Config {
  label: string;
  kind: string;
  k: number | null;
}

// A second, identical LoRA stack: its ratio to the first is the noise floor of this run.
const CONFIGS: Config[] = [
  { label: 'lora', kind: 'lora', k: null },
  { label: 'lora (same again)', kind: 'lora', k: null },
  { label: 'dora', kind: 'dora', k: null },
];
for (const k of [2, 4, 8, 32]) CONFIGS.push({ label: `hlora k=${k}`, kind: 'hlora', k }, { label: `moe-lora k=${k}`, kind: 'moe-lora', k });
const wanted = process.env.HLORA_BENCH_CONFIGS?.split(',').map((x) => x.trim());
const RUN = CONFIGS.filter((c, i) => i === 0 || !wanted || wanted.includes(c.label));

setFlagsFromString('--expose-gc');
/** The engine's full collection (exposed above), run before each timed region so none starts with another's garbage. */
const collect = runInNewContext('gc') as () => void;

function build(c: Config): Stack {
  const m = new Stack(new Generator(1));
  const config = c.k === null ? { r: R, loraAlpha: ALPHA } : { r: R, loraAlpha: ALPHA, loraNums: c.k };
  injectAdapters(m, { targets: (p) => p.startsWith('l'), kind: c.kind, config, gen: new Generator(2) });
  // Non-zero B, as after some training (a zero B would not change the work, but keeps it honest).
  const gen = new Generator(3);
  for (const [, l] of adaptedLayers(m)) for (const [rel, v] of (l as AdaptedLinear).adapterState('default')) if (rel.startsWith('lora_B')) tf.tidy(() => v.assign(normal(v.shape, 0, 0.01, gen)));
  markOnlyAdapterTrainable(m, 'default');
  return m.train();
}

function step(m: Stack, x: Tensor, gy: Tensor): void {
  const { loss, grads } = m.computeGradients(() => tf.sum(tf.mul(m.forward(x), gy)) as tf.Scalar); // L = Σ y·g
  loss.dataSync();
  for (const g of grads.values()) g.dataSync();
  tf.dispose([loss, ...grads.values()]);
}

/** ms of STEPS steps of m, after a full garbage collection. */
function timed(m: Stack, x: Tensor, gy: Tensor): number {
  collect();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) step(m, x, gy);
  return performance.now() - t0;
}

export default async function bench(): Promise<BenchReport> {
  await initBackend({ backend: 'wasm' });
  nativeBlas()?.setThreads(THREADS);
  const gen = new Generator(4);
  const x = normal([TOKENS, D], 0, 1, gen); // [N, D]
  const gy = normal([TOKENS, D], 0, 1, gen); // [N, D]
  const models = RUN.map(build);
  // ratios[i]: config i's per-round paired ratio to LoRA; loraMs: every LoRA timing.
  const ratios: number[][] = RUN.map(() => []);
  const loraMs: number[] = [];
  const order = new Generator(5);
  for (let round = -1; round < ROUNDS; round++) {
    // A fresh order each round, so no config always follows the same one (allocator and cache state).
    for (const i of order.shuffle(models.map((_, j) => j).slice(1))) {
      const [l1, c1, c2, l2] = [0, i, i, 0].map((j) => timed(models[j], x, gy)); // LoRA, config, config, LoRA
      if (round < 0) continue; // warm-up round
      ratios[i].push((c1 + c2) / (l1 + l2));
      loraMs.push(l1 / STEPS, l2 / STEPS);
    }
    console.error(`# h-lora bench: round ${round + 1}/${ROUNDS} done`);
  }
  const rows = RUN.slice(1).map((c, j) => {
    const s = pairedSpread(ratios[j + 1], new Generator(6 + j));
    const pct = (v: number) => Number(((v / s.median) * 100).toFixed(1));
    return { config: c.label, ...pathOf(backendInfo()), experts: c.k, 'ratio to lora': Number(s.median.toFixed(3)), 'median 95% CI': `${s.ciLow.toFixed(3)}–${s.ciHigh.toFixed(3)}`, 'CI ±%': pct((s.ciHigh - s.ciLow) / 2), 'IQR ±%': pct((s.q3 - s.q1) / 2), 'min–max': `${s.min.toFixed(3)}–${s.max.toFixed(3)}` };
  });
  const hlora = rows.filter((r) => r.config.startsWith('hlora'));
  const worst = hlora.length ? Math.max(...hlora.map((r) => r['ratio to lora'])) : NaN;
  const widest = hlora.length ? Math.max(...hlora.map((r) => r['CI ±%'])) : NaN;
  const noise = rows.find((r) => r.config === 'lora (same again)');
  models.forEach((m) => m.dispose());
  tf.dispose([x, gy]);
  const threads = nativeBlas() ? `native BLAS pinned to ${THREADS} thread${THREADS === 1 ? '' : 's'}` : 'no native BLAS';
  return {
    name: 'h-lora',
    title: `Adapter forward + backward: ${LAYERS} layers of d ${D}, R ${R}, ${TOKENS} tokens/step (${tf.getBackend()} backend), paired rounds`,
    rows,
    notes: [
      `Paired rounds: ${ROUNDS} after a warm-up round; in each, every config runs against LoRA as LoRA, config, config, LoRA back to back (configs in a shuffled order), each timed region ${STEPS} step${STEPS === 1 ? '' : 's'} after a forced full GC; the round's ratio is (config + config) / (LoRA + LoRA). LoRA step: median ${Math.round(median(loraMs))} ms.`,
      'ratio to lora = median of the per-round ratios. median 95% CI = percentile bootstrap (2,000 resamples of the rounds) of that median, CI ±% its half-width over the median: how precisely this run pins the ratio. IQR ±% = half the interquartile range of the per-round ratios over the median: how much one round scatters. min–max: the extreme rounds.',
      `Target: hlora ≤ 1.05x lora at every k with a spread under 5 %. Worst hlora ratio here: ${worst.toFixed(3)}x (${worst <= 1.05 ? 'met' : 'NOT met'}); widest CI ±${widest}% (${widest < 5 ? 'under' : 'NOT under'} 5 %).${noise ? ` The identical second LoRA stack measured ${noise['ratio to lora']}x (CI ${noise['median 95% CI']}): the noise floor.` : ''}`,
      'Base weights frozen; gradients for the adapter parameters only (the base matmuls still run forward and back for dX).',
      'Paper (PyTorch, GPU): hlora ≈ 1.00x; looped MoE-LoRA 1.22x (k=2), 1.49x (k=4), 2.09x (k=8), 5.81x (k=32).',
      `Path: ${backendInfo().engine}; matmuls on ${backendInfo().matmul.label} (HEALTHGPT_NATIVE=0 runs them on wasm); ${threads} (HLORA_BENCH_THREADS).`,
      'Timings come from a machine shared with other jobs; compare ratios, not absolute times.',
    ],
  };
}
