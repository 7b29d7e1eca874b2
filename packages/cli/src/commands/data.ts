import { resolve } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { Context } from '../program.js';
import { CliError } from '../errors.js';
import { existingDir, intOption } from '../util/args.js';
import { note, printJson, say } from '../util/io.js';
import { progressBar } from '../util/progress.js';
import { convertFolder } from '../data/convert.js';

const SYNTH_TASK_NAMES = ['vqa', 'caption', 'report', 'modality-conversion', 'super-resolution', 'reconstruction', 'denoising'];

function synth(ctx: Context): Command {
  return new Command('synth')
    .description('write the deterministic synthetic phantom set (PNG images, samples.json, manifest.json); the same seed gives byte-identical files')
    .requiredOption('--out <dir>', 'output folder (created)')
    .option('--seed <n>', 'random seed', intOption('--seed', 0, 2 ** 31), 0)
    .option('--count <n>', 'phantom scenes (each gives several samples)', intOption('--count', 1, 1_000_000), 100)
    .option('--size <px>', 'image size, a multiple of 4 (256 for the reference shapes)', intOption('--size', 16, 2048), 64)
    .option('--tasks <list>', `comma-separated subset of ${SYNTH_TASK_NAMES.join(',')}`)
    .option('--json', 'print the result as JSON')
    .action(async (o: { out: string; seed: number; count: number; size: number; tasks?: string; json?: boolean }) => {
      const { writeSynth, SYNTH_TASKS } = await import('@healthgpt/vl-health');
      const tasks = o.tasks?.split(',').map((s) => s.trim());
      for (const t of tasks ?? []) CliError.check((SYNTH_TASKS as readonly string[]).includes(t), 'USAGE', `--tasks: unknown task '${t}' (known: ${SYNTH_TASKS.join(', ')})`);
      CliError.check(o.size % 4 === 0, 'USAGE', `--size must be a multiple of 4, got ${o.size}`);
      const out = resolve(o.out);
      const r = await writeSynth(out, { seed: o.seed, count: o.count, size: o.size, tasks: tasks as (typeof SYNTH_TASKS)[number][] | undefined });
      if (o.json) return printJson(ctx.io, { out, ...r, seed: o.seed, count: o.count, size: o.size });
      say(ctx.io, `wrote ${r.samples} samples and ${r.images} images to ${out}`);
    });
}

/** The one data file of a folder when `--file` is not given: samples.json, else the only .json / .jsonl. */
function defaultFile(dir: string): string {
  if (existsSync(resolve(dir, 'samples.json'))) return 'samples.json';
  const candidates = readdirSync(dir).filter((f) => /\.jsonl?$/i.test(f) && f !== 'manifest.json');
  CliError.check(candidates.length === 1, 'USAGE', candidates.length ? `${dir} has several data files (${candidates.join(', ')}): name one with --file` : `${dir} has no samples.json (or other .json / .jsonl file): name one with --file`);
  return candidates[0];
}

function validate(ctx: Context): Command {
  return new Command('validate')
    .description('check a VL-Health / LLaVA data set and report every problem (syntax, schema, duplicate ids, unsafe or missing images, undecodable images); exits 1 when there is any')
    .requiredOption('--data <dir>', 'the data root (image paths are relative to it)')
    .option('--file <name>', 'the .json or .jsonl file inside the root (default: samples.json, or the only data file)')
    .option('--no-decode', 'only check that images exist and are safe to read, without decoding them')
    .option('--max-problems <n>', 'problems printed (all are in --json)', intOption('--max-problems', 1), 20)
    .option('--json', 'print the report as JSON')
    .action(async (o: { data: string; file?: string; decode: boolean; maxProblems: number; json?: boolean }) => {
      const root = existingDir('--data', o.data);
      const file = o.file ?? defaultFile(root);
      CliError.check(existsSync(resolve(root, file)), 'MISSING', `--file ${file}: no such file in ${root}`);
      const { validateDataset } = await import('@healthgpt/vl-health');
      const r = await validateDataset(root, file, { decode: o.decode });
      if (!r.ok) ctx.exitCode = 1;
      if (o.json) return printJson(ctx.io, { root, file, ...r });
      say(ctx.io, `${file}: ${r.records} record${r.records === 1 ? '' : 's'}, ${r.problems.length ? `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}` : 'no problems'}`);
      for (const p of r.problems.slice(0, o.maxProblems)) say(ctx.io, `  ${p.code}: ${p.message}`);
      if (r.problems.length > o.maxProblems) say(ctx.io, `  … and ${r.problems.length - o.maxProblems} more (--json lists them all)`);
    });
}

