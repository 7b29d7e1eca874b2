// Scaled dot-product attention for training, forward and backward, per (batch, kv head) in one
// call each (attention_train.cc), on operands laid out as [b, heads, t, d] or read in place from a
// fused q/k/v projection, with rotate-half RoPE applied to q and k on the way when tables are given.
#pragma once

#include <cstdint>

/** Where row t of head `head` in batch entry b starts: base + b·sb + head·sh + t·st (d floats from there). */
struct HeadLayout {
  int64_t sb, sh, st;
  int64_t at(int64_t b, int64_t head, int64_t t) const { return b * sb + head * sh + t * st; }
};

/** Shapes of one call: h query heads, hkv kv heads (h a multiple of hkv), tq queries, tk keys, head size d. */
struct AttentionShape {
  int64_t b, h, hkv, tq, tk, d;
  float scale;
  /** Additive bias [bias_b, 1, bias_q, tk] (bias_b 1 or b, bias_q 1 or tq) shared by the heads, or nullptr. */
  const float* bias;
  int64_t bias_b, bias_q;
  /** Rotate-half RoPE tables [rope_b, 1, tq, d] applied to q and k (tq = tk), or nullptr. */
  const float* cos;
  const float* sin;
  int64_t rope_b;
  /** Layouts of q (and dq), k (dk), v (dv) and out (dout). */
  HeadLayout lq, lk, lv, lo;
};

/** The packed layout [b, heads, t, d]. */
inline HeadLayout packed(int64_t heads, int64_t t, int64_t d) { return {heads * t * d, t * d, d}; }

/** out = softmax(rope(q)·rope(k)ᵀ·scale + bias)·v; probs [b, h, tq, tk] keeps the softmax for the backward. */
void attention_forward(const AttentionShape& s, const float* q, const float* k, const float* v, float* out, float* probs);

/**
 * dq, dk, dv (in the layouts of q, k, v; they may be one buffer when q, k and v are) from the
 * forward's q, k, v, probs and dout. Every element of dq, dk and dv is written.
 */
void attention_backward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* probs, const float* dout, float* dq, float* dk,
                        float* dv);
