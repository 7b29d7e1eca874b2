import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  tf,
  FolderReader,
  FolderWriter,
  HealthGPTError,
  StateDictError,
  TensorCoreError,
  checkBuildable,
  loadModelFolder,
  saveModelFolder,
  saveSafetensors,
  type ModelSpec,
  type TensorEntries,
} from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';
import { ToyStack, toySpec, type ToyConfig } from './toy.test_util.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'model-folder-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

let builds = 0;
const build = (c: ToyConfig) => {
  builds++;
  return new ToyStack(c, { init: false });
};
const load = (opts: Parameters<typeof loadModelFolder>[3] = {}) => loadModelFolder(dir, toySpec, build, opts);
const sameWeights = (a: ToyStack, b: ToyStack) => {
  const sb = b.stateDict();
  for (const [k, t] of a.stateDict()) expect(Array.from(sb.get(k)!.dataSync()), k).toEqual(Array.from(t.dataSync()));
};
const fails = async (promise: Promise<unknown>, code: string, re: RegExp) => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TensorCoreError);
  expect((err as TensorCoreError).code).toBe(code);
  expect((err as Error).message).toMatch(re);
  return err as TensorCoreError;
};

describe('saveModelFolder / loadModelFolder', () => {
  it('round-trips one file and shards, removing the layout it replaces, without leaking', async () => {
    const m = new ToyStack({ width: 6, layers: 3, bias: true });
    await saveModelFolder(dir, { config: m.config, weights: m.namedParameters(), maxShardBytes: 200 });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors', 'model.safetensors.index.json']);
    const sharded = await load();
    sameWeights(m, sharded.model);
    expect(sharded.config).toEqual({ width: 6, layers: 3, bias: true });
    await saveModelFolder(dir, { config: m.config, weights: m.namedParameters(), files: { 'tokenizer.json': '{}' } });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    const single = await loadModelFolder(await FolderReader.open(dir), toySpec, build);
    sameWeights(m, single.model);
    await saveModelFolder(dir, { config: m.config, weights: m.namedParameters(), maxShardBytes: 200 });
    expect(readdirSync(dir).filter((f) => f === 'model.safetensors')).toEqual([]);
    await expectNoLeaks(async () => (await load()).model.dispose(), { what: 'loadModelFolder' });
    [m, sharded.model, single.model].forEach((x) => x.dispose());
  });

  it('saves into a bigger save as a sub-folder, committed with it', async () => {
    const m = new ToyStack({ width: 4, layers: 1, bias: false });
    const w = await FolderWriter.open(dir);
    await w.json('config.json', { model_type: 'assembled' });
    await saveModelFolder(w.sub('vq'), { config: m.config, weights: m.namedParameters() });
    expect(readdirSync(join(dir, 'vq')).filter((f) => !f.startsWith('.'))).toEqual([]); // only staged temporaries
    await w.commit();
    const back = await loadModelFolder((await FolderReader.open(dir)).sub('vq'), toySpec, build);
    sameWeights(m, back.model);
    [m, back.model].forEach((x) => x.dispose());
  });
});

const small = new ToyStack({ width: 4, layers: 2, bias: true });

