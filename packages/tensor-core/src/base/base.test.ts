import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthGPTError, TensorCoreError, Generator, writeFileAtomic } from '@healthgpt/tensor-core/base';

type DemoCode = 'BAD_FIELD' | 'MISSING';
class DemoError extends HealthGPTError<DemoCode> {}

describe('HealthGPTError', () => {
  it('keeps the code, the bare detail and every location field, and names them in the message', () => {
    const e = new DemoError('BAD_FIELD', "'rms_norm_eps' must be a number, got true", { file: 'config.json', path: 'rms_norm_eps', line: 3 });
    expect(e).toBeInstanceOf(HealthGPTError);
    expect(e.name).toBe('DemoError');
    expect(e.code).toBe('BAD_FIELD');
    expect(e.detail).toBe("'rms_norm_eps' must be a number, got true");
    expect(e.message).toBe("'rms_norm_eps' must be a number, got true (file config.json, line 3, at rms_norm_eps)");
    expect(e.context).toMatchObject({ file: 'config.json', line: 3, path: 'rms_norm_eps' });
  });

  it('check throws the calling class with the code, and builds a lazy message only on failure', () => {
    let built = 0;
    const msg = () => {
      built++;
      return 'no';
    };
    DemoError.check(true, 'MISSING', msg);
    expect(built).toBe(0);
    expect(() => DemoError.check(false, 'MISSING', msg, { key: 'lm_head.weight' })).toThrow(DemoError);
    try {
      TensorCoreError.check(1 > 2, 'ARGUMENT', 'bad');
    } catch (e) {
      expect(e).toBeInstanceOf(TensorCoreError);
      expect((e as TensorCoreError).code).toBe('ARGUMENT');
    }
  });
});

describe('Generator (tfjs-free)', () => {
  it('resumes bit for bit from getState, a pending normal draw included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 7 }), (seed, skip) => {
        const a = new Generator(seed);
        for (let i = 0; i < skip; i++) a.normal();
        const b = new Generator(1);
        b.setState(a.getState());
        for (let i = 0; i < 5; i++) expect(b.normal()).toBe(a.normal());
        expect(b.nextUint32()).toBe(a.nextUint32());
      }),
    );
  });

  it('pick, between and fork stay in range and are reproducible', () => {
    const g = new Generator(7);
    const h = new Generator(7);
    for (let i = 0; i < 100; i++) {
      const x = g.between(-2, 3);
      expect(x).toBeGreaterThanOrEqual(-2);
      expect(x).toBeLessThan(3);
      expect(h.between(-2, 3)).toBe(x);
    }
    expect(g.fork().nextUint32()).toBe(h.fork().nextUint32());
    expect(() => g.pick([])).toThrow(TensorCoreError);
    expect(() => g.setState([0, 0, 0, 0])).toThrow(TensorCoreError);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    try {
      const f = join(dir, 'sub', 'x.json');
      await writeFileAtomic(f, 'old');
      await writeFileAtomic(f, new TextEncoder().encode('new'));
      expect(readFileSync(f, 'utf8')).toBe('new');
      expect(readdirSync(join(dir, 'sub'))).toEqual(['x.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
