import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { fromConfigJson, toConfigJson, loraKind, doraKind, hloraKind, HLoraError, type AdapterSpec } from './index.js';

const FILE = '/models/x/adapter_config.json';
const base = { peft_type: 'LORA', r: 8, lora_alpha: 16, target_modules: ['q_proj', 'v_proj'] };
const read = (extra: Record<string, unknown>) => fromConfigJson({ ...base, ...extra }, FILE);
const error = (extra: Record<string, unknown>): HLoraError => {
  try {
    read(extra);
  } catch (e) {
    if (e instanceof HLoraError) return e;
    throw e;
  }
  throw new Error(`no error for ${JSON.stringify(extra)}`);
};

describe('adapter_config.json: reading', () => {
  it('reads peft’s fields into the spec injectAdapters takes', () => {
    const spec = read({ lora_dropout: 0.05, bias: 'lora_only', use_rslora: true, rank_pattern: { o_proj: 4 }, alpha_pattern: { 'layers\\.0\\..*': 2 }, layers_to_transform: [0, 2], layers_pattern: 'layers', exclude_modules: ['vision'] });
    expect(spec).toEqual<AdapterSpec>({
      kind: 'lora',
      config: { r: 8, loraAlpha: 16, loraDropout: 0.05, useRslora: true },
      targets: ['q_proj', 'v_proj'],
      exclude: ['vision'],
      layersToTransform: [0, 2],
      layersPattern: 'layers',
      rankPattern: { o_proj: 4 },
      alphaPattern: { 'layers\\.0\\..*': 2 },
      bias: 'lora_only',
    });
  });

  it('picks the kind: adapter_kind, else hlora with lora_nums, dora with use_dora, else lora', () => {
    expect(read({}).kind).toBe('lora');
    expect(read({ use_dora: true }).kind).toBe('dora');
    expect(read({ lora_nums: 4 }).kind).toBe('hlora');
    expect(read({ lora_nums: 4, adapter_kind: 'moe-lora' }).kind).toBe('moe-lora');
    expect(read({ adapter_kind: 'dora', use_dora: true }).kind).toBe('dora');
  });

  it('reads target_modules as a regex (full match) or all-linear (the output layer left out, as in peft)', () => {
    const t = read({ target_modules: 'model\\.layers\\.[01]\\.(q|v)_proj' }).targets as RegExp;
    expect(['model.layers.0.q_proj', 'model.layers.1.v_proj', 'model.layers.2.q_proj', 'xmodel.layers.0.q_proj'].map((p) => t.test(p))).toEqual([true, true, false, false]);
    expect(read({ target_modules: 'ALL-LINEAR' })).toMatchObject({ targets: 'all-linear', exclude: [] });
    expect((read({ exclude_modules: '.*vision.*' }).exclude as RegExp).test('model.vision.fc')).toBe(true);
  });

  it('names the file and the field of every malformed value (zod)', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ r: '8' }, 'r', /'r' expected number, received string, got "8"/],
      [{ r: 2.5 }, 'r', /'r' .*int/],
      [{ r: 0 }, 'r', /'r' .*>0/],
      [{ lora_alpha: undefined }, 'lora_alpha', /'lora_alpha' is missing/],
      [{ lora_dropout: 1 }, 'lora_dropout', /'lora_dropout'/],
      [{ target_modules: [] }, 'target_modules', /'target_modules'/],
      [{ bias: 'some' }, 'bias', /'bias' .*"none"\|"all"\|"lora_only".*got "some"/],
      [{ layers_to_transform: [-1] }, 'layers_to_transform[0]', /'layers_to_transform\[0\]' .*got -1/],
      [{ rank_pattern: { o_proj: 'x' } }, 'rank_pattern.o_proj', /'rank_pattern\.o_proj'/],
      [{ use_rslora: 'true' }, 'use_rslora', /'use_rslora' expected boolean/],
      [{ peft_type: 'IA3' }, 'peft_type', /'peft_type'/],
      [{ adapter_kind: 'bad name' }, 'adapter_kind', /'adapter_kind'/],
    ];
    for (const [extra, path, message] of cases) {
      const e = error(extra);
      expect(e, JSON.stringify(extra)).toMatchObject({ code: 'CONFIG', file: FILE, path });
      expect(e.message).toMatch(message);
    }
    expect(() => fromConfigJson([1, 2], FILE)).toThrow(expect.objectContaining({ code: 'CONFIG', file: FILE }));
    expect(() => fromConfigJson(null, FILE)).toThrow(/must hold a JSON object, got null/);
  });

  it('refuses peft features it does not implement with UNSUPPORTED, naming the field', () => {
    const refused: [string, unknown][] = [
      ['modules_to_save', ['lm_head']],
      ['lora_bias', true],
      ['layer_replication', [[0, 2]]],
      ['trainable_token_indices', [1, 2]],
      ['use_qalora', true],
      ['target_parameters', ['experts.w']],
      ['megatron_config', { tp: 2 }],
      ['loftq_config', { loftq_bits: 4 }],
      ['init_lora_weights', 'pissa'],
      ['init_lora_weights', 'olora'],
      ['some_future_field', 3],
    ];
    for (const [field, value] of refused) {
      const e = error({ [field]: value });
      expect(e, field).toMatchObject({ code: 'UNSUPPORTED', file: FILE, path: field });
    }
    expect(error({ modules_to_save: ['lm_head'] }).message).toMatch(/'modules_to_save' \(extra modules trained in full and saved with the adapter\) is not supported/);
    // Defaults and descriptive fields are fine.
    expect(() => read({ modules_to_save: null, lora_bias: false, loftq_config: {}, init_lora_weights: 'gaussian', peft_version: '0.13.2', some_future_field: null, megatron_core: 'megatron.core', fan_in_fan_out: true })).not.toThrow();
  });

  it('refuses a file whose math is not its kind’s: conflicting flags, use_rslora on a routed kind', () => {
    expect(error({ adapter_kind: 'lora', use_dora: true })).toMatchObject({ code: 'CONFIG', path: 'use_dora', message: expect.stringMatching(/'use_dora' is true but adapter kind 'lora' computes false/) });
    expect(error({ lora_nums: 4, use_dora: true })).toMatchObject({ code: 'CONFIG', path: 'use_dora' });
    // `scaling` only describes the file (peft ignores it): an edited lora_alpha wins.
    expect(read({ scaling: 3 }).config.loraAlpha).toBe(16);
    expect(error({ lora_nums: 4, use_rslora: true })).toMatchObject({ code: 'CONFIG', file: FILE, path: 'use_rslora' });
    expect(error({ lora_nums: 3 })).toMatchObject({ code: 'CONFIG', path: 'lora_nums', message: expect.stringMatching(/must divide r = 8/) });
  });

  it('says how to register an unknown kind', () => {
    const e = error({ adapter_kind: 'vera' });
    expect(e).toMatchObject({ code: 'UNKNOWN_KIND', file: FILE, path: 'adapter_kind' });
    expect(e.message).toMatch(/unknown adapter kind 'vera' .*register it first with registerAdapterKind\(kind\)/);
  });

  it('reads back what toConfigJson writes, for every built-in kind and both scaling rules', () => {
    for (const [kind, config] of [
      [loraKind, { r: 4, loraAlpha: 8 }],
      [loraKind, { r: 4, loraAlpha: 8, useRslora: true }],
      [doraKind, { r: 4, loraAlpha: 8, useRslora: true }],
      [hloraKind, { r: 8, loraAlpha: 16, loraNums: 4 }],
    ] as const) {
      const resolved = kind.resolve(config);
      const json = JSON.parse(JSON.stringify(toConfigJson(kind, resolved, ['q_proj'])));
      const spec = fromConfigJson(json, FILE);
      expect(spec.kind).toBe(kind.name);
      expect(kind.resolve(spec.config)).toEqual(resolved);
      expect(json.scaling).toBeCloseTo(kind.scaling(resolved), 12);
    }
  });
});

