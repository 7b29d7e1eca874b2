/** Bounds on an archive being unpacked: every one is checked before or while bytes are written. */
export interface ExtractLimits {
  /** Most entries (files and folders); default 100,000. */
  maxEntries: number;
  /** Most bytes written in all (the sum of the entries' sizes); default 8 GiB. */
  maxBytes: number;
  /**
   * Largest ratio of unpacked bytes to archive bytes over the whole archive; default 200. Only
   * checked past 1 MiB unpacked, so small archives of text are never refused by it.
   */
  maxRatio: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = { maxEntries: 100_000, maxBytes: 8 * 2 ** 30, maxRatio: 200 };

/** Unpacked bytes below which the ratio is not checked. */
export const RATIO_FLOOR = 2 ** 20;
