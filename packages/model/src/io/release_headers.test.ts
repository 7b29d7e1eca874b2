import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, loadSafetensors, readSafetensorsHeader, saveSafetensors, type Tensor } from '@healthgpt/tensor-core';
import { serializeHeader, type HeaderEntry } from '@healthgpt/tensor-core/internal';
import { expectNoLeaks } from '@healthgpt/testing';
import { HealthGPT, ModelError, type ReleaseFiles } from '../index.js';
import { perturbPlugins, tinyModel } from '../../test/tiny.test_util.js';

const QKV_A = 'base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight';

/** `fromRelease(files)` must fail with a ModelError carrying `code`, `file` and `key` (and `message`), leaking nothing. */
async function refuses(files: ReleaseFiles, want: { file: string; key?: string; message: RegExp }): Promise<void> {
  await expectNoLeaks(
    async () => {
      const err = await HealthGPT.fromRelease(files).then(
        (m) => (m.dispose(), null),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ModelError);
      expect(err).toMatchObject({ code: 'CHECKPOINT', file: want.file, ...(want.key ? { key: want.key } : {}) });
      expect((err as Error).message).toMatch(want.message);
    },
    { what: `refused release (${want.file})` },
  );
}

describe('fromRelease reads every plugin file header first', () => {
  const root = mkdtempSync(join(tmpdir(), 'healthgpt-release-headers-'));
  let files: ReleaseFiles;
  let rank: number;
  beforeAll(async () => {
    const model = tinyModel(21);
    perturbPlugins(model, 4);
    files = await model.saveRelease(join(root, 'release'));
    model.dispose();
    rank = (await readSafetensorsHeader(files.plugins.comprehension)).tensors.get(QKV_A)!.shape[0];
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** The comprehension file with `edit` applied to its tensors, saved as `name`. */
  async function editedPlugin(name: string, edit: (t: Map<string, Tensor>) => void): Promise<string> {
    const { tensors } = await loadSafetensors(files.plugins.comprehension);
    edit(tensors);
    const out = join(root, name);
    await saveSafetensors(out, tensors);
    tensors.forEach((t) => t.dispose());
    return out;
  }

  it('refuses a header that claims more bytes than the bound or the file holds, naming the file', async () => {
    const file = join(root, 'huge_header.safetensors');
    const bytes = new Uint8Array(64);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 40n, true);
    writeFileSync(file, bytes);
    await refuses({ ...files, plugins: { ...files.plugins, comprehension: file } }, { file, message: /header length 1099511627776 exceeds/ });
  });

  it('refuses an H-LoRA tensor of the wrong shape, naming the file, the key and the expected shape', async () => {
    const file = await editedPlugin('wrong_shape.safetensors', (t) => {
      const a = t.get(QKV_A)!;
      t.set(QKV_A, tf.zeros([a.shape[0], a.shape[1]! + 1]));
      a.dispose();
    });
    await refuses({ ...files, plugins: { ...files.plugins, comprehension: file } }, { file, key: QKV_A, message: new RegExp(`expected \\[${rank}, \\d+\\]`) });
  });

  it('refuses a key that adapts no decoder linear, and a projector of the wrong width', async () => {
    const head = 'base_model.model.lm_head.lora_A.weight';
    const stray = await editedPlugin('stray.safetensors', (t) => t.set(head, tf.zeros([rank, 4])));
    await refuses({ ...files, plugins: { ...files.plugins, comprehension: stray } }, { file: stray, key: head, message: /no linear layer of the decoder/ });
    const p0 = 'base_model.model.model.mm_projector.0.weight';
    const narrow = await editedPlugin('narrow_projector.safetensors', (t) => {
      const w = t.get(p0)!;
      t.set(p0, tf.zeros([w.shape[0], w.shape[1]! - 1]));
      w.dispose();
    });
    await refuses({ ...files, plugins: { ...files.plugins, comprehension: narrow } }, { file: narrow, key: p0, message: /projector from \d+ to \d+/ });
  });

  it('refuses a consistent rank too large for its decoder before reading any tensor (a sparse file of over 1 GB)', async () => {
    const header = await readSafetensorsHeader(files.plugins.comprehension);
    const big = 1 << 16;
    const entries: HeaderEntry[] = [...header.tensors].map(([name, info]) => {
      const s = info.shape;
      const shape = name.endsWith('.lora_A.weight') ? [big, s[1]] : name.endsWith('.lora_B.weight') ? [s[0], big] : s;
      return { name, dtype: info.dtype, shape };
    });
    const { bytes, dataBytes } = serializeHeader(entries);
    const file = join(root, 'huge_rank.safetensors');
    writeFileSync(file, bytes);
    const fd = openSync(file, 'r+');
    ftruncateSync(fd, bytes.length + dataBytes);
    closeSync(fd);
    expect(statSync(file).size).toBeGreaterThan(2 ** 30);
    await refuses({ ...files, plugins: { ...files.plugins, comprehension: file } }, { file, message: /parameters, more than the \d+ of the decoder it adapts/ });
  });

  it('refuses fusion layer weights whose rows do not match the extended vocabulary, naming the key', async () => {
    const { tensors } = await loadSafetensors(files.fusion!);
    const key = 'base_model.model.model.embed_tokens.weight';
    const e = tensors.get(key)!;
    tensors.set(key, tf.zeros([e.shape[0] - 1, e.shape[1]!]));
    e.dispose();
    const file = join(root, 'fusion_short.safetensors');
    await saveSafetensors(file, tensors);
    tensors.forEach((t) => t.dispose());
    await refuses({ ...files, fusion: file }, { file, key, message: /the model's 'model\.embed_tokens\.weight' is/ });
  });

  it('still loads the untouched release, leak-free', async () => {
    await expectNoLeaks(async () => (await HealthGPT.fromRelease(files)).dispose(), { what: 'fromRelease + dispose' });
  });
});
