import { TensorCoreError } from '../../errors.js';
import { readExactly, type OpenedFile } from './safe_open.js';

/** JSON files (configs, shard indexes) larger than this are refused before they are read. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/**
 * Where JSON text stops being valid (JSON.parse does not always say): a small recursive-descent
 * scan, run only after a parse failed.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const lit = (word: string) => (text.startsWith(word, i) ? (i += word.length) : fail());
  const str = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || !m[0] || m[0] === '-') fail();
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 1000) fail();
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          str();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) return void i++;
        else fail();
      }
    }
    if (c === '"') return str();
    if (c === 't') return void lit('true');
    if (c === 'f') return void lit('false');
    if (c === 'n') return void lit('null');
    return num();
  };
  try {
    value(0);
    ws();
    return i < text.length ? i : -1;
  } catch (at) {
    return typeof at === 'number' ? at : -1;
  }
}

/**
 * Parse JSON text; a syntax error becomes a `CONFIG` error naming the file and the line. A
 * leading byte-order mark is skipped (some editors write one).
 */
export function parseJsonText(text: string, file: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (e) {
    const at = jsonErrorOffset(body);
    const where = at >= 0 ? lineColumn(body, at) : undefined;
    throw new TensorCoreError('CONFIG', `invalid JSON${where ? ` at column ${where.column}` : ''} (${(e as Error).message.split('\n')[0]})`, { file, line: where?.line, cause: e });
  }
}

/** Read and parse a whole JSON file already opened (see `openRegularFile`), refusing more than `maxBytes`. */
export async function readJsonFile(file: OpenedFile, maxBytes = MAX_JSON_BYTES): Promise<unknown> {
  if (file.size > maxBytes) throw new TensorCoreError('FOLDER', `is ${file.size} bytes, more than the ${maxBytes}-byte bound for JSON files`, { file: file.path });
  const bytes = await readExactly(file, file.size, 0, 'JSON');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new TensorCoreError('CONFIG', `is not valid UTF-8 text`, { file: file.path, cause: e });
  }
  return parseJsonText(text, file.path);
}
