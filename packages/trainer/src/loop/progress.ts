import cliProgress from 'cli-progress';
import type { StepRecord } from './log.js';

/** What the loop reports to a progress display. */
export interface ProgressSink {
  start(stage: string, total: number, done: number): void;
  update(record: StepRecord, done: number): void;
  stop(): void;
}

const fmt = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(4)) : String(x));

/**
 * A progress bar on a stream (cli-progress): stage, steps, ETA, loss and tokens/s. Silent when
 * the stream is not a TTY (CI, pipes, log files), unless `force`.
 */
export function progressBar({ stream = process.stderr, force = false }: { stream?: NodeJS.WriteStream; force?: boolean } = {}): ProgressSink {
  const on = force || stream.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  return {
    start(stage, total, done) {
      if (!on) return;
      bar = new cliProgress.SingleBar(
        { stream, format: `${stage} |{bar}| {value}/{total} steps | ETA {eta_formatted} | loss {loss} | {tps} tok/s`, hideCursor: true, clearOnComplete: false, etaBuffer: 20, noTTYOutput: force },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, done, { loss: '–', tps: '–' });
    },
    update(r, done) {
      bar?.update(done, { loss: fmt(r.loss), tps: fmt(r.tokensPerSecond) });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

/** A sink that shows nothing. */
export const silentProgress: ProgressSink = { start() {}, update() {}, stop() {} };
