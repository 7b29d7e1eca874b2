import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Generator } from '@healthgpt/tensor-core';
import { DecoderError, repetitionPenalty, temperature, topK, topP, softmax, composeProcessors, argmax, sample, indexBlockConstraint, samplingProcessors, parseGenerationConfig } from '../index.js';

const ctx = (tokens: number[] = []) => ({ row: 0, step: 0, tokens, promptLength: 0 });
const finite = (l: Float32Array) => Array.from(l).filter((v) => v !== -Infinity).length;
const row = fc.array(fc.float({ min: -20, max: 20, noNaN: true, noDefaultInfinity: true }), { minLength: 2, maxLength: 40 }).map((a) => Float32Array.from(a));

describe('logits processors', () => {
  it('repetition penalty divides positive and multiplies negative scores of seen ids (HF)', () => {
    const l = Float32Array.from([2, -2, 1, 4]);
    repetitionPenalty(2).process(l, ctx([0, 1, 1]));
    expect(Array.from(l)).toEqual([1, -4, 1, 4]);
  });

  it('top-k keeps the k best (and ties), never the argmax out', () => {
    fc.assert(
      fc.property(row, fc.integer({ min: 1, max: 10 }), (l, k) => {
        const best = argmax(l);
        const x = Float32Array.from(l);
        topK(k).process(x, ctx());
        expect(finite(x)).toBeGreaterThanOrEqual(Math.min(k, l.length));
        expect(x[best]).toBe(l[best]);
        const kept = Array.from(x).filter((v) => v !== -Infinity);
        const dropped = Array.from(l).filter((_, i) => x[i] === -Infinity);
        if (dropped.length) expect(Math.min(...kept)).toBeGreaterThan(Math.max(...dropped));
      }),
      { numRuns: 15 },
    );
  });

  it('top-p keeps the smallest prefix of the sorted distribution reaching p', () => {
    fc.assert(
      fc.property(row, fc.double({ min: 0.05, max: 0.99, noNaN: true }), (l, p) => {
        const x = Float32Array.from(l);
        topP(p).process(x, ctx());
        const probs = softmax(l);
        const keptMass = Array.from(probs).reduce((s, q, i) => s + (x[i] !== -Infinity ? q : 0), 0);
        expect(keptMass).toBeGreaterThanOrEqual(p - 1e-9);
        const minKept = Math.min(...Array.from(probs).filter((_, i) => x[i] !== -Infinity));
        expect(keptMass - minKept).toBeLessThan(p + 1e-9);
      }),
      { numRuns: 15 },
    );
  });

  it('temperature scales, compose applies in order, and bad settings are DecoderErrors', () => {
    const l = Float32Array.from([2, 4]);
    composeProcessors(temperature(2), topK(1)).process(l, ctx());
    expect(Array.from(l)).toEqual([-Infinity, 2]);
    expect(() => temperature(0)).toThrow(DecoderError);
    expect(() => topK(0)).toThrow(DecoderError);
    expect(() => topP(1.5)).toThrow(DecoderError);
    expect(() => indexBlockConstraint({ startId: 5, endId: 6, idRange: { lo: 0, hi: 10 }, count: 3 })).toThrow(/outside 'idRange'/);
  });

  it('samples only allowed ids, reproducibly per seed', () => {
    const l = Float32Array.from([0, -Infinity, 1, -Infinity, 2]);
    const draw = (seed: number) => {
      const g = new Generator(seed);
      return Array.from({ length: 50 }, () => sample(l, g));
    };
    expect(draw(3)).toEqual(draw(3));
    expect(new Set(draw(3))).toEqual(new Set([0, 2, 4]));
  });
});

describe('samplingProcessors (the sampling settings of generate, for callers that choose tokens themselves)', () => {
  const names = (o: Parameters<typeof samplingProcessors>[0], gc: Parameters<typeof samplingProcessors>[1] = null) => samplingProcessors(o, gc).map((p) => p.name);
  const gc = parseGenerationConfig({ do_sample: true, temperature: 0.7, top_p: 0.9 });

  it('gives temperature, top-k and top-p in that order, and nothing without sampling', () => {
    expect(names({ doSample: true, temperature: 0.5, topK: 3, topP: 0.8 })).toEqual(['temperature', 'topK', 'topP']);
    expect(names({ temperature: 0.5, topK: 3 })).toEqual([]);
    expect(names({ doSample: false }, gc)).toEqual([]);
  });

  it("reads a generation config with HF's defaults (top_k 50, 0 = off); explicit options win", () => {
    expect(names({}, gc)).toEqual(['temperature', 'topK', 'topP']);
    expect(names({}, parseGenerationConfig({ do_sample: true, top_k: 0 }))).toEqual([]);
    const l = Float32Array.from({ length: 60 }, (_, i) => i);
    samplingProcessors({}, gc).find((p) => p.name === 'topK')!.process(l, ctx());
    expect(finite(l)).toBe(50);
  });

  it('checks explicit values as the processors do: top-k 0, top-p 0 and temperature 0 are typed errors', () => {
    expect(() => samplingProcessors({ doSample: true, topK: 0 })).toThrow(DecoderError);
    expect(() => samplingProcessors({ doSample: true, topP: 0 })).toThrow(DecoderError);
    expect(() => samplingProcessors({ doSample: true, temperature: 0 })).toThrow(DecoderError);
  });
});
