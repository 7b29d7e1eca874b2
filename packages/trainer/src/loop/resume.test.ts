import { describe, it, expect, beforeAll, beforeEach, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator } from '@healthgpt/tensor-core';

const child = fileURLToPath(new URL('../../test/child_train.test_util.ts', import.meta.url));
const STEPS = 16;
let dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'trainer-kill-'));
  dirs.push(d);
  return d;
};
beforeEach(() => void (dirs = []));
afterEach(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Run the child; `onLine` may signal it. Resolves with its stdout lines and exit signal/code. */
function runChild(dir: string, args: string[], onLine?: (line: string, p: ChildProcess) => void): Promise<{ lines: string[]; signal: NodeJS.Signals | null; code: number | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir, String(STEPS), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buf = '';
    p.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        onLine?.(line, p);
      }
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve({ lines, signal, code }));
  });
}

const losses = (lines: string[]) => JSON.parse(lines.find((l) => l.startsWith('RESULT '))!.slice(7)) as number[];

const LONG = 300_000;
let whole: number[] = [];

describe('exact resume across processes', () => {
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainer-whole-'));
    try {
      whole = losses((await runChild(dir, [])).lines);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, LONG);

  // a random step in either stage, and always the first step after the stage boundary (resumed from
  // the finished stage's checkpoint, the next stage must see the dropout draws an uninterrupted run sees)
  it.each([
    ['a random step', 2 + new Generator(Date.now()).int(STEPS - 4)],
    ['the first step of the second stage', STEPS / 2 + 1],
  ])('a run killed with SIGKILL at %s resumes with the same losses, bit for bit, passing over a half-written checkpoint', async (_, killAt) => {
    expect(whole).toHaveLength(STEPS);
    const dir = tmp();
    let seen = 0;
    // the child holds after that step until killed (a slow parent could otherwise see the run end first)
    const killed = await runChild(dir, ['--hold-at', String(killAt)], (line, p) => {
      if (line.startsWith('STEP ') && ++seen === killAt) p.kill('SIGKILL');
    });
    expect(killed.signal).toBe('SIGKILL');
    // what a kill during a later save leaves: a checkpoint folder with a staged, truncated weights
    // file and no trainer state (the folder writer's commit never happened)
    const ck = join(dir, 'checkpoints');
    const later = join(ck, 'ckpt-01-0009999');
    mkdirSync(later);
    writeFileSync(join(later, '.model.safetensors.0123456789abcdef.hgtmp'), 'trunc');
    writeFileSync(join(later, 'model.safetensors'), 'trunc');
    const resumed = await runChild(dir, ['--resume']);
    expect(resumed.code).toBe(0);
    expect(losses(resumed.lines), `killed after step ${killAt}`).toEqual(whole);
    expect(readdirSync(ck)).not.toContain('ckpt-01-0009999');
    expect(readdirSync(ck).every((n) => /^ckpt-\d+-\d+$/.test(n))).toBe(true);
  }, LONG);

  it('Ctrl-C (SIGINT) saves a checkpoint and exits; the resumed run continues exactly', async () => {
    const dir = tmp();
    let seen = 0;
    // the child holds after step 3 until the signal has been sent (then lets it go on)
    const stopped = await runChild(dir, ['--hold-at', '3'], (line, p) => {
      if (line.startsWith('STEP ') && ++seen === 3) {
        p.kill('SIGINT');
        writeFileSync(join(dir, '.go'), '');
      }
    });
    expect(stopped.code).toBe(0);
    expect(stopped.lines).toContain('INTERRUPTED');
    const steps = stopped.lines.filter((l) => l.startsWith('STEP ')).length;
    expect(steps).toBeLessThan(STEPS);
    const resumed = await runChild(dir, ['--resume']);
    expect(losses(resumed.lines)).toEqual(whole);
  }, LONG);
});
