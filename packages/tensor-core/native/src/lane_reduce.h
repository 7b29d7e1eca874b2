// Row reductions (max, sum, dot) that vectorise. A loop carrying one float accumulator runs one
// element per add or max latency (~4 cycles), as the compiler may not reorder float arithmetic;
// these keep kLanes independent accumulators (element j goes to lane j mod kLanes), which the
// compiler turns into vector registers, and fold the lanes pairwise at the end. The order is fixed
// by the code, not by the vector width, so every CPU and clone (kernels.h) gives the same bits.
//  - max: the same value as a left-to-right max (max is exact; only a ±0 row may return the other
//    zero, which no caller can tell apart: they subtract it or take e^ of it).
//  - sum and dot: a different rounding from left to right, within the same worst-case bounds as
//    any order, |ŝ − s| ≤ γₙ₋₁·Σ|xⱼ| and |d̂ − d| ≤ γₙ·Σ|aⱼbⱼ|, γₖ = k·u / (1 − k·u), u = 2⁻²⁴
//    (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1 and §4.2: each element
//    passes through at most ⌈n / kLanes⌉ − 1 + log₂ kLanes additions, no more than n − 1).
//  - lane_sum_in<double> and lane_dot_in<double>: the same lanes in float64, for callers that round
//    once at the end.
// Include after `#pragma GCC optimize("no-trapping-math")`, inside KERNEL_CLONES functions.
#pragma once

#include <algorithm>
#include <cstdint>

// GCC unrolls the fold whole: as loops over the width it ran one lane at a time through the stack,
// which on short rows (H-LoRA's 32 router logits) cost more than the row's own reduction.
#if defined(__GNUC__) && !defined(__clang__)
#define LANE_UNROLL(n) _Pragma(#n)
#else
#define LANE_UNROLL(n)
#endif

namespace {

constexpr int kLanes = 16;

/** Fold kLanes accumulators pairwise into lane 0 and return it. */
template <typename T>
inline T fold_lanes(T* acc, bool is_max) {
  LANE_UNROLL(GCC unroll 4)
  for (int w = kLanes / 2; w > 0; w /= 2)
    LANE_UNROLL(GCC unroll 8)
    for (int l = 0; l < w; l++) acc[l] = is_max ? std::max(acc[l], acc[l + w]) : acc[l] + acc[l + w];
  return acc[0];
}

/** max of x[0..n), n ≥ 1; `v > acc ? v : acc` is std::max(acc, v) (NaN after x[0] skipped, a tie keeps acc) in the form that becomes maxps. */
inline float lane_max(const float* x, int64_t n) {
  float acc[kLanes];
  for (int l = 0; l < kLanes; l++) acc[l] = x[0];
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; l++) { const float v = x[j + l]; acc[l] = v > acc[l] ? v : acc[l]; }
  for (int l = 0; j + l < n; l++) { const float v = x[j + l]; acc[l] = v > acc[l] ? v : acc[l]; }
  return fold_lanes(acc, true);
}

/** Σ x[0..n) in Acc (float or double) lanes (0 when n = 0). */
template <typename Acc>
inline Acc lane_sum_in(const float* x, int64_t n) {
  Acc acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; l++) acc[l] += x[j + l];
  for (int l = 0; j + l < n; l++) acc[l] += x[j + l];
  return fold_lanes(acc, false);
}

/** Σ x[0..n) (0 when n = 0). */
inline float lane_sum(const float* x, int64_t n) { return lane_sum_in<float>(x, n); }

/** Σ a[j]·b[j] over [0, n) in Acc lanes (0 when n = 0); each product rounded to Acc. */
template <typename Acc, typename B>
inline Acc lane_dot_in(const float* a, const B* b, int64_t n) {
  Acc acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; l++) acc[l] += static_cast<Acc>(a[j + l]) * b[j + l];
  for (int l = 0; j + l < n; l++) acc[l] += static_cast<Acc>(a[j + l]) * b[j + l];
  return fold_lanes(acc, false);
}

/** Σ a[j]·b[j] over [0, n) (0 when n = 0); each product rounded, then summed as lane_sum. */
inline float lane_dot(const float* a, const float* b, int64_t n) { return lane_dot_in<float>(a, b, n); }

}  // namespace
