// Scaled dot-product attention for training, forward and backward, per (batch, head) in one call
// each (attention_train.cc).
#pragma once

#include <cstdint>

/** Shapes of one attention call: q [b, h, tq, d], k and v [b, hkv, tk, d] (h a multiple of hkv). */
struct AttentionShape {
  int64_t b, h, hkv, tq, tk, d;
  float scale;
  /** Additive bias [bias_b, 1, bias_q, tk] (bias_b 1 or b, bias_q 1 or tq) shared by the heads, or nullptr. */
  const float* bias;
  int64_t bias_b, bias_q;
};

/** out [b, h, tq, d] = softmax(q·kᵀ·scale + bias)·v; probs [b, h, tq, tk] keeps the softmax for the backward. */
void attention_forward(const AttentionShape& s, const float* q, const float* k, const float* v, float* out, float* probs);

/** dq, dk, dv (shapes of q, k, v) from the forward's q, k, v, probs and dout [b, h, tq, d]. */
void attention_backward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* probs, const float* dout, float* dq, float* dk,
                        float* dv);
