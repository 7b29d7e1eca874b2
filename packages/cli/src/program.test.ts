import { describe, expect, it } from 'vitest';
import { runCli } from './run.js';
import { VERSION } from './version.js';
import { hasStack, lines, memoryIo, runHealthgpt } from '../test/run.test_util.js';

const COMMANDS = ['ask', 'generate', 'data', 'data synth', 'data validate', 'data fetch', 'data convert', 'doctor'];

describe('healthgpt (in-process)', () => {
  it.each(COMMANDS)('`%s --help` prints its usage and options and exits 0', async (cmd) => {
    const m = memoryIo();
    const code = await runCli([...cmd.split(' '), '--help'], m.io);
    expect(code).toBe(0);
    expect(m.out()).toContain(`Usage: healthgpt ${cmd}`);
    expect(m.out()).toMatch(/Options:/);
    expect(m.err()).toBe('');
  });

  it('lists every command in the top-level help', async () => {
    const m = memoryIo();
    expect(await runCli(['--help'], m.io)).toBe(0);
    for (const c of ['ask', 'generate', 'data', 'doctor']) expect(m.out()).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it.each([
    [['frobnicate'], /^healthgpt: unknown command 'frobnicate'/],
    [['doctor', '--frob'], /^healthgpt doctor: unknown option '--frob'/],
    [['--threads', '0', 'doctor'], /^healthgpt: option '--threads <n>' argument '0' is invalid\. expected an integer in \[1, 64\]/],
    [['--backend', 'quantum', 'doctor'], /^healthgpt: option '--backend <name>' argument 'quantum' is invalid/],
    [['data', 'synth'], /^healthgpt data synth: required option '--out <dir>' not specified/],
    [['data', 'synth', '--out', '/tmp/x', '--count', 'many'], /^healthgpt data synth: option '--count <n>' argument 'many' is invalid/],
  ])('a usage mistake (%j) is one line on stderr and exit code 2', async (argv, message) => {
    const m = memoryIo();
    expect(await runCli(argv, m.io)).toBe(2);
    expect(lines(m.err())).toHaveLength(1);
    expect(m.err()).toMatch(message);
    expect(m.out()).toBe('');
  });
});

describe('healthgpt (child process)', () => {
  it('--version prints the package version; --help exits 0', async () => {
    const v = await runHealthgpt(['--version']);
    expect(v).toMatchObject({ code: 0, stderr: '' });
    expect(v.stdout.trim()).toBe(VERSION);
    const h = await runHealthgpt(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: healthgpt [options] [command]');
  });

  it('a bad flag is one line and exit 2, never a stack trace', async () => {
    const r = await runHealthgpt(['ask', '--model', 'm', '--image', 'i', '--question', 'q', '--bogus']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(["healthgpt ask: unknown option '--bogus' (see healthgpt ask --help)"]);
    expect(hasStack(r.stderr)).toBe(false);
  });
});
