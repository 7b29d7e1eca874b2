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
// Include after `#pragma GCC optimize("no-trapping-math")`, inside KERNEL_CLONES functions.
#pragma once

#include <algorithm>
#include <cstdint>

namespace {

constexpr int kLanes = 16;

/** Fold kLanes accumulators pairwise into lane 0 and return it. */
inline float fold_lanes(float* acc, bool is_max) {
  for (int w = kLanes / 2; w > 0; w /= 2)
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

/** Σ x[0..n) (0 when n = 0). */
inline float lane_sum(const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; l++) acc[l] += x[j + l];
  for (int l = 0; j + l < n; l++) acc[l] += x[j + l];
  return fold_lanes(acc, false);
}

/** Σ a[j]·b[j] over [0, n) (0 when n = 0); each product rounded, then summed as lane_sum. */
inline float lane_dot(const float* a, const float* b, int64_t n) {
  float acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; l++) acc[l] += a[j + l] * b[j + l];
  for (int l = 0; j + l < n; l++) acc[l] += a[j + l] * b[j + l];
  return fold_lanes(acc, false);
}

}  // namespace
