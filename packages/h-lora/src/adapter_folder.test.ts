import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderReader, FolderWriter } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';
import { adapterStateDict, injectAdapters, loadAdapter, saveAdapter, HLoraError, ADAPTER_WEIGHTS_FILE } from './index.js';
import { ToyLM } from './modules.test_util.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'adapter-folder-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const withAdapter = () => {
  const m = new ToyLM(4, 1, 6).eval();
  injectAdapters(m, { targets: ['qkv_proj'], kind: 'lora', config: { r: 2, loraAlpha: 4 }, name: 'comprehension' });
  return m;
};

describe('adapter folders through the shared folder reader/writer', () => {
  it('save as task-plugin sub-folders of one bigger save, committed together, and load from there', async () => {
    const m = withAdapter();
    const w = await FolderWriter.open(dir);
    await w.json('config.json', { model_type: 'healthgpt' });
    await saveAdapter(m, w.sub('plugins/comprehension'), 'comprehension');
    expect(readdirSync(join(dir, 'plugins', 'comprehension')).filter((f) => !f.startsWith('.'))).toEqual([]); // staged only
    await w.commit();
    const fresh = new ToyLM(4, 1, 6).eval();
    const plugin = async () => (await FolderReader.open(dir)).sub('plugins/comprehension');
    expect((await loadAdapter(fresh, await plugin(), { name: 'comprehension' })).injected).toEqual(['model.layers.0.self_attn.qkv_proj']);
    await expectNoLeaks(async () => {
      await loadAdapter(fresh, await plugin(), { name: 'comprehension' }); // into the adapter it made: no new tensor
    }, { what: 'loadAdapter from a sub-folder' });
    const [a, b] = [adapterStateDict(m, 'comprehension'), adapterStateDict(fresh, 'comprehension')];
    expect([...b.keys()]).toEqual([...a.keys()]);
    [m, fresh].forEach((x) => x.dispose());
  });

  it('refuses weights that are a FIFO or a link out of the folder, and leaves the model as it was', async () => {
    const m = withAdapter();
    await saveAdapter(m, join(dir, 'a'), 'comprehension');
    await saveAdapter(m, join(dir, 'b'), 'comprehension');
    rmSync(join(dir, 'a', ADAPTER_WEIGHTS_FILE));
    symlinkSync(join(dir, 'b', ADAPTER_WEIGHTS_FILE), join(dir, 'a', ADAPTER_WEIGHTS_FILE));
    const fresh = new ToyLM(4, 1, 6).eval();
    const params = fresh.namedParameters().map(([k]) => k);
    await expect(loadAdapter(fresh, join(dir, 'a'))).rejects.toMatchObject({ name: 'HLoraError', code: 'CHECKPOINT', detail: expect.stringMatching(/outside the folder/) });
    rmSync(join(dir, 'a', ADAPTER_WEIGHTS_FILE));
    execFileSync('mkfifo', [join(dir, 'a', ADAPTER_WEIGHTS_FILE)]);
    await expect(loadAdapter(fresh, join(dir, 'a'))).rejects.toThrow(HLoraError);
    await expect(loadAdapter(fresh, join(dir, 'a'))).rejects.toMatchObject({ detail: expect.stringMatching(/is a FIFO/) });
    expect(fresh.namedParameters().map(([k]) => k)).toEqual(params);
    [m, fresh].forEach((x) => x.dispose());
  });
});
