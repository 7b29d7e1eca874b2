import { Generator } from '@healthgpt/tensor-core';

/**
 * A seeded `Generator` whose `random()` throws `RangeError(message)` after `draws` draws: makes a
 * model's construction fail part-way, to check that it leaks none of the tensors made before.
 */
export function generatorFailingAfter(draws: number, seed = 1, message = 'generator exhausted'): Generator {
  let n = 0;
  return new (class extends Generator {
    override random(): number {
      if (++n > draws) throw new RangeError(message);
      return super.random();
    }
  })(seed);
}
