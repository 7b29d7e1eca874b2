import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tf } from '@healthgpt/tensor-core';

/** One optimizer step, as logged (one JSON line each in the run's log). */
export interface StepRecord {
  stage: string;
  /** 1-based optimizer step within the stage. */
  step: number;
  /** Mean loss of the step's micro-batches. */
  loss: number;
  /** Mean loss per task drawn in this step. */
  tasks: Record<string, number>;
  /** Logged parts of task losses (e.g. `vq/recon`). */
  parts?: Record<string, number>;
  /** Learning rate of each parameter group, by name. */
  lr: Record<string, number>;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Tokens (or the tasks' units) in the step, and per second of the step's wall time. */
  tokens: number;
  tokensPerSecond: number;
  ms: number;
  /** Process resident memory and tfjs' live tensors / bytes after the step. */
  memory: { rssMB: number; tensors: number; tensorMB: number };
  /** The step was skipped (non-finite values, `onNonFinite: 'skip'`). */
  skipped?: boolean;
}

export function memorySnapshot(): StepRecord['memory'] {
  const m = tf.memory();
  const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  return { rssMB: mb(process.memoryUsage().rss), tensors: m.numTensors, tensorMB: mb(m.numBytes) };
}

/** Appends step records to a JSONL file (created with its folder on first write). */
export class JsonlLog {
  private ready = false;
  constructor(readonly file: string) {}

  async write(record: object): Promise<void> {
    if (!this.ready) {
      await mkdir(dirname(this.file), { recursive: true });
      this.ready = true;
    }
    await appendFile(this.file, JSON.stringify(record) + '\n');
  }
}
