import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { TensorCoreError } from '@healthgpt/tensor-core';
import { dottedPath, validateJson } from './schema.js';

const Schema = z
  .looseObject({
    width: z.int().positive().max(2 ** 31 - 1),
    eps: z.number().positive().optional(),
    tied: z.boolean().optional(),
    kind: z.enum(['a', 'b']).optional(),
    kinds: z.enum(['x', 'y', 'z']).optional(),
    eos: z.union([z.int().nonnegative(), z.array(z.int().nonnegative())]).nullable().optional(),
    scaling: z.null().optional(),
    sub: z.looseObject({ size: z.int().positive() }).optional(),
    mult: z.array(z.int().positive()).min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.width % 2) ctx.addIssue({ code: 'custom', path: ['width'], message: `'width' (${c.width}) must be even` });
  });

const fails = (value: unknown, message: string, path?: string) => {
  let err: unknown;
  try {
    validateJson(Schema, value, { file: 'd/config.json' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TensorCoreError);
  const e = err as TensorCoreError;
  expect([e.code, e.file, e.path]).toEqual(['CONFIG', 'd/config.json', path]);
  expect(e.detail).toBe(message);
};

describe('validateJson', () => {
  it('returns the parsed config', () => {
    expect(validateJson(Schema, { width: 4, tied: false, extra: 'kept' })).toEqual({ width: 4, tied: false, extra: 'kept' });
  });

  it('names the field and the offending value: no silent reinterpretation', () => {
    fails({ width: 4, tied: 'false' }, "'tied' must be a boolean (true or false), got \"false\"", 'tied');
    fails({ width: 4, eps: true }, "'eps' must be a number, got true", 'eps');
    fails({ width: 4, eos: '248' }, "'eos' must be a number or a list, got \"248\"", 'eos');
    fails({ width: 4, eos: [2, '3'] }, "'eos[1]' must be a number, got \"3\"", 'eos[1]');
    fails({ width: 1e12 }, "'width' must be ≤ 2147483647, got 1000000000000", 'width');
    fails({ width: 0 }, "'width' must be > 0, got 0", 'width');
    fails({ width: 2.5 }, "'width' must be an integer, got 2.5", 'width');
    fails({}, "'width' is required (a number)", 'width');
    fails({ width: 4, kind: 'c' }, "'kind' must be \"a\" or \"b\", got \"c\"", 'kind');
    fails({ width: 4, kinds: 'c' }, "'kinds' must be one of \"x\", \"y\", \"z\", got \"c\"", 'kinds');
    fails({ width: 4, scaling: { type: 'yarn' } }, "'scaling' must be null, got {\"type\":\"yarn\"}", 'scaling');
    fails({ width: 4, sub: { size: -1 } }, "'sub.size' must be > 0, got -1", 'sub.size');
    fails({ width: 4, mult: [] }, "'mult' must be a list of at least 1 items, got []", 'mult');
    fails({ width: 3 }, "'width' (3) must be even", 'width');
  });

  it('a null, a list or a scalar config is a typed error', () => {
    fails(null, 'config must be a JSON object, got null');
    fails([1], 'config must be a JSON object, got a list');
    fails('x', 'config must be a JSON object, got "x"');
  });

  it('dotted paths', () => {
    expect(dottedPath(['vision_config', 'hidden_size'])).toBe('vision_config.hidden_size');
    expect(dottedPath(['eos_token_id', 1])).toBe('eos_token_id[1]');
  });

  it('any JSON value gives a config or a CONFIG error naming the file, never another error (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ width: fc.jsonValue(), eps: fc.jsonValue(), eos: fc.jsonValue(), sub: fc.jsonValue() }, { requiredKeys: [] })), (v) => {
        try {
          validateJson(Schema, v, { file: 'f.json' });
        } catch (e) {
          expect(e).toBeInstanceOf(TensorCoreError);
          expect((e as TensorCoreError).file).toBe('f.json');
        }
      }),
      { numRuns: 300 },
    );
  });
});
