import { describe, expect, it } from 'vitest';
import { Generator } from '@healthgpt/tensor-core/base';
import { generateSynth } from './generate.js';
import { closedQuestionPairs, type SceneFacts } from './questions.js';

describe('closedQuestionPairs', () => {
  const set = generateSynth({ seed: 4, count: 30, size: 32, tasks: ['vqa'] });
  const facts = (i: number) => set.samples.find((s) => s.metadata.group === set.scenes[i].id)!.metadata.scene as SceneFacts;

  it('asks every applicable type once for yes and once for no, in QUESTION_TYPES order', () => {
    for (const [i, scene] of set.scenes.entries()) {
      const qs = closedQuestionPairs(facts(i), new Generator(i));
      const types = scene.lesions.length ? ['modality', 'organ', 'plane', 'presence', 'side', 'count', 'size'] : ['modality', 'organ', 'plane', 'presence'];
      expect(qs.map((q) => `${q.type}:${q.answer}`)).toEqual(types.flatMap((t) => [`${t}:yes`, `${t}:no`]));
      expect(qs.every((q) => q.answerType === 'CLOSED')).toBe(true);
    }
  });

  it('phrases its questions as the set’s own closed questions, with the same answers', () => {
    // every closed question the set asked about a scene is among the pairs for that scene (its
    // yes form exactly; its no form when the alternative drawn is the same)
    const rng = new Generator(0);
    let matched = 0;
    for (const [i] of set.scenes.entries()) {
      const asked = set.samples.filter((s) => s.metadata.group === set.scenes[i].id && s.metadata.answerType === 'CLOSED');
      const pairs = closedQuestionPairs(facts(i), rng);
      for (const s of asked) {
        const q = s.conversations[0].value.replace('<image>\n', '');
        const same = pairs.find((p) => p.question === q);
        if (same) (matched++, expect(same.answer).toBe(s.conversations[1].value));
        else expect(s.conversations[1].value).toBe('no');
      }
    }
    expect(matched).toBeGreaterThan(15);
  });
});
