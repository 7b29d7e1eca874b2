import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/run.test_util.js';
import { VERSION } from '../version.js';
import { RUN_FILE, reusableRun, writeRunRecord, type RunRecord } from './record.js';

const record = (key: Record<string, unknown>, version = VERSION): RunRecord => ({ version, key, finishedAt: '2026-11-29T22:00:00.000Z', settings: {}, stage0: null, stages: [], lossCurves: { s: [1, 0.5] }, timings: { stages: 1 } });

describe('reusableRun', () => {
  it('gives back the record of a model trained with the same key and version, and nothing otherwise', async () => {
    const dir = join(tempDir('record'), 'model');
    const key = { pipeline: 'synthetic', seed: 0, budget: 'test' };
    expect(reusableRun(dir, key)).toBeNull(); // no folder
    mkdirSync(dir);
    await writeRunRecord(dir, record(key));
    expect(reusableRun(dir, key)).toBeNull(); // a record but no model
    writeFileSync(join(dir, 'config.json'), '{}');
    expect(reusableRun(dir, key)).toEqual(record(key));
    expect(reusableRun(dir, { ...key, seed: 1 })).toBeNull();
    expect(reusableRun(dir, { ...key, budget: 'demo' })).toBeNull();
    await writeRunRecord(dir, record(key, '0.0.1'));
    expect(reusableRun(dir, key)).toBeNull();
    writeFileSync(join(dir, RUN_FILE), '{"version": ');
    expect(reusableRun(dir, key)).toBeNull();
  });
});
