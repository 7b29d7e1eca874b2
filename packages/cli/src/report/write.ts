import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '@healthgpt/tensor-core/base';
import { encodePng } from '@healthgpt/vl-health';
import { renderReportHtml } from './html.js';
import { composeGrid } from './figure.js';
import type { ReportData } from './types.js';

export const REPORT_FILE = 'report.html';
export const METRICS_FILE = 'metrics.json';
export const FIGURE_FILE = 'figure.png';

/** The report's numbers and texts without its images: what `metrics.json` holds. */
export function reportMetrics(d: ReportData): Record<string, unknown> {
  return {
    title: d.title,
    command: d.command,
    finishedAt: d.finishedAt,
    verdict: d.verdict ?? null,
    comprehension: d.comprehension,
    generation: d.generation,
    stage0: d.stage0 ?? null,
    timings: d.timings,
    cpuSeconds: d.cpuSeconds ?? null,
    reused: d.reused,
    settings: d.settings,
    backend: d.backend,
    lossCurves: d.lossCurves,
    examples: {
      comprehension: d.examples.comprehension.map(({ image: _image, ...e }) => e),
      generation: d.examples.generation.map((e) => ({ id: e.id, subtask: e.subtask, instruction: e.instruction, scores: e.scores, sizes: { input: [e.input.width, e.input.height], target: [e.target.width, e.target.height], output: [e.output.width, e.output.height] } })),
    },
    files: d.files,
  };
}

/**
 * Write a run's report into `dir`: `report.html` (self-contained), `metrics.json` and, when the run
 * generated images, `figure.png` (one row per generation task: input, target, output). Each file is
 * written atomically. Returns their paths.
 */
export async function writeReport(dir: string, d: ReportData): Promise<{ html: string; metrics: string; figure: string | null }> {
  await mkdir(dir, { recursive: true });
  const html = join(dir, REPORT_FILE);
  const metrics = join(dir, METRICS_FILE);
  const withFiles: ReportData = { ...d, files: { ...d.files, report: html, metrics } };
  const tasks = [...new Set(d.examples.generation.map((e) => e.subtask))];
  let figure: string | null = null;
  if (tasks.length) {
    figure = join(dir, FIGURE_FILE);
    withFiles.files.figure = figure;
    const rows = tasks.map((t) => d.examples.generation.find((e) => e.subtask === t)!).map((e) => [e.input, e.target, e.output]);
    await writeFileAtomic(figure, await encodePng(composeGrid(rows)));
  }
  await writeFileAtomic(metrics, JSON.stringify(reportMetrics(withFiles), null, 2) + '\n');
  await writeFileAtomic(html, await renderReportHtml(withFiles));
  return { html, metrics, figure };
}
