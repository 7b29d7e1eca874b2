/**
 * `npm run bench -- training`: training tokens/s of the shipped decoder (`@healthgpt/decoder`'s
 * DecoderLM, d 256, 4 layers, 4 heads, seq 128, vocab 1024; 3.7 M parameters) with tensor-core's
 * AdamW, per engine, and the same model from the same weights in PyTorch (train_decoder.py,
 * Debian's python3-torch) in the same run. The fastest engine and PyTorch alternate in rounds, so
 * load on a shared machine hits both alike: compare the ratio, not the absolute figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, backendInfo, BackendUnavailableError, useNativeMatmul } from '@healthgpt/tensor-core';
import { parameterCount } from '@healthgpt/decoder';
import { median, pathOf, torchPath, type BenchReport } from './report.js';
import { ENGINES, engineRows, ensureNativeBuilt } from './engines.js';
import { runTorch } from './torch.js';
import { BATCH, BENCH_DECODER, OPTIM, SEQ, BenchTrainer } from './train_decoder.js';

const SCRIPT = fileURLToPath(new URL('./train_decoder.py', import.meta.url));
const RSS_SCRIPT = fileURLToPath(new URL('./train_rss.ts', import.meta.url));
const ROUNDS = 3;
const STEPS_PER_ROUND = 3;
/**
 * Untimed steps at the start of every round, on both sides: PyTorch's fresh process needs them,
 * and our first step after PyTorch's round runs on caches PyTorch's process has just evicted.
 * Before, only PyTorch's were dropped, so our cold first step of each round counted against us.
 */
const WARMUP = 2;

const tokPerS = (ms: number[], batch: number) => (batch * SEQ * 1000) / median(ms);

/** Median tokens/s of `steps` steps after one warm-up step, and the last loss. */
function trainRate(steps: number, batch: number): { tok: number; loss: number } {
  const t = new BenchTrainer(batch);
  t.steps(1);
  const ms = t.steps(steps);
  t.dispose();
  return { tok: tokPerS(ms, batch), loss: t.losses[t.losses.length - 1] };
}

interface TorchRun {
  torch: string;
  params: number;
  ms: number[];
  losses: number[];
  max_rss_mb: number;
}

