/** An SVG loss curve (self-contained, no script): the raw loss, a smoothed line over it, and labelled axes. */

const W = 360;
const H = 200;
const M = { left: 52, right: 12, top: 40, bottom: 34 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A number for an axis label: 3 significant digits. */
function tick(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1000 || a < 0.01 ? x.toExponential(1) : x.toPrecision(3).replace(/\.?0+$/, '');
}

/** Exponential moving average with a window of about `n / 10` steps. */
export function smooth(ys: readonly number[]): number[] {
  const alpha = Math.min(1, 10 / Math.max(ys.length, 1));
  const out: number[] = [];
  let m = ys[0];
  ys.forEach((y, i) => out.push((m = i === 0 ? y : alpha * y + (1 - alpha) * m)));
  return out;
}

/**
 * The curve of `losses` (one per step) titled `title`. Non-finite values are left out; a loss that
 * spans more than a factor of 20 is drawn on a log scale (said on the axis). The `<svg>` carries
 * `data-stage`, `data-steps` and `data-first`/`data-last` so tests (and readers of the source) can check it.
 */
export function lossCurveSvg(title: string, losses: readonly number[]): string {
  const pts = losses.map((y, i) => [i + 1, y] as const).filter(([, y]) => Number.isFinite(y));
  const head = `<svg class="curve" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(`loss of ${title}`)}" data-stage="${esc(title)}" data-steps="${losses.length}"`;
  if (pts.length === 0) return `${head}><text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">${esc(title)}: no finite loss recorded</text></svg>`;
  const ys = pts.map(([, y]) => y);
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const log = lo > 0 && hi / lo > 20;
  const f = (y: number) => (log ? Math.log10(y) : y);
  const [a, b] = lo === hi ? [f(lo) - 1, f(hi) + 1] : [f(lo), f(hi)];
  const n = Math.max(pts.length > 1 ? pts[pts.length - 1][0] : 2, 2);
  const x = (i: number) => M.left + ((i - 1) / (n - 1)) * (W - M.left - M.right);
  const y = (v: number) => M.top + (1 - (f(v) - a) / (b - a)) * (H - M.top - M.bottom);
  const line = (p: readonly (readonly [number, number])[]) => p.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const sm = smooth(ys);
  const yTicks = lo === hi ? [lo] : [lo, hi];
  const parts = [
    `${head} data-first="${tick(ys[0])}" data-last="${tick(ys[ys.length - 1])}">`,
    `<text x="${M.left}" y="16" class="title">${esc(title)}</text>`,
    `<text x="${W - M.right}" y="32" text-anchor="end" class="note">${esc(`${tick(ys[0])} → ${tick(sm[sm.length - 1])}`)}</text>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" class="axis"/>`,
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" class="axis"/>`,
    ...yTicks.map((v) => `<text x="${M.left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${tick(v)}</text>`),
    `<text x="${M.left}" y="${H - M.bottom + 14}" class="tick">1</text>`,
    `<text x="${W - M.right}" y="${H - M.bottom + 14}" text-anchor="end" class="tick">${n}</text>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle" class="tick">optimizer step</text>`,
    `<text x="12" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 12 ${(M.top + H - M.bottom) / 2})" class="tick">loss${log ? ' (log)' : ''}</text>`,
    `<polyline points="${line(pts)}" class="raw"/>`,
    pts.length > 1 ? `<polyline points="${line(pts.map(([i], k) => [i, sm[k]] as const))}" class="smooth"/>` : `<circle cx="${x(pts[0][0])}" cy="${y(pts[0][1])}" r="3" class="smooth"/>`,
    '</svg>',
  ];
  return parts.join('');
}
