import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { progressBar } from './progress.js';
import type { StepRecord } from './log.js';

function capture(isTTY: boolean) {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  Object.assign(stream, { isTTY, columns: 160, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  let out = '';
  stream.on('data', (d: Buffer) => (out += d.toString()));
  return { stream, text: () => out };
}

const record = (step: number) => ({ stage: 'fit', step, loss: 0.5 / step, tokensPerSecond: 1234 }) as unknown as StepRecord;

function drive(stream: NodeJS.WriteStream, force = false) {
  const bar = progressBar({ stream, force });
  bar.start('fit', 4, 0);
  for (let s = 1; s <= 4; s++) bar.update(record(s), s);
  bar.stop();
}

describe('progressBar', () => {
  it('is silent when its stream is not a TTY (CI, pipes, log files)', () => {
    const c = capture(false);
    drive(c.stream);
    expect(c.text()).toBe('');
  });

  it('shows the stage, steps, ETA, loss and tokens/s on a TTY', () => {
    const c = capture(true);
    drive(c.stream);
    const text = c.text();
    expect(text).toContain('fit |');
    expect(text).toContain('4/4 steps');
    expect(text).toContain('ETA');
    expect(text).toContain('loss 0.1250');
    expect(text).toContain('1234 tok/s');
  });
});
