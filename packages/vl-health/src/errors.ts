import { HealthGPTError } from '@healthgpt/tensor-core/base';

/** What went wrong, as a stable code callers can switch on. */
export type DatasetErrorCode =
  | 'SCHEMA' // a record does not match the sample schema
  | 'PARSE' // JSON / JSONL / CSV syntax
  | 'DECODE' // an image, DICOM, NIfTI file or an archive is corrupt, truncated or unsupported
  | 'UNSAFE_PATH' // a path escapes its root, is a link out of it, or is not a regular file
  | 'TOO_LARGE' // a size, pixel-count, line-length, entry-count or ratio limit was exceeded
  | 'MISSING' // a referenced file does not exist or cannot be read
  | 'DUPLICATE_ID' // two records share an id
  | 'ARGUMENT' // a bad argument to a function of this package
  | 'FETCH' // a download failed (offline, HTTP error, stalled, timed out)
  | 'CHECKSUM'; // a downloaded file does not match its known checksum

/**
 * The one error class of @healthgpt/vl-health. Every failure names where it happened: `file`,
 * `line` (1-based, text formats), `record` (0-based array index or JSONL line), `path` (dotted,
 * inside the record). Guard arguments with `DatasetError.check(cond, 'ARGUMENT', message)`.
 */
export class DatasetError extends HealthGPTError<DatasetErrorCode> {}

/** `e`'s message, whatever was thrown (dicom-parser throws plain strings and objects). */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object') {
    const { message, exception } = e as { message?: unknown; exception?: unknown };
    if (typeof message === 'string') return message;
    if (exception !== undefined) return messageOf(exception); // dicom-parser wraps what it throws
    try {
      return JSON.stringify(e);
    } catch {
      return Object.prototype.toString.call(e);
    }
  }
  return String(e);
}
