/**
 * @healthgpt/cli: the `healthgpt` command. Its parts are usable from code too: `runCli(argv)` runs
 * the command line in-process, `convertFolder` turns DICOM / NIfTI folders into a LLaVA data set.
 */
export { CliError, type CliErrorCode } from './errors.js';
export { runCli } from './run.js';
export { VERSION } from './version.js';
export { convertFolder, type ConvertOptions, type ConvertResult } from './data/convert.js';
export { GENERATION_TASKS, instructionFor, type GenerationTask, type InstructionOptions } from './data/tasks.js';
export type { DoctorReport } from './commands/doctor.js';
export type { Io } from './util/io.js';
export { renderReportHtml } from './report/html.js';
export { writeReport, reportMetrics, REPORT_FILE, METRICS_FILE, FIGURE_FILE } from './report/write.js';
export type { ReportData, ComprehensionRowLike, GenerationRowLike, ComprehensionExampleLike, GenerationExampleLike, VerdictLike, ImageScoresLike } from './report/types.js';
