/** Small formatting helpers of the report. */

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A fraction as a percentage with one decimal; `–` when missing. */
export const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)} %`);

/** A p-value with three decimals (`< 0.001` below that); `–` when missing. */
export const pValue = (p: number | undefined): string => (p === undefined || !Number.isFinite(p) ? '–' : p < 0.001 ? '< 0.001' : p.toFixed(3));

/** A number with `d` decimals; `–` when missing. */
export const num = (x: number | undefined, d = 3): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

/** Seconds as `12.3 s` or `4 min 05 s`. */
export function duration(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - 60 * m)).padStart(2, '0')} s`;
}

/** A settings object flattened to dotted keys and printable values. */
export function flatten(o: unknown, prefix = ''): [string, string][] {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return [[prefix, Array.isArray(o) ? o.join(', ') : String(o)]];
  return Object.entries(o as Record<string, unknown>).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}
