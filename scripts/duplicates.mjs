#!/usr/bin/env node
/**
 * Repeated code in packages/: blocks of MIN_LINES or more consecutive lines that are the same, or
 * the same up to names and literals (every identifier, string and number folded to one symbol),
 * in two places. Blank lines, comments, imports and lone punctuation do not count. A block that
 * stands in more than MAX_PLACES places is a language idiom, not a copy, and is not listed.
 * Pairs of files listed in CONTRIBUTING.md ("Repeated code we keep") are allowed.
 *
 *   node scripts/duplicates.mjs            # lists the pairs not allowed; exit 1 if any
 *   node scripts/duplicates.mjs --all      # lists every pair, allowed ones marked
 *
 * `findDuplicates` and `allowedPairs` are also used by scripts/duplicates.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIN_LINES = 6;
export const MAX_PLACES = 8;
const MIN_EXACT_TOKENS = 24;
const MIN_SHAPE_TOKENS = 60;
const THIN_TOKENS = 6;
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs|py|c|cc|cpp|h|hpp)$/;
const KEYWORDS = new Set(
  ('abstract as async await break case catch class const continue default delete do else enum export extends false finally for from function get ' +
    'if implements import in instanceof interface let new null of private protected public readonly return set static super switch this throw true ' +
    'try type typeof undefined var void while yield def elif lambda pass None True False not and or is with').split(' '),
);

/** A line's text without comments (string contents kept), tracking block comments across lines. */
function stripComments(lines, python) {
  let inBlock = false;
  return lines.map((line) => {
    let out = '';
    let quote = null;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (inBlock) {
        if (c === '*' && line[i + 1] === '/') (inBlock = false), i++;
        continue;
      }
      if (quote) {
        out += c;
        if (c === '\\') out += line[++i] ?? '';
        else if (c === quote) quote = null;
        continue;
      }
      if (python ? c === '#' : c === '/' && line[i + 1] === '/') break;
      if (!python && c === '/' && line[i + 1] === '*') {
        inBlock = true;
        i++;
        continue;
      }
      if (c === '"' || c === "'" || c === '`') quote = c;
      out += c;
    }
    return out.trim();
  });
}

