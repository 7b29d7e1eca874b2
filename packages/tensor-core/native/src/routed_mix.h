// H-LoRA's routed low-rank mixture, forward and backward in one pass per row each (routed_mix.cc).
#pragma once

#include <cstdint>

/**
 * u [n, r + k] (per row the r low-rank activations h, then the k router logits l) → g [n, k] =
 * softmax(l) and y [n, r], y_c = h_c · (g_e · s) for c in expert e's ranks [e·r/k, (e+1)·r/k).
 */
void routed_mix_forward(const float* u, float* y, float* g, int64_t n, int64_t r, int64_t k, float s);

/**
 * du [n, r + k] from dy [n, r], u and the forward's g: du_c = dy_c · (g_e · s), and with
 * dg_e = s · Σ_{c∈e} dy_c · h_c the softmax's backward du_{r+e} = g_e · (dg_e − Σ_j g_j · dg_j).
 */
void routed_mix_backward(const float* dy, const float* u, const float* g, float* du, int64_t n, int64_t r, int64_t k, float s);
