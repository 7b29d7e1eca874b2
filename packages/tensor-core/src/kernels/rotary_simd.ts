/**
 * RoPE's fused kernels (HealthgptRotary forward, fused_step.ts; HealthgptRotaryGrad backward,
 * rotary_grad.ts) in WebAssembly SIMD (wasm_simd.ts) on the wasm backend's heap, when half a
 * head (D/2) is a multiple of 4. With the halves of a row written lo and hi:
 *
 *   forward   y_lo = x_lo·cos_lo − x_hi·sin_lo      y_hi = x_hi·cos_hi + x_lo·sin_hi
 *   backward  dx_lo = dy_lo·cos_lo + dy_hi·sin_hi   dx_hi = dy_hi·cos_hi − dy_lo·sin_lo
 *
 * Every product is rounded to float32 and then the two meet in one add or subtract, as the
 * JavaScript loops round them (p + fl(−x·s) is p − fl(x·s) exactly), so the bits are the same.
 */
import { simdExports, op, rowWalk, advance, I32, V128, type SimdFunction, type WasmMemory } from './wasm_simd.js';
import { transposeSimdOn } from './transpose_simd.js';

const at = (base: number, j: number, plus?: number) => [...op.get(base), ...op.get(j), ...op.i32Add, ...(plus === undefined ? [] : [...op.get(plus), ...op.i32Add])];

/**
 * name(x, cos, sin, out, rows, half, xStride, tableStride, outStride): `rows` rows of D of x and
 * out, and of the tables beside them; `half` = D/2·4 bytes, strides between rows in bytes. `grad`
 * picks the backward formulas.
 */
function kernel(grad: boolean): SimdFunction {
  const [X, C, S, OUT, ROWS, HALF, XS, TS, OS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [j, lo, hi] = [9, 10, 11];
  const mulLoad = (v: number, base: number, plus?: number) => [...op.get(v), ...at(base, j, plus), ...op.load, ...op.mul];
  // forward:  lo·c_lo − hi·s_lo, hi·c_hi + lo·s_hi;  backward: lo·c_lo + hi·s_hi, hi·c_hi − lo·s_lo
  const first = [...at(OUT, j), ...mulLoad(lo, C), ...mulLoad(hi, S, grad ? HALF : undefined), ...(grad ? op.add : op.sub), ...op.store];
  const second = [...at(OUT, j, HALF), ...mulLoad(hi, C, HALF), ...mulLoad(lo, S, grad ? undefined : HALF), ...(grad ? op.sub : op.add), ...op.store];
  return {
    name: grad ? 'rotGrad' : 'rot',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, V128, V128],
    body: rowWalk(
      ROWS,
      j,
      HALF,
      [[...at(X, j), ...op.load, ...op.set(lo), ...at(X, j, HALF), ...op.load, ...op.set(hi)], first, second],
      [...advance(X, XS), ...advance(C, TS), ...advance(S, TS), ...advance(OUT, OS)],
    ),
  };
}

type Rows = (x: number, cos: number, sin: number, out: number, rows: number, half: number, xStride: number, tableStride: number, outStride: number) => void;

/** The kernels on `memory`, or null when this engine cannot run them. */
export const rotarySimdOn = (memory: WasmMemory) => simdExports('rotary', () => [kernel(false), kernel(true)], memory) as { rot: Rows; rotGrad: Rows } | null;

/**
 * RoPE forward (or, with `grad`, its backward) on byte addresses in `memory`: x (or dy) and out
 * [B, H, T, D], cos and sin [cb, 1, T, D] with cb 1 or B. False (nothing written) when D/2 is not
 * a multiple of 4 or the module cannot run here.
 */
export function rotaryOnMemory(memory: WasmMemory, [x, cos, sin]: number[], out: number, [b, h, t, d]: number[], cb: number, grad: boolean): boolean {
  if (d % 8 !== 0) return false;
  const k = rotarySimdOn(memory);
  if (!k) return false;
  const run = grad ? k.rotGrad : k.rot;
  const block = t * d * 4;
  // One call per (batch, head): its T rows and the table's T rows advance together.
  for (let bi = 0; bi < b; bi++) {
    const table = (cb === 1 ? 0 : bi) * block;
    for (let hi = 0; hi < h; hi++) {
      const o = (bi * h + hi) * block;
      run(x + o, cos + table, sin + table, out + o, t, d * 2, d * 4, d * 4, d * 4);
    }
  }
  return true;
}

/**
 * The fused projection in head layout and back (HealthgptQkvHeads, fused_step.ts, and its
 * gradient HealthgptQkvHeadsGrad, qkv_heads_grad.ts) on byte addresses in `memory`. Forward: x
 * [B·T, (H + 2·Hkv)·hd] (columns q heads, k heads, v heads) → q [B, H, T, hd] and k [B, Hkv, T, hd]
 * rotated, v [B, Hkv, T, hd] copied. Backward (`grad`): dq, dk (un-rotated) and dv → dx in x's
 * layout. Tables [cb, 1, T, hd]. False (nothing written) when hd is not a multiple of 8 or the
 * module cannot run here.
 */
export function qkvHeadsOnMemory(memory: WasmMemory, heads: number[], x: number, cos: number, sin: number, [b, h, hkv, t, hd]: number[], cb: number, grad: boolean): boolean {
  if (hd % 8 !== 0) return false;
  const k = rotarySimdOn(memory);
  const copy = transposeSimdOn(memory)?.copy;
  if (!k || !copy) return false;
  const w = (h + 2 * hkv) * hd;
  const [rowX, rowH] = [w * 4, hd * 4];
  const rotate = grad ? k.rotGrad : k.rot;
  for (let bi = 0; bi < b; bi++) {
    const table = (cb === 1 ? 0 : bi) * t * rowH;
    for (let j = 0; j < h + 2 * hkv; j++) {
      const column = x + bi * t * rowX + j * rowH;
      const [which, head, nh] = j < h ? [0, j, h] : j < h + hkv ? [1, j - h, hkv] : [2, j - h - hkv, hkv];
      const block = heads[which] + (bi * nh + head) * t * rowH;
      const [src, srcStride, dst, dstStride] = grad ? [block, rowH, column, rowX] : [column, rowX, block, rowH];
      if (which === 2) copy(src, dst, t, rowH, srcStride, dstStride);
      else rotate(src, cos + table, sin + table, dst, t, hd * 2, srcStride, rowH, dstStride);
    }
  }
  return true;
}