const TOKEN = /\s*(?:("(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?|`(?:\\.|[^`\\])*`?)|(\d[\w.]*)|([A-Za-z_$][\w$]*)|(\S))/g;

/** A line's shape: identifiers → `a`, strings → `s`, numbers → `0`; keywords and punctuation kept. */
function shapeOf(text) {
  let out = '';
  let tokens = 0;
  for (const m of text.matchAll(TOKEN)) {
    tokens++;
    if (m[1] !== undefined) out += 's';
    else if (m[2] !== undefined) out += '0';
    else if (m[3] !== undefined) out += KEYWORDS.has(m[3]) ? ` ${m[3]} ` : 'a';
    else out += m[4];
  }
  return { shape: out.replace(/\s+/g, ' ').trim(), tokens };
}

const skipped = (t) => t === '' || /^[\s{}()[\];,.:]*$/.test(t) || /^(import\s|export\s.*\sfrom\s|from\s\S+\simport\s)/.test(t) || t === '*/';

/** The lines that count in one file: [{ line, shape }]. */
function countedLines(text, python) {
  const raw = text.split('\n');
  const stripped = stripComments(raw, python);
  const out = [];
  stripped.forEach((t, i) => {
    if (!skipped(t)) out.push({ line: i + 1, ...shapeOf(t), exact: t.replace(/\s+/g, ' ') });
  });
  return out;
}

/** The source files git tracks (and untracked, not ignored ones) under `dir`, relative to it. */
export function sourceFiles(dir) {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '.'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  return [...new Set(out.split('\0'))].filter((f) => f && SOURCE.test(f) && !/(^|\/)(node_modules|dist|build|vendor|third_party)\//.test(f));
}

/**
 * Every pair of places sharing a run of at least MIN_LINES counted lines alike, as
 * { a: { file, from, to }, b: { file, from, to }, exact } (one row per pair of files: the longest run).
 */
export function findDuplicates(dir) {
  const files = sourceFiles(dir).map((file) => {
    let text = '';
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch {
      /* a file listed by git but deleted in the work tree */
    }
    return { file, lines: countedLines(text, file.endsWith('.py')) };
  });
  const windows = new Map();
  const add = (key, place) => {
    let places = windows.get(key);
    if (!places) windows.set(key, (places = []));
    places.push(place);
  };
  files.forEach((f, fi) => {
    for (let i = 0; i + MIN_LINES <= f.lines.length; i++) {
      const w = f.lines.slice(i, i + MIN_LINES);
      const tokens = w.reduce((n, l) => n + l.tokens, 0);
      // Identical text counts when it is more than a few words; alike shapes only when most lines
      // carry an expression (runs of `name?: Type;` fields, `a,` lists or codes are thin).
      if (tokens >= MIN_EXACT_TOKENS) add(`=${w.map((l) => l.exact).join('\n')}`, [fi, i]);
      if (tokens >= MIN_SHAPE_TOKENS && w.filter((l) => l.tokens > THIN_TOKENS).length >= MIN_LINES - 1) add(`~${w.map((l) => l.shape).join('\n')}`, [fi, i]);
    }
  });
  // Matching windows, by pair of files: the runs they form (consecutive starts on both sides).
  const pairs = new Map();
  for (const places of windows.values()) {
    if (places.length < 2 || places.length > MAX_PLACES) continue;
    for (let x = 0; x < places.length; x++)
      for (let y = x + 1; y < places.length; y++) {
        const [[fa, ia], [fb, ib]] = [places[x], places[y]].sort((p, q) => p[0] - q[0] || p[1] - q[1]);
        if (fa === fb && ib - ia < MIN_LINES) continue; // a run overlapping itself (repeated lines)
        const k = `${fa} ${fb}`;
        if (!pairs.has(k)) pairs.set(k, new Set());
        pairs.get(k).add(`${ia} ${ib}`);
      }
  }
  const rows = [];
  for (const [k, starts] of pairs) {
    const [fa, fb] = k.split(' ').map(Number);
    let best = null;
    for (const s of starts) {
      const [ia, ib] = s.split(' ').map(Number);
      if (starts.has(`${ia - 1} ${ib - 1}`)) continue; // not the start of a run
      let n = 0;
      while (starts.has(`${ia + n + 1} ${ib + n + 1}`)) n++;
      if (!best || n > best.n) best = { ia, ib, n };
    }
    const A = files[fa].lines;
    const B = files[fb].lines;
    const len = best.n + MIN_LINES;
    const exact = A.slice(best.ia, best.ia + len).every((l, i) => l.exact === B[best.ib + i].exact);
    rows.push({
      a: { file: files[fa].file, from: A[best.ia].line, to: A[best.ia + len - 1].line },
      b: { file: files[fb].file, from: B[best.ib].line, to: B[best.ib + len - 1].line },
      lines: len,
      exact,
    });
  }
  return rows.sort((p, q) => q.lines - p.lines || p.a.file.localeCompare(q.a.file));
}

const globToRegExp = (g) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\0/g, '.*')}$`);

/**
 * The allowed pairs: the rows of the table under "## Repeated code we keep" in CONTRIBUTING.md,
 * `| \`glob\` | \`glob\` | reason |`, paths relative to packages/.
 */
export function allowedPairs(contributing) {
  const section = contributing.split(/^## /m).find((s) => s.startsWith('Repeated code we keep'));
  if (!section) return [];
  const rows = [];
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*(.+?)\s*\|\s*$/.exec(line);
    if (m) rows.push({ a: m[1], b: m[2], reason: m[3], test: [globToRegExp(m[1]), globToRegExp(m[2])] });
  }
  return rows;
}

export function isAllowed(row, allowed) {
  return allowed.some(({ test: [x, y] }) => (x.test(row.a.file) && y.test(row.b.file)) || (x.test(row.b.file) && y.test(row.a.file)));
}

export const formatRow = (r) => `${r.a.file}:${r.a.from}-${r.a.to} ~ ${r.b.file}:${r.b.from}-${r.b.to} (${r.lines} lines${r.exact ? ', identical' : ', alike up to names and literals'})`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const rows = findDuplicates(join(root, 'packages'));
  const allowed = allowedPairs(readFileSync(join(root, 'CONTRIBUTING.md'), 'utf8'));
  const all = process.argv.includes('--all');
  const bad = rows.filter((r) => !isAllowed(r, allowed));
  for (const r of all ? rows : bad) console.log(`${isAllowed(r, allowed) ? 'allowed ' : ''}${formatRow(r)}`);
  console.log(`${bad.length} repeated blocks of ${MIN_LINES}+ lines not listed in CONTRIBUTING.md (${rows.length - bad.length} listed)`);
  process.exitCode = bad.length ? 1 : 0;
}
