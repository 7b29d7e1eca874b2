import { describe, expect, it } from 'vitest';
import { composeGrid } from './figure.js';

describe('composeGrid', () => {
  it('places each image in its cell, scaled by nearest neighbour, with white gaps; grey, RGB, 16-bit and float alike', () => {
    const grey = { width: 2, height: 2, channels: 1 as const, data: new Float32Array([0, 1, 0.5, 0.25]) };
    const rgb = { width: 1, height: 1, channels: 3 as const, data: new Uint8Array([10, 20, 30]) };
    const deep = { width: 1, height: 1, channels: 1 as const, data: new Uint16Array([65535]) };
    const g = composeGrid([[grey, rgb], [deep]], { cell: 4, gap: 1 });
    expect([g.width, g.height, g.channels]).toEqual([2 * 4 + 3, 2 * 4 + 3, 3]);
    const px = (x: number, y: number) => [...g.data.subarray((y * g.width + x) * 3, (y * g.width + x) * 3 + 3)];
    expect(px(0, 0)).toEqual([255, 255, 255]); // gap
    expect(px(1, 1)).toEqual([0, 0, 0]); // grey (0,0) = 0
    expect(px(3, 1)).toEqual([255, 255, 255]); // grey (1,0) = 1
    expect(px(1, 3)).toEqual([128, 128, 128]); // grey (0,1) = 0.5
    expect(px(4, 4)).toEqual([64, 64, 64]); // grey (1,1) = 0.25
    expect(px(6, 1)).toEqual([10, 20, 30]); // rgb cell
    expect(px(9, 4)).toEqual([10, 20, 30]);
    expect(px(1, 6)).toEqual([255, 255, 255]); // 16-bit white
    expect(px(6, 6)).toEqual([255, 255, 255]); // the empty cell stays white
  });
});
