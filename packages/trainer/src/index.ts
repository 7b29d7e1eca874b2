/**
 * @healthgpt/trainer: one training loop for every stage of HealthGPT.
 */
export { TrainerError, type TrainerErrorCode } from './errors.js';
export { DataLoader, type LoaderOptions, type LoaderState, type LoadedBatch } from './data/loader.js';
export type { Task, TaskLoss, StepContext } from './loop/task.js';
export { globToRegExp, matches, matchesAny, applyTrainable, type Selector } from './loop/selectors.js';
export { lrMultiplier, type ScheduleSpec } from './loop/schedule.js';
export { stageSteps, type StageSpec, type GroupSpec, type RowSpec, type StageLength } from './loop/stage.js';
export { Trainer, type TrainerOptions, type StageResult, type RunResult } from './loop/trainer.js';
export { JsonlLog, memorySnapshot, type StepRecord } from './loop/log.js';
export { progressBar, silentProgress, type ProgressSink } from './loop/progress.js';
export { writeCheckpoint, listCheckpoints, latestCheckpoint, readTrainerState, loadCheckpointWeights, WEIGHTS_FILE, OPTIMIZER_FILE, STATE_FILE, CHECKPOINTS_DIR, type TrainerState } from './loop/checkpoint.js';
