// Dot products of decoding: one float32 activation row against one weight row, float32 or int8.
// Every product sums 32 interleaved partial sums (element i into lane i mod 32, a multiply then an
// add, never a fused multiply-add) and reduces them in one fixed order, so the AVX2 kernels and
// the portable ones give the same bits on every CPU, at any thread count.
#pragma once

#include <cstdint>

/** True when this CPU runs the AVX2 kernels (checked once); AVX-512 ones are used when it has those. */
bool rows_dot_avx2();

/** Σ x[i]·w[i] over n elements in the fixed order above (AVX2 when the CPU has it). */
float dot_f32(const float* x, const float* w, int64_t n);
float dot_i8(const float* x, const int8_t* w, int64_t n);
