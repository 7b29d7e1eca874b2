import { REPORT_CSS } from './style.js';
import { lossCurveSvg } from './svg.js';
import { pngDataUri } from './images.js';
import { questionTypeTable } from './question_types.js';
import { duration, esc, flatten, num, pct, pValue } from './format.js';
import type { ComprehensionExampleLike, ComprehensionRowLike, GenerationExampleLike, ReportData } from './types.js';

const BASELINE_NAMES: Record<string, string> = { majority: 'majority answer', questionOnly: 'question-only best answer', identity: 'identity (output = input)' };
const baselineName = (k: string) => BASELINE_NAMES[k] ?? k;

/** `better` when `ours` beats every baseline, `worse` when one beats it, '' when there is nothing to compare. */
function judge(ours: number | undefined, theirs: readonly (number | undefined)[], higherIsBetter: boolean): string {
  const vs = theirs.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (ours === undefined || !Number.isFinite(ours) || !vs.length) return '';
  const beats = (v: number) => (higherIsBetter ? ours > v : ours < v);
  const loses = (v: number) => (higherIsBetter ? ours < v : ours > v);
  return vs.every(beats) ? 'better' : vs.some(loses) ? 'worse' : '';
}

/** The metric a comprehension row is judged by, and how to print it. */
function rowMetrics(r: ComprehensionRowLike): { key: 'accuracy' | 'recall' | 'bleu4' | 'rougeL'; label: string; fmt: (x?: number) => string }[] {
  if (r.bleu4 !== undefined || r.rougeL !== undefined)
    return [
      { key: 'bleu4', label: 'BLEU-4', fmt: (x) => num(x, 3) },
      { key: 'rougeL', label: 'ROUGE-L', fmt: (x) => num(x, 3) },
    ];
  const m: ReturnType<typeof rowMetrics> = [{ key: 'accuracy', label: r.answerType === 'CLOSED' ? 'accuracy' : 'exact match', fmt: pct }];
  if (r.recall !== undefined) m.push({ key: 'recall', label: 'token recall', fmt: pct });
  return m;
}

function comprehensionTable(rows: readonly ComprehensionRowLike[]): string {
  if (!rows.length) return '<p class="muted">No comprehension samples were evaluated.</p>';
  const baselines = [...new Set(rows.flatMap((r) => Object.keys(r.baselines)))];
  const head = `<tr><th>subtask</th><th>questions</th><th>n</th><th>metric</th><th>model</th>${baselines.map((b) => `<th>${esc(baselineName(b))}</th>`).join('')}</tr>`;
  const body = rows.flatMap((r) =>
    rowMetrics(r).map((m) => {
      const ours = r[m.key];
      const theirs = baselines.map((b) => r.baselines[b]?.[m.key]);
      const cells = theirs.map((v) => `<td>${m.fmt(v)}</td>`);
      return `<tr><td>${esc(r.subtask)}</td><td class="text">${esc(r.answerType.toLowerCase())}</td><td>${r.n}</td><td class="text">${m.label}</td><td class="model ${judge(ours, theirs, true)}">${m.fmt(ours)}</td>${cells.join('')}</tr>`;
    }),
  );
  return `<table class="metrics comprehension"><thead>${head}</thead><tbody>${body.join('')}</tbody></table><p class="note">A baseline never looks at the image: the <b>majority answer</b> is the training split's most frequent answer of the question's answer type; the <b>question-only best answer</b> is the answer seen most often with the same question in training (else with its question type). Both learn from the data set's own training samples (not from question pairs a run adds to its training data). Green: the model beats every baseline; red: a baseline beats the model.</p>`;
}

