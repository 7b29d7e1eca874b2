/**
 * The plumbing of `io`, exported from `@healthgpt/tensor-core/internal` only (unstable): the
 * safetensors header codec and dtype tables, the streaming writer, the safe file opener and JSON
 * reader, the commit journal's name, the shard-name checks, and single-file checkpoint reading.
 */
export { DTYPE_SIZE, HOST_DTYPE, type HostDtype } from './safetensors/dtypes.js';
export { parseHeader, serializeHeader, numelOf, type HeaderEntry } from './safetensors/format.js';
export { writeSafetensorsTo, type WriteSafetensorsOptions } from './safetensors/stream.js';
export { openRegularFile, type OpenedFile, type SafeOpenOptions } from './fs/safe_open.js';
export { parseJsonText } from './fs/json.js';
export { describeIssue, type SchemaIssue } from './schema.js';
export { JOURNAL_FILE, checkRelativePath, checkShardName } from './folder/names.js';
export { readCheckpointFile } from './folder/checkpoint.js';
