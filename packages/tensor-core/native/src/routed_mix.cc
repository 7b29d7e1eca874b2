// H-LoRA's routed mixture (softmax gate, expert map, scaling, product) forward and backward, one
// pass per row each, instead of a JavaScript loop over the wasm heap. The exponentials are the
// vectorisable float32 e^x of exp_approx.h (~2 ulp of expf); the softmax's sum, the backward's
// per-expert sums of products and its Σ g·dg are accumulated in float64 and rounded once; the
// products are float32, as the unfused kernels round them. Rows are shared in claimed blocks
// (row_split.cc).
//
// Many experts (k ≥ 16): the softmax's max and sum and the backward's Σ g·dg run in lanes
// (lane_reduce.h) instead of one element per add latency, and the per-expert loops over rₑ ≤ 8
// ranks have a constant trip count (by_width), so they vectorise instead of paying a loop prologue
// per expert. At k = 32, r = 64 that took 4096 rows from 0.53 to 0.34 ms forward and from 0.45 to
// 0.25 ms backward (one thread, AVX2 clone).
#include "routed_mix.h"

// The e^x loop vectorises only when float → int conversions may be assumed not to trap; the
// results are the same either way (no code here reads the floating-point exception flags).
#pragma GCC optimize("no-trapping-math")

#include <algorithm>
#include <type_traits>
#include <vector>

#include "exp_approx.h"
#include "kernels.h"
#include "lane_reduce.h"
#include "row_split.h"

// by_width and the loops handed to it inline into the KERNEL_CLONES callers, so they are compiled
// for each clone's target (a function of their own would be the baseline's).
#if defined(__GNUC__)
#define ALWAYS_INLINE __attribute__((always_inline))
#else
#define ALWAYS_INLINE
#endif

namespace {

/**
 * fn(width) with width = rₑ, a compile-time constant for the short experts of many-expert routers
 * (rₑ ≤ 8), so their per-expert loops unroll and vectorise instead of running a loop prologue per
 * expert; a plain int64_t otherwise.
 */
template <typename Fn>
ALWAYS_INLINE inline void by_width(int64_t re, Fn&& fn) {
  switch (re) {
    case 1: return fn(std::integral_constant<int64_t, 1>{});
    case 2: return fn(std::integral_constant<int64_t, 2>{});
    case 4: return fn(std::integral_constant<int64_t, 4>{});
    case 8: return fn(std::integral_constant<int64_t, 8>{});
    default: return fn(re);
  }
}

/** g [k] = softmax(l), each e^x / Σ e^x rounded once from float64: the max and the sum in lanes (lane_reduce.h) from one lane block up, left to right below it. */
inline void softmax_gates(const float* l, float* g, int64_t k) {
  float max = l[0];
  if (k >= kLanes) max = lane_max(l, k);
  else
    for (int64_t j = 1; j < k; j++) max = std::max(max, l[j]);
  for (int64_t j = 0; j < k; j++) g[j] = exp_approx(l[j] - max);
  double sum = 0;
  if (k >= kLanes) sum = lane_sum_in<double>(g, k);
  else
    for (int64_t j = 0; j < k; j++) sum += g[j];
  for (int64_t j = 0; j < k; j++) g[j] = static_cast<float>(g[j] / sum);
}

/**
 * Rows [begin, end) forward, in two passes: every row's gates, then every row's products, so no
 * row's products wait on its own gates' divisions.
 */
KERNEL_CLONES void forward_rows(const float* u, float* y, float* g, int64_t begin, int64_t end, int64_t r, int64_t k, float s) {
  const int64_t w = r + k;
  for (int64_t i = begin; i < end; i++) softmax_gates(u + i * w + r, g + i * k, k);
  by_width(r / k, [&](auto re) ALWAYS_INLINE {
    for (int64_t i = begin; i < end; i++) {
      const float* h = u + i * w;
      const float* gi = g + i * k;
      float* yi = y + i * r;
      for (int64_t j = 0; j < k; j++) {
        const float f = gi[j] * s;
        for (int64_t c = 0; c < re; c++) yi[j * re + c] = h[j * re + c] * f;
      }
    }
  });
}

/**
 * Rows [begin, end) backward: du_c = dy_c·(g_e·s); dg_e = s·Σ_{c∈e} dy_c·h_c (float64, left to
 * right within an expert) into scratch dg [k]; du_{r+e} = g_e·(dg_e − Σ_j g_j·dg_j), that sum
 * float64 as the softmax's.
 */
KERNEL_CLONES void backward_rows(const float* dy, const float* u, const float* g, float* du, double* dg, int64_t begin, int64_t end, int64_t r, int64_t k, float s) {
  const int64_t w = r + k;
  by_width(r / k, [&](auto re) ALWAYS_INLINE {
    for (int64_t i = begin; i < end; i++) {
      const float* dyi = dy + i * r;
      const float* h = u + i * w;
      const float* gi = g + i * k;
      float* dui = du + i * w;
      for (int64_t j = 0; j < k; j++) {
        const float f = gi[j] * s;
        double acc = 0;
        for (int64_t c = j * re; c < (j + 1) * re; c++) {
          dui[c] = dyi[c] * f;
          acc += static_cast<double>(dyi[c]) * h[c];
        }
        dg[j] = acc * s;
      }
      double dot = 0;
      if (k >= kLanes) dot = lane_dot_in<double>(gi, dg, k);
      else
        for (int64_t j = 0; j < k; j++) dot += gi[j] * dg[j];
      for (int64_t j = 0; j < k; j++) dui[r + j] = static_cast<float>(gi[j] * (dg[j] - dot));
    }
  });
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
    forward_rows(u, y, g, begin, end, r, k, s);
  });
}

void routed_mix_backward(const float* dy, const float* u, const float* g, float* du, int64_t n, int64_t r, int64_t k, float s) {
  const int64_t w = r + k;
  over_rows(n, w, [&](int64_t begin, int64_t end) {
    std::vector<double> dg(k);
    backward_rows(dy, u, g, du, dg.data(), begin, end, r, k, s);
  });
}
