import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import { repoRoot, tempDir as sharedTempDir } from '@healthgpt/testing';
import type { Io } from '../src/util/io.js';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const CLI = join(repoRoot(), 'packages', 'cli', 'src', 'cli.ts');

/**
 * Run `healthgpt <args>` as a child process, from its sources (`node --import tsx`, the
 * repository's tsconfig paths resolving @healthgpt/* to their sources, as the tests do), with
 * the wasm-only path unless the caller's environment says otherwise. Resolves with the exit code
 * and everything printed.
 */
export function runHealthgpt(args: readonly string[], o: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: o.cwd ?? repoRoot(),
      env: { ...process.env, TSX_TSCONFIG_PATH: join(repoRoot(), 'tsconfig.json'), HEALTHGPT_DEBUG: '', FORCE_COLOR: '0', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** A temporary folder removed when the current test ends (the shared helper, prefixed for this package). */
export const tempDir = (prefix: string): string => sharedTempDir(`healthgpt-cli-${prefix}`);

/** The non-empty lines of a text. */
export const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

/** True when `stderr` looks like a stack trace (what a user must never see). */
export const hasStack = (stderr: string): boolean => /^\s+at .+[(:]\d+/m.test(stderr) || /Error: .*\n\s+at /.test(stderr);

/** Expect a failed run: `code`, exactly one line on stderr matching `message`, no stack trace. */
export function expectOneLine(r: { code: number; stderr: string }, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(lines(r.stderr), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(hasStack(r.stderr)).toBe(false);
}

/** An `Io` that keeps what is written, for in-process runs of `runCli`. */
export function memoryIo(): { io: Io; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        add(String(chunk));
        cb();
      },
    });
  return { io: { out: sink((s) => (out += s)), err: sink((s) => (err += s)) }, out: () => out, err: () => err };
}
