// The portable and the AVX2 dot products of rows_dot.h, and the dispatch to the AVX-512 ones
// (rows_dot_wide.cc). The vector kernels are compiled for their target alone (function attributes)
// and chosen at run time, so the prebuilt linux-x64 addon still runs on any x86-64.
#include "rows_dot.h"
#include "rows_dot_order.h"
#include "rows_dot_wide.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ROWS_DOT_X86 1
#include <immintrin.h>
#endif

namespace {

using rows_dot_order::kLanes;
using rows_dot_order::tail;
using rows_dot_order::reduce_lanes;

template <typename W>
float dot_portable(const float* x, const W* w, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; j++) acc[j] += x[i + j] * static_cast<float>(w[i + j]);
  }
  tail(acc, x, w, i, n);
  return reduce_lanes(acc);
}

#ifdef ROWS_DOT_X86
/** Eight weights as float32 lanes. */
__attribute__((target("avx2"))) inline __m256 load8(const float* w) { return _mm256_loadu_ps(w); }
__attribute__((target("avx2"))) inline __m256 load8(const int8_t* w) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w))));
}

/** Four 8-lane accumulators = the 32 lanes of dot_portable, then its tail and reduction. */
template <typename W>
__attribute__((target("avx2"))) float dot_avx2(const float* x, const W* w, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(x + i), load8(w + i)));
    a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(x + i + 8), load8(w + i + 8)));
    a2 = _mm256_add_ps(a2, _mm256_mul_ps(_mm256_loadu_ps(x + i + 16), load8(w + i + 16)));
    a3 = _mm256_add_ps(a3, _mm256_mul_ps(_mm256_loadu_ps(x + i + 24), load8(w + i + 24)));
  }
  alignas(32) float acc[kLanes];
  _mm256_store_ps(acc, a0);
  _mm256_store_ps(acc + 8, a1);
  _mm256_store_ps(acc + 16, a2);
  _mm256_store_ps(acc + 24, a3);
  tail(acc, x, w, i, n);
  return reduce_lanes(acc);
}
#endif

}  // namespace

bool rows_dot_avx2() {
#ifdef ROWS_DOT_X86
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
#else
  return false;
#endif
}

// float32 rows stay on AVX2 where AVX-512 runs too: streaming float32 weights is bound by memory,
// and a 512-bit kernel decoded the ~50 M decoder slower (idle decoder bench, interleaved runs:
// 85–106 against 120–125 tokens/s); int8 rows are bound by the widening, where AVX-512 gains.
float dot_f32(const float* x, const float* w, int64_t n) {
#ifdef ROWS_DOT_X86
  if (rows_dot_avx2()) return dot_avx2(x, w, n);
#endif
  return dot_portable(x, w, n);
}

float dot_i8(const float* x, const int8_t* w, int64_t n) {
  if (rows_dot_avx512()) return dot_i8_avx512(x, w, n);
#ifdef ROWS_DOT_X86
  if (rows_dot_avx2()) return dot_avx2(x, w, n);
#endif
  return dot_portable(x, w, n);
}
