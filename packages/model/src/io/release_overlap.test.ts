import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tf, loadSafetensors, readSafetensorsHeader, saveSafetensors, type Tensor } from '@healthgpt/tensor-core';
import { HealthGPT, RELEASE_PREFIX, RELEASE_PROJECTOR } from '../index.js';
import { comprehensionSample, generationSample, image, perturbPlugins, tinyModel } from '../../test/tiny.test_util.js';

describe('a savePretrained folder through the release importer', () => {
  const root = mkdtempSync(join(tmpdir(), 'healthgpt-overlap-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('each PEFT plugin folder plus its projector is exactly a release plugin file, and imports back to identical logits', async () => {
    const model = tinyModel(31);
    perturbPlugins(model, 6);
    await model.savePretrained(join(root, 'ours'));
    const files = await model.saveRelease(join(root, 'release'));
    const { tensors: base } = await loadSafetensors(join(root, 'ours', 'model.safetensors'));
    const plugins: Record<string, string> = {};
    for (const task of model.tasks) {
      // Where the layouts overlap: the PEFT adapter file as saved, plus the task's projector under the release's one name.
      const { tensors } = await loadSafetensors(join(root, 'ours', 'plugins', task, 'adapter_model.safetensors'));
      const projector = `model.${model.config.tasks.get(task)!.projector}.`;
      for (const [k, t] of base) if (k.startsWith(projector)) tensors.set(`${RELEASE_PREFIX}${RELEASE_PROJECTOR}.${k.slice(projector.length)}`, t);
      plugins[task] = join(root, `${task}_from_ours.safetensors`);
      await saveSafetensors(plugins[task], tensors);
      const ours = [...tensors.keys()].sort();
      const release = [...(await readSafetensorsHeader(files.plugins[task])).tensors.keys()].sort();
      expect(ours).toEqual(release);
      tensors.forEach((t, k) => (k.startsWith(`${RELEASE_PREFIX}${RELEASE_PROJECTOR}.`) ? undefined : t.dispose()));
    }
    base.forEach((t: Tensor) => t.dispose());
    const back = await HealthGPT.fromRelease({ ...files, plugins });
    const p = model.processor;
    const batch = p.collate([p.encodeSample(comprehensionSample('c', 'Which organ?', 'The liver.'), [image(24, 30)]), p.encodeSample(generationSample('g', 'Reconstruct this image.'), [image(32, 32)], image(32, 32, 3, 4))]);
    const a = model.forward(batch);
    const b = back.forward(batch);
    expect(Array.from(b.logits.dataSync())).toEqual(Array.from(a.logits.dataSync()));
    tf.dispose([a.logits, a.loss!, b.logits, b.loss!, batch.pixelValues!]);
    [model, back].forEach((m) => m.dispose());
  });
});
