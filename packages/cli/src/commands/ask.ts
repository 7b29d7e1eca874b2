import { Command } from 'commander';
import type { Context } from '../program.js';
import { intOption, numberOption } from '../util/args.js';
import { printJson } from '../util/io.js';
import { startBackend } from '../util/backend.js';
import { loadImageFile, loadModel } from '../util/model.js';

interface AskOptions {
  model: string;
  image: string;
  question: string;
  maxNewTokens?: number;
  temperature?: number;
  seed: number;
  int8?: boolean;
  json?: boolean;
}

/** `healthgpt ask`: one question about one image, the answer streamed as it is decoded. */
export function askCommand(ctx: Context): Command {
  return new Command('ask')
    .description('ask a trained model a question about an image (PNG, JPEG, WebP, DICOM or NIfTI)')
    .requiredOption('--model <dir>', 'a model folder (e.g. healthgpt-demo/model)')
    .requiredOption('--image <file>', 'the image')
    .requiredOption('--question <text>', 'the question')
    .option('--max-new-tokens <n>', 'longest answer in tokens (default: whatever fits)', intOption('--max-new-tokens', 1, 100_000))
    .option('--temperature <t>', 'sample at this temperature (default: greedy)', numberOption('--temperature', 0, 10))
    .option('--seed <n>', 'sampling seed', intOption('--seed', 0, 2 ** 31), 0)
    .option('--int8', 'load the weights as int8 (half the memory)')
    .option('--json', 'print {answer, finishReason, seconds} as JSON instead of streaming the answer')
    .action(async (o: AskOptions) => {
      const image = await loadImageFile('--image', o.image);
      await startBackend(ctx.globals());
      const model = await loadModel(o.model, { int8: o.int8 });
      try {
        const t0 = performance.now();
        const sampling = o.temperature !== undefined && o.temperature > 0 ? { doSample: true, temperature: o.temperature, seed: o.seed } : {};
        const stream = !o.json;
        const [r] = model.comprehendBatch([{ images: image, question: o.question }], {
          maxNewTokens: o.maxNewTokens,
          ...sampling,
          onText: stream ? ({ delta }) => void ctx.io.out.write(delta) : undefined,
        });
        const secs = (performance.now() - t0) / 1000;
        if (o.json) return printJson(ctx.io, { answer: r.text, finishReason: r.finishReason, tokens: r.ids.length, seconds: secs });
        ctx.io.out.write('\n');
      } finally {
        model.dispose();
      }
    });
}
