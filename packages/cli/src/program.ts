import { Command, Option } from 'commander';
import { VERSION } from './version.js';
import type { Io } from './util/io.js';
import { intOption } from './util/args.js';
import type { GlobalOptions } from './util/backend.js';
import { doctorCommand } from './commands/doctor.js';
import { dataCommand } from './commands/data.js';
import { askCommand } from './commands/ask.js';
import { generateCommand } from './commands/generate.js';

/** What every command gets: where to write, the global options, and a place for its exit code. */
export interface Context {
  io: Io;
  globals(): GlobalOptions;
  /** Set by a command that finished its work but must report failure (e.g. `data validate` found problems). */
  exitCode: number;
}

/** One line for `outputError`: commander's message without its `error: ` prefix, on one line. */
function oneLine(text: string): string {
  return text
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .join(' ');
}

/** The full name of a command, e.g. `healthgpt data synth`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The `healthgpt` program (commander), writing through `ctx.io`. */
export function buildProgram(ctx: Context): Command {
  const program = new Command('healthgpt')
    .description('HealthGPT in TypeScript: train a medical vision-language model from scratch, ask it about images, generate images, evaluate it, and look after its data.')
    .version(VERSION, '-V, --version', 'print the version')
    .addOption(new Option('--backend <name>', 'tensor backend: auto, wasm, cpu, native (tfjs-node) or gpu (tfjs-node-gpu)').choices(['auto', 'wasm', 'cpu', 'native', 'gpu']).default('auto'))
    .addOption(new Option('--threads <n>', 'wasm threads (default: HEALTHGPT_WASM_THREADS, else one per core, up to 4)').argParser(intOption('--threads', 1, 64)))
    .option('--no-progress', 'no progress bars (they are drawn only on a terminal anyway)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .addHelpText('after', `
Start with:  healthgpt demo --quick     (about a minute: trains from scratch, writes an HTML report)
Then:        healthgpt demo             (the full demo, within 10 minutes on two cores)
             healthgpt ask --model healthgpt-demo/model --image scan.png --question "Is there a lesion?"
Speed:       healthgpt doctor`);
  const globals = (): GlobalOptions => {
    const o = program.opts<{ backend: GlobalOptions['backend']; threads?: number; progress: boolean }>();
    return { backend: o.backend, threads: o.threads, progress: o.progress };
  };
  ctx.globals = globals;
  for (const make of [askCommand, generateCommand, dataCommand, doctorCommand]) program.addCommand(make(ctx));
  // Every command (subcommands too) reports commander's own usage errors as one line naming itself.
  const configure = (cmd: Command) => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => void ctx.io.out.write(s),
      writeErr: (s) => void ctx.io.err.write(s),
      outputError: (s, write) => write(`${commandPath(cmd)}: ${oneLine(s)} (see ${commandPath(cmd)} --help)\n`),
    });
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}
