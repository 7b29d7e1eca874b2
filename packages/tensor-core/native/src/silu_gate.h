// The SiLU gate of LLaMA-style MLPs, silu(g)·u, forward and backward in one pass each (silu_gate.cc).
#pragma once

#include <cstdint>

/**
 * out [rows, n] = silu(g)·u, g and u rows `stride` floats apart (2n: the halves of one fused
 * gate_up projection; n: two tensors).
 */
void silu_gate_forward(const float* g, const float* u, int64_t stride, float* out, int64_t rows, int64_t n);

/** dg = da·u·σ(g)·(1 + g·(1 − σ(g))), du = da·silu(g); dg and du rows `grad_stride` floats apart, da packed [rows, n]. */
void silu_gate_backward(const float* g, const float* u, int64_t stride, const float* da, float* dg, float* du, int64_t grad_stride, int64_t rows, int64_t n);
