import type { ProgressSink } from '@healthgpt/trainer';
import type { Io } from '../util/io.js';
import { barsOn } from '../util/progress.js';

/** The trainer's progress setting for a command: its bars on stderr when bars are on, else none. */
export async function trainerProgress(io: Io, enabled: boolean): Promise<false | ProgressSink> {
  if (!barsOn(io, enabled)) return false;
  const { progressBar } = await import('@healthgpt/trainer');
  return progressBar({ stream: io.err as NodeJS.WriteStream, force: true });
}
