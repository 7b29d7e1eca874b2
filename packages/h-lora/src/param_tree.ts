import { Module, type Tensor, type Variable } from '@healthgpt/tensor-core';

/**
 * A container module whose parameters and children are added from outside by dotted path, so
 * an adapter's tensors get peft's names (`lora_A.<adapter>.weight`, `lora_A.<adapter>.0.weight`).
 */
export class ParamTree extends Module {
  /** Store `value` (ownership taken) at `path`, creating intermediate containers. */
  set(path: string, value: Tensor, trainable = true): Variable {
    const parts = path.split('.');
    let node: ParamTree = this;
    for (const part of parts.slice(0, -1)) node = node.subtree(part);
    return node.registerParameter(parts[parts.length - 1], value, { trainable });
  }

  /** The child container `name`, created when absent. */
  subtree(name: string): ParamTree {
    const existing = this.namedChildren().find(([n]) => n === name)?.[1];
    if (existing instanceof ParamTree) return existing;
    return this.registerModule(name, new ParamTree());
  }

  /** Register any module as child `name` (e.g. an adapter's Dropout). */
  add<M extends Module>(name: string, module: M): M {
    return this.registerModule(name, module);
  }

  has(name: string): boolean {
    return this.namedChildren().some(([n]) => n === name);
  }
}
