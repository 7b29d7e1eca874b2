import { lstat, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { writeFileAtomic, type RawImage } from '@healthgpt/tensor-core/base';
import { decodeDicom, decodeNifti, encodePng, resizeImage, sampleToRecord, sniffFormat, superResolutionPair, volumeSlices, GENERATION_ANSWER, type Sample } from '@healthgpt/vl-health';
import { CliError } from '../errors.js';
import { instructionFor } from './tasks.js';

export interface ConvertOptions {
  /** What each slice becomes: `reconstruction` (input = target, the default) or `super-resolution` (a downsampled input). */
  task?: 'reconstruction' | 'super-resolution';
  /** NIfTI: the slicing axis (default 2, axial for RAS volumes) and every `step`-th slice (default 1). */
  axis?: 0 | 1 | 2;
  step?: number;
  /** Resize every slice to `size`×`size` first (default: keep each file's size). */
  size?: number;
  /** Super-resolution factor (default 4). */
  factor?: number;
  /** Largest input file in bytes (default 512 MiB). */
  maxBytes?: number;
  /** Replace `samples.json` and `images/` of an earlier conversion in `outDir`. */
  force?: boolean;
  /** Called after each input file. */
  onFile?: (done: number, total: number, file: string) => void;
}

export interface ConvertResult {
  /** Input files converted, and those skipped with the reason. */
  files: { file: string; format: 'dicom' | 'nifti'; slices: number }[];
  skipped: { file: string; reason: string }[];
  samples: number;
  images: number;
  /** The LLaVA JSON written. */
  samplesFile: string;
}

const SAMPLES = 'samples.json';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** A file name for a source path: its relative path with separators and odd characters as `_`. */
const stem = (rel: string) => rel.split(sep).join('__').replace(/\.(nii\.gz|nii|dcm|dicom|ima)$/i, '').replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * Convert a folder of DICOM and NIfTI files (searched recursively; other files are listed as
 * skipped) into PNG slices under `outDir/images/` and a LLaVA JSON (`outDir/samples.json`) of
 * generation samples that `healthgpt train` and `eval --dataset llava` read: each DICOM frame and
 * each non-empty NIfTI slice (first volume of a 4-D file) becomes a reconstruction sample, or with
 * `task: 'super-resolution'` a downsampled input and its full-resolution target. The source file,
 * slice or frame and (DICOM) modality go into each sample's `metadata`.
 */
export async function convertFolder(inDir: string, outDir: string, o: ConvertOptions = {}): Promise<ConvertResult> {
  const { task = 'reconstruction', axis = 2, step = 1, factor = 4, maxBytes = 512 * 2 ** 20 } = o;
  if (existsSync(join(outDir, SAMPLES)) && !o.force) throw new CliError('EXISTS', `${join(outDir, SAMPLES)} exists: pass --force to replace an earlier conversion, or choose another --out`);
  const inputs = await listFiles(inDir);
  const result: ConvertResult = { files: [], skipped: [], samples: 0, images: 0, samplesFile: join(outDir, SAMPLES) };
  if (o.force) await rm(join(outDir, 'images'), { recursive: true, force: true });
  await mkdir(join(outDir, 'images'), { recursive: true });
  const records: Record<string, unknown>[] = [];
  const written = new Set<string>();
  const save = async (name: string, img: RawImage) => {
    const file = `images/${name}.png`;
    if (!written.has(file)) {
      await writeFileAtomic(join(outDir, file), await encodePng(img));
      written.add(file);
    }
    return file;
  };
  for (const [i, file] of inputs.entries()) {
    const rel = relative(inDir, file);
    const size = (await lstat(file)).size;
    if (size > maxBytes) {
      result.skipped.push({ file: rel, reason: `larger than ${maxBytes} bytes` });
      o.onFile?.(i + 1, inputs.length, rel);
      continue;
    }
    const bytes = new Uint8Array(await readFile(file));
    const format = sniffFormat(bytes);
    if (format !== 'dicom' && format !== 'nifti') {
      result.skipped.push({ file: rel, reason: format === 'unknown' ? 'not DICOM or NIfTI' : `a ${format.toUpperCase()} file, not DICOM or NIfTI` });
      o.onFile?.(i + 1, inputs.length, rel);
      continue;
    }
    const slices: { tag: string; image: RawImage; meta: Record<string, unknown> }[] = [];
    if (format === 'dicom') {
      const first = decodeDicom(bytes, { file: rel });
      for (let f = 0; f < first.info.frames; f++) {
        const { image, info } = f === 0 ? first : decodeDicom(bytes, { file: rel, frame: f });
        slices.push({ tag: first.info.frames > 1 ? `-f${f}` : '', image, meta: { source: rel, frame: f, modality: info.modality || undefined } });
      }
    } else {
      const vol = await decodeNifti(bytes, { file: rel, maxBytes });
      for (const s of volumeSlices(vol, { axis, step })) slices.push({ tag: `-a${axis}s${String(s.index).padStart(3, '0')}`, image: s.image, meta: { source: rel, axis, slice: s.index } });
    }
    for (const s of slices) {
      const image = o.size ? await resizeImage(s.image, o.size, o.size) : s.image;
      const name = `${stem(rel)}${s.tag}`;
      const sample: Sample = { id: name, task: 'generation', subtask: task, images: [], conversations: [], metadata: Object.fromEntries(Object.entries(s.meta).filter(([, v]) => v !== undefined)) };
      if (task === 'super-resolution') {
        const pair = superResolutionPair(image, { factor });
        sample.images = [await save(`${name}-x${factor}`, pair.input)];
        sample.targetImage = await save(name, pair.target);
        sample.metadata.factor = factor;
      } else {
        sample.images = [await save(name, image)];
        sample.targetImage = sample.images[0];
      }
      sample.conversations = [
        { from: 'human', value: `<image>\n${instructionFor(task, { factor })}` },
        { from: 'gpt', value: GENERATION_ANSWER },
      ];
      records.push(sampleToRecord(sample));
    }
    result.files.push({ file: rel, format, slices: slices.length });
    o.onFile?.(i + 1, inputs.length, rel);
  }
  CliError.check(records.length > 0, 'FAILED', `no DICOM or NIfTI image found in ${inDir} (${result.skipped.length} other file${result.skipped.length === 1 ? '' : 's'} skipped)`);
  await writeFileAtomic(result.samplesFile, JSON.stringify(records, null, 1) + '\n');
  result.samples = records.length;
  result.images = written.size;
  return result;
}
