import { SafetensorsError } from '../../errors.js';
import { readExactly, type OpenedFile } from '../fs/safe_open.js';
import { headerLengthOf, parseHeader, type SafetensorsHeader, type TensorInfo } from './format.js';

/** Read and validate only the header of an opened file (cheap, whatever the file's size). */
export async function readHeaderOf(file: OpenedFile): Promise<SafetensorsHeader> {
  const { size, path } = file;
  const pre = size >= 8 ? await readExactly(file, 8, 0, 'safetensors header') : new Uint8Array(0);
  const n = headerLengthOf(pre, size, path);
  const head = new Uint8Array(8 + n);
  head.set(pre);
  head.set(await readExactly(file, n, 8, 'safetensors header'), 8);
  return parseHeader(head, size, path);
}

/** The bytes of one tensor of an opened file whose header was read. */
export async function readTensorBytes(file: OpenedFile, header: SafetensorsHeader, info: TensorInfo, name: string): Promise<Uint8Array> {
  const [begin, end] = info.dataOffsets;
  const at = 8 + header.headerLength + begin;
  if (at + (end - begin) > file.size) throw new SafetensorsError(`tensor '${name}' runs past the end of the file`, { file: file.path, key: name });
  return end === begin ? new Uint8Array(0) : readExactly(file, end - begin, at, `tensor '${name}'`);
}
