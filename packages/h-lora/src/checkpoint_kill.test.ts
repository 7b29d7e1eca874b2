import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tf } from '@healthgpt/tensor-core';
import { killDuringSaves } from '@healthgpt/testing';
import { adaptedLayers, adapterStateDict, injectAdapters, loadAdapter, saveAdapter, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from './index.js';
import { ToyLM } from './modules.test_util.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'hlora-kill-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('an adapter folder saved whole, under SIGKILL', () => {
  it('after each of 22 kills at random moments of a save, it loads as one whole version (lora_alpha and weights agree)', async () => {
    // The layout and config come from a real saveAdapter; the child then saves versions of it.
    const m = new ToyLM(4, 2, 6).eval();
    injectAdapters(m, { targets: ['qkv_proj', 'down_proj'], kind: 'hlora', config: { r: 4, loraAlpha: 8, loraNums: 2 }, name: 'default' });
    await saveAdapter(m, join(dir, 'template'), 'default');
    const config = JSON.parse(readFileSync(join(dir, 'template', ADAPTER_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
    const tensors = [...adapterStateDict(m, 'default')].map(([k, t]): [string, number[]] => [k, t.shape]);
    m.dispose();
    const folder = join(dir, 'adapter');
    const report = await killDuringSaves({
      // An old lora_alpha beside new weights (α 8 instead of 32) would load without error: the case to rule out.
      spec: { dir: folder, layout: 'adapter', config, field: 'lora_alpha', base: 0, scale: 8, tensors, configFile: ADAPTER_CONFIG_FILE, weightsFile: ADAPTER_WEIGHTS_FILE },
      kills: 22,
      seed: 5,
      verify: async ({ atLeast, atMost }) => {
        const fresh = new ToyLM(4, 2, 6).eval();
        try {
          await loadAdapter(fresh, folder);
          const v = adaptedLayers(fresh)[0][1].adapterInfo('default').config.loraAlpha / 8;
          expect(v).toBeGreaterThanOrEqual(atLeast);
          expect(v).toBeLessThanOrEqual(atMost);
          for (const [k, t] of adapterStateDict(fresh, 'default')) expect(tf.tidy(() => tf.all(tf.equal(t, v)).dataSync()[0]), `${k} of version ${v}`).toBe(1);
          return v;
        } finally {
          fresh.dispose();
        }
      },
    });
    expect(report.kills).toBe(22);
    expect(report.versions).toEqual([...report.versions].sort((a, b) => a - b));
    expect(report.midSave).toBeGreaterThan(0);
  });
});
