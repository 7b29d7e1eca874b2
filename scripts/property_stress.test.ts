import { describe, it, expect } from 'vitest';
import { stressParameters } from './property_stress.js';

describe('stress parameters for fast-check properties', () => {
  it('scales numRuns (fast-check’s default 100 when unset), drops a fixed seed and path, keeps examples', () => {
    const examples: [number][] = [[3]];
    expect(stressParameters({ numRuns: 15, seed: 7, path: '1:2', examples }, 4)).toEqual({ numRuns: 60, examples });
    expect(stressParameters(undefined, 2.5)).toEqual({ numRuns: 250 });
    expect(stressParameters({ numRuns: 3 }, 0.1)).toEqual({ numRuns: 1 });
  });

  it('keeps the seed and path when asked, and refuses a scale that is not positive', () => {
    expect(stressParameters({ numRuns: 10, seed: 7, path: '0' }, 2, true)).toEqual({ numRuns: 20, seed: 7, path: '0' });
    expect(stressParameters({ numRuns: 10 }, 2, true)).toEqual({ numRuns: 20 });
    for (const bad of [0, -1, Number.NaN]) expect(() => stressParameters({}, bad)).toThrow(RangeError);
  });
});
