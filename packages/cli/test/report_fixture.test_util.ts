import type { RawImage } from '@healthgpt/tensor-core/base';
import { generateSynth } from '@healthgpt/vl-health';
import type { ReportData } from '../src/report/types.js';

const raw = (g: { width: number; height: number; data: Float32Array }): RawImage => ({ width: g.width, height: g.height, channels: 1, data: g.data });

/** An 8-bit RGB copy of a grey image (what the model's VQ decoder returns), darkened by `k`. */
function rgb(img: RawImage, k = 0.9): RawImage {
  const d = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) d.fill(Math.round(255 * k * (img.data[i] as number)), 3 * i, 3 * i + 3);
  return { width: img.width, height: img.height, channels: 3, data: d };
}

/**
 * A report's data built from the synthetic set's real images (inputs and targets of each
 * generation task, VQA questions with their answers), with loss curves and scores given here:
 * what the renderer is tested on, apart from any training.
 */
export function reportFixture(): ReportData {
  const set = generateSynth({ seed: 3, count: 12, size: 32 });
  const img = (p: string) => raw(set.images.get(p)!);
  const gen = set.samples.filter((s) => s.task === 'generation' && s.subtask !== 'denoising');
  const vqa = set.samples.filter((s) => s.subtask === 'vqa').slice(0, 6);
  const decay = (n: number, a: number, b: number) => Array.from({ length: n }, (_, i) => b + (a - b) * Math.exp(-i / (n / 4)) + 0.05 * Math.sin(i));
  return {
    title: 'HealthGPT.ts demo report',
    command: 'healthgpt demo --quick',
    finishedAt: '2026-11-29T21:00:00.000Z',
    settings: { preset: 'tiny', seed: 0, budget: { scenes: 160, stages: { alignment: 15, fusion: 15, instruction: 60 } } },
    backend: { engine: 'wasm (SIMD, 2 threads)', matmul: 'native BLAS: OpenBLAS 0.3.21 (pthreads), 2 threads', hint: null },
    timings: { data: 0.4, stage0: 30.2, stages: 20.1, evaluate: 8.3, total: 59.0 },
    cpuSeconds: 101.5,
    reused: [{ what: 'the synthetic set', detail: 'seed 0, 160 scenes, written by the run of 2026-11-29T20:50:00Z' }],
    lossCurves: { 'stage0-decoder': decay(60, 6, 2.5), 'stage0-vq': decay(80, 0.9, 0.1).map((x) => x * x), alignment: [4.1, Number.NaN, 3.2, 2.9], fusion: [2.5] },
    stage0: {
      decoder: { perplexityBefore: 540.2, perplexityAfter: 14.8 },
      vision: { probe: { random: { modality: 0.41, organ: 0.52 }, pretrained: { modality: 0.83, organ: 0.9 } } },
      vq: { psnr: 24.3, ssim: 0.71, usedCodes: 51, codebookSize: 64 },
    },
    comprehension: [
      {
        subtask: 'vqa',
        answerType: 'CLOSED',
        n: 16,
        accuracy: 0.625,
        baselines: { majority: { accuracy: 0.5 }, questionOnly: { accuracy: 0.5625 } },
        byQuestionType: {
          organ: { n: 8, accuracy: 0.875, baselines: { majority: 0.5, questionOnly: 0.5 }, paired: { questionOnly: { wins: 3, losses: 0, pValue: 0.125 } } },
          side: { n: 8, accuracy: 0.375, baselines: { majority: 0.5, questionOnly: 0.625 }, paired: { questionOnly: { wins: 1, losses: 3, pValue: 0.9375 } } },
        },
      },
      { subtask: 'vqa', answerType: 'OPEN', n: 16, accuracy: 0.25, recall: 0.31, baselines: { majority: { accuracy: 0.125, recall: 0.2 }, questionOnly: { accuracy: 0.3125, recall: 0.35 } } },
      { subtask: 'caption', answerType: 'TEXT', n: 8, bleu4: 0.21, rougeL: 0.48, baselines: { majority: { bleu4: 0.1, rougeL: 0.3 } } },
    ],
    generation: [
      { subtask: 'super-resolution', n: 4, model: { ssim: 0.61, psnr: 21.2, mse: 480.1 }, identity: { ssim: 0.52, psnr: 19.9, mse: 650.3 } },
      { subtask: 'modality-conversion', n: 4, model: { ssim: 0.44, psnr: 17.0, mse: 1200 }, identity: { ssim: 0.31, psnr: 13.2, mse: 3100 } },
    ],
    examples: {
      comprehension: vqa.map((s, i) => ({
        id: s.id,
        subtask: 'vqa',
        answerType: String(s.metadata.answerType),
        question: s.conversations[0].value.replace('<image>\n', ''),
        reference: s.conversations[1].value,
        prediction: i % 3 === 0 ? 'no <b>idea</b>' : s.conversations[1].value,
        correct: i % 3 !== 0,
        image: img(s.images[0]),
      })),
      generation: gen.map((s) => ({ id: s.id, subtask: s.subtask!, instruction: s.conversations[0].value.replace('<image>\n', ''), input: img(s.images[0]), target: img(s.targetImage!), output: rgb(img(s.targetImage!)), scores: { ssim: 0.5, psnr: 20, mse: 600 } })),
    },
    verdict: { comprehension: { accuracy: 0.875, questionOnly: 0.5, n: 16, wins: 6, losses: 0, pValue: 1 / 64, passed: true }, generation: { 'super-resolution': { ssim: 0.61, identity: 0.52, n: 4, passed: true }, 'modality-conversion': { ssim: 0.44, identity: 0.31, n: 3, passed: true } }, passed: true },
    files: { model: '/tmp/healthgpt-demo/model' },
  };
}
