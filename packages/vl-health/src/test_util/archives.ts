/** Test helpers: archives with any entry names, types and sizes (hostile ones included), written by hand. */
import { zipSync, type Zippable } from 'fflate';

export type TarType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'chardev';
export interface TarEntry {
  name: string;
  type?: TarType;
  data?: Uint8Array;
  /** For links. */
  target?: string;
}

const TYPEFLAG: Record<TarType, string> = { file: '0', hardlink: '1', symlink: '2', chardev: '3', dir: '5', fifo: '6' };

/** A ustar archive (names up to 100 bytes) with the entries exactly as given: no path is cleaned. */
export function makeTar(entries: TarEntry[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = type === 'file' ? (e.data ?? new Uint8Array(0)) : new Uint8Array(0);
    const h = new Uint8Array(512);
    const put = (s: string, at: number, len: number) => h.set(Buffer.from(s, 'utf8').subarray(0, len), at);
    const oct = (n: number, at: number, len: number) => put(n.toString(8).padStart(len - 1, '0') + '\0', at, len);
    put(e.name, 0, 100);
    oct(type === 'dir' ? 0o755 : 0o644, 100, 8);
    oct(0, 108, 8);
    oct(0, 116, 8);
    oct(data.length, 124, 12);
    oct(0, 136, 12);
    put('        ', 148, 8);
    put(TYPEFLAG[type], 156, 1);
    put(e.target ?? '', 157, 100);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    let sum = 0;
    for (const b of h) sum += b;
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
    blocks.push(h, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return Buffer.concat(blocks);
}

export interface ZipEntry {
  name: string;
  data?: Uint8Array;
  /** Stored as a symbolic link (unix mode 0120777 in the external attributes). */
  symlink?: boolean;
}

/** A zip archive (deflate) with the entry names exactly as given. */
export function makeZip(entries: ZipEntry[]): Uint8Array {
  const files: Zippable = {};
  for (const e of entries) files[e.name] = [e.data ?? new Uint8Array(0), e.symlink ? { os: 3, attrs: (0o120777 << 16) >>> 0 } : {}];
  return zipSync(files, { level: 6 });
}

/** Rewrite every stored uncompressed size (local and central headers) of a zip to `size`: an archive that lies. */
export function lieAboutSizes(zip: Uint8Array, size: number): Uint8Array {
  const b = Uint8Array.from(zip);
  const dv = new DataView(b.buffer);
  for (let i = 0; i + 4 <= b.length; i++) {
    const sig = dv.getUint32(i, true);
    if (sig === 0x04034b50) dv.setUint32(i + 22, size, true);
    if (sig === 0x02014b50) dv.setUint32(i + 24, size, true);
  }
  return b;
}
