import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { DatasetError, messageOf } from '../errors.js';
import { entryTarget } from './entry.js';
import { RATIO_FLOOR, type ExtractLimits } from './limits.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/**
 * Unpack a zip file into `into`, entry by entry (yauzl reads the central directory, so every
 * entry's name and size is checked before the first byte is written): entry count, total size
 * and ratio against the limits, names inside `into` (no `..`, no absolute path), no symbolic
 * links; each entry is streamed to disk and may not grow past the size it declares.
 */
export async function extractZip(file: string, archiveBytes: number, into: string, limits: ExtractLimits): Promise<{ entries: number; bytes: number }> {
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false, decodeStrings: true, strictFileNames: false, validateEntrySizes: true }, (e, z) => (e ? rej(e) : res(z))),
  ).catch((e) => {
    throw new DatasetError('DECODE', `cannot read zip archive: ${messageOf(e)}`, { file, cause: e });
  });
  try {
    if (zip.entryCount > limits.maxEntries) throw new DatasetError('TOO_LARGE', `zip archive has ${zip.entryCount} entries, more than the limit of ${limits.maxEntries} (maxEntries)`, { file });
    const entries = await listEntries(zip, file);
    let total = 0;
    for (const e of entries) {
      const name = e.fileName;
      if (((e.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) throw new DatasetError('UNSAFE_PATH', `zip entry "${name}" is a symbolic link; archives may hold only files and folders`, { file, key: name });
      entryTarget(into, name, file);
      total += e.uncompressedSize;
      if (total > limits.maxBytes) throw new DatasetError('TOO_LARGE', `zip archive unpacks to more than ${limits.maxBytes} bytes (maxBytes)`, { file, key: name });
    }
    if (total > RATIO_FLOOR && total > limits.maxRatio * archiveBytes)
      throw new DatasetError('TOO_LARGE', `zip archive of ${archiveBytes} bytes unpacks to ${total} bytes, a ratio above ${limits.maxRatio} (maxRatio)`, { file });
    for (const e of entries) {
      const target = entryTarget(into, e.fileName, file);
      if (target === null) continue;
      if (e.fileName.endsWith('/')) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      try {
        const src = await zip.openReadStreamPromise(e);
        await pipeline(src, createWriteStream(target));
      } catch (err) {
        throw new DatasetError('DECODE', `cannot unpack zip entry: ${messageOf(err)}`, { file, key: e.fileName, cause: err });
      }
    }
    return { entries: entries.length, bytes: total };
  } finally {
    zip.close();
  }
}

function listEntries(zip: yauzl.ZipFile, file: string): Promise<yauzl.Entry[]> {
  return new Promise((res, rej) => {
    const out: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      out.push(e);
      zip.readEntry();
    });
    zip.on('end', () => res(out));
    zip.on('error', (e: Error) => {
      const m = /^(absolute path|invalid relative path|invalid characters in fileName): (.*)$/s.exec(e.message);
      rej(m ? new DatasetError('UNSAFE_PATH', `zip entry "${m[2]}" is not a plain relative path inside the archive (${m[1]})`, { file, key: m[2], cause: e }) : new DatasetError('DECODE', `corrupt zip archive: ${e.message}`, { file, cause: e }));
    });
    zip.readEntry();
  });
}
