import { join } from 'node:path';
import { AdamW, Generator, GradientAccumulator, clipGradNorm, gradNorm, paramGroups, tf, type Module, type Schedule, type Tensor } from '@healthgpt/tensor-core';
import { DataLoader } from '../data/loader.js';
import { TrainerError } from '../errors.js';
import { applyTrainable, matchesAny } from './selectors.js';
import { lrMultiplier } from './schedule.js';
import { stageSteps, type StageSpec } from './stage.js';
import type { StepContext, Task, TaskLoss } from './task.js';
import { JsonlLog, memorySnapshot, type StepRecord } from './log.js';
import { progressBar, silentProgress, type ProgressSink } from './progress.js';
import { OPTIMIZER_FILE, latestCheckpoint, type ExportModel, loadCheckpointWeights, readTrainerState, writeCheckpoint, type TrainerState } from './checkpoint.js';
import { buildRowMasks, maskRows } from './rows.js';

export interface TrainerOptions {
  /** The module whose parameters train (the tasks close over it for their losses). */
  model: Module;
  tasks: readonly Task[];
  /** Folder of the run: checkpoints (`checkpoints/`) and the step log (`train_log.jsonl`). None: neither. */
  outDir?: string;
  /** The JSONL step log (default `<outDir>/train_log.jsonl`; null: none). */
  logFile?: string | null;
  /** Progress display: 'auto' (a bar on stderr when it is a TTY; the default), false, or a sink of your own. */
  progress?: 'auto' | false | ProgressSink;
  /** Called after every optimizer step. */
  onStep?: (record: StepRecord) => void;
  /** Save a checkpoint and stop at the next step boundary on SIGINT (default true when `outDir` is set). */
  handleSignals?: boolean;
  /** Complete checkpoints kept (default 2; 0 keeps all). */
  keepCheckpoints?: number;
  /** Called before each stage's first step (its parameters selected, the model still in eval mode), with the trainable names and the stage's tasks. */
  onStageStart?: (stage: StageSpec, info: { trainable: readonly string[]; tasks: readonly Task[] }) => void | Promise<void>;
  /** Called after each stage ends (after its final checkpoint; the model in eval mode). */
  onStageEnd?: (stage: StageSpec, result: StageResult, info: { tasks: readonly Task[] }) => void | Promise<void>;
  /**
   * Write the model in its own folder layout into a stage's final checkpoint, as its `model/`
   * sub-folder committed with it (e.g. `(m, w) => savePretrained(m as HealthGPT, w)` with
   * `@healthgpt/model`), so each stage's result loads with the model's own loader.
   */
  exportModel?: ExportModel;
}

/** What one stage did. */
export interface StageResult {
  name: string;
  /** Optimizer steps of the stage (all of them, resumed or not). */
  steps: number;
  /** One record per step (its loss curve). */
  history: StepRecord[];
  skipped: number;
  seconds: number;
  trainableParameters: number;
  /** The stage's final checkpoint (when the run has an `outDir`). */
  checkpoint?: string;
}

export interface RunResult {
  stages: StageResult[];
  /** Stopped by SIGINT or `requestStop()` (a checkpoint was written when the run has an `outDir`). */
  interrupted: boolean;
  /** The last checkpoint written. */
  checkpoint?: string;
}

