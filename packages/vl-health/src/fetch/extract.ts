import { open } from 'node:fs/promises';
import { DatasetError } from '../errors.js';
import { DEFAULT_EXTRACT_LIMITS, type ExtractLimits } from './limits.js';
import { extractTar } from './tar.js';
import { extractZip } from './zip.js';

/** Unpack a zip, tar.gz or tar file (sniffed from its bytes) into the empty folder `into`, within `limits`. */
export async function extractArchive(file: string, into: string, limits: Partial<ExtractLimits> = {}): Promise<{ entries: number; bytes: number }> {
  const lim = { ...DEFAULT_EXTRACT_LIMITS, ...limits };
  const fh = await open(file, 'r');
  const head = new Uint8Array(512);
  let size: number;
  try {
    size = (await fh.stat()).size;
    await fh.read(head, 0, 512, 0);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return extractZip(file, size, into, lim);
  if (head[0] === 0x1f && head[1] === 0x8b) return extractTar(file, true, into, lim);
  if (String.fromCharCode(...head.subarray(257, 262)) === 'ustar') return extractTar(file, false, into, lim);
  throw new DatasetError('DECODE', 'not a zip, tar.gz or tar archive', { file });
}
