/** One line of training progress. */
export interface ProgressInfo {
  step: number;
  steps: number;
  loss: number;
  recon: number;
  quant: number;
  temperature: number;
  lr: number;
  /** Milliseconds the step took. */
  ms: number;
}

/** A one-line progress bar on stderr (redrawn in place on a terminal, a line every `every` steps otherwise). */
export function progressBar({ width = 24, every = 10, stream = process.stderr }: { width?: number; every?: number; stream?: NodeJS.WriteStream } = {}): (p: ProgressInfo) => void {
  const tty = Boolean(stream.isTTY);
  return (p) => {
    if (!tty && p.step % every !== 0 && p.step !== p.steps) return;
    const done = Math.round((width * p.step) / p.steps);
    const bar = '█'.repeat(done) + '░'.repeat(width - done);
    const line = `${bar} ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} rec ${p.recon.toFixed(4)} q ${p.quant.toExponential(2)} τ ${p.temperature.toFixed(3)} lr ${p.lr.toExponential(2)} ${(p.ms / 1000).toFixed(2)} s/step`;
    stream.write(tty ? `\r${line}${p.step === p.steps ? '\n' : ''}` : `${line}\n`);
  };
}