describe('header before allocation', () => {
  const writeWith = (config: unknown, weights: TensorEntries = small.namedParameters()) => saveModelFolder(dir, { config, weights });

  it('a config promising 10⁶ layers beside a small checkpoint fails before any model is built', async () => {
    await writeWith({ width: 4, layers: 1_000_000 });
    builds = 0;
    await fails(load(), 'STATE_DICT', /implies 20000000 parameters in more than 1008 tensors for the toy stack, but the checkpoint holds 4 tensors with 40 parameters/);
    expect(builds).toBe(0);
  });

  it('a 1e12-wide config is a CONFIG error naming the field; a bound on the count is TOO_LARGE', async () => {
    await writeWith({ width: 1e12, layers: 1 });
    const e = await fails(load(), 'CONFIG', /'width' must be ≤ 2147483647, got 1000000000000 \(file .*config\.json, at width\)/);
    expect(e.path).toBe('width');
    await writeWith({ width: 4, layers: 2 });
    await fails(load({ maxParameters: 10 }), 'TOO_LARGE', /implies 40 parameters for the toy stack, more than the bound of 10/);
    expect(builds).toBe(0);
  });

  it('checkBuildable refuses, from the spec alone, a count over the bound or a tensor tfjs cannot hold', () => {
    expect(() => checkBuildable(toySpec, { width: 4, layers: 2, bias: true }, 40)).not.toThrow();
    expect(() => checkBuildable(toySpec, { width: 4, layers: 2, bias: true }, 39)).toThrow(expect.objectContaining({ code: 'TOO_LARGE', message: expect.stringMatching(/implies 40 parameters for the toy stack, more than the bound of 39/) }));
    expect(() => checkBuildable(toySpec, { width: 2 ** 20, layers: 1, bias: false }, 1e13)).toThrow(expect.objectContaining({ code: 'TOO_LARGE', key: 'layers.0.weight' }));
  });

  it('FolderReader.from opens a path and passes a reader through', async () => {
    await writeWith({ width: 4, layers: 2 });
    const reader = await FolderReader.open(dir);
    expect(await FolderReader.from(reader)).toBe(reader);
    expect((await FolderReader.from(dir)).dir).toBe(reader.dir);
  });

  it('a key map that never ends is abandoned once it names more tensors than the checkpoint has', async () => {
    const lying: ModelSpec<ToyConfig> = {
      ...toySpec,
      parameterCount: () => 0,
      *keyShapes() {
        for (let i = 0; ; i++) yield [`k${i}`, [1]];
      },
    };
    await writeWith({ width: 4, layers: 2 });
    await fails(loadModelFolder(dir, lying, build), 'STATE_DICT', /in more than 1008 tensors/);
  });

  it('lists every missing, unexpected and mis-shaped key at once, naming the file', async () => {
    const other = new ToyStack({ width: 4, layers: 3, bias: true });
    const weights = new Map<string, tf.Tensor>(other.namedParameters());
    weights.delete('layers.0.bias');
    weights.set('layers.1.bias', tf.zeros([5]));
    weights.set('extra.ignored', tf.zeros([2]));
    await writeWith({ width: 4, layers: 2 }, [...weights]);
    const err = (await fails(load(), 'STATE_DICT', /checkpoint does not match the toy stack/)) as StateDictError;
    expect(err).toBeInstanceOf(StateDictError);
    expect([err.missing, err.unexpected, err.mismatched]).toEqual([['layers.0.bias'], ['layers.2.weight', 'layers.2.bias'], [{ key: 'layers.1.bias', expected: [4], actual: [5] }]]);
    expect(err.file).toMatch(/model\.safetensors$/);
    weights.get('layers.1.bias')!.dispose();
    weights.get('extra.ignored')!.dispose();
    other.dispose();
  });

  it('reads keys under a prefix and skips the rest', async () => {
    await writeWith({ width: 4, layers: 2 }, [...small.namedParameters().map(([k, v]): [string, tf.Tensor] => [`model.inner.${k}`, v]), ['lm_head.weight', small.namedParameters()[0][1]]]);
    await fails(load(), 'STATE_DICT', /missing keys: layers\.0\.weight/);
    const { model } = await load({ prefix: 'model.inner.' });
    sameWeights(small, model);
    model.dispose();
  });
});

describe('failures dispose what they made', () => {
  it('a tensor that cannot be decoded mid-load: the built model is disposed, nothing leaks', async () => {
    const m = new ToyStack({ width: 4, layers: 2, bias: true });
    await saveModelFolder(dir, { config: m.config, weights: m.namedParameters() });
    // The last parameter stored as I64 holding a value outside int32.
    const tensors = new Map<string, tf.Tensor>(m.namedParameters());
    const big = tf.tensor([2 ** 40, 0, 0, 0], [4], 'float32');
    tensors.set('layers.1.bias', big);
    await saveSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' }, { dtypes: { 'layers.1.bias': 'I64' } });
    builds = 0;
    await expectNoLeaks(async () => {
      await expect(load()).rejects.toThrow(/'layers\.1\.bias' \(I64\) holds 1099511627776/);
    }, { what: 'a load failing mid-way' });
    expect(builds).toBe(1);
    big.dispose();
    m.dispose();
  });

  it('a build that throws part-way leaks nothing; errors can be wrapped in the caller’s class', async () => {
    await saveModelFolder(dir, { config: { width: 4, layers: 2 }, weights: small.namedParameters() });
    class CallerError extends HealthGPTError<'CHECKPOINT'> {}
    await expectNoLeaks(async () => {
      const failing = (c: ToyConfig) => {
        new ToyStack(c, { init: false }); // allocated, then the build fails
        throw new RangeError('out of memory');
      };
      await expect(loadModelFolder(dir, toySpec, failing)).rejects.toThrow(RangeError);
    }, { what: 'a build failing part-way' });
    const err = await loadModelFolder(dir, toySpec, build, { maxParameters: 1, wrapError: (e) => new CallerError('CHECKPOINT', e.detail, { ...e.context, cause: e }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallerError);
    expect((err as CallerError).cause).toBeInstanceOf(TensorCoreError);
  });
});
