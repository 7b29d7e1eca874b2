// silu(g)·u forward and backward, one pass each, instead of a split, a sigmoid and ~2 products
// forward and ~8 elementwise kernels (and a concat) backward. σ(g) = 1/(1 + e^(−g)) with a
// vectorisable float32 e^x (range reduction by ln 2 and a degree-6 polynomial, within ~2 ulp of
// expf); work shared in claimed blocks of rows (row_split.cc).
#include "silu_gate.h"

// The e^x loop vectorises only when float → int conversions may be assumed not to trap; the
// results are the same either way (no code here reads the floating-point exception flags).
#pragma GCC optimize("no-trapping-math")

#include <algorithm>
#include <cstring>

#include "exp_approx.h"
#include "kernels.h"
#include "row_split.h"

namespace {

/** Elements per chunk of a row: the chunk's 1 + e^(−g) stays in a stack buffer (L1) between the two loops. */
constexpr int64_t kChunk = 256;

// 1 + e^(−g) over a chunk, in its own loop: with the division in the same loop the compiled body ran
// ~2.5x slower per element (measured on this code, AVX2, both orders), for the same arithmetic.
KERNEL_CLONES void one_plus_exp_neg(const float* g, float* t, int64_t n) {
  for (int64_t j = 0; j < n; j++) t[j] = 1.0f + exp_approx(-g[j]);
}

KERNEL_CLONES void forward_chunk(const float* g, const float* u, const float* t, float* out, int64_t n) {
  for (int64_t j = 0; j < n; j++) {
    const float s = 1.0f / t[j];
    out[j] = (g[j] * s) * u[j];
  }
}

KERNEL_CLONES void backward_chunk(const float* g, const float* u, const float* t, const float* da, float* dg, float* du, int64_t n) {
  for (int64_t j = 0; j < n; j++) {
    const float s = 1.0f / t[j];
    du[j] = da[j] * (g[j] * s);
    dg[j] = ((da[j] * u[j]) * s) * (1.0f + g[j] * (1.0f - s));
  }
}

// σ(g) = 1 / (1 + e^(−g)), chunk by chunk; the same operations in the same order as one loop would do.
void forward_row(const float* g, const float* u, float* out, int64_t n) {
  float t[kChunk];
  for (int64_t j = 0; j < n; j += kChunk) {
    const int64_t c = n - j < kChunk ? n - j : kChunk;
    one_plus_exp_neg(g + j, t, c);
    forward_chunk(g + j, u + j, t, out + j, c);
  }
}

void backward_row(const float* g, const float* u, const float* da, float* dg, float* du, int64_t n) {
  float t[kChunk];
  for (int64_t j = 0; j < n; j += kChunk) {
    const int64_t c = n - j < kChunk ? n - j : kChunk;
    one_plus_exp_neg(g + j, t, c);
    backward_chunk(g + j, u + j, t, da + j, dg + j, du + j, c);
  }
}

int64_t rows_per(int64_t n) { return n >= (1 << 13) ? 1 : (1 << 13) / n; }

template <typename Fn>
void over_rows(int64_t rows, int64_t n, Fn&& fn) {
  const int64_t per = rows_per(n);
  split_blocks((rows + per - 1) / per, [&](int64_t block) {
    const int64_t end = block * per + per < rows ? block * per + per : rows;
    for (int64_t i = block * per; i < end; i++) fn(i);
  });
}

}  // namespace

void silu_gate_forward(const float* g, const float* u, int64_t stride, float* out, int64_t rows, int64_t n) {
  over_rows(rows, n, [&](int64_t i) { forward_row(g + i * stride, u + i * stride, out + i * n, n); });
}

void silu_gate_backward(const float* g, const float* u, int64_t stride, const float* da, float* dg, float* du, int64_t grad_stride, int64_t rows, int64_t n) {
  over_rows(rows, n, [&](int64_t i) { backward_row(g + i * stride, u + i * stride, da + i * n, dg + i * grad_stride, du + i * grad_stride, n); });
}
