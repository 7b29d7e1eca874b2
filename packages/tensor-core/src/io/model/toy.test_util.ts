import { z } from 'zod';
import { Module } from '../../module.js';
import { Linear } from '../../nn/linear.js';
import { ModuleList } from '../../module.js';
import type { ModelSpec } from './spec.js';

/** A small stack of Linear layers with a config.json, for the loader's tests. */
export const ToyConfigSchema = z.looseObject({
  width: z.int().positive().max(2 ** 31 - 1),
  layers: z.int().positive().max(2 ** 31 - 1),
  bias: z.boolean().optional().default(true),
});
export type ToyConfig = z.output<typeof ToyConfigSchema>;

export class ToyStack extends Module {
  constructor(
    readonly config: ToyConfig,
    { init = true }: { init?: boolean } = {},
  ) {
    super();
    const layers = new ModuleList<Linear>();
    this.registerModule('layers', layers);
    for (let i = 0; i < config.layers; i++) layers.push(new Linear(config.width, config.width, { bias: config.bias, init }));
  }
}

export const toySpec: ModelSpec<ToyConfig> = {
  name: 'toy stack',
  schema: ToyConfigSchema,
  parameterCount: (c) => c.layers * (c.width * c.width + (c.bias ? c.width : 0)),
  *keyShapes(c) {
    for (let i = 0; i < c.layers; i++) {
      yield [`layers.${i}.weight`, [c.width, c.width]];
      if (c.bias) yield [`layers.${i}.bias`, [c.width]];
    }
  },
  ignore: () => [/^extra\./],
};
