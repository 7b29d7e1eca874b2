import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { trainByteLevelBpe } from '@healthgpt/decoder';
import { imageTokenVocabulary } from '@healthgpt/vq-tokenizer';
import { HealthGPT, healthGPTPreset } from '@healthgpt/model';
import { paperStages, mixedStage, scaleLr, imageTokenRows, PAPER_HYPERPARAMETERS, matchesAny, Trainer, TrainerError, type StepRecord } from '../index.js';
import { Toy, toyItems, toyTask } from '../../test/toy.test_util.js';

describe('scaleLr', () => {
  it('keeps the paper’s lr at the paper’s batch, and follows √ / linear / no scaling elsewhere', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1, noNaN: true }), fc.integer({ min: 1, max: 1024 }), fc.integer({ min: 1, max: 1024 }), (lr, b, paper) => {
        expect(scaleLr(lr, paper, paper)).toBeCloseTo(lr, 12);
        expect(scaleLr(lr, b, paper) / lr).toBeCloseTo(Math.sqrt(b / paper), 9);
        expect(scaleLr(lr, b, paper, 'linear') / lr).toBeCloseTo(b / paper, 9);
        expect(scaleLr(lr, b, paper, 'none')).toBe(lr);
      }),
    );
    expect(scaleLr(1e-3, 4, 256)).toBeCloseTo(1e-3 / 8, 15); // √(4 / 256) = 1/8
    expect(() => scaleLr(1e-3, 0, 256)).toThrow(TrainerError);
  });
});

