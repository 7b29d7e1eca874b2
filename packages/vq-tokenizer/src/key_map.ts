import { HealthGPTError, checkBuildable, type ModelSpec } from '@healthgpt/tensor-core/base';
import { latentSize, toVQError, vqConfigSchema, type VQConfig } from './config.js';

/** Keys a taming checkpoint may hold that inference does not use (the discriminator and LPIPS). */
export const IGNORABLE_KEYS: RegExp[] = [/^loss\./];

type Entry = [string, number[]];

function* conv(name: string, cout: number, cin: number, k: number): Generator<Entry> {
  yield [`${name}.weight`, [cout, cin, k, k]];
  yield [`${name}.bias`, [cout]];
}

function* groupNorm(name: string, c: number): Generator<Entry> {
  yield [`${name}.weight`, [c]];
  yield [`${name}.bias`, [c]];
}

function* resnetBlock(name: string, cin: number, cout: number): Generator<Entry> {
  yield* groupNorm(`${name}.norm1`, cin);
  yield* conv(`${name}.conv1`, cout, cin, 3);
  yield* groupNorm(`${name}.norm2`, cout);
  yield* conv(`${name}.conv2`, cout, cout, 3);
  if (cin !== cout) yield* conv(`${name}.nin_shortcut`, cout, cin, 1);
}

function* attnBlock(name: string, c: number): Generator<Entry> {
  yield* groupNorm(`${name}.norm`, c);
  for (const p of ['q', 'k', 'v', 'proj_out']) yield* conv(`${name}.${p}`, c, c, 1);
}

function* mid(name: string, c: number): Generator<Entry> {
  yield* resnetBlock(`${name}.block_1`, c, c);
  yield* attnBlock(`${name}.attn_1`, c);
  yield* resnetBlock(`${name}.block_2`, c, c);
}

/**
 * One resolution level as built: `count` ResnetBlocks, the first `first` = [in, out] wide and the
 * rest [width, width]; an AttnBlock after each when the level's resolution is listed; a resampler.
 */
interface LevelPlan {
  first: [number, number];
  count: number;
  width: number;
  attn: boolean;
  resample: boolean;
}

/** The encoder's levels in order (taming's `Encoder`). */
function encoderLevels(c: VQConfig): LevelPlan[] {
  const { ch, ch_mult, num_res_blocks, attn_resolutions } = c.ddconfig;
  let res = c.ddconfig.resolution;
  let cin = ch;
  return ch_mult.map((m, i) => {
    const level: LevelPlan = { first: [cin, ch * m], count: num_res_blocks, width: ch * m, attn: attn_resolutions.includes(res), resample: i !== ch_mult.length - 1 };
    cin = ch * m;
    if (level.resample) res /= 2;
    return level;
  });
}

/** The decoder's levels, built from the last to the first, indexed by level (taming's `Decoder`). */
function decoderLevels(c: VQConfig): LevelPlan[] {
  const { ch, ch_mult, num_res_blocks, attn_resolutions } = c.ddconfig;
  let res = latentSize(c.ddconfig);
  let cin = ch * ch_mult[ch_mult.length - 1];
  const levels: LevelPlan[] = new Array(ch_mult.length);
  for (let i = ch_mult.length - 1; i >= 0; i--) {
    levels[i] = { first: [cin, ch * ch_mult[i]], count: num_res_blocks + 1, width: ch * ch_mult[i], attn: attn_resolutions.includes(res), resample: i !== 0 };
    cin = ch * ch_mult[i];
    if (i !== 0) res *= 2;
  }
  return levels;
}

function* levels(name: string, plan: LevelPlan[], resample: 'downsample' | 'upsample'): Generator<Entry> {
  for (const [i, l] of plan.entries()) {
    for (let b = 0; b < l.count; b++) yield* resnetBlock(`${name}.${i}.block.${b}`, b === 0 ? l.first[0] : l.width, l.width);
    if (l.attn) for (let b = 0; b < l.count; b++) yield* attnBlock(`${name}.${i}.attn.${b}`, l.width);
    if (l.resample) yield* conv(`${name}.${i}.${resample}.conv`, l.width, l.width, 3);
  }
}

