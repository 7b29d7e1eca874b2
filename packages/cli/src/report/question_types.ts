import { esc, pct, pValue } from './format.js';
import type { ComprehensionRowLike } from './types.js';

/**
 * The VQA rows per question type (closed and open, not their union): the model's accuracy beside
 * each baseline's, and the questions won and lost against the question-only best answer. Empty
 * when no row names question types.
 */
export function questionTypeTable(rows: readonly ComprehensionRowLike[]): string {
  const typed = rows.filter((r) => r.answerType !== 'ALL' && r.byQuestionType && Object.keys(r.byQuestionType).length);
  if (!typed.length) return '';
  const baselines = [...new Set(typed.flatMap((r) => Object.values(r.byQuestionType!).flatMap((t) => Object.keys(t.baselines))))];
  const head = `<tr><th>subtask</th><th>questions</th><th>question type</th><th>n</th><th>model</th>${baselines.map((b) => `<th>${esc(b === 'questionOnly' ? 'question-only' : b)}</th>`).join('')}<th>won / lost vs question-only</th><th>sign test p</th></tr>`;
  const body = typed.flatMap((r) =>
    Object.entries(r.byQuestionType!).map(([type, t]) => {
      const q = t.paired?.questionOnly;
      const best = Math.max(...baselines.map((b) => t.baselines[b] ?? -Infinity));
      const cls = !baselines.length ? '' : t.accuracy > best ? 'better' : t.accuracy < best ? 'worse' : '';
      return `<tr data-type="${esc(type)}"><td>${esc(r.subtask)}</td><td class="text">${esc(r.answerType.toLowerCase())}</td><td class="text">${esc(type)}</td><td>${t.n}</td><td class="model ${cls}">${pct(t.accuracy)}</td>${baselines.map((b) => `<td>${pct(t.baselines[b])}</td>`).join('')}<td>${q ? `${q.wins} / ${q.losses}` : '–'}</td><td>${pValue(q?.pValue)}</td></tr>`;
    }),
  );
  return `<h3 id="question-types">By question type</h3><table class="metrics question-types"><thead>${head}</thead><tbody>${body.join('')}</tbody></table><p class="note">Exact-match accuracy per kind of question. Where the model only matches the question-only best answer, it answers that kind as the question text alone would; where it leads, it reads the answer from the image.</p>`;
}
