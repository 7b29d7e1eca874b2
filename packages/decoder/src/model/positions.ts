/**
 * Position ids for a forward, in plain JS (the masks are small, and the rotary tables are built
 * from host data anyway): HF generate's convention under left padding.
 */

/**
 * Position ids of the last `t` of `tk` slots per row, from a flat [B, Tk] mask, by HF generate's
 * rule: `cumsum(mask) − 1`, with masked slots at 1. → [B·t]
 */
export function positionsFromMask(mask: ArrayLike<number>, b: number, tk: number, t: number): Int32Array {
  const out = new Int32Array(b * t);
  for (let r = 0; r < b; r++) {
    let c = 0;
    for (let j = 0; j < tk; j++) {
      const on = mask[r * tk + j] !== 0;
      if (on) c++;
      if (j >= tk - t) out[r * t + j - (tk - t)] = on ? c - 1 : 1;
    }
  }
  return out;
}

/** Positions `past … past + t − 1` for each of `b` rows. → [B·t] */
export function positionsRange(b: number, past: number, t: number): Int32Array {
  const out = new Int32Array(b * t);
  for (let i = 0; i < out.length; i++) out[i] = past + (i % t);
  return out;
}
