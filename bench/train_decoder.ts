/**
 * The training workload of the benchmark: the shipped `DecoderLM` (Phi-3 layout) at the size of
 * the original benchmark decoder (d 256, 4 layers, 4 heads, seq 128, batch 8, vocab 1024; 3.7 M
 * parameters), trained with tensor-core's AdamW. train_decoder.py runs the same model from the
 * same safetensors in PyTorch.
 */
import { tf, AdamW, Generator, paramGroups, type Tensor } from '@healthgpt/tensor-core';
import { DecoderLM, preset, type DecoderConfigJson } from '@healthgpt/decoder';

/** Phi-3 layout; the SwiGLU width 688 ≈ 8/3·d keeps the MLP at the parameters and FLOPs of a 4·d GELU MLP. */
export const BENCH_DECODER: DecoderConfigJson = {
  ...preset('phi3-tiny'),
  vocab_size: 1024,
  hidden_size: 256,
  intermediate_size: 688,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  max_position_embeddings: 128,
};
export const SEQ = 128;
export const BATCH = 8;
/** AdamW settings, shared with train_decoder.py: no decay for rank-1 weights (norms). */
export const OPTIM = { lr: 1e-3, betas: [0.9, 0.999] as const, eps: 1e-8, weightDecay: 0.01 };

/** Deterministic token ids int32 [batch, SEQ] (the labels are the ids: DecoderLM shifts them). */
export function benchIds(batch: number, seed = 1): Tensor {
  const gen = new Generator(seed);
  const toks = Int32Array.from({ length: batch * SEQ }, () => gen.int(BENCH_DECODER.vocab_size as number));
  return tf.tensor2d(toks, [batch, SEQ], 'int32');
}

export function benchOptimizer(model: DecoderLM): AdamW {
  return new AdamW(paramGroups(model.trainableParameters(), [{ name: 'no_decay', match: (_, p) => p.rank < 2, weightDecay: 0 }]), OPTIM);
}

/** A model, its optimizer and a batch, kept alive so steps can be timed in several rounds. */
export class BenchTrainer {
  readonly model: DecoderLM;
  readonly opt: AdamW;
  readonly ids: Tensor;
  /** Loss of every step taken, in order. */
  readonly losses: number[] = [];

  constructor(batch: number, seed = 0) {
    this.model = new DecoderLM(BENCH_DECODER, { seed });
    this.opt = benchOptimizer(this.model);
    this.ids = benchIds(batch);
  }

  /** One training step: forward with labels, gradients, AdamW; returns the loss (read back, so the step has finished). */
  step(): number {
    const { loss, grads } = this.model.computeGradients(() => this.model.forward({ inputIds: this.ids, labels: this.ids, useCache: false }).loss!);
    this.opt.step(grads);
    const l = loss.dataSync()[0];
    tf.dispose([loss, ...grads.values()]);
    this.losses.push(l);
    return l;
  }

  /** Run `n` steps; returns each one's wall time in ms. */
  steps(n: number): number[] {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      this.step();
      ms.push(performance.now() - t0);
    }
    return ms;
  }

  dispose(): void {
    this.ids.dispose();
    this.opt.dispose();
    this.model.dispose();
  }
}
