import { tf } from '@healthgpt/tensor-core';
import type { HealthGPT, HealthGPTBatch } from '@healthgpt/model';
import type { Task } from '../loop/task.js';
import type { TrainItem } from './data.js';

/**
 * A training task over encoded HealthGPT samples: batches are the processor's right-padded
 * collation (each row routed to its own task's plugin, projector and ViT layer by the model),
 * the loss is the model's next-token cross-entropy on reply tokens. Lengths (ids) drive
 * length-grouped batching; tokens/s counts spliced positions (text tokens + image patches).
 */
export function healthGPTTask(model: HealthGPT, name: string, items: readonly TrainItem[]): Task<TrainItem, HealthGPTBatch> {
  const patches = model.patchesPerImage;
  return {
    name,
    items,
    lengthOf: (it) => it.ids.length,
    collate: (batch) => model.processor.collate(batch),
    loss: (b) => model.computeLoss({ inputIds: b.inputIds, attentionMask: b.attentionMask, labels: b.labels, pixelValues: b.pixelValues, task: b.task }),
    tokens: (b) => b.attentionMask.reduce((n, r) => n + r.reduce((a, x) => a + x, 0), 0) + (b.pixelValues ? b.pixelValues.shape[0] * (patches - 1) : 0),
    dispose: (b) => b.pixelValues && tf.dispose(b.pixelValues),
  };
}

/** One task per subtask of `items` (named by it), e.g. `vqa`, `caption`, `super-resolution`. */
export function healthGPTTasks(model: HealthGPT, groups: ReadonlyMap<string, readonly TrainItem[]>): Task<TrainItem, HealthGPTBatch>[] {
  return [...groups].map(([name, items]) => healthGPTTask(model, name, items));
}