/** Any JSON value, biased to the types config fields have. */
const junk = fc.oneof(fc.integer({ min: -3, max: 1e7 }), fc.double({ noNaN: true }), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer()));
const field = <T>(good: fc.Arbitrary<T>) => fc.option(fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: junk }), { nil: undefined });

const configArb = fc.record(
  {
    peft_type: field(fc.constant('LORA')),
    r: field(fc.integer({ min: 1, max: 64 })),
    lora_alpha: field(fc.integer({ min: 1, max: 64 })),
    lora_dropout: field(fc.double({ min: 0, max: 0.9, noNaN: true })),
    target_modules: field(fc.oneof(fc.constant(['q_proj']), fc.constant('all-linear'), fc.constant('(q|v)_proj'))),
    bias: field(fc.constantFrom('none', 'all', 'lora_only')),
    use_rslora: field(fc.boolean()),
    use_dora: field(fc.boolean()),
    lora_nums: field(fc.constantFrom(1, 2, 4)),
    rank_pattern: field(fc.dictionary(fc.constantFrom('q_proj', 'v_proj', '(', 'layers\\.0\\..*'), fc.integer({ min: 1, max: 8 }))),
    layers_to_transform: field(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.array(fc.integer({ min: 0, max: 3 })))),
    modules_to_save: field(fc.constant(null)),
    adapter_kind: field(fc.constantFrom('lora', 'dora', 'hlora', 'moe-lora', 'nope')),
    extra_field: field(fc.constant(null)),
  },
  { requiredKeys: [] },
);

describe('adapter_config.json fuzz', () => {
  it('any object gives a spec the kind accepts or a typed HLoraError naming the file', () => {
    fc.assert(
      fc.property(configArb, (json) => {
        let spec: AdapterSpec;
        try {
          spec = fromConfigJson(json, FILE);
        } catch (e) {
          expect(e).toBeInstanceOf(HLoraError);
          expect((e as HLoraError).file).toBe(FILE);
          expect(['CONFIG', 'UNSUPPORTED', 'UNKNOWN_KIND']).toContain((e as HLoraError).code);
          return;
        }
        // Accepted: every value is one peft allows, and the kind resolves the default config.
        expect(Number.isInteger(json.r) && (json.r as number) > 0).toBe(true);
        expect(['none', 'all', 'lora_only']).toContain(spec.bias);
      }),
      { numRuns: 400, seed: 20240611 },
    );
  });
});
