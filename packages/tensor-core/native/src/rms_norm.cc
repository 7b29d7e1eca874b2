// RMSNorm (Phi-3, Qwen2) forward and backward, each one pass over its rows, instead of ~6 tfjs
// kernels forward and ~8 backward per call. Row sums run in 8 float32 lanes (vectorised); every
// stored value is rounded where the tfjs formula rounds it (x̂ = x·r, then x̂·w). Work is shared
// out in blocks of rows (dw: of columns) that the caller and the decoding helpers claim
// (row_split.cc), so a helper the system has not scheduled never holds the caller up.
#include "rms_norm.h"

#include <cmath>

#include "kernels.h"
#include "row_split.h"

namespace {

constexpr int kLanes = 8;

/** Σ a[j]·b[j] in kLanes float lanes, reduced in one fixed order. */
KERNEL_CLONES float dot_lanes(const float* a, const float* b, int64_t d) {
  float acc[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + kLanes <= d; j += kLanes)
    for (int l = 0; l < kLanes; l++) acc[l] += a[j + l] * b[j + l];
  for (; j < d; j++) acc[j % kLanes] += a[j] * b[j];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

KERNEL_CLONES void scale_row(const float* x, float r, const float* w, float* y, int64_t d) {
  for (int64_t j = 0; j < d; j++) y[j] = (x[j] * r) * w[j];
}

/** dx = r·(dy·w − (x·r)·mean), the row's g·x̂ mean given. */
KERNEL_CLONES void input_grad_row(const float* dy, const float* x, float r, const float* w, float mean, float* dx, int64_t d) {
  for (int64_t j = 0; j < d; j++) dx[j] = r * (dy[j] * w[j] - (x[j] * r) * mean);
}

/** g·x̂ summed over a row: Σ (dy·w)·(x·r). */
KERNEL_CLONES float grad_dot(const float* dy, const float* x, float r, const float* w, int64_t d) {
  float acc[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + kLanes <= d; j += kLanes)
    for (int l = 0; l < kLanes; l++) acc[l] += (dy[j + l] * w[j + l]) * (x[j + l] * r);
  for (; j < d; j++) acc[j % kLanes] += (dy[j] * w[j]) * (x[j] * r);
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

/** acc[c0..c1) += dy·(x·r) of one row. */
KERNEL_CLONES void accumulate_cols(const float* dy, const float* x, float r, float* acc, int64_t n) {
  for (int64_t j = 0; j < n; j++) acc[j] += dy[j] * (x[j] * r);
}

/** Rows per block: ~16 K elements, so a block is worth a claim. */
int64_t rows_per(int64_t d) { return d >= (1 << 14) ? 1 : (1 << 14) / d; }

}  // namespace

void rms_norm_forward(const float* x, const float* w, float* y, float* r, int64_t rows, int64_t d, float eps) {
  const int64_t per = rows_per(d);
  split_blocks((rows + per - 1) / per, [&](int64_t block) {
    const int64_t end = block * per + per < rows ? block * per + per : rows;
    for (int64_t i = block * per; i < end; i++) {
      const float* xi = x + i * d;
      const float ri = 1.0f / std::sqrt(dot_lanes(xi, xi, d) / static_cast<float>(d) + eps);
      r[i] = ri;
      scale_row(xi, ri, w, y + i * d, d);
    }
  });
}

void rms_norm_backward(const float* dy, const float* x, const float* r, const float* w, float* dx, float* dw, int64_t rows, int64_t d) {
  const int64_t per = rows_per(d);
  split_blocks((rows + per - 1) / per, [&](int64_t block) {
    const int64_t end = block * per + per < rows ? block * per + per : rows;
    for (int64_t i = block * per; i < end; i++) {
      const float mean = grad_dot(dy + i * d, x + i * d, r[i], w, d) / static_cast<float>(d);
      input_grad_row(dy + i * d, x + i * d, r[i], w, mean, dx + i * d, d);
    }
  });
  // dw in blocks of columns: each block sums its columns over every row, in row order.
  constexpr int64_t kCols = 64;
  split_blocks((d + kCols - 1) / kCols, [&](int64_t block) {
    const int64_t c0 = block * kCols, n = c0 + kCols < d ? kCols : d - c0;
    float acc[kCols] = {};
    for (int64_t i = 0; i < rows; i++) accumulate_cols(dy + i * d + c0, x + i * d + c0, r[i], acc, n);
    for (int64_t j = 0; j < n; j++) dw[c0 + j] = acc[j];
  });
}
