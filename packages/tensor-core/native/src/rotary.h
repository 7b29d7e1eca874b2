// Rotate-half RoPE, forward and backward, one pass each (rotary.cc).
#pragma once

#include <cstdint>

/**
 * x [b, h, t, d], cos and sin [cb, 1, t, d] (cb = 1 or b). Forward: out = x·cos + rotate_half(x)·sin,
 * rotate_half(x) = [−x₂, x₁]. Backward (x is then dy): out = dy·cos + [ (dy·sin)₂, −(dy·sin)₁ ].
 */
void rotary(const float* x, const float* cos, const float* sin, float* out, int64_t b, int64_t h, int64_t t, int64_t d, int64_t cb, bool backward);

/** One row of d = 2·half values: y = x·cos + rotate_half(x)·sin. */
void rotary_row_forward(const float* x, const float* cos, const float* sin, float* y, int64_t half);

/** The transposed pass of one row: dx from dy. */
void rotary_row_backward(const float* dy, const float* cos, const float* sin, float* dx, int64_t half);
