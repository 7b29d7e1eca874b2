/** What went wrong, as a stable code callers can switch on. */
export type DatasetErrorCode =
  | 'schema' // a record does not match the sample schema
  | 'parse' // JSON / JSONL / CSV syntax
  | 'decode' // an image, DICOM or NIfTI file is corrupt, truncated or unsupported
  | 'unsafe-path' // an image path escapes the data root
  | 'too-large' // a pixel-count or line-length limit was exceeded
  | 'missing' // a referenced file does not exist
  | 'argument' // a bad argument to a function of this package
  | 'fetch' // a download failed (offline, HTTP error)
  | 'checksum'; // a downloaded file does not match its known checksum

export interface DatasetErrorInfo {
  code: DatasetErrorCode;
  /** The file the problem is in, when there is one. */
  file?: string;
  /** The 0-based index of the record (array element or JSONL line) the problem is in. */
  record?: number;
  /** A dotted path inside the record, e.g. `conversations[2].from`. */
  path?: string;
  cause?: unknown;
}

/** The one error class of @healthgpt/vl-health: every failure names its file, record and path when known. */
export class DatasetError extends Error {
  readonly code: DatasetErrorCode;
  readonly file?: string;
  readonly record?: number;
  readonly path?: string;
  /** The message without the location suffix. */
  readonly detail: string;

  constructor(message: string, info: DatasetErrorInfo) {
    const where = [info.file && `file ${info.file}`, info.record !== undefined && `record ${info.record}`, info.path && `at ${info.path}`]
      .filter(Boolean)
      .join(', ');
    super(where ? `${message} (${where})` : message, info.cause !== undefined ? { cause: info.cause } : undefined);
    this.name = 'DatasetError';
    this.detail = message;
    this.code = info.code;
    if (info.file !== undefined) this.file = info.file;
    if (info.record !== undefined) this.record = info.record;
    if (info.path !== undefined) this.path = info.path;
  }
}

/** Throw an `argument` DatasetError unless `cond` holds. */
export function checkArg(cond: unknown, message: string): asserts cond {
  if (!cond) throw new DatasetError(message, { code: 'argument' });
}

/** Re-throw anything as a DatasetError with the given code and location (DatasetErrors pass through, gaining location). */
export function asDatasetError(e: unknown, code: DatasetErrorCode, where: { file?: string; record?: number; what?: string } = {}): DatasetError {
  if (e instanceof DatasetError) {
    if ((where.file && !e.file) || (where.record !== undefined && e.record === undefined)) {
      return new DatasetError(e.detail, {
        code: e.code,
        file: e.file ?? where.file,
        record: e.record ?? where.record,
        path: e.path,
        cause: e.cause,
      });
    }
    return e;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new DatasetError(`${where.what ?? code}: ${msg}`, { code, file: where.file, record: where.record, cause: e });
}
