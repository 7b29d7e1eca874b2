import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@healthgpt/tensor-core/base';
import { DatasetError, messageOf } from '../errors.js';
import { decodeText, readRegular } from '../files.js';
import { download, type DownloadOptions } from './download.js';
import { extractArchive } from './extract.js';
import { DEFAULT_EXTRACT_LIMITS, type ExtractLimits } from './limits.js';

/** Where a data set comes from. `sha256` is checked when known. */
export interface DatasetSource {
  url: string;
  sha256?: string;
  /** Folder created under the target directory (one safe name). */
  folder: string;
}

/**
 * Known sources. VQA-RAD is on OSF (osf.io/89kps); OSF builds its zip on the fly, so no fixed
 * checksum is known: pass `sha256` to pin the archive you trust. Override the URL with
 * `{ url }` or the `HEALTHGPT_VQA_RAD_URL` environment variable.
 */
export const DATASET_SOURCES: Record<string, DatasetSource> = {
  'vqa-rad': { url: 'https://files.osf.io/v1/resources/89kps/providers/osfstorage/?zip=', folder: 'vqa-rad' },
};

export interface FetchOptions extends DownloadOptions {
  /** Source URL, http or https (default: the registry's, or `HEALTHGPT_<NAME>_URL`). */
  url?: string;
  /** Expected SHA-256 (hex) of the archive. */
  sha256?: string;
  /** Download again and replace a folder an earlier `fetchDataset` made (never any other folder). */
  force?: boolean;
  /** Bounds on unpacking (entries, total bytes, compression ratio); see `ExtractLimits`. */
  extract?: Partial<ExtractLimits>;
}

export interface FetchResult {
  /** The folder holding the data set. */
  path: string;
  sha256: string;
  bytes: number;
  /** True when nothing was downloaded (already complete). */
  cached: boolean;
  /** True when the download continued a partial file (HTTP Range). */
  resumed: boolean;
}

const MARKER = '.vl-health-fetch.json';
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Download and unpack a data set into `dir/<folder>`. The name is checked (one safe path
 * segment) before any file is touched. The archive is streamed to `dir/.<folder>.download` and
 * hashed as it arrives (resumable with HTTP Range, retried on network errors and stalls),
 * verified (SHA-256 when known), then unpacked entry by entry within `extract` limits into a
 * temporary folder of its own, which is renamed into place with a marker file. Cleanup only ever
 * removes what this call made; an existing folder without the marker is never replaced.
 */
