// The one summation order of the decoding dot products (rows_dot.h), shared by every kernel that
// computes them: element i into lane i mod 32, reduced by `reduce_lanes`.
#pragma once

#include <cstdint>

namespace rows_dot_order {

constexpr int kLanes = 32;

/** The one reduction order of the 32 lanes. */
inline float reduce_lanes(const float* a) {
  float b[8];
  for (int j = 0; j < 8; j++) b[j] = (a[j] + a[j + 8]) + (a[j + 16] + a[j + 24]);
  return ((b[0] + b[4]) + (b[1] + b[5])) + ((b[2] + b[6]) + (b[3] + b[7]));
}

/** Lanes from element `i` on (the tail, or everything on the portable path). */
template <typename W>
inline void tail(float* acc, const float* x, const W* w, int64_t i, int64_t n) {
  for (int j = 0; i < n; i++, j = (j + 1) % kLanes) acc[j] += x[i] * static_cast<float>(w[i]);
}

}  // namespace rows_dot_order
