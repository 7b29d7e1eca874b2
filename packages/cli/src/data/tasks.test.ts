import { describe, expect, it } from 'vitest';
import { synthScenes } from '@healthgpt/vl-health';
import { instructionFor } from './tasks.js';

describe('instructionFor', () => {
  it('words each task exactly as the synthetic set does', () => {
    const seen = new Map<string, string>();
    for (const part of synthScenes({ seed: 0, count: 12, size: 16 }))
      for (const s of part.samples)
        if (s.task === 'generation' && s.subtask !== 'denoising') {
          const text = s.conversations[0].value.replace('<image>\n', '');
          const m = s.metadata as { from?: string; to?: string; factor?: number };
          expect(instructionFor(s.subtask as 'super-resolution' | 'modality-conversion' | 'reconstruction', { from: m.from, to: m.to, factor: m.factor })).toBe(text);
          seen.set(s.subtask!, text);
        }
    expect([...seen.keys()].sort()).toEqual(['modality-conversion', 'reconstruction', 'super-resolution']);
  });

  it('asks for the modalities of a conversion', () => {
    expect(() => instructionFor('modality-conversion', { from: 'CT' })).toThrow(/needs --from MODALITY and --to MODALITY/);
  });
});
