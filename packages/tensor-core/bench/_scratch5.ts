function tBlocked(src: Int32Array, dst: Int32Array, rows: number, cols: number, B = 32) {
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        let s = i * cols + j0;
        for (let j = j0; j < j1; j++) dst[j * rows + i] = src[s++];
      }
    }
  }
}
for (const [r, c] of [[1024,1024],[1024,256],[256,1024],[128,64]]) {
  const src = new Int32Array(r*c).map((_, i) => i), dst = new Int32Array(r*c);
  for (const B of [16, 32, 64]) {
    tBlocked(src, dst, r, c, B);
    const c0 = process.cpuUsage();
    const reps = Math.max(5, 2e7 / (r*c) | 0);
    for (let k = 0; k < reps; k++) tBlocked(src, dst, r, c, B);
    const u = process.cpuUsage(c0);
    console.log(r, c, B, ((u.user + u.system) / 1000 / reps).toFixed(3), 'ms');
  }
}
