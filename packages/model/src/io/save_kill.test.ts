import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tf, FolderReader } from '@healthgpt/tensor-core';
import { killDuringSaves } from '@healthgpt/testing';
import { HealthGPT } from '../index.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'healthgpt-kill-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every value of every tensor equals `v`. */
const allEqual = (tensors: Iterable<[string, tf.Tensor]>, v: number) => [...tensors].filter(([, t]) => tf.tidy(() => tf.all(tf.equal(t, v)).dataSync()[0] !== 1)).map(([n]) => n);

describe('an assembled HealthGPT folder saved whole, under SIGKILL', () => {
  it('after each of 8 kills at random moments of savePretrained, config, base weights, both plugin folders, vq/ and the tokenizer are one version', async () => {
    const base = 100;
    const report = await killDuringSaves({
      spec: { dir, field: 'max_length', base },
      child: fileURLToPath(new URL('../../test/save_child.test_util.ts', import.meta.url)),
      kills: 8,
      seed: 5,
      maxDelayMs: 600,
      verify: async ({ atLeast, atMost }) => {
        const reader = await FolderReader.open(dir);
        const m = await HealthGPT.fromPretrained(reader);
        const v = m.config.maxLength - base;
        expect(v).toBeGreaterThanOrEqual(atLeast);
        expect(v).toBeLessThanOrEqual(atMost);
        const names = m.namedParameters().map(([n]) => n);
        expect(names.some((n) => n.includes('.lora_A.comprehension.')) && names.some((n) => n.includes('.lora_A.generation.'))).toBe(true);
        expect(allEqual(m.namedParameters(), v), `parameters not of version ${v}`).toEqual([]);
        expect(allEqual(m.vq!.namedParameters(), v), `VQ parameters not of version ${v}`).toEqual([]);
        expect(String((await reader.readJson('tokenizer_config.json') as { chat_template: string }).chat_template)).toContain(`version ${v} `);
        m.dispose();
        return v;
      },
    });
    expect(report.kills).toBe(8);
    expect(report.versions).toEqual([...report.versions].sort((a, b) => a - b));
    expect(report.midSave).toBeGreaterThan(0); // kills did land inside saves
  });
});
