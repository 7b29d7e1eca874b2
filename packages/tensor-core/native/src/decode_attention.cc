// Attention of a few new query positions against a preallocated KV cache, read in place (no copy
// of the cache per step, no concatenation): out = softmax(q·kᵀ·scale + bias)·v per head, with
// grouped-query heads (head h reads kv head h / (H / Hkv)). The dot products are rows_dot.h's.
#include <algorithm>
#include <cmath>
#include <vector>

#include "bindings.h"
#include "napi_util.h"
#include "rows_dot.h"

namespace {

struct Shape {
  int64_t b, h, hkv, tq, len, cap, hd, bias_b;
};

/**
 * q [B, H, Tq, hd], k and v [B, Hkv, cap, hd] (positions [0, len) filled), bias [bias_b, Tq, len]
 * (bias_b 1 or B) or null → out [B, H, Tq, hd].
 */
void decode_attention(const float* q, const float* k, const float* v, const float* bias, float* out, const Shape& s, float scale) {
  std::vector<float> p(static_cast<size_t>(s.len));
  const int64_t rep = s.h / s.hkv;
  for (int64_t bi = 0; bi < s.b; bi++) {
    for (int64_t hi = 0; hi < s.h; hi++) {
      const int64_t kv = (bi * s.hkv + hi / rep) * s.cap * s.hd;
      for (int64_t i = 0; i < s.tq; i++) {
        const float* qi = q + ((bi * s.h + hi) * s.tq + i) * s.hd;
        const float* bias_row = bias ? bias + ((s.bias_b == 1 ? 0 : bi) * s.tq + i) * s.len : nullptr;
        float max = -INFINITY;
        for (int64_t j = 0; j < s.len; j++) {
          float x = dot_f32(qi, k + kv + j * s.hd, s.hd) * scale;
          if (bias_row) x += bias_row[j];
          p[j] = x;
          max = std::max(max, x);
        }
        float sum = 0;
        for (int64_t j = 0; j < s.len; j++) sum += (p[j] = std::exp(p[j] - max));
        float* o = out + ((bi * s.h + hi) * s.tq + i) * s.hd;
        std::fill(o, o + s.hd, 0.0f);
        for (int64_t j = 0; j < s.len; j++) {
          const float w = p[j] / sum;
          const float* vj = v + kv + j * s.hd;
          for (int64_t d = 0; d < s.hd; d++) o[d] += w * vj[d];
        }
      }
    }
  }
}

}  // namespace

// decodeAttention(q, k, v, bias|null, out, b, h, hkv, tq, len, cap, hd, biasB, scale): see above;
// every operand a Float32Array of exactly its size (bias [biasB, tq, len]).
napi_value DecodeAttention(napi_env env, napi_callback_info cb) {
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc != 14) return throw_error(env, "decodeAttention: expected 14 arguments");
  Shape s{get_int(env, argv[5]), get_int(env, argv[6]), get_int(env, argv[7]), get_int(env, argv[8]), get_int(env, argv[9]), get_int(env, argv[10]), get_int(env, argv[11]), get_int(env, argv[12])};
  const float scale = static_cast<float>(get_double(env, argv[13]));
  if (s.b < 1 || s.h < 1 || s.hkv < 1 || s.h % s.hkv != 0 || s.tq < 1 || s.len < 1 || s.cap < s.len || s.hd < 1 || !(s.bias_b == 1 || s.bias_b == s.b)) {
    return throw_error(env, "decodeAttention: sizes must be positive, H a multiple of Hkv, len ≤ cap and biasB 1 or B");
  }
  float *q = nullptr, *k = nullptr, *v = nullptr, *bias = nullptr, *out = nullptr;
  size_t nq = 0, nk = 0, nv = 0, nb = 0, no = 0;
  napi_valuetype bias_type;
  napi_typeof(env, argv[3], &bias_type);
  const bool has_bias = bias_type != napi_null && bias_type != napi_undefined;
  const int64_t q_size = s.b * s.h * s.tq * s.hd, kv_size = s.b * s.hkv * s.cap * s.hd;
  if (!get_f32(env, argv[0], &q, &nq) || !get_f32(env, argv[1], &k, &nk) || !get_f32(env, argv[2], &v, &nv) || !get_f32(env, argv[4], &out, &no) ||
      (has_bias && !get_f32(env, argv[3], &bias, &nb)) || static_cast<int64_t>(nq) != q_size || static_cast<int64_t>(no) != q_size ||
      static_cast<int64_t>(nk) != kv_size || static_cast<int64_t>(nv) != kv_size || (has_bias && static_cast<int64_t>(nb) != s.bias_b * s.tq * s.len)) {
    return throw_error(env, "decodeAttention: q and out must be Float32Arrays of B·H·tq·hd floats, k and v of B·Hkv·cap·hd, bias null or biasB·tq·len");
  }
  decode_attention(q, k, v, has_bias ? bias : nullptr, out, s, scale);
  return nullptr;
}
