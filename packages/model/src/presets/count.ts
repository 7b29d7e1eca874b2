import { parameterCount as decoderParameterCount, parseConfig, type DecoderConfig } from '@healthgpt/decoder';
import { resolveVisionConfig, visionParameterCount } from '@healthgpt/vision-encoder';
import { makeConfig, latentSize, type VQConfig } from '@healthgpt/vq-tokenizer';
import type { HealthGPTConfigJson } from '../config/schema.js';
import { ModelError } from '../errors.js';

/** Parameter counts of a config, by part, computed from its shapes alone (nothing is built). */
export interface ParameterCounts {
  decoder: number;
  vision: number;
  /** Per task. */
  projectors: Record<string, number>;
  /** Per task (adapter tensors of every wrapped layer). */
  plugins: Record<string, number>;
  /** The VQ image tokenizer (its own folder; not in the model's module tree). */
  vq: number;
  /** Everything in the module tree: decoder + vision + projectors + plugins (the VQ tokenizer excluded). */
  model: number;
  total: number;
}

/** [in, out] of each Linear a plugin can wrap in one decoder layer, by module name. */
function layerLinears(c: DecoderConfig): Record<string, [number, number]> {
  const { hiddenSize: d, intermediateSize: i, numHeads: h, numKvHeads: kv, headDim: hd } = c;
  const common: Record<string, [number, number]> = { o_proj: [h * hd, d], down_proj: [i, d] };
  if (c.modelType === 'phi3') return { ...common, qkv_proj: [d, (h + 2 * kv) * hd], gate_up_proj: [d, 2 * i] };
  return { ...common, q_proj: [d, h * hd], k_proj: [d, kv * hd], v_proj: [d, kv * hd], gate_proj: [d, i], up_proj: [d, i] };
}

/** A LLaVA projector's parameters: `linear`, `identity` or `mlp{N}x_gelu`. */
export function projectorParameterCount(type: string, inF: number, outF: number): number {
  if (type === 'identity') return 0;
  if (type === 'linear') return inF * outF + outF;
  const m = /^mlp(\d+)x_gelu$/.exec(type);
  ModelError.check(m !== null, 'CONFIG', `unknown projector type '${type}'`, { path: 'projector_type' });
  return inF * outF + outF + (Number(m[1]) - 1) * (outF * outF + outF);
}

/** taming's GumbelVQ / VQ model: encoder, decoder, quant_conv, post_quant_conv and the quantizer. */
export function vqParameterCount(cfg: VQConfig): number {
  const dd = cfg.ddconfig;
  const conv = (i: number, o: number, k: number) => i * o * k * k + o;
  const norm = (c: number) => 2 * c;
  const resnet = (i: number, o: number) => norm(i) + conv(i, o, 3) + norm(o) + conv(o, o, 3) + (i !== o ? conv(i, o, 1) : 0);
  const attn = (c: number) => norm(c) + 4 * conv(c, c, 1);
  const mid = (c: number) => 2 * resnet(c, c) + attn(c);
  const levels = dd.ch_mult.length;
  let n = conv(dd.in_channels, dd.ch, 3);
  let res = dd.resolution;
  let blockIn = dd.ch;
  dd.ch_mult.forEach((mult, l) => {
    const out = dd.ch * mult;
    for (let b = 0; b < dd.num_res_blocks; b++) {
      n += resnet(blockIn, out) + (dd.attn_resolutions.includes(res) ? attn(out) : 0);
      blockIn = out;
    }
    if (l !== levels - 1) {
      n += conv(blockIn, blockIn, 3);
      res /= 2;
    }
  });
  n += mid(blockIn) + norm(blockIn) + conv(blockIn, dd.z_channels, 3);
  blockIn = dd.ch * dd.ch_mult[levels - 1];
  res = latentSize(dd);
  n += conv(dd.z_channels, blockIn, 3) + mid(blockIn);
  for (let l = levels - 1; l >= 0; l--) {
    const out = dd.ch * dd.ch_mult[l];
    for (let b = 0; b <= dd.num_res_blocks; b++) {
      n += resnet(blockIn, out) + (dd.attn_resolutions.includes(res) ? attn(out) : 0);
      blockIn = out;
    }
    if (l !== 0) {
      n += conv(blockIn, blockIn, 3);
      res *= 2;
    }
  }
  n += norm(blockIn) + conv(blockIn, dd.out_ch, 3);
  n += conv(dd.z_channels, cfg.embed_dim, 1) + conv(cfg.embed_dim, dd.z_channels, 1);
  n += cfg.quantizer === 'gumbel' ? conv(dd.z_channels, cfg.n_embed, 1) + cfg.n_embed * cfg.embed_dim : cfg.n_embed * cfg.embed_dim;
  return n;
}

/** Every part's parameter count for a HealthGPT config.json object (analytic; the m3/l14/xl32 presets are never built). */
export function countParameters(json: HealthGPTConfigJson): ParameterCounts {
  const text = parseConfig(json.text_config as Record<string, unknown>);
  const vision = resolveVisionConfig(json.vision_config);
  const decoder = decoderParameterCount(text);
  const visionN = visionParameterCount(vision);
  const linears = layerLinears(text);
  const projectors: Record<string, number> = {};
  const plugins: Record<string, number> = {};
  for (const [name, t] of Object.entries(json.tasks)) {
    projectors[name] = projectorParameterCount(json.projector_type, vision.hidden_size, text.hiddenSize);
    if (!t.plugin) {
      plugins[name] = 0;
      continue;
    }
    const { r, lora_nums: k = 1, adapter_kind: kind } = t.plugin;
    const perLayer = t.plugin.target_modules.reduce((n, m) => {
      const shape = linears[m];
      ModelError.check(shape !== undefined, 'CONFIG', `tasks.${name}.plugin.target_modules: '${m}' is not a Linear of a ${text.modelType} layer (${Object.keys(linears).join(', ')})`, { path: `tasks.${name}.plugin.target_modules` });
      const [inF, outF] = shape;
      return n + r * inF + outF * r + (kind === 'lora' ? 0 : k * inF);
    }, 0);
    plugins[name] = perLayer * text.numLayers;
  }
  const vq = json.vq_config ? vqParameterCount(makeConfig(json.vq_config)) : 0;
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  const model = decoder + visionN + sum(projectors) + sum(plugins);
  return { decoder, vision: visionN, projectors, plugins, vq, model, total: model + vq };
}
