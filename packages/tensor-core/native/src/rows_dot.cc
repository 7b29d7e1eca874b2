// The portable and the AVX2 dot products of rows_dot.h. The AVX2 ones are compiled for that
// target alone (function attributes) and chosen at run time, so the prebuilt linux-x64 addon still
// runs on any x86-64.
#include "rows_dot.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ROWS_DOT_X86 1
#include <immintrin.h>
#endif

namespace {

constexpr int kLanes = 32;

/** The one reduction order of the 32 lanes. */
inline float reduce(const float* a) {
  float b[8];
  for (int j = 0; j < 8; j++) b[j] = (a[j] + a[j + 8]) + (a[j + 16] + a[j + 24]);
  return ((b[0] + b[4]) + (b[1] + b[5])) + ((b[2] + b[6]) + (b[3] + b[7]));
}

/** Lanes from element `i` on (the tail, or everything on the portable path). */
template <typename W>
inline void tail(float* acc, const float* x, const W* w, int64_t i, int64_t n) {
  for (int j = 0; i < n; i++, j = (j + 1) % kLanes) acc[j] += x[i] * static_cast<float>(w[i]);
}

template <typename W>
float dot_portable(const float* x, const W* w, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; j++) acc[j] += x[i + j] * static_cast<float>(w[i + j]);
  }
  tail(acc, x, w, i, n);
  return reduce(acc);
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
  return reduce(acc);
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

float dot_f32(const float* x, const float* w, int64_t n) {
#ifdef ROWS_DOT_X86
  if (rows_dot_avx2()) return dot_avx2(x, w, n);
#endif
  return dot_portable(x, w, n);
}

float dot_i8(const float* x, const int8_t* w, int64_t n) {
#ifdef ROWS_DOT_X86
  if (rows_dot_avx2()) return dot_avx2(x, w, n);
#endif
  return dot_portable(x, w, n);
}
