/**
 * @healthgpt/vl-health: HealthGPT's data — the VL-Health sample schema, readers (LLaVA JSON,
 * streamed JSONL, the VQA-RAD release, image folder + CSV), medical image decoding into
 * `RawImage` (PNG/JPEG/WebP, DICOM, NIfTI), the deterministic `vl-health-synth` phantom set, task
 * builders, splits, validation and fetching. Makes no tensors.
 */
export { DatasetError, type DatasetErrorCode } from './errors.js';
export {
  TASKS,
  KNOWN_SUBTASKS,
  sampleRecordSchema,
  safeParseSample,
  parseSample,
  sampleToRecord,
  type Task,
  type Sample,
  type ConversationTurn,
  type SchemaIssue,
  type ParseSampleOptions,
} from './schema.js';
export { resolveInside, checkPixelCount, DEFAULT_MAX_PIXELS } from './safety.js';
export { parseLlavaJson, readLlavaJson, checkUniqueIds, type ReadJsonOptions } from './readers/llava.js';
export { streamJsonl, readJsonl, type JsonlOptions, type JsonlItem } from './readers/jsonl.js';
export { readVqaRad, normaliseVqaRadRecord, vqaRadSample, type VqaRadRecord, type VqaRadDataset } from './readers/vqa_rad.js';
export { readImageFolder, listImages, type ImageFolderOptions, type ImageFolderResult } from './readers/folder.js';
export { decodeImage, loadImage, sniffFormat, type ImageFormat, type DecodeOptions, type LoadImageOptions } from './decode/image.js';
export { decodeRaster, encodePng, type RasterOptions } from './decode/raster.js';
export { decodeDicom, applyWindow, type DicomOptions, type DicomInfo, type DicomWindow } from './decode/dicom.js';
export { decodeNifti, type NiftiVolume, type NiftiOptions } from './decode/nifti.js';
export { sliceVolume, type SliceOptions, type Normalise } from './decode/slice.js';
export { resizeImage, type ResizeOptions } from './resize.js';
export {
  superResolutionPair,
  reconstructionPair,
  denoisingPair,
  volumeSlices,
  type ImagePair,
  type SuperResolutionOptions,
  type ReconstructionOptions,
  type DenoisingOptions,
  type VolumeSlicesOptions,
} from './tasks/builders.js';
export { splitByImage, officialSplit, type SplitOptions } from './splits.js';
export { validateDataset, type ValidationReport, type Problem, type ValidateOptions } from './validate.js';
export { fetchDataset, DATASET_SOURCES, type DatasetSource, type FetchOptions, type FetchResult } from './fetch/dataset.js';
export { download, type DownloadOptions, type DownloadProgress, type Downloaded } from './fetch/download.js';
export { extractArchive } from './fetch/extract.js';
export { DEFAULT_EXTRACT_LIMITS, type ExtractLimits } from './fetch/limits.js';
export {
  generateSynth,
  synthScenes,
  writeSynth,
  SYNTH_TASKS,
  SYNTH_SAMPLES_FILE,
  GENERATION_ANSWER,
  type SynthOptions,
  type SynthSet,
  type SynthScene,
  type SynthTask,
} from './synth/generate.js';
export { phantomImages, type PhantomOptions } from './synth/phantoms.js';
export { MODALITIES, ORGANS, LESION_RADIUS, type Modality, type Scene, type Side, type SizeClass } from './synth/scene.js';
export { QUESTION_TYPES, closedQuestionPairs, vqaTurns, type QuestionType, type Qa, type SceneFacts } from './synth/questions.js';
export { toGray, grayToRaw, type Gray } from './image_ops.js';
