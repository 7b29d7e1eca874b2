// AVX-512 int8 decoding dot products (float32 rows stay on AVX2: see dot_f32 in rows_dot.cc). The 32 lanes of rows_dot_order.h are two 16-lane registers (a
// multiply, then an add: never fused), then the shared tail and reduction, so the results equal
// the AVX2 and portable kernels' bit for bit. int8 weights are widened to float32 in registers,
// sixteen at a time (one widening and one conversion where AVX2 needs two of each).
#include "rows_dot_wide.h"

#include "rows_dot_order.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12's AVX-512 headers trip a false -Wmaybe-uninitialized in their masked widening builtins.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace {

using rows_dot_order::kLanes;
using rows_dot_order::reduce_lanes;
using rows_dot_order::tail;

#define WIDE __attribute__((target("avx512f")))

WIDE inline __m512 load16(const int8_t* w) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w))));
}

/** Lanes 0–15 and 16–31 into `acc`, then the tail from element `i` and the reduction. */
template <typename W>
WIDE inline float finish(__m512 lo, __m512 hi, const float* x, const W* w, int64_t i, int64_t n) {
  alignas(64) float acc[kLanes];
  _mm512_store_ps(acc, lo);
  _mm512_store_ps(acc + 16, hi);
  tail(acc, x, w, i, n);
  return reduce_lanes(acc);
}

template <typename W>
WIDE float dot(const float* x, const W* w, int64_t n) {
  __m512 lo = _mm512_setzero_ps(), hi = lo;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    lo = _mm512_add_ps(lo, _mm512_mul_ps(_mm512_loadu_ps(x + i), load16(w + i)));
    hi = _mm512_add_ps(hi, _mm512_mul_ps(_mm512_loadu_ps(x + i + 16), load16(w + i + 16)));
  }
  return finish(lo, hi, x, w, i, n);
}

}  // namespace

bool rows_dot_avx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

float dot_i8_avx512(const float* x, const int8_t* w, int64_t n) { return dot(x, w, n); }

#else

bool rows_dot_avx512() { return false; }
float dot_i8_avx512(const float*, const int8_t*, int64_t) { return 0; }

#endif
