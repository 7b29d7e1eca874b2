/**
 * The tfjs-free part of `io` (also exported from `@healthgpt/tensor-core/base`): safetensors
 * format and codecs, writing tensors given as plain data, safe file opening, JSON configs checked
 * by schema, the folder reader/writer, checkpoint headers and the header-first load plan.
 */
export { DTYPE_SIZE, HOST_DTYPE, type SafetensorsDtype, type HostDtype } from './safetensors/dtypes.js';
export { MAX_HEADER_BYTES, parseHeader, serializeHeader, numelOf, type TensorInfo, type SafetensorsHeader, type HeaderEntry } from './safetensors/format.js';
export { fileDtypeOf, type TensorData } from './safetensors/tensor_data.js';
export { writeSafetensorsTo, type WriteSafetensorsOptions } from './safetensors/stream.js';
export { openRegularFile, type OpenedFile, type SafeOpenOptions } from './fs/safe_open.js';
export { MAX_JSON_BYTES, parseJsonText } from './fs/json.js';
export { validateJson, describeIssue, type ConfigSchema, type SchemaIssue } from './schema.js';
export { JOURNAL_FILE, CONFIG_FILE, WEIGHTS_FILE, WEIGHTS_INDEX_FILE, checkRelativePath, checkShardName } from './folder/names.js';
export { FolderWriter, recoverFolder } from './folder/writer.js';
export { FolderReader } from './folder/reader.js';
export { Checkpoint, readCheckpoint, readCheckpointFile, type CheckpointShard, type StoredTensor, type ReadCheckpointOptions } from './folder/checkpoint.js';
export { MAX_TENSOR_ELEMENTS, defaultMaxParameters, checkParameterCount, checkTensorSize } from './model/budget.js';
export { planLoad, checkBuildable, matchesAny, type ModelSpec, type KeyPattern, type PlanOptions, type LoadPlan } from './model/spec.js';
export { saveModelFolder, writeWeights, withFolderWriter, type SaveModelFolderOptions, type WriteWeightsOptions, type TensorEntries } from './model/save.js';
