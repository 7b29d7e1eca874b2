import { describe, expect, it } from 'vitest';
import { tf, Module, Linear, ModuleList, disposeOnThrow } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';

class Failing extends Module {
  constructor(failAt: number) {
    super();
    disposeOnThrow(() => {
      const loose: Linear[] = [];
      for (let i = 0; i < 5; i++) {
        if (i === failAt) throw new RangeError(`layer ${i} cannot be built`);
        loose.push(new Linear(4, 4)); // made but not yet registered
      }
      this.registerModule('layers', new ModuleList(loose));
    });
  }
}

describe('disposeOnThrow', () => {
  it('a construction that fails part-way leaves no variable behind, registered or not', async () => {
    for (const failAt of [0, 1, 3]) {
      await expectNoLeaks(() => {
        expect(() => new Failing(failAt)).toThrow(`layer ${failAt} cannot be built`);
      }, { what: `construction failing at layer ${failAt}` });
    }
  });

  it('returns what the build returns and keeps its variables', () => {
    const before = tf.memory().numTensors;
    const m = disposeOnThrow(() => new Failing(99));
    expect(m.namedParameters()).toHaveLength(10);
    expect(tf.memory().numTensors).toBe(before + 10);
    m.dispose();
  });
});