describe('paperStages on the tiny HealthGPT', () => {
  let model: HealthGPT;
  let names: string[];
  beforeAll(() => {
    const tok = trainByteLevelBpe(['Is there a mass? Yes.', 'Which organ is shown? The liver.'], { vocabSize: 280, minFrequency: 1, specialTokens: ['<|endoftext|>', '<|system|>', '<|user|>', '<|assistant|>', '<|end|>'], eosToken: '<|endoftext|>', padToken: '<|endoftext|>' });
    tok.addTokens(imageTokenVocabulary(healthGPTPreset('tiny').vq_config!.n_embed), { special: true });
    const cfg = healthGPTPreset('tiny', { tokenizer: tok });
    cfg.text_config.num_hidden_layers = 1;
    model = new HealthGPT(cfg, { seed: 1, tokenizer: tok });
    names = model.namedParameters().map(([n]) => n);
  });
  afterAll(() => model?.dispose());
  const selected = (sel: Parameters<typeof matchesAny>[0]) => names.filter((n) => matchesAny(sel, n));
  const available = ['vqa', 'caption', 'report', 'super-resolution', 'reconstruction'];

  it('gives the paper’s stages: what each trains, on which data, at the scaled lrs', () => {
    const stages = paperStages(model, { steps: { alignment: 3, fusion: 2, instruction: 5 }, batchSize: 4, gradientAccumulation: 2, available });
    expect(stages.map((s) => s.name)).toEqual(['stage1-alignment-comprehension', 'stage1-alignment-generation', 'stage2-fusion', 'stage3-instruction']);
    const [alignC, alignG, fusion, instruct] = stages;
    const P = PAPER_HYPERPARAMETERS;
    // effective batch 8: lrs scaled by √(8 / paper batch)
    expect(alignC.lr).toBeCloseTo(P.alignmentComprehension.lr * Math.sqrt(8 / 256), 12);
    expect(fusion.lr).toBeCloseTo(P.fusion.lr * Math.sqrt(8 / 32), 12);
    expect(instruct.groups![0].lr).toBeCloseTo(P.instruction.projectorLr * Math.sqrt(8 / 128), 12);

    const cProjector = selected(alignC.trainable);
    expect(cProjector.length).toBeGreaterThan(0);
    expect(cProjector.every((n) => n.includes(model.task('comprehension').projector))).toBe(true);
    expect(Object.keys(alignC.mixture!).sort()).toEqual(['caption', 'report']);

    const g = selected(alignG.trainable);
    expect(g.some((n) => n.includes('.lora_') && n.includes('.generation.'))).toBe(true);
    expect(g.some((n) => n.includes('.lora_') && n.includes('.comprehension.'))).toBe(false);
    expect(g).toContain('model.embed_tokens.weight');
    expect(alignG.rows).toEqual(imageTokenRows(model));
    expect(alignG.rows![0].rows).toEqual([model.config.imageTokens!.start, model.config.text.vocabSize]);
    expect(Object.keys(alignG.mixture!)).toEqual(['reconstruction']);

    expect(selected(fusion.trainable)).toContain('model.embed_tokens.weight');
    expect(selected(fusion.trainable).every((n) => n === 'model.embed_tokens.weight' || n === 'lm_head.weight')).toBe(true);
    expect(Object.keys(fusion.mixture!).sort()).toEqual([...available].sort());
    expect(fusion.schedule).toEqual({ kind: 'constant' });

    const i = selected(instruct.trainable);
    expect(i.some((n) => n.includes('.comprehension.')) && i.some((n) => n.includes('.generation.'))).toBe(true);
    expect(i.includes('model.embed_tokens.weight')).toBe(false);
    expect(i.some((n) => n.startsWith('model.vision_tower.'))).toBe(false);
    expect(stages.every((s) => s.batchSize === 4 && s.gradientAccumulation === 2 && s.clipNorm === 1)).toBe(true);
  });

  it('the mixed baseline trains everything the three stages train, for their total steps, on all the data', () => {
    const o = { steps: { alignment: 3, fusion: 2, instruction: 5 }, available };
    const union = new Set(paperStages(model, o).flatMap((s) => selected(s.trainable)));
    const mixed = mixedStage(model, o);
    expect(new Set(selected(mixed.trainable))).toEqual(union);
    expect(mixed.length).toEqual({ steps: 3 + 3 + 2 + 5 });
    expect(Object.keys(mixed.mixture!).sort()).toEqual([...available].sort());
  });

  it('gives the generation alignment its own steps and data when asked', () => {
    const stages = paperStages(model, { steps: { alignment: 3, alignmentGeneration: 7, fusion: 2, instruction: 5 }, available, data: { alignmentGeneration: ['reconstruction', 'super-resolution', 'denoising'] } });
    expect(stages.map((s) => s.length)).toEqual([{ steps: 3 }, { steps: 7 }, { steps: 2 }, { steps: 5 }]);
    expect(Object.keys(stages[1].mixture!)).toEqual(['reconstruction', 'super-resolution']); // denoising is not available
    expect(mixedStage(model, { steps: { alignment: 3, alignmentGeneration: 7, fusion: 2, instruction: 5 }, available }).length).toEqual({ steps: 3 + 7 + 2 + 5 });
  });

  it('refuses a stage with none of its data available', () => {
    expect(() => paperStages(model, { steps: { alignment: 1, fusion: 1, instruction: 1 }, available: ['caption'], data: { instruction: ['vqa'] } })).toThrow(/stage 'stage3-instruction' has none of its data/);
  });

  it('weighs each subtask of a stage’s mixture by `weights`, 1 where unnamed', () => {
    const steps = { alignment: 1, fusion: 1, instruction: 1 };
    const subtask = fc.constantFrom('vqa', 'caption', 'report', 'super-resolution', 'reconstruction');
    fc.assert(
      fc.property(fc.dictionary(subtask, fc.double({ min: 1e-3, max: 100, noNaN: true })), (w) => {
        const stages = paperStages(model, { steps, available, weights: { instruction: w } });
        const instruct = stages[stages.length - 1].mixture!;
        expect(Object.keys(instruct).sort()).toEqual([...available].sort());
        for (const t of available) expect(instruct[t]).toBe(w[t] ?? 1);
        for (const s of stages.slice(0, -1)) expect(Object.values(s.mixture!).every((x) => x === 1)).toBe(true);
      }),
    );
    const [alignC, , fusion] = paperStages(model, { steps, available, weights: { alignmentComprehension: { report: 2 }, fusion: { vqa: 5, reconstruction: 0.5 } } });
    expect(alignC.mixture).toEqual({ caption: 1, report: 2 });
    expect(fusion.mixture).toEqual({ vqa: 5, caption: 1, report: 1, 'super-resolution': 1, reconstruction: 0.5 });
    // a weighted subtask of the stage's data that this run does not have is left out, as unweighted ones are
    expect(paperStages(model, { steps, available, weights: { instruction: { denoising: 3 } } })[3].mixture).not.toHaveProperty('denoising');
  });

  it('draws stage 3’s subtasks in proportion to their weights', async () => {
    const stages = paperStages(model, { steps: { alignment: 1, fusion: 1, instruction: 1 }, available, weights: { instruction: { vqa: 3 } } });
    const mixture = stages[3].mixture!;
    const toy = new Toy(2);
    const tasks = Object.keys(mixture).map((t, k) => toyTask(toy, toyItems(8, k + 1), t));
    const records: StepRecord[] = [];
    const n = 700;
    await new Trainer({ model: toy, tasks, progress: false, onStep: (r) => records.push(r) }).run([{ name: 'stage3', trainable: ['**'], lr: 1e-3, batchSize: 4, mixture, length: { steps: n }, seed: 3 }]);
    toy.dispose();
    const total = Object.values(mixture).reduce((a, b) => a + b, 0); // 3 + 4 × 1
    for (const [t, w] of Object.entries(mixture)) {
      const drawn = records.filter((r) => t in r.tasks).length;
      const p = w / total;
      // independent draws: within 5 binomial standard deviations of n·p (a miss has probability < 1e-6 per subtask)
      expect(Math.abs(drawn - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
    }
    const vqa = records.filter((r) => 'vqa' in r.tasks).length;
    const caption = records.filter((r) => 'caption' in r.tasks).length;
    // 3 : 1 expected; vqa − 1.5 × caption has mean 150 and standard deviation 23 at n = 700, so this holds beyond 6 of them
    expect(vqa).toBeGreaterThan(1.5 * caption);
  });

  it('refuses a bad weight with a typed error naming the stage and the task', () => {
    const steps = { alignment: 1, fusion: 1, instruction: 1 };
    const refused = (weights: Record<string, Record<string, number>>, message: RegExp, key: string) => {
      const err = (() => {
        try {
          paperStages(model, { steps, available, weights });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(TrainerError);
      expect((err as TrainerError).code).toBe('ARGUMENT');
      expect((err as TrainerError).key).toBe(key);
      expect((err as Error).message).toMatch(message);
    };
    for (const bad of [0, -1, NaN, Infinity]) refused({ instruction: { vqa: bad } }, new RegExp(`mixture weight of task 'vqa' in 'instruction' must be a finite number > 0, got ${bad}`), 'weights.instruction.vqa');
    refused({ instruction: { vqa: '2' as unknown as number } }, /task 'vqa' in 'instruction' must be a finite number > 0, got 2/, 'weights.instruction.vqa');
    refused({ instruction: { vqq: 2 } }, /gives task 'vqq' a weight in stage data 'instruction', which does not hold it \(vqa, vqa-pairs, caption/, 'weights.instruction.vqq');
    refused({ alignmentComprehension: { vqa: 2 } }, /task 'vqa' a weight in stage data 'alignmentComprehension'.*\(caption, report\)/, 'weights.alignmentComprehension.vqa');
    refused({ stage3: { vqa: 2 } }, /unknown stage 'stage3' \(stages: alignmentComprehension, alignmentGeneration, fusion, instruction\)/, 'weights.stage3');
  });
});
