// y = x · (q·s)ᵀ for int8 weights with per-output-channel scales: the matrix–vector work of
// decoding with weight-only int8 layers, reading one byte per weight. Output channels are split in
// blocks across the addon's threads (row_split.h); every dot product has one fixed order
// (rows_dot.h), so the result does not depend on the CPU or on the thread count.
#include <algorithm>

#include "kernels.h"
#include "row_split.h"
#include "rows_dot.h"

void int8_matmul(const float* x, const int8_t* q, const float* scales, float* y, int64_t rows, int64_t out, int64_t in) {
  const int64_t per = rows_per_block(out, in);
  split_blocks((out + per - 1) / per, [&](int64_t block) {
    const int64_t end = std::min(out, (block + 1) * per);
    for (int64_t o = block * per; o < end; o++) {
      const int8_t* qo = q + o * in;
      const float s = scales[o];
      for (int64_t r = 0; r < rows; r++) y[r * out + o] = dot_i8(x + r * in, qo, in) * s;
    }
  });
}

void rows_matmul(const float* x, int64_t ldx, const float* w, int64_t ldw, float* y, int64_t ldy, int64_t rows, int64_t out, int64_t in) {
  const int64_t per = rows_per_block(out, 4 * in);
  split_blocks((out + per - 1) / per, [&](int64_t block) {
    const int64_t end = std::min(out, (block + 1) * per);
    for (int64_t o = block * per; o < end; o++) {
      for (int64_t r = 0; r < rows; r++) y[r * ldy + o] = dot_f32(x + r * ldx, w + o * ldw, in);
    }
  });
}
