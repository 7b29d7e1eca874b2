import { it, expect, describe, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, gelu, linear, normal, Generator, getDefaultGenerator, readSafetensorsHeader } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { buildProjector, LinearProjector, MlpGeluProjector, IdentityProjector } from './projectors.js';
import { projectorStateDict, saveProjector, loadProjector, loadProjectorWeights, projectorKeyShapes, GENERATION_PROJECTOR_PREFIX } from './io.js';
import { VisionEncoderError } from '../errors.js';

describeBackends('projectors', () => {
  it('are chosen by LLaVA name, with LLaVA keys', () => {
    const gen = new Generator(1);
    const mlp = buildProjector('mlp2x_gelu', 6, 8, { gen });
    const lin = buildProjector('linear', 6, 8, { gen });
    const deep = buildProjector('mlp3x_gelu', 6, 8, { gen });
    expect(mlp).toBeInstanceOf(MlpGeluProjector);
    expect(lin).toBeInstanceOf(LinearProjector);
    expect(buildProjector('identity', 8, 8)).toBeInstanceOf(IdentityProjector);
    expect([...projectorStateDict(mlp).keys()]).toEqual(['model.mm_projector.0.weight', 'model.mm_projector.0.bias', 'model.mm_projector.2.weight', 'model.mm_projector.2.bias']);
    expect([...projectorStateDict(lin).keys()]).toEqual(['model.mm_projector.weight', 'model.mm_projector.bias']);
    expect([...projectorStateDict(deep, GENERATION_PROJECTOR_PREFIX).keys()].filter((k) => k.endsWith('weight'))).toEqual([
      'model.gen_mm_projector.0.weight',
      'model.gen_mm_projector.2.weight',
      'model.gen_mm_projector.4.weight',
    ]);
    expect(() => buildProjector('mlp2x_relu', 6, 8)).toThrow(/unknown projector type 'mlp2x_relu'/);
    expect(() => buildProjector('identity', 6, 8)).toThrow(VisionEncoderError);
    const wrong = tf.zeros([2, 5]);
    expect(() => mlp.forward(wrong)).toThrow(/'x' passed to 'MlpGeluProjector' must be float32 \[\.\.\., 6\], got float32 \[2, 5\]/);
    expect(() => lin.forward(wrong)).toThrow(VisionEncoderError);
    wrong.dispose();
    [mlp, lin, deep].forEach((p) => p.dispose());
  });

  it('compute Linear → GELU(erf) → Linear and x Wᵀ + b, and leak nothing', async () => {
    const gen = new Generator(2);
    const mlp = buildProjector('mlp2x_gelu', 6, 8, { gen });
    const lin = buildProjector('linear', 6, 8, { gen });
    const x = normal([2, 3, 6], 0, 1, gen);
    const sd = mlp.stateDict();
    const ref = tf.tidy(() => linear(gelu(linear(x, sd.get('0.weight')!, sd.get('0.bias')!)), sd.get('2.weight')!, sd.get('2.bias')!));
    const y = mlp.forward(x);
    expect(y.shape).toEqual([2, 3, 8]);
    expectClose(y, ref, { atol: 1e-6 }, 'mlp2x_gelu');
    const ly = lin.forward(x);
    const lref = linear(x, lin.param('weight'), lin.param('bias'));
    expectClose(ly, lref, { atol: 1e-6 }, 'linear');
    await expectNoLeaks(() => mlp.forward(x), { what: 'MlpGeluProjector.forward' });
    await expectNoLeaks(() => lin.forward(x), { what: 'LinearProjector.forward' });
    tf.dispose([x, ref, y, ly, lref]);
    mlp.dispose();
    lin.dispose();
  });

  it('receive gradients for every parameter (trainable in stage 1)', () => {
    const gen = new Generator(3);
    const mlp = buildProjector('mlp2x_gelu', 4, 4, { gen });
    const x = normal([1, 2, 4], 0, 1, gen);
    const { loss, grads } = mlp.computeGradients(() => tf.sum(tf.square(mlp.forward(x))));
    expect([...grads.keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    tf.dispose([x, loss, ...grads.values()]);
    mlp.dispose();
  });
});

describe('projector files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'projector-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('save and load under the generation prefix, inferring type and sizes', async () => {
    const p = buildProjector('mlp2x_gelu', 5, 7, { gen: new Generator(4) });
    const file = join(dir, 'gen.safetensors');
    await saveProjector(p, file, { prefix: GENERATION_PROJECTOR_PREFIX });
    const header = await readSafetensorsHeader(file);
    expect([...header.tensors.keys()][0]).toBe('model.gen_mm_projector.0.weight');
    expect(header.metadata.mm_projector_type).toBe('mlp2x_gelu');
    const back = await loadProjector(file, { prefix: GENERATION_PROJECTOR_PREFIX });
    expect([back.type, back.inFeatures, back.outFeatures]).toEqual(['mlp2x_gelu', 5, 7]);
    const [a, b] = [p.stateDict(), back.stateDict()];
    for (const [k, t] of a) expect(Array.from(b.get(k)!.dataSync()), k).toEqual(Array.from(t.dataSync()));
    await expect(loadProjector(file)).rejects.toThrow(/no projector weights under 'model\.mm_projector\.'/);
    p.dispose();
    back.dispose();
  });

  it('strict loading names a missing or mis-shaped key', () => {
    const p = buildProjector('mlp2x_gelu', 4, 4);
    const w = tf.zeros([4, 4]);
    const partial = new Map([['model.mm_projector.0.weight', w]]);
    expect(() => loadProjectorWeights(p, partial)).toThrow(/missing keys: 0\.bias, 2\.weight, 2\.bias/);
    const wrong = tf.zeros([3, 4]);
    const lin = buildProjector('linear', 4, 4);
    expect(() => loadProjectorWeights(lin, new Map([['model.mm_projector.weight', wrong]]))).toThrow(VisionEncoderError);
    tf.dispose([w, wrong]);
    p.dispose();
    lin.dispose();
  });

  it('loadProjector checks the header before building, draws no random numbers, and names the file', async () => {
    const p = buildProjector('mlp2x_gelu', 5, 7, { gen: new Generator(4) });
    const file = join(dir, 'p.safetensors');
    await saveProjector(p, file);
    const before = getDefaultGenerator().getState();
    const back = await loadProjector(file);
    expect(getDefaultGenerator().getState()).toEqual(before);
    expect([...projectorKeyShapes({ type: back.type, inFeatures: 5, outFeatures: 7 })]).toEqual(back.namedParameters().map(([k, v]) => [k, v.shape]));
    await expectNoLeaks(async () => {
      await expect(loadProjector(file, { type: 'mlp3x_gelu' })).rejects.toMatchObject({ name: 'VisionEncoderError', code: 'STATE_DICT', detail: expect.stringMatching(/missing keys: model\.mm_projector\.4\.weight/) });
      await expect(loadProjector(file, { maxParameters: 10 })).rejects.toThrow(/more than the bound of 10/);
    }, { what: 'refused loadProjector' });
    await expect(loadProjector(join(dir, 'none.safetensors'))).rejects.toMatchObject({ code: 'CHECKPOINT', file: join(dir, 'none.safetensors') });
    p.dispose();
    back.dispose();
  });
});
