/**
 * @healthgpt/trainer: one training loop for every stage of HealthGPT.
 */
export { TrainerError, type TrainerErrorCode } from './errors.js';
export { DataLoader, type LoaderOptions, type LoaderState, type LoadedBatch } from './data/loader.js';
export type { Task, TaskLoss, StepContext } from './loop/task.js';
export { matches, matchesAny, applyTrainable, type Selector } from './loop/selectors.js';
export { lrMultiplier, type ScheduleSpec } from './loop/schedule.js';
export { stageSteps, type StageSpec, type GroupSpec, type RowSpec, type StageLength } from './loop/stage.js';
export { Trainer, type TrainerOptions, type StageResult, type RunResult } from './loop/trainer.js';
export { JsonlLog, type StepRecord } from './loop/log.js';
export { progressBar, silentProgress, type ProgressSink } from './loop/progress.js';
export { writeCheckpoint, listCheckpoints, latestCheckpoint, readTrainerState, loadCheckpointWeights, WEIGHTS_FILE, OPTIMIZER_FILE, STATE_FILE, CHECKPOINTS_DIR, MODEL_DIR, type TrainerState, type ExportModel } from './loop/checkpoint.js';
export { encodeSamples, bySubtask, type ImageResolver, type TrainItem } from './healthgpt/data.js';
export { healthGPTTask, healthGPTTasks } from './healthgpt/task.js';
export { paperStages, mixedStage, scaleLr, healthGPTSelectors, imageTokenRows, PAPER_HYPERPARAMETERS, type PaperStageOptions, type PaperStageData, type LrScaling } from './healthgpt/stages.js';
export { trainTokenizer, templateSpecialTokens, sampleTexts, sampleDocuments, type TokenizerOptions } from './stage0/tokenizer.js';
export { packDocuments, languageModelTask, perplexity } from './stage0/lm.js';
export { sceneQuestions, sceneQuestionDocuments, describedQuestion, describedAccuracy, describedQuestionTask, type SceneQuestions, type DescribedItem } from './stage0/scene_documents.js';
export { ContrastiveModel, TextTower, contrastiveTask, type CaptionPair } from './stage0/clip.js';
export { towerFeatures, linearProbe } from './stage0/probe.js';
export { vqTask } from './stage0/vq.js';
export { normalizeAnswer, answerTokens, exactMatch, tokenRecall, corpusBleu, rougeL } from './eval/text_metrics.js';
export { imageScores, type ImageScores } from './eval/image_metrics.js';
export { majorityAnswers, questionOnlyAnswers, type AnswerBaseline } from './eval/baselines.js';
export { evaluate, type EvaluateOptions, type EvalReport, type ComprehensionRow, type QuestionTypeScores, type GenerationRow, type ComprehensionExample, type GenerationExample } from './eval/evaluate.js';
export { runStage0, type Stage0Options, type Stage0Result, type Stage0Budget, type RunHooks } from './pipeline/stage0.js';
export { runPipeline, evalSubset, exportHealthGPT, PIPELINE_BUDGETS, type PipelineOptions, type PipelineReport, type PipelineBudget } from './pipeline/demo.js';
export { demoBar, DEMO_SIGNIFICANCE, type DemoBar } from './pipeline/bar.js';
export { signTestPValue, pairedComparison } from './eval/significance.js';
export { syntheticData, cloneParts, assembleModel, type SyntheticData, type Stage0Parts } from './pipeline/parts.js';
export { questionPairSamples, QUESTION_PAIRS_SUBTASK } from './pipeline/question_pairs.js';
export { ablateTrainingSchedule, ablatePluginKinds, pluginTasks, type AblationOptions, type AblationRow, type AblationTable } from './pipeline/ablations.js';
export { runVqaRad, vqaRadSplit, VQA_RAD_BUDGET, type VqaRadSplit, type VqaRadOptions, type VqaRadReport, type VqaRadBudget } from './pipeline/vqa_rad.js';
