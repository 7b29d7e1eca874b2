import cliProgress from 'cli-progress';
import type { Io } from './io.js';

/** A progress bar on stderr, or nothing when stderr is not a terminal or `--no-progress` was given. */
export interface Bar {
  update(value: number, total?: number): void;
  stop(): void;
}

const none: Bar = { update() {}, stop() {} };

/** Whether bars are drawn: a terminal on stderr and no `--no-progress`. */
export function barsOn(io: Io, enabled: boolean): boolean {
  return enabled && io.err.isTTY === true;
}

/** A bar labelled `label` counting to `total` (`unit`: what is counted, e.g. `files`, `MB`). */
export function progressBar(io: Io, enabled: boolean, label: string, total: number, unit: string): Bar {
  if (!barsOn(io, enabled)) return none;
  const bar = new cliProgress.SingleBar(
    { stream: io.err as NodeJS.WriteStream, format: `${label} |{bar}| {value}/{total} ${unit} | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: false, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update(value, t) {
      if (t !== undefined) bar.setTotal(t);
      bar.update(value);
    },
    stop: () => bar.stop(),
  };
}
