import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSample, safeParseSample, sampleToRecord, formatPath } from './schema.js';
import { DatasetError } from './errors.js';

const good = {
  id: 'a1',
  task: 'comprehension',
  subtask: 'vqa',
  image: 'images/a.png',
  conversations: [
    { from: 'human', value: '<image>\nWhat is shown?' },
    { from: 'gpt', value: 'a chest' },
  ],
};

describe('sample schema', () => {
  it('normalises a record: image list, numeric id, unknown keys into metadata', () => {
    const s = parseSample({ ...good, id: 7, extra: 'x' });
    expect(s).toMatchObject({ id: '7', images: ['images/a.png'], metadata: { extra: 'x' } });
  });

  it('reports every issue with dotted paths like conversations[2].from', () => {
    const r = safeParseSample({ ...good, conversations: [...good.conversations, { from: 'robot', value: 'hi' }], task: 'other' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.issues.map((i) => i.path);
    expect(paths).toContain('conversations[2].from');
    expect(paths).toContain('task');
  });

  it('checks turn order and generation targets', () => {
    const r = safeParseSample({ ...good, task: 'generation', conversations: [good.conversations[1], good.conversations[0]] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path).sort()).toEqual(['conversations[0].from', 'conversations[1].from', 'target_image']);
  });

  it('parseSample throws a schema DatasetError naming file, record and path', () => {
    try {
      parseSample({ ...good, conversations: [{ from: 'human', value: 3 }] }, { file: 'f.json', record: 4 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DatasetError);
      expect(e).toMatchObject({ code: 'SCHEMA', file: 'f.json', record: 4, path: 'conversations[0].value' });
      expect((e as Error).message).toMatch(/f\.json.*record 4.*conversations\[0\]\.value/);
    }
  });

  it('formats paths', () => {
    expect(formatPath(['a', 0, 'b', 12])).toBe('a[0].b[12]');
    expect(formatPath([])).toBe('(root)');
  });

  it('property: valid samples survive record round trips', () => {
    const turn = (from: 'human' | 'gpt') => fc.record({ from: fc.constant(from), value: fc.string() });
    const arb = fc.record({
      id: fc.string({ minLength: 1 }),
      task: fc.constant('comprehension' as const),
      subtask: fc.constantFrom('vqa', 'caption', 'report'),
      images: fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }),
      conversations: fc.array(fc.tuple(turn('human'), turn('gpt')), { minLength: 1, maxLength: 3 }).map((ps) => ps.flat()),
      metadata: fc.dictionary(fc.string().filter((k) => !['__proto__', 'id', 'task', 'subtask', 'image', 'conversations', 'target_image', 'metadata'].includes(k)), fc.integer()),
    });
    fc.assert(
      fc.property(arb, (s) => {
        expect(parseSample(JSON.parse(JSON.stringify(sampleToRecord(s))))).toEqual(s);
      }),
      { numRuns: 50 },
    );
  });
});
