import { CommanderError } from 'commander';
import { HealthGPTError } from '@healthgpt/tensor-core/base';
import { CliError } from './errors.js';
import { buildProgram, commandPath, type Context } from './program.js';
import { processIo, type Io } from './util/io.js';

/** Node's system errors a user causes (a missing or unreadable path, a full disk). */
const USER_SYSTEM_ERRORS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ENOSPC', 'EROFS', 'EEXIST', 'ENOTEMPTY', 'EMFILE']);

/** The exit code and the one line to print for an error thrown by a command. */
export function describeFailure(e: unknown, where: string): { code: number; line: string } {
  if (e instanceof CliError) return { code: e.exitCode, line: `${where}: ${e.message}` };
  if (e instanceof HealthGPTError) return { code: 1, line: `${where}: ${e.message}` };
  const sys = e as NodeJS.ErrnoException;
  if (sys && typeof sys.code === 'string' && USER_SYSTEM_ERRORS.has(sys.code)) return { code: 1, line: `${where}: ${sys.message}` };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 70, line: `${where}: internal error: ${message.split('\n')[0]} (HEALTHGPT_DEBUG=1 prints the stack; please report it)` };
}

/**
 * Run the `healthgpt` command line with `argv` (the arguments after the program name) and return
 * the exit code: 0 done, 1 the work failed (a bad file, a model that does not load), 2 a usage
 * mistake (bad or missing flag, unknown choice, a path that does not exist), 70 a bug. Errors are
 * one line on stderr, never a stack trace (unless `HEALTHGPT_DEBUG=1`).
 */
export async function runCli(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const ctx: Context = { io, globals: () => ({ backend: 'auto', progress: true }), exitCode: 0 };
  const program = buildProgram(ctx);
  let where = 'healthgpt';
  program.hook('preAction', (_root, action) => {
    where = commandPath(action);
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version end the program normally; commander has already printed its one line otherwise
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.help' || e.code === 'commander.executeSubCommandAsync') return e.exitCode === 0 ? 0 : 2;
      return 2;
    }
    const { code, line } = describeFailure(e, where);
    io.err.write(line + '\n');
    if (process.env.HEALTHGPT_DEBUG === '1' && e instanceof Error && e.stack) io.err.write(e.stack + '\n');
    return code;
  }
}
