import type { Writable } from 'node:stream';

/** Where a command writes: results to `out`, progress and messages to `err`. */
export interface Io {
  out: Writable & { isTTY?: boolean };
  err: Writable & { isTTY?: boolean };
}

export const processIo = (): Io => ({ out: process.stdout, err: process.stderr });

/** Print a line of results. */
export function say(io: Io, text = ''): void {
  io.out.write(text + '\n');
}

/** Print a line of news (progress, where a file went) on stderr, so stdout stays the results. */
export function note(io: Io, text: string): void {
  io.err.write(text + '\n');
}

/** `value` as pretty JSON on stdout (for `--json`). */
export function printJson(io: Io, value: unknown): void {
  io.out.write(JSON.stringify(value, null, 2) + '\n');
}

/** Seconds with a sensible number of digits. */
export function seconds(s: number): string {
  return s >= 100 ? `${s.toFixed(0)} s` : s >= 10 ? `${s.toFixed(1)} s` : `${s.toFixed(2)} s`;
}

/** A fraction as a percentage, e.g. `56.3 %`; `–` when not a number. */
export function percent(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)} %`;
}

/** Columns padded to their widest cell (the first column left-aligned, the others right-aligned). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}
