import type { VQConfig, VQLossOptions } from '@healthgpt/vq-tokenizer';
import type { GroupSpec } from '../loop/stage.js';

/**
 * Learning rate of a straight-through VQ codebook in stage 0. The codebook starts at taming's
 * U(−1/n, 1/n) while the encoder's latents are of order one; at the network's lr (AdamW moves a
 * weight by about lr per step) the codes would take hundreds of steps to reach the latents, and
 * the commitment term would meanwhile pull the encoder towards near-zero codes.
 */
export const CODEBOOK_LR = 0.05;

/** Restart dead codes every this many steps, during the first half of the run. */
export const RESTART_EVERY = 10;

/**
 * Stage 0's recipe for the VQ tokenizer at a run of `steps`: L2 reconstruction; with the
 * straight-through quantizer, dead codes restarted onto the batch's worst-quantized latents
 * (step 0 thus initialises the codebook from data) and the codebook in its own parameter group at
 * `CODEBOOK_LR`; with the Gumbel quantizer, a codebook-diversity term and the temperature annealed
 * 1 → 1/16.
 */
export function vqRecipe(config: VQConfig, steps: number, seed: number): { loss: VQLossOptions; groups: GroupSpec[] } {
  if (config.quantizer === 'vq')
    return {
      loss: { steps, reconLoss: 'l2', seed, restartDeadCodes: { every: RESTART_EVERY, until: Math.floor(steps / 2) } },
      groups: [{ name: 'codebook', match: 'quantize.embedding.weight', lr: CODEBOOK_LR }],
    };
  return { loss: { steps, reconLoss: 'l2', diversity: 0.03, seed, temperature: { start: 1, end: 1 / 16 } }, groups: [] };
}