interface StageRun {
  spec: StageSpec;
  index: number;
  tasks: Task[];
  weights: number[];
  loaders: Map<string, DataLoader<unknown>>;
  optimizer: AdamW;
  schedule: Schedule;
  steps: number;
  mix: Generator;
  masks: Map<string, Tensor>;
  trainable: number;
  trainableNames: string[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The one training loop: runs stages (data: trainable selectors, parameter groups, schedule,
 * mixture of tasks, batch size, accumulation, clipping, length) over tasks (a batch source and a
 * loss), with tensor-core's AdamW, checkpoints that resume bit for bit, a JSONL step log and a
 * progress bar. It knows nothing of any model: the tasks do.
 */
export class Trainer {
  private stopRequested = false;
  private readonly log: JsonlLog | null;
  private readonly progress: ProgressSink;
  private lastCheckpoint: string | undefined;

  constructor(readonly options: TrainerOptions) {
    const names = options.tasks.map((t) => t.name);
    TrainerError.check(new Set(names).size === names.length, 'ARGUMENT', () => `task names must be unique, got ${names.join(', ')}`);
    const file = options.logFile === undefined ? (options.outDir ? join(options.outDir, 'train_log.jsonl') : null) : options.logFile;
    this.log = file ? new JsonlLog(file) : null;
    this.progress = options.progress === false ? silentProgress : options.progress === undefined || options.progress === 'auto' ? progressBar() : options.progress;
  }

  /** Stop at the next step boundary (after saving a checkpoint when the run has an `outDir`). */
  requestStop(): void {
    this.stopRequested = true;
  }

  /**
   * Run `stages` in order. With `resume`, continue from the newest complete checkpoint in
   * `outDir` (stages it finished are not run again; their results come from the checkpoint).
   */
  async run(stages: readonly StageSpec[], { resume = false }: { resume?: boolean } = {}): Promise<RunResult> {
    TrainerError.check(stages.length > 0, 'ARGUMENT', `'run' needs at least one stage`);
    const { outDir, handleSignals = outDir !== undefined } = this.options;
    let from: { dir: string; state: TrainerState } | null = null;
    if (resume) {
      TrainerError.check(outDir !== undefined, 'ARGUMENT', `'resume' needs the run's 'outDir'`);
      const dir = await latestCheckpoint(outDir);
      if (dir) from = { dir, state: await readTrainerState(dir) };
    }
    const onSignal = () => this.requestStop();
    if (handleSignals) process.on('SIGINT', onSignal);
    const results: StageResult[] = from ? [...((from.state as TrainerState & { done?: StageResult[] }).done ?? [])] : [];
    try {
      if (from) {
        TrainerError.check(from.state.stageIndex < stages.length && stages[from.state.stageIndex].name === from.state.stage, 'CHECKPOINT', () => `the checkpoint is of stage ${from!.state.stageIndex} '${from!.state.stage}', which this run's stages do not have at that place`, { file: from!.dir });
        await loadCheckpointWeights(from.dir, this.options.model);
      }
      for (let i = from ? from.state.stageIndex : 0; i < stages.length; i++) {
        const resumeHere = from && from.state.stageIndex === i ? from : null;
        if (resumeHere && resumeHere.state.step >= resumeHere.state.stageSteps) continue; // finished: its result is in `done`
        // the stage after a finished one starts afresh, but the generators that outlive a stage
        // (dropout, the tasks' own) continue where the checkpoint left them, as in an uninterrupted run
        const carry = from && from.state.stageIndex === i - 1 && from.state.step >= from.state.stageSteps ? from : null;
        const r = await this.runStage(i, stages[i], resumeHere, results, carry);
        if (r === 'stopped') return { stages: results, interrupted: true, checkpoint: this.lastCheckpoint };
        results.push(r);
        await this.options.onStageEnd?.(stages[i], r, { tasks: this.stageTasks(stages[i]) });
        if (this.stopRequested && i + 1 < stages.length) return { stages: results, interrupted: true, checkpoint: this.lastCheckpoint };
      }
      return { stages: results, interrupted: false, checkpoint: this.lastCheckpoint };
    } finally {
      if (handleSignals) process.off('SIGINT', onSignal);
    }
  }

  private setup(index: number, spec: StageSpec): StageRun {
    const where = `stage '${spec.name}'`;
    TrainerError.check(Number.isFinite(spec.lr) && spec.lr >= 0, 'STAGE', () => `'lr' of ${where} must be a finite number ≥ 0, got ${spec.lr}`);
    TrainerError.check(Number.isInteger(spec.batchSize) && spec.batchSize > 0, 'STAGE', () => `'batchSize' of ${where} must be a positive integer, got ${spec.batchSize}`);
    const accum = spec.gradientAccumulation ?? 1;
    TrainerError.check(Number.isInteger(accum) && accum > 0, 'STAGE', () => `'gradientAccumulation' of ${where} must be a positive integer, got ${accum}`);
    const byName = new Map(this.options.tasks.map((t) => [t.name, t]));
    const mixture = spec.mixture ?? Object.fromEntries(this.options.tasks.map((t) => [t.name, t.items.length]));
    const entries = Object.entries(mixture).filter(([, w]) => w > 0);
    TrainerError.check(entries.length > 0, 'STAGE', `${where} has no task with a positive weight in its mixture`);
    for (const [name, w] of Object.entries(mixture)) {
      TrainerError.check(byName.has(name), 'STAGE', () => `${where} mixes task '${name}', which the trainer was not given (tasks: ${[...byName.keys()].join(', ')})`, { key: name });
      TrainerError.check(Number.isFinite(w) && w >= 0, 'STAGE', () => `the mixture weight of task '${name}' in ${where} must be a finite number ≥ 0, got ${w}`, { key: name });
    }
    const tasks = entries.map(([n]) => byName.get(n)!);
    const model = this.options.model;
    const trainable = applyTrainable(model, spec.trainable, where);
    const groups = paramGroups(
      trainable,
      (spec.groups ?? []).map((g) => ({ name: g.name, match: (n: string) => matchesAny(Array.isArray(g.match) ? g.match : [g.match as never], n), lr: g.lr, weightDecay: g.weightDecay })),
    ).filter((g) => [...g.params].length > 0);
    const optimizer = new AdamW(groups, { lr: spec.lr, weightDecay: spec.weightDecay ?? 0, betas: spec.betas as [number, number] | undefined, eps: spec.eps });
    const seed = spec.seed ?? 0;
    const loaders = new Map<string, DataLoader<unknown>>();
    tasks.forEach((t, k) => {
      const group = spec.groupByLength !== false && t.lengthOf;
      loaders.set(t.name, new DataLoader(t.items, { batchSize: spec.batchSize, seed: seed * 131 + k + 1, lengths: group ? t.items.map((x) => t.lengthOf!(x)) : undefined }));
    });
    const perEpoch = [...loaders.values()].reduce((n, l) => n + l.batchesPerEpoch, 0);
    const steps = stageSteps(spec.length, perEpoch, accum);
    TrainerError.check(Number.isInteger(steps) && steps > 0, 'STAGE', () => `${where} must run at least one step, got ${steps}`);
    return {
      spec,
      index,
      tasks,
      weights: entries.map(([, w]) => w),
      loaders,
      optimizer,
      schedule: lrMultiplier(spec.schedule ?? { kind: 'constant' }, steps),
      steps,
      mix: new Generator(seed * 17 + 3),
      masks: buildRowMasks(spec.rows ?? [], trainable, where),
      trainable: trainable.reduce((n, [, p]) => n + p.size, 0),
      trainableNames: trainable.map(([n]) => n),
    };
  }

  private stageTasks(spec: StageSpec): Task[] {
    const names = Object.entries(spec.mixture ?? Object.fromEntries(this.options.tasks.map((t) => [t.name, 1]))).filter(([, w]) => w > 0).map(([n]) => n);
    return this.options.tasks.filter((t) => names.includes(t.name));
  }

  /** Every generator whose state a resumed run needs: the task draws, each module's own (dropout), each task's. */
  private generators(run: StageRun): Map<string, Generator> {
    const out = new Map<string, Generator>([['mixture', run.mix]]);
    for (const [path, m] of this.options.model.namedModules()) {
      const gen = (m as unknown as { gen?: unknown }).gen;
      if (gen instanceof Generator) out.set(`module:${path}`, gen);
    }
    for (const t of this.options.tasks) for (const [k, g] of Object.entries(t.generators?.() ?? {})) out.set(`task:${t.name}:${k}`, g);
    return out;
  }

  private async restore(run: StageRun, from: { dir: string; state: TrainerState }): Promise<void> {
    const s = from.state;
    TrainerError.check(s.stageSteps === run.steps, 'CHECKPOINT', () => `the checkpoint's stage '${s.stage}' runs ${s.stageSteps} steps, this one ${run.steps}`, { file: from.dir });
    await run.optimizer.load(join(from.dir, OPTIMIZER_FILE));
    for (const [name, loader] of run.loaders) {
      const c = s.loaders[name];
      TrainerError.check(c !== undefined, 'CHECKPOINT', `has no data cursor for task '${name}'`, { file: from.dir, key: name });
      loader.setState(c);
    }
    this.restoreGenerators(run, from, false);
  }

  /** Set every generator of `run` (or, with `lasting`, all but the stage's own mixture draws) to its state in `from`. */
  private restoreGenerators(run: StageRun, from: { dir: string; state: TrainerState }, lasting: boolean): void {
    for (const [name, g] of this.generators(run)) {
      if (lasting && name === 'mixture') continue;
      const st = from.state.generators[name];
      TrainerError.check(st !== undefined, 'CHECKPOINT', `has no state for generator '${name}'`, { file: from.dir, key: name });
      g.setState(st);
    }
  }

  private async checkpoint(run: StageRun, step: number, history: StepRecord[], skipped: number, seconds: number, done: StageResult[]): Promise<string | undefined> {
    if (!this.options.outDir) return undefined;
    const state: TrainerState & { done: StageResult[] } = {
      version: 1,
      stageIndex: run.index,
      stage: run.spec.name,
      step,
      stageSteps: run.steps,
      loaders: Object.fromEntries([...run.loaders].map(([n, l]) => [n, l.state()])),
      generators: Object.fromEntries([...this.generators(run)].map(([n, g]) => [n, g.getState()])),
      skipped,
      history,
      seconds,
      done,
    };
    const opt = run.optimizer.stateDict();
    try {
      const exportModel = step === run.steps ? this.options.exportModel : undefined;
      this.lastCheckpoint = await writeCheckpoint(this.options.outDir, this.options.model, opt, state, { keep: this.options.keepCheckpoints ?? 2, exportModel });
    } finally {
      tf.dispose([...opt.values()]);
    }
    return this.lastCheckpoint;
  }

  private pickTask(run: StageRun): Task {
    if (run.tasks.length === 1) return run.tasks[0];
    const total = run.weights.reduce((a, b) => a + b, 0);
    let u = run.mix.random() * total;
    for (let k = 0; k < run.tasks.length; k++) if ((u -= run.weights[k]) < 0) return run.tasks[k];
    return run.tasks[run.tasks.length - 1];
  }

  private async runStage(index: number, spec: StageSpec, from: { dir: string; state: TrainerState } | null, done: StageResult[], carry: { dir: string; state: TrainerState } | null = null): Promise<StageResult | 'stopped'> {
    const run = this.setup(index, spec);
    const model = this.options.model;
    let history: StepRecord[] = [];
    let skipped = 0;
    let seconds = 0;
    try {
      if (from) {
        await this.restore(run, from);
        history = [...from.state.history];
        skipped = from.state.skipped;
        seconds = from.state.seconds;
      } else if (carry) this.restoreGenerators(run, carry, true);
      await this.options.onStageStart?.(spec, { trainable: run.trainableNames, tasks: run.tasks });
      this.progress.start(spec.name, run.steps, history.length);
      model.train();
      for (let step = history.length; step < run.steps; step++) {
        const t0 = performance.now();
        const record = this.step(run, step);
        if (record.skipped) skipped++;
        seconds += (performance.now() - t0) / 1000;
        history.push(record);
        await this.log?.write(record);
        this.options.onStep?.(record);
        this.progress.update(record, step + 1);
        const every = spec.checkpointEvery ?? 0;
        const last = step + 1 === run.steps;
        if (!last && ((every > 0 && (step + 1) % every === 0) || this.stopRequested)) await this.checkpoint(run, step + 1, history, skipped, seconds, done);
        if (this.stopRequested && !last) return 'stopped';
      }
      model.eval();
      const result: StageResult = { name: spec.name, steps: run.steps, history, skipped, seconds, trainableParameters: run.trainable };
      const ckpt = await this.checkpoint(run, run.steps, history, skipped, seconds, [...done, result]);
      if (ckpt) result.checkpoint = ckpt;
      return result;
    } finally {
      model.eval();
      this.progress.stop();
      run.optimizer.dispose();
      tf.dispose([...run.masks.values()]);
    }
  }

  /** One optimizer step: micro-batches drawn by the mixture, gradients averaged, checked, clipped, applied. */
  private step(run: StageRun, step: number): StepRecord {
    const { spec, optimizer } = run;
    const t0 = performance.now();
    optimizer.scaleLr(run.schedule(step));
    const accum = new GradientAccumulator();
    const losses: number[] = [];
    const perTask = new Map<string, number[]>();
    const parts = new Map<string, number[]>();
    let tokens = 0;
    let bad: string | null = null;
    try {
      for (let micro = 0; micro < (spec.gradientAccumulation ?? 1); micro++) {
        const task = this.pickTask(run);
        const loaded = run.loaders.get(task.name)!.next();
        const batch = task.collate(loaded.items);
        try {
          const ctx: StepContext = { stage: spec.name, step, micro };
          let kept: Record<string, Tensor> = {};
          const { loss, grads } = this.options.model.computeGradients(() => {
            const out = task.loss(batch, ctx);
            if (out instanceof tf.Tensor) return out;
            kept = Object.fromEntries(Object.entries((out as TaskLoss).parts ?? {}).map(([k, v]) => [k, tf.keep(v)]));
            return (out as TaskLoss).loss;
          });
          const value = loss.dataSync()[0];
          loss.dispose();
          for (const [k, v] of Object.entries(kept)) {
            parts.set(`${task.name}/${k}`, [...(parts.get(`${task.name}/${k}`) ?? []), v.dataSync()[0]]);
            v.dispose();
          }
          accum.add(grads);
          losses.push(value);
          perTask.set(task.name, [...(perTask.get(task.name) ?? []), value]);
          tokens += task.tokens ? task.tokens(batch) : loaded.items.length;
          if (!Number.isFinite(value) && bad === null) bad = `the loss of task '${task.name}' is ${value} (epoch ${loaded.epoch}, batch ${loaded.index}, items ${loaded.indices.join(', ')})`;
        } finally {
          task.dispose?.(batch);
        }
      }
      const grads = maskRows(accum.mean(), run.masks);
      let norm: number;
      try {
        norm = spec.clipNorm ? clipGradNorm(grads, spec.clipNorm) : gradNorm(grads);
        if (!Number.isFinite(norm) && bad === null) bad = `the gradient norm is ${norm}`;
        if (bad === null) optimizer.step(grads);
      } finally {
        tf.dispose([...grads.values()]);
      }
      if (bad !== null && spec.onNonFinite !== 'skip')
        throw new TrainerError('NON_FINITE', `stage '${spec.name}' step ${step + 1}: ${bad}; the run stops with its last good checkpoint${this.lastCheckpoint ? ` (${this.lastCheckpoint})` : ' (none written yet)'} kept (set onNonFinite: 'skip' to skip such steps)`, { key: spec.name });
      const ms = performance.now() - t0;
      const record: StepRecord = {
        stage: spec.name,
        step: step + 1,
        loss: mean(losses),
        tasks: Object.fromEntries([...perTask].map(([k, v]) => [k, mean(v)])),
        lr: Object.fromEntries(optimizer.groups.map((g) => [g.name, g.lr])),
        gradNorm: norm,
        tokens,
        tokensPerSecond: tokens / (ms / 1000),
        ms,
        memory: memorySnapshot(),
      };
      if (parts.size) record.parts = Object.fromEntries([...parts].map(([k, v]) => [k, mean(v)]));
      if (bad !== null) record.skipped = true;
      return record;
    } finally {
      accum.dispose();
    }
  }
}