export async function fetchDataset(name: string, dir: string, opts: FetchOptions = {}): Promise<FetchResult> {
  DatasetError.check(typeof name === 'string' && SAFE_NAME.test(name), 'ARGUMENT', () => `'name' passed to 'fetchDataset' must be one plain name (letters, digits, '.', '_', '-', not starting with '.' or '-'), got ${JSON.stringify(name)}`);
  DatasetError.check(typeof dir === 'string' && dir.length > 0 && !dir.includes('\0'), 'ARGUMENT', () => `'dir' passed to 'fetchDataset' must be a folder path, got ${JSON.stringify(dir)}`);
  const known = DATASET_SOURCES[name];
  const envUrl = process.env[`HEALTHGPT_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`];
  const url = opts.url ?? envUrl ?? known?.url;
  if (!url) throw new DatasetError('ARGUMENT', `unknown data set "${name}" (known: ${Object.keys(DATASET_SOURCES).join(', ')}); pass { url }`);
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // reported below
  }
  DatasetError.check(protocol === 'http:' || protocol === 'https:', 'ARGUMENT', () => `the URL of data set "${name}" must be http or https, got ${JSON.stringify(url)}`);
  const sha256 = (opts.sha256 ?? (opts.url || envUrl ? undefined : known?.sha256))?.toLowerCase();
  DatasetError.check(sha256 === undefined || /^[0-9a-f]{64}$/.test(sha256), 'ARGUMENT', () => `'sha256' passed to 'fetchDataset' must be 64 hex digits, got ${JSON.stringify(opts.sha256)}`);
  const folder = known?.folder ?? name;
  const final = join(dir, folder);
  const previous = await readMarker(final, opts.force === true);
  if (previous === 'foreign') throw new DatasetError('ARGUMENT', `${final} exists and was not made by fetchDataset (it has no ${MARKER}); it is left alone: move it away or fetch into another folder`, { file: final });
  if (previous && previous !== 'ours') return { path: final, sha256: previous.sha256, bytes: previous.bytes, cached: true, resumed: false };

  await mkdir(dir, { recursive: true });
  const part = join(dir, `.${folder}.download`);
  const got = await download(url, part, opts);
  if (sha256 && got.sha256 !== sha256) {
    await rm(part, { force: true });
    throw new DatasetError('CHECKSUM', `checksum mismatch for ${url}: expected sha256 ${sha256}, got ${got.sha256} (the download was removed; try again)`, { file: part });
  }
  const tmp = await mkdtemp(join(dir, `.${folder}.extract-`));
  try {
    try {
      await extractArchive(part, tmp, { ...DEFAULT_EXTRACT_LIMITS, ...opts.extract });
    } catch (e) {
      // the archive itself is bad (corrupt, hostile or too large): downloading it again is the only fix
      await rm(part, { force: true });
      throw e;
    }
    const root = await singleRoot(tmp);
    await writeFileAtomic(join(root, MARKER), JSON.stringify({ name, url, sha256: got.sha256, bytes: got.bytes }) + '\n');
    await replace(final, root, dir, folder);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await rm(part, { force: true });
  return { path: final, sha256: got.sha256, bytes: got.bytes, cached: false, resumed: got.resumed };
}

/** Move `root` to `final`; an earlier fetched folder at `final` is first moved aside (into a folder of this call's own, removed after). */
async function replace(final: string, root: string, dir: string, folder: string): Promise<void> {
  const asideDir = (await exists(final)) ? await mkdtemp(join(dir, `.${folder}.previous-`)) : undefined;
  const aside = asideDir && join(asideDir, folder);
  let keepAside = false;
  try {
    if (aside) await rename(final, aside);
    try {
      await rename(root, final);
    } catch (e) {
      const restored = !aside || (await rename(aside, final).then(() => true, () => false));
      keepAside = !restored;
      const where = restored ? '' : `; the earlier copy is in ${aside}`;
      throw new DatasetError('FETCH', `cannot move the unpacked data set into ${final}: ${messageOf(e)}${where}`, { file: final, cause: e });
    }
  } finally {
    if (asideDir && !keepAside) await rm(asideDir, { recursive: true, force: true });
  }
}

/**
 * The marker of a folder an earlier call made; null when there is no folder; 'foreign' when there
 * is one without a marker; 'ours' (unread, so a corrupt one too) when `force` will replace it.
 */
async function readMarker(final: string, force: boolean): Promise<{ sha256: string; bytes: number } | null | 'foreign' | 'ours'> {
  if (!(await exists(final))) return null;
  const marker = join(final, MARKER);
  if (!(await exists(marker))) return 'foreign';
  if (force) return 'ours';
  let m: unknown;
  try {
    m = JSON.parse(decodeText(await readRegular(marker, 64 * 1024)));
  } catch (e) {
    throw new DatasetError('PARSE', `the fetch marker is corrupt (${messageOf(e)}); pass { force: true } to download the data set again`, { file: marker, cause: e });
  }
  const { sha256, bytes } = (m ?? {}) as { sha256?: unknown; bytes?: unknown };
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256) || typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0)
    throw new DatasetError('PARSE', 'the fetch marker is corrupt (no sha256 / bytes); pass { force: true } to download the data set again', { file: marker });
  return { sha256, bytes };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    },
  );
}

/** Descend while a folder holds exactly one sub-folder and nothing else (archives often wrap their content). */
async function singleRoot(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  if (entries.length === 1 && entries[0].isDirectory() && !/image folder/i.test(entries[0].name)) return singleRoot(join(dir, entries[0].name));
  return dir;
}
