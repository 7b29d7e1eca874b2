import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { CliError } from '../errors.js';

/** Reject an option's value; commander prints it as one line naming the option. */
function invalid(cond: boolean, message: string): void {
  if (!cond) throw new InvalidArgumentError(message);
}

/** `--flag N` as an integer in [min, max]. */
export function intOption(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v);
    invalid(v.trim() !== '' && Number.isInteger(n) && n >= min && n <= max, `expected an integer in [${min}, ${max}]`);
    return n;
  };
}

/** `--flag X` as a finite number in [min, max]. */
export function numberOption(flag: string, min = -Infinity, max = Infinity): (v: string) => number {
  return (v) => {
    const n = Number(v);
    invalid(v.trim() !== '' && Number.isFinite(n) && n >= min && n <= max, `expected a number in [${min}, ${max}]`);
    return n;
  };
}

/** `--flag X` as one of `choices`. */
export function choiceOption<T extends string>(flag: string, choices: readonly T[]): (v: string) => T {
  return (v) => {
    invalid((choices as readonly string[]).includes(v), `expected one of ${choices.join(', ')}`);
    return v as T;
  };
}

/** The absolute path of an existing file named by `flag`. */
export function existingFile(flag: string, p: string): string {
  const abs = resolve(p);
  CliError.check(existsSync(abs), 'MISSING', `${flag} ${p}: no such file`);
  CliError.check(statSync(abs).isFile(), 'USAGE', `${flag} ${p}: not a file`);
  return abs;
}

/** The absolute path of an existing folder named by `flag`. */
export function existingDir(flag: string, p: string): string {
  const abs = resolve(p);
  CliError.check(existsSync(abs), 'MISSING', `${flag} ${p}: no such folder`);
  CliError.check(statSync(abs).isDirectory(), 'USAGE', `${flag} ${p}: not a folder`);
  return abs;
}
