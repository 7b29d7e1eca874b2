/**
 * The tfjs-free part of `io` (also exported from `@healthgpt/tensor-core/base`): the safetensors
 * types, JSON configs checked by schema, the folder reader/writer, checkpoint headers, the
 * header-first load plan and its bounds, and saving a model folder from plain data. The plumbing
 * under these (header codec, safe opener, journal) is in `./internal.ts`.
 */
export type { SafetensorsDtype } from './safetensors/dtypes.js';
export { MAX_HEADER_BYTES, type TensorInfo, type SafetensorsHeader } from './safetensors/format.js';
export { fileDtypeOf, type TensorData } from './safetensors/tensor_data.js';
export { MAX_JSON_BYTES } from './fs/json.js';
export { validateJson, type ConfigSchema } from './schema.js';
export { CONFIG_FILE, WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from './folder/names.js';
export { FolderWriter, recoverFolder } from './folder/writer.js';
export { FolderReader } from './folder/reader.js';
export { Checkpoint, readCheckpoint, type CheckpointShard, type StoredTensor, type ReadCheckpointOptions } from './folder/checkpoint.js';
export { MAX_TENSOR_ELEMENTS, defaultMaxParameters, checkParameterCount, checkTensorSize } from './model/budget.js';
export { planLoad, checkBuildable, matchesAny, type ModelSpec, type KeyPattern, type PlanOptions, type LoadPlan } from './model/spec.js';
export { saveModelFolder, writeWeights, withFolderWriter, type SaveModelFolderOptions, type WriteWeightsOptions, type TensorEntries } from './model/save.js';
