#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSynth, SYNTH_TASKS, type SynthTask } from './synth/generate.js';
import { DatasetError } from './errors.js';

const USAGE = `usage: vl-health-synth --out DIR [--seed N] [--count N] [--size PX] [--tasks a,b,...]

Writes the deterministic synthetic phantom set (PNG images + samples.json + manifest.json).
  --out DIR     output folder (created)
  --seed N      random seed (default 0); the same seed gives byte-identical files
  --count N     number of phantom scenes (default 100)
  --size PX     image size, a multiple of 4 (default 64; 256 for the reference's shapes)
  --tasks LIST  subset of ${SYNTH_TASKS.join(',')}`;

/** Run the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: { out: { type: 'string' }, seed: { type: 'string' }, count: { type: 'string' }, size: { type: 'string' }, tasks: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (typeof values.out !== 'string') {
    console.error(`--out is required\n${USAGE}`);
    return 2;
  }
  const int = (v: unknown, d: number) => (typeof v === 'string' ? Number(v) : d);
  try {
    const tasks = typeof values.tasks === 'string' ? (values.tasks.split(',').map((s) => s.trim()) as SynthTask[]) : undefined;
    const r = await writeSynth(values.out, { seed: int(values.seed, 0), count: int(values.count, 100), size: int(values.size, 64), tasks });
    console.log(`vl-health-synth: wrote ${r.samples} samples and ${r.images} images to ${values.out}`);
    return 0;
  } catch (e) {
    if (e instanceof DatasetError) {
      console.error(`vl-health-synth: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** True when this file is the program node runs (directly, or through the npm bin link). */
function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) main(process.argv.slice(2)).then((code) => process.exit(code));
