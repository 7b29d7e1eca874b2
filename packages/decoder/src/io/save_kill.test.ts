import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tf, FolderReader, loadPlanTensors, readCheckpoint } from '@healthgpt/tensor-core';
import { killDuringSaves } from '@healthgpt/testing';
import { DecoderLM, decoderKeyShapes, parseConfig } from '../index.js';
import { tinyConfig } from '../configs.test_util.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'decoder-kill-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every value of every tensor equals `v`. */
const allEqual = (tensors: Iterable<tf.Tensor>, v: number) => [...tensors].every((t) => tf.tidy(() => tf.all(tf.equal(t, v)).dataSync()[0] === 1));

describe('a decoder folder saved whole, under SIGKILL', () => {
  it('after each of 24 kills at random moments of a save, it loads as one whole version (config, shards, extra file, sub-folder)', async () => {
    const json = tinyConfig('phi3');
    const report = await killDuringSaves({
      spec: {
        dir,
        layout: 'model',
        config: json,
        field: 'rope_theta', // an old rope_theta beside new weights would load without error: the case to rule out
        base: 10000,
        scale: 1,
        tensors: [...decoderKeyShapes(parseConfig(json))],
        shardBytes: 8000,
        configFile: 'config.json',
        weightsFile: 'model.safetensors',
      },
      kills: 24,
      seed: 11,
      verify: async ({ atLeast, atMost }) => {
        const reader = await FolderReader.open(dir);
        const m = await DecoderLM.fromPretrained(reader);
        const v = m.config.ropeTheta - 10000;
        expect(v).toBeGreaterThanOrEqual(atLeast);
        expect(v).toBeLessThanOrEqual(atMost);
        expect(allEqual(m.stateDict().values(), v), `weights of version ${v}`).toBe(true);
        m.dispose();
        expect(await reader.readJson('tokenizer.json')).toEqual({ version: v });
        const vq = reader.sub('vq');
        expect(await vq.readJson('config.json')).toEqual({ version: v });
        const ckpt = await readCheckpoint(vq);
        const tensors = await loadPlanTensors(ckpt, ckpt.tensors.keys());
        expect(allEqual(tensors.values(), v)).toBe(true);
        tf.dispose([...tensors.values()]);
        return v;
      },
    });
    expect(report.kills).toBe(24);
    expect(report.versions).toEqual([...report.versions].sort((a, b) => a - b));
    expect(report.midSave).toBeGreaterThan(0); // kills did land inside saves
  });
});
