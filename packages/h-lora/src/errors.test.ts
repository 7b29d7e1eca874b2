import { describe, it, expect } from 'vitest';
import { HealthGPTError, StateDictError } from '@healthgpt/tensor-core';
import { HLoraError, AdapterStateError } from './index.js';

describe('HLoraError', () => {
  it('extends the shared base: a code, the detail and the location in context fields', () => {
    const e = new HLoraError('CONFIG', "'r' must be a positive integer", { file: 'a/adapter_config.json', path: 'r' });
    expect(e).toBeInstanceOf(HealthGPTError);
    expect(e).toMatchObject({ name: 'HLoraError', code: 'CONFIG', detail: "'r' must be a positive integer", file: 'a/adapter_config.json', path: 'r' });
    expect(e.message).toBe("'r' must be a positive integer (file a/adapter_config.json, at r)");
  });

  it('has the one guard, check(cond, code, message, context)', () => {
    expect(() => HLoraError.check(true, 'ARGUMENT', 'never')).not.toThrow();
    let built = 0;
    HLoraError.check(1, 'ARGUMENT', () => `built ${++built}`);
    expect(built).toBe(0);
    expect(() => HLoraError.check(0, 'NO_MATCH', () => 'no layer', { key: 'k' })).toThrow(expect.objectContaining({ code: 'NO_MATCH', key: 'k', message: 'no layer (key k)' }));
  });

  it('AdapterStateError has StateDictError’s fields and message, and is an HLoraError', () => {
    const missing = ['a.lora_A.weight'], unexpected = ['b.lora_C.weight'], mismatched = [{ key: 'c', expected: [2, 3], actual: [3, 2] }];
    const ours = new AdapterStateError(missing, unexpected, mismatched, "adapter 'x'", { file: 'f.safetensors' });
    const theirs = new StateDictError(missing, unexpected, mismatched, "adapter 'x'", { file: 'f.safetensors' });
    expect(ours).toBeInstanceOf(HLoraError);
    expect(ours).toMatchObject({ name: 'AdapterStateError', code: 'STATE_DICT', missing, unexpected, mismatched, file: 'f.safetensors' });
    expect(ours.message).toBe(theirs.message);
  });
});
