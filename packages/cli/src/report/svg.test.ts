import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lossCurveSvg, smooth } from './svg.js';

const attr = (svg: string, name: string) => svg.match(new RegExp(`${name}="([^"]*)"`))?.[1];
const polylines = (svg: string) => [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1].split(' ').map((p) => p.split(',').map(Number)));

describe('lossCurveSvg', () => {
  it('draws every finite step inside the plot area, first step left, last right, lower loss lower', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 50, noNaN: true }), { minLength: 2, maxLength: 200 }), (ys) => {
        const svg = lossCurveSvg('s', ys);
        const [raw, sm] = polylines(svg);
        expect(raw).toHaveLength(ys.length);
        expect(sm).toHaveLength(ys.length);
        for (const [x, y] of raw) {
          expect(x).toBeGreaterThanOrEqual(52 - 0.05);
          expect(x).toBeLessThanOrEqual(348 + 0.05);
          expect(y).toBeGreaterThanOrEqual(26 - 0.05);
          expect(y).toBeLessThanOrEqual(166 + 0.05);
        }
        expect(raw[0][0]).toBeCloseTo(52, 1);
        expect(raw[raw.length - 1][0]).toBeCloseTo(348, 1);
        const lo = ys.indexOf(Math.min(...ys));
        const hi = ys.indexOf(Math.max(...ys));
        if (ys[lo] !== ys[hi]) expect(raw[lo][1]).toBeGreaterThan(raw[hi][1]);
      }),
      { numRuns: 60 },
    );
  });

  it('uses a log scale only when the loss spans more than 20x, and says so', () => {
    expect(lossCurveSvg('a', [10, 5, 2])).not.toContain('(log)');
    expect(lossCurveSvg('a', [100, 10, 1])).toContain('loss (log)');
    const [raw] = polylines(lossCurveSvg('a', [100, 10, 1]));
    // on a log scale 10 sits halfway between 100 and 1
    expect(raw[1][1]).toBeCloseTo((raw[0][1] + raw[2][1]) / 2, 1);
  });

  it('leaves non-finite steps out but counts them, and says when nothing is finite', () => {
    const svg = lossCurveSvg('x<y', [3, Number.NaN, Number.POSITIVE_INFINITY, 1]);
    expect(attr(svg, 'data-steps')).toBe('4');
    expect(attr(svg, 'data-stage')).toBe('x&lt;y');
    expect(polylines(svg)[0].map(([x]) => x)).toHaveLength(2);
    expect(lossCurveSvg('z', [Number.NaN])).toContain('z: no finite loss recorded');
    expect(lossCurveSvg('one', [2.5])).toContain('<circle');
  });

  it('smooth is a moving average that starts at the first value and stays within the range', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 100 }), (ys) => {
        const s = smooth(ys);
        expect(s[0]).toBe(ys[0]);
        for (const v of s) {
          expect(v).toBeGreaterThanOrEqual(Math.min(...ys) - 1e-9);
          expect(v).toBeLessThanOrEqual(Math.max(...ys) + 1e-9);
        }
      }),
    );
  });
});
