import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { DatasetError, messageOf } from '../errors.js';
import { RATIO_FLOOR, type ExtractLimits } from './limits.js';
import { entryTarget } from './entry.js';

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/**
 * Unpack a tar or tar.gz file into `into` as a stream, entry by entry: gzip is inflated here so
 * the unpacked byte count and its ratio to the bytes read are checked as data flows; each entry's
 * header (name inside `into`, a file or folder — never a link or device —, size within the total)
 * is checked before its data is written.
 */
export async function extractTar(file: string, gzip: boolean, into: string, limits: ExtractLimits): Promise<{ entries: number; bytes: number }> {
  let readBytes = 0;
  let unpacked = 0;
  let declared = 0;
  let entries = 0;
  let failure: DatasetError | undefined;
  const writes: Promise<void>[] = [];
  const outs = new Set<NodeJS.WritableStream & { destroy(): void }>();
  const fail = (e: DatasetError) => {
    failure ??= e;
  };
  const parser = new Parser({
    strict: true,
    maxDecompressionRatio: Infinity, // the ratio is checked here, over the whole archive
    onReadEntry: (entry: ReadEntry) => {
      if (failure) return void entry.resume();
      try {
        writes.push(onEntry(entry));
      } catch (e) {
        entry.resume();
        fail(e instanceof DatasetError ? e : new DatasetError('DECODE', `cannot unpack tar entry: ${messageOf(e)}`, { file, key: entry.path, cause: e }));
      }
    },
  });
  const onEntry = (entry: ReadEntry): Promise<void> => {
    const name = entry.path;
    if (++entries > limits.maxEntries) throw new DatasetError('TOO_LARGE', `tar archive has more than ${limits.maxEntries} entries (maxEntries)`, { file, key: name });
    const isDir = entry.type === 'Directory';
    if (!isDir && !FILE_TYPES.has(entry.type))
      throw new DatasetError('UNSAFE_PATH', `tar entry "${name}" is a ${entry.type}; archives may hold only files and folders`, { file, key: name });
    const target = entryTarget(into, name, file);
    declared += entry.size;
    if (declared > limits.maxBytes) throw new DatasetError('TOO_LARGE', `tar archive unpacks to more than ${limits.maxBytes} bytes (maxBytes)`, { file, key: name });
    if (isDir || target === null) {
      if (target) mkdirSync(target, { recursive: true });
      entry.resume();
      return Promise.resolve();
    }
    mkdirSync(dirname(target), { recursive: true });
    const out = createWriteStream(target);
    outs.add(out);
    entry.pipe(out);
    return finished(out).then(
      () => void outs.delete(out),
      (e) => fail(new DatasetError('DECODE', `cannot write tar entry: ${messageOf(e)}`, { file, key: name, cause: e })),
    );
  };
  parser.on('error', (e: Error) => fail(new DatasetError('DECODE', `corrupt ${gzip ? 'tar.gz' : 'tar'} archive: ${messageOf(e)}`, { file, cause: e })));
  // the parser's next event among these (an error ends it without 'end')
  const next = (...events: string[]) => new Promise<void>((res) => events.forEach((ev) => parser.once(ev, () => res())));
  const source = createReadStream(file);
  source.on('data', (c) => (readBytes += c.length));
  const stream: Readable = gzip ? source.pipe(createGunzip()) : source;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      unpacked += chunk.length;
      if (unpacked > limits.maxBytes + 512 * (entries + 2) + 10240)
        fail(new DatasetError('TOO_LARGE', `tar archive unpacks to more than ${limits.maxBytes} bytes (maxBytes)`, { file }));
      else if (unpacked > RATIO_FLOOR && unpacked > limits.maxRatio * readBytes)
        fail(new DatasetError('TOO_LARGE', `tar archive unpacks at a ratio above ${limits.maxRatio} to what was read (maxRatio)`, { file }));
      if (failure) break;
      if (!parser.write(chunk)) await next('drain', 'error', 'close');
      if (failure) break;
    }
    if (!failure) {
      const done = next('end', 'error', 'close');
      parser.end();
      await done;
    }
  } catch (e) {
    fail(e instanceof DatasetError ? e : new DatasetError('DECODE', `corrupt ${gzip ? 'tar.gz' : 'tar'} archive: ${messageOf(e)}`, { file, cause: e }));
  } finally {
    source.destroy();
    if (stream !== source) stream.destroy();
    if (failure) for (const out of outs) out.destroy(); // an entry cut short never finishes by itself
  }
  await Promise.all(writes);
  if (failure) throw failure;
  return { entries, bytes: declared };
}