/** Peak RSS of training in a process of its own (bench/train_rss.ts), on the default path or wasm only; a string says why not. */
function ourPeakRss(steps: number, wasmOnly: boolean): { engine: string; matmul: string; max_rss_mb: number } | string {
  const env = { ...process.env, ...(wasmOnly ? { HEALTHGPT_NATIVE: '0' } : {}) };
  const r = spawnSync(process.execPath, ['--import', 'tsx', RSS_SCRIPT, String(steps)], { encoding: 'utf8', env, timeout: 900_000 });
  if (r.status !== 0) return `peak RSS run failed: ${(r.stderr || r.error?.message || '').trim().slice(-300)}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { engine: string; matmul: string; max_rss_mb: number };
}

export default async function bench(): Promise<BenchReport> {
  ensureNativeBuilt();
  const notes: string[] = [];
  const ours: { name: string; tok: number }[] = [];
  const rows = await engineRows((e, note) => {
    const { tok, loss } = trainRate(e.trainSteps, e.trainBatch);
    ours.push({ name: e.name, tok });
    return { run: e.name, ...pathOf(backendInfo()), 'train tok/s': tok, 'vs PyTorch': null, note: `${note ? `${note}; ` : ''}${e.trainBatch !== BATCH ? `batch ${e.trainBatch} (a batch-${BATCH} step is too slow here); ` : ''}${e.trainSteps} timed steps, loss after ${e.trainSteps + 1} steps ${loss.toFixed(3)}` };
  });
  useNativeMatmul(true);
  try {
    await initBackend({ backend: 'native' });
    rows.push({ run: 'tfjs-node', ...pathOf(backendInfo()), 'train tok/s': trainRate(5, BATCH).tok, 'vs PyTorch': null });
  } catch (e) {
    rows.push({ run: 'tfjs-node (native)', engine: 'tfjs-node (libtensorflow)', matmul: 'not installed', note: e instanceof BackendUnavailableError ? 'not installed (optional; its install downloads libtensorflow)' : String(e) });
  }

  console.error('# PyTorch, interleaved with the fastest engine');
  const best = ours.reduce((a, b) => (b.tok > a.tok ? b : a));
  await ENGINES.find((e) => e.name === best.name)!.setup();
  const bestPath = pathOf(backendInfo());
  const trainer = new BenchTrainer(BATCH);
  const dir = mkdtempSync(join(tmpdir(), 'healthgpt-bench-train-'));
  try {
    // PyTorch starts every round from these initial weights and ids.
    await trainer.model.savePretrained(dir);
    const settings = join(dir, 'settings.json');
    writeFileSync(settings, JSON.stringify({ ids: trainer.ids.arraySync(), lr: OPTIM.lr, betas: OPTIM.betas, eps: OPTIM.eps, weight_decay: OPTIM.weightDecay, warmup: WARMUP, steps: STEPS_PER_ROUND }));
    trainer.steps(1);
    const oursMs: number[] = [];
    const torchMs: number[] = [];
    let torch: TorchRun | string = '';
    for (let round = 0; round < ROUNDS; round++) {
      const t = runTorch<TorchRun>(SCRIPT, [dir, settings]);
      if (typeof t === 'string') {
        torch = t;
        break;
      }
      torchMs.push(...t.ms);
      if (round === 0) torch = t;
      trainer.steps(WARMUP);
      oursMs.push(...trainer.steps(STEPS_PER_ROUND));
    }
    if (typeof torch === 'string') {
      notes.push(torch);
    } else {
      const torchTok = tokPerS(torchMs, BATCH);
      const bestTok = tokPerS(oursMs, BATCH);
      const n = Math.min(trainer.losses.length, torch.losses.length);
      const lossGap = Math.max(...trainer.losses.slice(0, n).map((l, i) => Math.abs(l - (torch as TorchRun).losses[i])));
      rows.push({ run: `${best.name}, interleaved with PyTorch`, ...bestPath, 'train tok/s': bestTok, 'vs PyTorch': bestTok / torchTok, note: `${ROUNDS} rounds × ${STEPS_PER_ROUND} steps after ${WARMUP} warm-up steps each, alternating with PyTorch` });
      rows.push({ run: `PyTorch ${torch.torch}`, ...torchPath(torch.torch, 2), 'train tok/s': torchTok, 'vs PyTorch': 1, note: `${ROUNDS} rounds × ${STEPS_PER_ROUND} steps after ${WARMUP} warm-up steps each` });
      // Peak memory: each run trains warm-up + timed steps at batch BATCH in a process of its own.
      const rssSteps = WARMUP + STEPS_PER_ROUND;
      for (const wasmOnly of [false, true]) {
        const r = ourPeakRss(rssSteps, wasmOnly);
        if (typeof r === 'string') notes.push(r);
        else rows.push({ run: `peak RSS, ${wasmOnly ? 'wasm only (HEALTHGPT_NATIVE=0)' : 'default path'}`, engine: r.engine, matmul: r.matmul, 'peak RSS MB': Math.round(r.max_rss_mb), 'RSS vs PyTorch': r.max_rss_mb / torch.max_rss_mb, note: `its own process, ${rssSteps} steps at batch ${BATCH}` });
      }
      rows.push({ run: `peak RSS, PyTorch ${torch.torch}`, ...torchPath(torch.torch, 2), 'peak RSS MB': Math.round(torch.max_rss_mb), 'RSS vs PyTorch': 1, note: `its own process, ${rssSteps} steps at batch ${BATCH} (first round)` });
      for (const row of rows) if (typeof row['train tok/s'] === 'number' && row['vs PyTorch'] === null) row['vs PyTorch'] = (row['train tok/s'] as number) / torchTok;
      notes.push(
        `Like with like: PyTorch trains the same ${torch.params.toLocaleString('en-US')} parameters from the same safetensors and ids; the losses of the first ${n} steps agree within ${lossGap.toExponential(1)} (ours ${trainer.losses[0].toFixed(4)} → ${trainer.losses[n - 1].toFixed(4)}).`,
      );
    }
  } finally {
    trainer.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  await initBackend({ backend: 'wasm', threads: 1 });
  notes.unshift(
    `Model: @healthgpt/decoder DecoderLM (Phi-3 layout: RMSNorm, fused qkv, RoPE, SwiGLU ${BENCH_DECODER.intermediate_size}, untied head), d ${BENCH_DECODER.hidden_size}, ${BENCH_DECODER.num_hidden_layers} layers, ${BENCH_DECODER.num_attention_heads} heads, seq ${SEQ}, batch ${BATCH} (cpu: 1), vocab ${BENCH_DECODER.vocab_size}, ${parameterCount(BENCH_DECODER).toLocaleString('en-US')} parameters; loss = DecoderLM.forward's shifted cross-entropy; tensor-core AdamW (lr ${OPTIM.lr}, weight decay ${OPTIM.weightDecay} except rank-1 weights). Tokens/s = batch × seq / median step time after one warm-up step. Targets (issue "Fast by default"): the default install path (wasm + native BLAS) ≥ 1.2x PyTorch eager, the wasm-only path ≥ 0.4x; peak RSS shown beside PyTorch's.`,
    'On a shared machine absolute figures drift; the ratios within one run (the interleaved row above all) are the comparable figures.',
  );
  return { name: 'training', title: 'Training throughput of the shipped decoder per engine, against PyTorch', rows, notes };
}
