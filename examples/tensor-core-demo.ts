/**
 * The interim main job (until the `healthgpt demo` command exists): a tiny character-level
 * decoder built from @healthgpt/tensor-core blocks learns a few radiology sentences on the default
 * backend, is saved to safetensors, reloaded, and asked to complete a prompt.
 *
 *   npm run example
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  tf,
  initBackend,
  manualSeed,
  Module,
  ModuleList,
  Linear,
  Embedding,
  RMSNorm,
  silu,
  RotaryEmbedding,
  applyRotary,
  scaledDotProductAttention,
  crossEntropy,
  saveSafetensors,
  loadSafetensors,
  type Tensor,
} from '@healthgpt/tensor-core';

const corpus = [
  'axial ct of the head shows no acute hemorrhage. ',
  'frontal chest x-ray: the lungs are clear. ',
  't2 mri shows a small lesion in the left lobe. ',
];
const text = corpus.join('');
const vocab = [...new Set(text)].sort();
const encode = (s: string) => [...s].map((c) => vocab.indexOf(c));
const decode = (ids: number[]) => ids.map((i) => vocab[i]).join('');

const D = 64;
const HEADS = 4;
const T = 48;

class Block extends Module {
  constructor() {
    super();
    this.registerModule('input_layernorm', new RMSNorm(D, 1e-5));
    this.registerModule('qkv_proj', new Linear(D, 3 * D, { bias: false }));
    this.registerModule('o_proj', new Linear(D, D, { bias: false }));
    this.registerModule('post_attention_layernorm', new RMSNorm(D, 1e-5));
    this.registerModule('gate_up_proj', new Linear(D, 4 * D, { bias: false }));
    this.registerModule('down_proj', new Linear(2 * D, D, { bias: false }));
  }

  /** h: [B, T, D] → [B, T, D] */
  forward(h: Tensor, cos: Tensor, sin: Tensor): Tensor {
    const [b, t] = h.shape;
    const heads = (x: Tensor) => x.reshape([b, t, HEADS, D / HEADS]).transpose([0, 2, 1, 3]); // [B, H, T, hd]
    const x = this.child<RMSNorm>('input_layernorm').forward(h);
    const [q, k, v] = tf.split(this.child<Linear>('qkv_proj').forward(x), 3, -1);
    const a = scaledDotProductAttention(applyRotary(heads(q), cos, sin), applyRotary(heads(k), cos, sin), heads(v), { causal: true });
    h = tf.add(h, this.child<Linear>('o_proj').forward(a.transpose([0, 2, 1, 3]).reshape([b, t, D])));
    const [g, u] = tf.split(this.child<Linear>('gate_up_proj').forward(this.child<RMSNorm>('post_attention_layernorm').forward(h)), 2, -1);
    return tf.add(h, this.child<Linear>('down_proj').forward(tf.mul(u, silu(g))));
  }
}

const rope = new RotaryEmbedding(D / HEADS, 10000);

class TinyLM extends Module {
  constructor() {
    super();
    this.registerModule('embed_tokens', new Embedding(vocab.length, D, { std: 0.02 }));
    this.registerModule('layers', new ModuleList([new Block(), new Block()]));
    this.registerModule('norm', new RMSNorm(D, 1e-5));
    this.registerModule('lm_head', new Linear(D, vocab.length, { bias: false }));
  }

  /** ids: int32 [B, T] → logits [B, T, V] */
  forward(ids: Tensor): Tensor {
    return tf.tidy(() => {
      const [b, t] = ids.shape;
      const { cos, sin } = rope.tables(Array.from({ length: b * t }, (_, i) => i % t), b, t); // [B, 1, T, hd]
      let h = this.child<Embedding>('embed_tokens').forward(ids);
      for (const layer of this.child<ModuleList<Block>>('layers')) h = layer.forward(h, cos, sin);
      return this.child<Linear>('lm_head').forward(this.child<RMSNorm>('norm').forward(h));
    });
  }
}

const backend = await initBackend();
console.log(`backend: ${backend.name} (simd ${backend.simd}, threads ${backend.threads})`);
manualSeed(0);
const model = new TinyLM();
console.log(`parameters: ${model.numParameters().toLocaleString()}`);

const ids = encode(text);
const batch = (step: number) => {
  const rows: number[][] = [];
  for (let r = 0; r < 8; r++) {
    const start = (step * 7 + r * 13) % (ids.length - T - 1);
    rows.push(ids.slice(start, start + T + 1));
  }
  return rows;
};

const opt = tf.train.adam(3e-3);
const t0 = performance.now();
for (let step = 0; step <= 150; step++) {
  const rows = batch(step);
  const loss = tf.tidy(() => {
    const x = tf.tensor2d(rows.map((r) => r.slice(0, T)), [8, T], 'int32');
    const y = tf.tensor2d(rows.map((r) => r.slice(1)), [8, T], 'int32');
    return opt.minimize(() => crossEntropy(model.forward(x), y) as tf.Scalar, true, model.parameters())!;
  });
  if (step % 30 === 0) console.log(`step ${String(step).padStart(3)}  loss ${loss.dataSync()[0].toFixed(3)}`);
  loss.dispose();
}
console.log(`trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const file = join(mkdtempSync(join(tmpdir(), 'healthgpt-demo-')), 'model.safetensors');
await saveSafetensors(file, model.stateDict(), { format: 'pt' });
const reloaded = new TinyLM();
const { tensors } = await loadSafetensors(file);
reloaded.loadStateDict(tensors);
tensors.forEach((t) => t.dispose());
console.log(`saved and reloaded ${file}`);

let out = encode('axial ct');
for (let i = 0; i < 40; i++) {
  const next = tf.tidy(() => {
    const logits = reloaded.forward(tf.tensor2d([out.slice(-T)], undefined, 'int32'));
    return logits.slice([0, logits.shape[1]! - 1, 0], [1, 1, -1]).argMax(-1).dataSync()[0];
  });
  out.push(next);
}
console.log(`completion: "${decode(out)}"`);
model.dispose();
reloaded.dispose();
opt.dispose();
