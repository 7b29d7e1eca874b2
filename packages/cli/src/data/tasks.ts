import { CliError } from '../errors.js';

/** The generation tasks `healthgpt generate` and `healthgpt data convert` know. */
export const GENERATION_TASKS = ['super-resolution', 'modality-conversion', 'reconstruction'] as const;
export type GenerationTask = (typeof GENERATION_TASKS)[number];

export interface InstructionOptions {
  /** Super-resolution: the upscaling factor (default 4). */
  factor?: number;
  /** Modality conversion: the input's and the wanted modality (e.g. CT, MRI-T2). */
  from?: string;
  to?: string;
}

/**
 * The instruction of a generation task, worded as the synthetic set (vl-health-synth) words it,
 * so a model trained on that set is asked what it learned.
 */
export function instructionFor(task: GenerationTask, o: InstructionOptions = {}): string {
  switch (task) {
    case 'super-resolution':
      return `Increase the resolution of this image by a factor of ${o.factor ?? 4}.`;
    case 'reconstruction':
      return 'Reconstruct this image.';
    case 'modality-conversion':
      CliError.check(o.from !== undefined && o.to !== undefined, 'USAGE', '--task modality-conversion needs --from MODALITY and --to MODALITY (e.g. --from CT --to MRI-T2), or --instruction TEXT');
      return `Convert this ${o.from} image into a ${o.to} image.`;
  }
}
