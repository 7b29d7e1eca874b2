// Softmax cross-entropy over a vocabulary in one pass forward and one backward. The forward keeps
// only each row's max m and log Σ e^(x − m) (not the [rows, v] probabilities; one log-sum-exp
// float would lose x − lse's low bits when |m| is large), and the backward recomputes
// p = e^((x − m) − log s) as it writes dx: two reads of the logits and one write in all, where tfjs's
// softmax, one-hot, masks and products made ~25 kernels and a dozen passes. Rows are shared in
// claimed blocks (row_split.cc); the loss is summed in row order, so it does not depend on threads.
#include "cross_entropy.h"

// The e^x loops vectorise only when float → int conversions may be assumed not to trap.
#pragma GCC optimize("no-trapping-math")

#include <algorithm>
#include <cmath>
#include <vector>

#include "exp_approx.h"
#include "kernels.h"
#include "lane_reduce.h"
#include "row_split.h"

namespace {

KERNEL_CLONES float row_max(const float* x, int64_t v) { return lane_max(x, v); }

/** Σ e^(x − m) over the row: e^x a chunk at a time into scratch (a loop of its own vectorises), summed in lanes (lane_reduce.h). */
KERNEL_CLONES float row_exp_sum(const float* x, int64_t v, float m) {
  constexpr int64_t kChunk = 256;
  float e[kChunk];
  float s = 0.0f;
  for (int64_t j0 = 0; j0 < v; j0 += kChunk) {
    const int64_t n = std::min(kChunk, v - j0);
    for (int64_t j = 0; j < n; j++) e[j] = exp_approx(x[j0 + j] - m);
    s += lane_sum(e, n);
  }
  return s;
}

KERNEL_CLONES void row_grad(const float* x, int64_t v, float m, float log_s, float scale, float* dx) {
  for (int64_t j = 0; j < v; j++) dx[j] = exp_approx((x[j] - m) - log_s) * scale;
}

/** A row counts in the sum when its label is not ignored and in [0, v) (the ignored label may be a class). */
bool supervised(int32_t label, int32_t ignore, int64_t v) { return label != ignore && label >= 0 && label < v; }

/** Rows per claimed block: ≥ 8 K logits a block. */
int64_t rows_per_block(int64_t v) { return v >= (1 << 13) ? 1 : (1 << 13) / v; }

template <typename Fn>
void over_rows(int64_t rows, int64_t v, Fn&& fn) {
  const int64_t per = rows_per_block(v);
  split_blocks((rows + per - 1) / per, [&](int64_t block) {
    const int64_t end = std::min(rows, block * per + per);
    for (int64_t i = block * per; i < end; i++) fn(i);
  });
}

}  // namespace

double cross_entropy_forward(const float* x, const int32_t* labels, int64_t rows, int64_t v, int32_t ignore, float* stats, int64_t* count) {
  over_rows(rows, v, [&](int64_t i) {
    const float* row = x + i * v;
    const float m = row_max(row, v);
    stats[2 * i] = m;
    stats[2 * i + 1] = std::log(row_exp_sum(row, v, m));
  });
  double nll = 0.0;
  for (int64_t i = 0; i < rows; i++)
    if (supervised(labels[i], ignore, v)) nll += static_cast<double>(stats[2 * i + 1]) - (static_cast<double>(x[i * v + labels[i]]) - stats[2 * i]);
  *count = cross_entropy_count(labels, rows, ignore);
  return nll;
}

int64_t cross_entropy_count(const int32_t* labels, int64_t rows, int32_t ignore) {
  int64_t kept = 0;
  for (int64_t i = 0; i < rows; i++) kept += labels[i] != ignore;
  return kept;
}

void cross_entropy_backward(const float* x, const int32_t* labels, const float* stats, int64_t rows, int64_t v, int32_t ignore, float scale, float* dx) {
  over_rows(rows, v, [&](int64_t i) {
    float* out = dx + i * v;
    if (!supervised(labels[i], ignore, v)) {
      std::fill(out, out + v, 0.0f);
      return;
    }
    const int32_t l = labels[i];
    const float m = stats[2 * i], log_s = stats[2 * i + 1];
    row_grad(x + i * v, v, m, log_s, scale, out);
    out[l] = (exp_approx((x[i * v + l] - m) - log_s) - 1.0f) * scale;  // (p − 1)·scale, as the one-hot formula rounds it
  });
}
