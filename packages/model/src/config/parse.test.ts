import { describe, it, expect } from 'vitest';
import { parseHealthGPTConfig, configToJson, healthGPTPreset, ModelError, type HealthGPTConfigJson } from '../index.js';

const tiny = (): HealthGPTConfigJson => JSON.parse(JSON.stringify(healthGPTPreset('tiny')));

function expectConfigError(edit: (c: HealthGPTConfigJson) => void, path: string, message: RegExp): void {
  const c = tiny();
  edit(c);
  try {
    parseHealthGPTConfig(c, 'x/config.json');
    expect.fail('no error');
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    expect((e as ModelError).code).toBe('CONFIG');
    expect((e as ModelError).path).toBe(path);
    expect((e as ModelError).file).toBe('x/config.json');
    expect((e as Error).message).toMatch(message);
  }
}

describe('HealthGPT config', () => {
  it('resolves every part and round-trips through configToJson', () => {
    const cfg = parseHealthGPTConfig(tiny());
    expect([...cfg.tasks.keys()]).toEqual(['comprehension', 'generation']);
    expect(cfg.tasks.get('generation')).toMatchObject({ output: 'image', selectLayer: 1, projector: 'gen_mm_projector', plugin: { kind: 'hlora' } });
    expect(cfg.imageTokens).toEqual({ start: 512, firstCode: 513, codebookSize: 64, end: 577, newline: 578 });
    expect(cfg.text.vocabSize).toBe(579);
    expect(parseHealthGPTConfig(JSON.parse(JSON.stringify(configToJson(cfg)))).json).toEqual(cfg.json);
  });

  it('names the file and the field of every inconsistency', () => {
    expectConfigError((c) => ((c as Record<string, unknown>).model_type = 'llava'), 'model_type', /expected "healthgpt"/);
    expectConfigError((c) => ((c.tasks.comprehension as unknown as Record<string, unknown>).select_layer = '-2'), 'tasks.comprehension.select_layer', /number/);
    expectConfigError((c) => (c.tasks.comprehension.select_layer = 9), 'tasks.comprehension.select_layer', /one of the tower's 4 hidden states/);
    expectConfigError((c) => (c.tasks.generation.projector = 'mm_projector'), 'tasks.generation.projector', /already another task's projector/);
    expectConfigError((c) => (c.template = 'chatml' as never), 'template', /unknown chat template 'chatml'/);
    expectConfigError((c) => (c.image_tokens!.first_id = 570), 'image_tokens', /run past the vocabulary of 579/);
    expectConfigError((c) => (c.image_tokens!.codebook_size = 32), 'image_tokens.codebook_size', /vq_config.n_embed \(64\)/);
    expectConfigError((c) => (c.vq_config = null), 'tasks.generation.output', /needs 'vq_config'/);
    expectConfigError((c) => (c.text_config.hidden_size = 100), 'text_config', /invalid text_config/);
    expectConfigError((c) => (c.tasks.comprehension.plugin!.lora_nums = 5), 'tasks.comprehension.plugin', /loraNums/);
    expectConfigError((c) => (c.max_length = 10_000), 'max_length', /max_position_embeddings \(512\)/);
    expectConfigError((c) => (c.tasks = {}), 'tasks', /at least one task/);
    expectConfigError((c) => (c.aligned_generation = 'yes' as never), 'aligned_generation', /boolean/);
    expectConfigError(
      (c) => {
        delete (c.tasks as Record<string, unknown>).generation;
        [c.vq_config, c.image_tokens] = [null, null];
      },
      'aligned_generation',
      /needs 'image_tokens'/,
    );
  });

  it('has aligned generation (our extension) on for the from-scratch presets only, off when absent', () => {
    expect(parseHealthGPTConfig(tiny()).alignedGeneration).toBe(true);
    expect(healthGPTPreset('small').aligned_generation).toBe(true);
    for (const name of ['m3', 'l14', 'xl32'] as const) expect(healthGPTPreset(name)).not.toHaveProperty('aligned_generation');
    const off = tiny();
    delete off.aligned_generation;
    expect(parseHealthGPTConfig(off).alignedGeneration).toBe(false);
  });
});
