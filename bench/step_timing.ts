/**
 * Median training tokens/s of the benchmark workload (bench/train_decoder.ts: the shipped
 * DecoderLM with tensor-core's AdamW) over a few steps, a quicker A/B than the training section:
 *   node --import tsx bench/step_timing.ts [steps] [threads]
 * Env: HEALTHGPT_NATIVE=0 (XNNPACK instead of the native BLAS).
 */
import { initBackend } from '@healthgpt/tensor-core';
import { median } from './report.js';
import { BATCH, SEQ, BenchTrainer } from './train_decoder.js';

const steps = Number(process.argv[2] ?? 7);
await initBackend({ backend: 'wasm', threads: Number(process.argv[3] ?? 1) });
const trainer = new BenchTrainer(BATCH);
trainer.steps(2);
const ms = trainer.steps(steps);
const med = median(ms);
console.log(`median step ${med.toFixed(0)} ms, ${((BATCH * SEQ * 1000) / med).toFixed(0)} tok/s (min ${Math.min(...ms).toFixed(0)} ms, ${steps} steps, loss ${trainer.losses.at(-1)!.toFixed(4)})`);
trainer.dispose();
