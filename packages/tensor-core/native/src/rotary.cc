// RoPE (rotate-half) in one pass, forward and backward, instead of two slices, a negation, a
// concat, two products and a sum (and their gradients) in tfjs. Each value is rounded as the tfjs
// formula rounds it: (x·cos) + (rotated·sin). Work shared in claimed blocks of rows (row_split.cc).
#include "rotary.h"

#include "kernels.h"
#include "row_split.h"

KERNEL_CLONES void rotary_row_forward(const float* x, const float* c, const float* s, float* y, int64_t half) {
  for (int64_t i = 0; i < half; i++) y[i] = x[i] * c[i] + (-x[i + half]) * s[i];
  for (int64_t i = half; i < 2 * half; i++) y[i] = x[i] * c[i] + x[i - half] * s[i];
}

KERNEL_CLONES void rotary_row_backward(const float* dy, const float* c, const float* s, float* dx, int64_t half) {
  for (int64_t i = 0; i < half; i++) dx[i] = dy[i] * c[i] + dy[i + half] * s[i + half];
  for (int64_t i = half; i < 2 * half; i++) dx[i] = dy[i] * c[i] + -(dy[i - half] * s[i - half]);
}

void rotary(const float* x, const float* cos, const float* sin, float* out, int64_t b, int64_t h, int64_t t, int64_t d, int64_t cb, bool backward) {
  const int64_t rows = b * h * t, half = d / 2;
  const int64_t per = d >= (1 << 13) ? 1 : (1 << 13) / d;
  split_blocks((rows + per - 1) / per, [&](int64_t block) {
    const int64_t end = block * per + per < rows ? block * per + per : rows;
    for (int64_t r = block * per; r < end; r++) {
      const int64_t bi = r / (h * t), ti = r % t;
      const int64_t table = ((cb == 1 ? 0 : bi) * t + ti) * d;
      if (backward) rotary_row_backward(x + r * d, cos + table, sin + table, out + r * d, half);
      else rotary_row_forward(x + r * d, cos + table, sin + table, out + r * d, half);
    }
  });
}