function generationTable(rows: ReportData['generation']): string {
  if (!rows.length) return '<p class="muted">No generation samples were evaluated.</p>';
  const head = '<tr><th>task</th><th>n</th><th>SSIM model</th><th>SSIM identity</th><th>PSNR model (dB)</th><th>PSNR identity (dB)</th><th>MSE model</th><th>MSE identity</th></tr>';
  const body = rows.map(
    (g) =>
      `<tr><td>${esc(g.subtask)}</td><td>${g.n}</td><td class="model ${judge(g.model.ssim, [g.identity.ssim], true)}">${num(g.model.ssim)}</td><td>${num(g.identity.ssim)}</td><td class="model ${judge(g.model.psnr, [g.identity.psnr], true)}">${num(g.model.psnr, 2)}</td><td>${num(g.identity.psnr, 2)}</td><td class="model ${judge(g.model.mse, [g.identity.mse], false)}">${num(g.model.mse, 1)}</td><td>${num(g.identity.mse, 1)}</td></tr>`,
  );
  return `<table class="metrics generation"><thead>${head}</thead><tbody>${body.join('')}</tbody></table><p class="note">The <b>identity</b> baseline returns the input itself (upsampled bilinearly where sizes differ); scores are computed at the image tokenizer's resolution. Reconstruction's identity baseline is perfect by construction: the row shows how close the round trip through the image tokens comes.</p>`;
}

async function generationFigures(examples: readonly GenerationExampleLike[]): Promise<string> {
  if (!examples.length) return '<p class="muted">No images were generated.</p>';
  const out: string[] = [];
  for (const task of [...new Set(examples.map((e) => e.subtask))]) {
    const figs: string[] = [];
    for (const e of examples.filter((x) => x.subtask === task)) {
      const cell = async (label: string, img: GenerationExampleLike['input']) =>
        `<div class="cell"><img class="px" alt="${esc(`${label} of ${e.id}`)}" data-role="${label}" src="${await pngDataUri(img)}"><div>${label} ${img.width}×${img.height}</div></div>`;
      figs.push(
        `<figure data-task="${esc(task)}"><div class="row">${await cell('input', e.input)}${await cell('target', e.target)}${await cell('output', e.output)}</div><figcaption>${esc(e.instruction)} · SSIM ${num(e.scores.ssim)} · PSNR ${num(e.scores.psnr, 1)} dB · <code>${esc(e.id)}</code></figcaption></figure>`,
      );
    }
    out.push(`<h3>${esc(task)}</h3><div class="gen">${figs.join('')}</div>`);
  }
  return out.join('');
}

async function vqaExamples(examples: readonly ComprehensionExampleLike[]): Promise<string> {
  if (!examples.length) return '<p class="muted">No question was evaluated.</p>';
  const rows = async (list: readonly ComprehensionExampleLike[]) => {
    const r: string[] = [];
    for (const e of list)
      r.push(
        `<tr data-correct="${e.correct}">${e.image ? `<td><img class="thumb" alt="${esc(`image of ${e.id}`)}" src="${await pngDataUri(e.image)}"></td>` : '<td></td>'}<td class="text">${esc(e.subtask)}${e.answerType ? ` · ${esc(e.answerType.toLowerCase())}` : ''}</td><td class="text">${esc(e.question)}</td><td class="text">${esc(e.reference)}</td><td class="text ${e.correct ? 'ok' : 'no'}">${esc(e.prediction || '(empty)')}</td></tr>`,
      );
    return r.join('');
  };
  const right = examples.filter((e) => e.correct);
  const wrong = examples.filter((e) => !e.correct);
  const head = '<tr><th></th><th class="text">subtask</th><th class="text">question</th><th class="text">truth</th><th class="text">model</th></tr>';
  const part = async (title: string, list: readonly ComprehensionExampleLike[]) =>
    `<h3>${title} (${list.length})</h3>${list.length ? `<table class="examples">${head}${await rows(list)}</table>` : '<p class="muted">None among the examples kept.</p>'}`;
  return (await part('Answered right', right)) + (await part('Answered wrong', wrong));
}

function verdict(d: ReportData): string {
  if (!d.verdict) return '';
  const c = d.verdict.comprehension;
  const badges = [
    `<div class="badge ${c.passed ? 'pass' : 'fail'}"><b>closed questions, held out (n = ${c.n})</b><span class="v">${pct(c.accuracy)}</span> <span class="muted">vs question-only ${pct(c.questionOnly)}; ${c.wins} won, ${c.losses} lost, sign test p = ${pValue(c.pValue)}</span></div>`,
    ...Object.entries(d.verdict.generation).map(
      ([task, g]) => `<div class="badge ${g.passed ? 'pass' : 'fail'}"><b>${esc(task)}, SSIM (n = ${g.n})</b><span class="v">${num(g.ssim)}</span> <span class="muted">vs identity ${num(g.identity)}</span></div>`,
    ),
  ];
  return `<div class="verdict" data-passed="${d.verdict.passed}">${badges.join('')}</div>`;
}

