/**
 * Peak resident memory of training the benchmark decoder, in a process of its own (so nothing
 * else the benchmark ran counts): `node --import tsx bench/train_rss.ts STEPS` trains BATCH × SEQ
 * for STEPS steps on the default path (HEALTHGPT_NATIVE=0: wasm only) and prints one JSON line
 * {engine, matmul, steps, max_rss_mb}.
 */
import { initBackend, backendInfo } from '@healthgpt/tensor-core';
import { BATCH, BenchTrainer } from './train_decoder.js';
import { pathOf } from './report.js';

const steps = Number(process.argv[2] ?? 5);
await initBackend(); // the default: auto (tfjs-node when installed, else wasm with the native BLAS when built)
const trainer = new BenchTrainer(BATCH);
trainer.steps(steps);
trainer.dispose();
// resourceUsage().maxRSS is in KiB.
console.log(JSON.stringify({ ...pathOf(backendInfo()), steps, max_rss_mb: process.resourceUsage().maxRSS / 1024 }));