function fetch(ctx: Context): Command {
  return new Command('fetch')
    .description('download and unpack a public data set (vqa-rad) from its official source, resumable, checked, within size limits')
    .argument('<name>', 'the data set: vqa-rad')
    .requiredOption('--out <dir>', 'the folder to put it in (it lands in <dir>/<name>)')
    .option('--url <url>', 'another source (http or https; also HEALTHGPT_<NAME>_URL)')
    .option('--sha256 <hex>', 'the archive checksum you trust')
    .option('--force', 'download again, replacing a folder an earlier fetch made')
    .option('--retries <n>', 'attempts after the first on a network error or stall (each continues where the last stopped)', intOption('--retries', 0, 100), 3)
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o: { out: string; url?: string; sha256?: string; force?: boolean; retries: number; json?: boolean }) => {
      const { fetchDataset, DATASET_SOURCES } = await import('@healthgpt/vl-health');
      CliError.check(name in DATASET_SOURCES || o.url !== undefined, 'USAGE', `unknown data set '${name}' (known: ${Object.keys(DATASET_SOURCES).join(', ')}); pass --url for another`);
      const bar = progressBar(ctx.io, ctx.globals().progress, `fetch ${name}`, 1, 'MB');
      try {
        const r = await fetchDataset(name, resolve(o.out), {
          url: o.url,
          sha256: o.sha256,
          force: o.force,
          retries: o.retries,
          onProgress: (p) => bar.update(Math.round(p.received / 2 ** 20), p.total ? Math.max(1, Math.round(p.total / 2 ** 20)) : undefined),
        });
        bar.stop();
        if (o.json) return printJson(ctx.io, r);
        say(ctx.io, r.cached ? `${name} is already in ${r.path} (sha256 ${r.sha256})` : `fetched ${name} into ${r.path}: ${(r.bytes / 2 ** 20).toFixed(1)} MB, sha256 ${r.sha256}${r.resumed ? ' (resumed)' : ''}`);
      } finally {
        bar.stop();
      }
    });
}

function convert(ctx: Context): Command {
  return new Command('convert')
    .description('convert a folder of DICOM or NIfTI files into PNG slices and a LLaVA JSON (samples.json) of generation samples')
    .requiredOption('--in <dir>', 'the folder of .dcm / .nii / .nii.gz files (searched recursively)')
    .requiredOption('--out <dir>', 'the output folder (images/ and samples.json)')
    .addOption(new Option('--task <task>', 'what each slice becomes').choices(['reconstruction', 'super-resolution']).default('reconstruction'))
    .addOption(new Option('--axis <n>', 'NIfTI slicing axis').choices(['0', '1', '2']).default('2'))
    .option('--step <n>', 'NIfTI: every n-th slice', intOption('--step', 1, 10_000), 1)
    .option('--size <px>', 'resize every slice to px × px', intOption('--size', 8, 4096))
    .option('--factor <n>', 'super-resolution factor', intOption('--factor', 2, 16), 4)
    .option('--force', 'replace an earlier conversion in --out')
    .option('--json', 'print the result as JSON')
    .action(async (o: { in: string; out: string; task: 'reconstruction' | 'super-resolution'; axis: string; step: number; size?: number; factor: number; force?: boolean; json?: boolean }) => {
      const inDir = existingDir('--in', o.in);
      const out = resolve(o.out);
      CliError.check(out !== inDir, 'USAGE', '--out must differ from --in');
      const bar = progressBar(ctx.io, ctx.globals().progress, 'convert', 1, 'files');
      let r;
      try {
        r = await convertFolder(inDir, out, { task: o.task, axis: Number(o.axis) as 0 | 1 | 2, step: o.step, size: o.size, factor: o.factor, force: o.force, onFile: (d, t) => bar.update(d, t) });
      } finally {
        bar.stop();
      }
      if (o.json) return printJson(ctx.io, r);
      for (const f of r.files) say(ctx.io, `${f.file}: ${f.format === 'dicom' ? 'DICOM' : 'NIfTI'}, ${f.slices} slice${f.slices === 1 ? '' : 's'}`);
      for (const s of r.skipped) note(ctx.io, `skipped ${s.file}: ${s.reason}`);
      say(ctx.io, `wrote ${r.samples} ${o.task} samples and ${r.images} images to ${out} (${r.samplesFile})`);
    });
}

/** `healthgpt data synth|validate|fetch|convert`. */
export function dataCommand(ctx: Context): Command {
  return new Command('data').description('make, check, fetch and convert data sets').addCommand(synth(ctx)).addCommand(validate(ctx)).addCommand(fetch(ctx)).addCommand(convert(ctx));
}
