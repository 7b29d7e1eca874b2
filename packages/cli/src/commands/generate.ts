import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { Context } from '../program.js';
import { CliError } from '../errors.js';
import { intOption, numberOption } from '../util/args.js';
import { note, printJson } from '../util/io.js';
import { startBackend } from '../util/backend.js';
import { loadImageFile, loadModel } from '../util/model.js';
import { GENERATION_TASKS, instructionFor, type GenerationTask } from '../data/tasks.js';

interface GenerateOptions {
  model: string;
  image: string;
  task: GenerationTask;
  out: string;
  instruction?: string;
  from?: string;
  to?: string;
  factor: number;
  temperature?: number;
  seed: number;
  int8?: boolean;
  json?: boolean;
}

/** `healthgpt generate`: one image from an image and a task, written as PNG. */
export function generateCommand(ctx: Context): Command {
  return new Command('generate')
    .description('generate an image from an image: super-resolution, modality conversion or reconstruction (written as PNG)')
    .requiredOption('--model <dir>', 'a model folder (e.g. healthgpt-demo/model)')
    .requiredOption('--image <file>', 'the input image')
    .addOption(new Option('--task <task>', 'what to do').choices(GENERATION_TASKS).makeOptionMandatory())
    .requiredOption('--out <file>', 'the PNG to write')
    .option('--from <modality>', 'modality conversion: the input modality (e.g. CT)')
    .option('--to <modality>', 'modality conversion: the wanted modality (e.g. MRI-T2)')
    .option('--factor <n>', 'super-resolution factor named in the instruction', intOption('--factor', 2, 16), 4)
    .option('--instruction <text>', 'the instruction itself, instead of the task\'s usual wording')
    .option('--temperature <t>', 'sample the image tokens at this temperature (default: greedy)', numberOption('--temperature', 0, 10))
    .option('--seed <n>', 'sampling seed', intOption('--seed', 0, 2 ** 31), 0)
    .option('--int8', 'load the weights as int8')
    .option('--json', 'print {out, width, height, codes, seconds} as JSON')
    .action(async (o: GenerateOptions) => {
      CliError.check(/\.png$/i.test(o.out), 'USAGE', `--out must name a .png file, got '${o.out}'`);
      const instruction = o.instruction ?? instructionFor(o.task, { factor: o.factor, from: o.from, to: o.to });
      const image = await loadImageFile('--image', o.image);
      await startBackend(ctx.globals());
      const model = await loadModel(o.model, { int8: o.int8 });
      try {
        CliError.check(model.tasks.some((t) => model.task(t).output === 'image'), 'FAILED', `the model in ${o.model} has no image-generation task (tasks: ${model.tasks.join(', ')})`);
        const t0 = performance.now();
        const sampling = o.temperature !== undefined && o.temperature > 0 ? { doSample: true, temperature: o.temperature, seed: o.seed } : {};
        const r = model.generateImage(image, instruction, sampling);
        CliError.check(r.image !== null, 'FAILED', `the model produced no image (finish: ${r.finishReason}, ${r.codes.length} codes)`);
        const { encodePng } = await import('@healthgpt/vl-health');
        const { writeFileAtomic } = await import('@healthgpt/tensor-core/base');
        const out = resolve(o.out);
        await writeFileAtomic(out, await encodePng(r.image));
        const secs = (performance.now() - t0) / 1000;
        if (o.json) return printJson(ctx.io, { out, task: o.task, instruction, width: r.image.width, height: r.image.height, codes: r.codes.length, seconds: secs });
        note(ctx.io, `${o.task}: "${instruction}"`);
        ctx.io.out.write(`wrote ${r.image.width}×${r.image.height} image to ${out}\n`);
      } finally {
        model.dispose();
      }
    });
}
