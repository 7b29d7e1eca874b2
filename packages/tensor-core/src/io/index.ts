/**
 * Reading and writing tensors and model folders: safetensors (format, dtype codecs, files), the
 * safe file opener, JSON configs checked by schema, the folder reader/writer with whole-folder
 * commits, and the model-folder loader that checks headers before allocating.
 */
export * from './base.js';
export { parseSafetensors, serializeSafetensors, type SafetensorsContents, type LoadSafetensorsOptions, type SaveSafetensorsOptions } from './safetensors/memory.js';
export { loadSafetensors, saveSafetensors, readSafetensorsHeader } from './safetensors/file.js';
export { loadModelFolder, loadPlanInto, loadPlanTensors, type LoadModelFolderOptions } from './model/load.js';
