// H-LoRA's routed mixture (softmax gate, expert map, scaling, product) forward and backward, one
// pass per row each, instead of a JavaScript loop over the wasm heap. The exponentials are the
// vectorisable float32 e^x of exp_approx.h (~2 ulp of expf); the softmax's sum and the backward's
// per-expert sums of products are accumulated in float64 and rounded once; the products are float32, as the
// unfused kernels round them. Rows are shared in claimed blocks (row_split.cc).
#include "routed_mix.h"

// The e^x loop vectorises only when float → int conversions may be assumed not to trap; the
// results are the same either way (no code here reads the floating-point exception flags).
#pragma GCC optimize("no-trapping-math")

#include <algorithm>
#include <vector>

#include "exp_approx.h"
#include "kernels.h"
#include "row_split.h"

namespace {

/** e [k] = exp(l − max l) (float32); returns their sum (float64). */
KERNEL_CLONES double softmax_exps(const float* l, float* e, int64_t k) {
  float max = l[0];
  for (int64_t j = 1; j < k; j++) max = std::max(max, l[j]);
  for (int64_t j = 0; j < k; j++) e[j] = exp_approx(l[j] - max);
  double sum = 0;
  for (int64_t j = 0; j < k; j++) sum += e[j];
  return sum;
}

/** One row forward; gs [r] is scratch for the per-rank factor g_e·s. */
KERNEL_CLONES void forward_row(const float* u, float* y, float* g, float* gs, int64_t r, int64_t k, float s) {
  const int64_t re = r / k;
  const double sum = softmax_exps(u + r, g, k);
  for (int64_t j = 0; j < k; j++) {
    g[j] = static_cast<float>(g[j] / sum);
    const float f = g[j] * s;
    for (int64_t c = j * re; c < (j + 1) * re; c++) gs[c] = f;
  }
  for (int64_t c = 0; c < r; c++) y[c] = u[c] * gs[c];
}

/** One row backward; gs [r] and dg [k] are scratch. */
KERNEL_CLONES void backward_row(const float* dy, const float* u, const float* g, float* du, float* gs, double* dg, int64_t r, int64_t k, float s) {
  const int64_t re = r / k;
  for (int64_t j = 0; j < k; j++) {
    const float f = g[j] * s;
    for (int64_t c = j * re; c < (j + 1) * re; c++) gs[c] = f;
  }
  for (int64_t c = 0; c < r; c++) du[c] = dy[c] * gs[c];
  double dot = 0;
  for (int64_t j = 0; j < k; j++) {
    double acc = 0;
    for (int64_t c = j * re; c < (j + 1) * re; c++) acc += static_cast<double>(dy[c]) * u[c];
    dg[j] = acc * s;
    dot += g[j] * dg[j];
  }
  for (int64_t j = 0; j < k; j++) du[r + j] = static_cast<float>(g[j] * (dg[j] - dot));
}

/** Rows per claimed block: ~8 K floats of u each, at least one row. */
int64_t rows_per(int64_t w) { return w >= (1 << 13) ? 1 : (1 << 13) / w; }

template <typename Fn>
void over_rows(int64_t n, int64_t w, Fn&& fn) {
  const int64_t per = rows_per(w);
  split_blocks((n + per - 1) / per, [&](int64_t block) {
    const int64_t end = std::min(block * per + per, n);
    fn(block * per, end);
  });
}

}  // namespace

void routed_mix_forward(const float* u, float* y, float* g, int64_t n, int64_t r, int64_t k, float s) {
  const int64_t w = r + k;
  over_rows(n, w, [&](int64_t begin, int64_t end) {
    std::vector<float> gs(r);
    for (int64_t i = begin; i < end; i++) forward_row(u + i * w, y + i * r, g + i * k, gs.data(), r, k, s);
  });
}

void routed_mix_backward(const float* dy, const float* u, const float* g, float* du, int64_t n, int64_t r, int64_t k, float s) {
  const int64_t w = r + k;
  over_rows(n, w, [&](int64_t begin, int64_t end) {
    std::vector<float> gs(r);
    std::vector<double> dg(k);
    for (int64_t i = begin; i < end; i++) backward_row(dy + i * r, u + i * w, g + i * k, du + i * w, gs.data(), dg.data(), r, k, s);
  });
}
