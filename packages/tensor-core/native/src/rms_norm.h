// RMSNorm over the last axis in one pass forward and one backward (rms_norm.cc).
#pragma once

#include <cstdint>

/** y = x·r·w, r = 1/√(mean(x²) + eps) per row of x [rows, d]; r [rows] is saved for the backward. */
void rms_norm_forward(const float* x, const float* w, float* y, float* r, int64_t rows, int64_t d, float eps);

/** x̂ = x·r, g = dy·w: dx = r·(g − x̂·mean(g·x̂)) [rows, d], dw = Σ_rows dy·x̂ [d]. */
void rms_norm_backward(const float* dy, const float* x, const float* r, const float* w, float* dx, float* dw, int64_t rows, int64_t d);