function stage0(d: ReportData): string {
  if (!d.stage0) return '';
  const s = d.stage0;
  return `<h2 id="stage0">Stage 0: the parts, trained from nothing</h2><table class="stage0"><tr><th>part</th><th class="text">measure (held out)</th><th>before</th><th>after</th></tr>
<tr><td>decoder (language model)</td><td class="text">perplexity</td><td>${num(s.decoder.perplexityBefore, 1)}</td><td class="model">${num(s.decoder.perplexityAfter, 1)}</td></tr>
${Object.keys(s.vision.probe.pretrained).map((k) => `<tr><td>vision tower</td><td class="text">linear probe: ${esc(k)}</td><td>${pct(s.vision.probe.random[k])}</td><td class="model">${pct(s.vision.probe.pretrained[k])}</td></tr>`).join('')}
${s.vq ? `<tr><td>VQ image tokenizer</td><td class="text">reconstruction PSNR / SSIM, codes used</td><td>–</td><td class="model">${num(s.vq.psnr, 2)} dB / ${num(s.vq.ssim)} / ${s.vq.usedCodes} of ${s.vq.codebookSize}</td></tr>` : ''}</table>
<p class="note">"Before" is the same part with its random initial weights.</p>`;
}

function kv(entries: readonly [string, string][]): string {
  return `<dl class="kv">${entries.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

/**
 * The run's report as one self-contained HTML page: no script, no network, every image inlined
 * as a PNG data URI and every loss curve an inline SVG. Sections: the verdict, timings (and what
 * was reused from an earlier run), loss curves per stage, stage 0's evidence, the metric tables
 * with every baseline beside the model, generated images beside inputs and targets, VQA examples
 * right and wrong, the settings, backend and files.
 */
export async function renderReportHtml(d: ReportData): Promise<string> {
  const stages = Object.entries(d.lossCurves);
  const timings = Object.entries(d.timings).filter(([k]) => k !== 'total');
  const reuse = d.reused.length
    ? `<div class="reuse" id="reused"><b>Reused from an earlier run</b> (made then, not again now):<ul>${d.reused.map((r) => `<li>${esc(r.what)}: ${esc(r.detail)}</li>`).join('')}</ul><code>--fresh</code> makes everything again.</div>`
    : '<p class="muted" id="reused">Everything in this report was made by this run.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)}</title><style>${REPORT_CSS}</style></head>
<body><main>
<h1>${esc(d.title)}</h1>
<p class="muted"><code>${esc(d.command)}</code> · finished ${esc(d.finishedAt)} · ${esc(d.backend.engine)}, ${esc(d.backend.matmul)} · ${duration(d.timings.total)}${d.cpuSeconds !== undefined ? ` (CPU time ${duration(d.cpuSeconds)})` : ''}</p>
${verdict(d)}
${reuse}
<h2 id="timings">Timings</h2>
<table><tr><th>phase</th><th>wall clock</th></tr>${timings.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${duration(v)}</td></tr>`).join('')}<tr><td><b>total</b></td><td><b>${duration(d.timings.total)}</b></td></tr></table>
<h2 id="curves">Loss curves</h2>
<div class="curves">${stages.map(([name, ys]) => lossCurveSvg(name, ys)).join('')}</div>
<p class="note">Light: the loss of each optimizer step; dark: its moving average.</p>
${stage0(d)}
<h2 id="comprehension">Comprehension (held-out samples)</h2>
${comprehensionTable(d.comprehension)}
${questionTypeTable(d.comprehension)}
<h2 id="generation">Generation (held-out samples)</h2>
${generationTable(d.generation)}
<h2 id="images">Generated images</h2>
${await generationFigures(d.examples.generation)}
<h2 id="vqa">Questions and answers</h2>
${await vqaExamples(d.examples.comprehension)}
<h2 id="settings">Settings</h2>
${kv(flatten(d.settings))}
<h2 id="backend">Backend</h2>
${kv([
  ['engine', d.backend.engine],
  ['matmul', d.backend.matmul],
  ['faster', d.backend.hint ?? 'nothing to change'],
])}
<h2 id="files">Files</h2>
${kv(Object.entries(d.files))}
</main></body></html>
`;
}
