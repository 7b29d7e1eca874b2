// The AVX-512 int8 decoding dot products (rows_dot_wide.cc): the same 32 lanes and reduction order as
// every other kernel of rows_dot.h, so their results are the same bits.
#pragma once

#include <cstdint>

/** True when this CPU runs the AVX-512 kernels (checked once; false off x86-64). */
bool rows_dot_avx512();

float dot_i8_avx512(const float* x, const int8_t* w, int64_t n);
