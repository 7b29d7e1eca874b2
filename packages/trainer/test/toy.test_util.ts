/**
 * Test support: a toy regression model (two Linear layers with a seeded Dropout between them) and
 * a task over fixed random items, to exercise the loop without a large model.
 */
import { tf, Module, Linear, Dropout, Generator, type Tensor } from '@healthgpt/tensor-core';
import type { Task } from '../src/index.js';

export class Toy extends Module {
  constructor(seed = 0, dropout = 0.2) {
    super();
    const gen = new Generator(seed);
    this.registerModule('fc1', new Linear(4, 8, { gen }));
    this.registerModule('drop', new Dropout(dropout, { seed: seed + 11 }));
    this.registerModule('fc2', new Linear(8, 2, { gen }));
  }

  forward(x: Tensor): Tensor {
    return tf.tidy(() => this.child<Linear>('fc2').forward(this.child<Dropout>('drop').forward(tf.relu(this.child<Linear>('fc1').forward(x)))));
  }
}

export interface ToyItem {
  x: number[];
  y: number;
}

/** Items y = Σ w·x with a fixed w; `poison` items get NaN targets. */
export function toyItems(n: number, seed = 1, poison: number[] = []): ToyItem[] {
  const g = new Generator(seed);
  const w = [0.5, -1, 2, 0.25];
  return Array.from({ length: n }, (_, i) => {
    const x = w.map(() => g.normal());
    return { x, y: poison.includes(i) ? NaN : x.reduce((s, v, k) => s + v * w[k], 0) };
  });
}

export function toyTask(model: Toy, items: ToyItem[], name = 'regress'): Task<ToyItem, { x: Tensor; y: Tensor }> {
  return {
    name,
    items,
    lengthOf: (it) => Math.abs(it.x[0]),
    collate: (batch) => ({ x: tf.tensor2d(batch.map((b) => b.x)), y: tf.tensor2d(batch.map((b) => [b.y, -b.y])) }),
    loss: (b) => {
      const d = tf.sub(model.forward(b.x), b.y);
      return { loss: tf.mean(tf.square(d)), parts: { mae: tf.mean(tf.abs(d)) } };
    },
    tokens: (b) => b.x.shape[0],
    dispose: (b) => tf.dispose([b.x, b.y]),
  };
}