/**
 * Every parameter of a VQ tokenizer with config `c`: taming's checkpoint names and shapes, in the
 * order the model registers them. Analytic: nothing is allocated.
 */
export function* vqKeyShapes(c: VQConfig): Generator<Entry> {
  const dd = c.ddconfig;
  const enc = encoderLevels(c);
  const dec = decoderLevels(c);
  const top = enc[enc.length - 1].width;
  yield* conv('encoder.conv_in', dd.ch, dd.in_channels, 3);
  yield* levels('encoder.down', enc, 'downsample');
  yield* mid('encoder.mid', top);
  yield* groupNorm('encoder.norm_out', top);
  yield* conv('encoder.conv_out', dd.z_channels, top, 3);
  yield* conv('decoder.conv_in', top, dd.z_channels, 3);
  yield* mid('decoder.mid', top);
  yield* levels('decoder.up', dec, 'upsample');
  yield* groupNorm('decoder.norm_out', dec[0].width);
  yield* conv('decoder.conv_out', dd.out_ch, dec[0].width, 3);
  if (c.quantizer === 'gumbel') {
    yield* conv('quantize.proj', c.n_embed, dd.z_channels, 1);
    yield ['quantize.embed.weight', [c.n_embed, c.embed_dim]];
  } else {
    yield ['quantize.embedding.weight', [c.n_embed, c.embed_dim]];
  }
  yield* conv('quant_conv', c.embed_dim, dd.z_channels, 1);
  yield* conv('post_quant_conv', dd.z_channels, c.embed_dim, 1);
}

const convCount = (cout: number, cin: number, k: number) => cout * cin * k * k + cout;
const resnetCount = (cin: number, cout: number) => 2 * cin + convCount(cout, cin, 3) + 2 * cout + convCount(cout, cout, 3) + (cin !== cout ? convCount(cout, cin, 1) : 0);
const attnCount = (c: number) => 2 * c + 4 * convCount(c, c, 1);
const midCount = (c: number) => 2 * resnetCount(c, c) + attnCount(c);
const levelsCount = (plan: LevelPlan[]) =>
  plan.reduce(
    (n, l) => n + resnetCount(l.first[0], l.width) + (l.count - 1) * resnetCount(l.width, l.width) + (l.attn ? l.count * attnCount(l.width) : 0) + (l.resample ? convCount(l.width, l.width, 3) : 0),
    0,
  );

/** The parameter count of a config, by formula over its levels (however many blocks each has). */
export function vqParameterCount(c: VQConfig): number {
  const dd = c.ddconfig;
  const enc = encoderLevels(c);
  const dec = decoderLevels(c);
  const top = enc[enc.length - 1].width;
  const quantizer = (c.quantizer === 'gumbel' ? convCount(c.n_embed, dd.z_channels, 1) : 0) + c.n_embed * c.embed_dim;
  return (
    convCount(dd.ch, dd.in_channels, 3) + levelsCount(enc) + midCount(top) + 2 * top + convCount(dd.z_channels, top, 3) +
    convCount(top, dd.z_channels, 3) + midCount(top) + levelsCount(dec) + 2 * dec[0].width + convCount(dd.out_ch, dec[0].width, 3) +
    quantizer + convCount(c.embed_dim, dd.z_channels, 1) + convCount(dd.z_channels, c.embed_dim, 1)
  );
}

/**
 * What the shared model-folder loader needs to know about the tokenizer: its config schema and key
 * map. taming's `loss.*` keys (discriminator, LPIPS) are skipped, never read.
 */
export const vqSpec: ModelSpec<VQConfig> = {
  name: 'VQ tokenizer',
  schema: vqConfigSchema,
  parameterCount: vqParameterCount,
  keyShapes: vqKeyShapes,
  ignore: () => IGNORABLE_KEYS,
};

/**
 * Refuse, before anything is allocated, a config whose parameters exceed `maxParameters` (default:
 * what this machine's memory holds as float32) or whose largest tensor TensorFlow.js cannot hold.
 */
export function checkVQBuildable(c: VQConfig, maxParameters?: number): void {
  try {
    checkBuildable(vqSpec, c, maxParameters);
  } catch (e) {
    throw e instanceof HealthGPTError ? toVQError(e) : e;
  }
}
