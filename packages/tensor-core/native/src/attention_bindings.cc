// N-API bindings of the training attention (attention_train.cc); operands are (Float32Array,
// offset) pairs as in kernel_bindings.cc.
#include "attention_bindings.h"

#include <string>

#include "attention_train.h"
#include "napi_util.h"

namespace {

/**
 * The shape arguments argv[at ..]: b, h, hkv, tq, tk, d, scale, biasB, biasQ (biasB = 0: no bias);
 * with `qkv`, b, h, hkv, t, d, scale, biasB, biasQ, ropeB. The bias operand is at argv[bias_at],
 * the RoPE tables (qkv) at argv[2] and argv[4]. False (a JS error thrown) when they do not fit.
 */
bool read_shape(napi_env env, napi_value* argv, int at, int bias_at, bool qkv, AttentionShape& s, const char* name) {
  int i = at;
  s.b = get_int(env, argv[i++]);
  s.h = get_int(env, argv[i++]);
  s.hkv = get_int(env, argv[i++]);
  s.tq = get_int(env, argv[i++]);
  s.tk = qkv ? s.tq : get_int(env, argv[i++]);
  s.d = get_int(env, argv[i++]);
  s.scale = static_cast<float>(get_double(env, argv[i++]));
  s.bias_b = get_int(env, argv[i++]);
  s.bias_q = get_int(env, argv[i++]);
  s.rope_b = qkv ? get_int(env, argv[i++]) : 1;
  s.bias = s.cos = s.sin = nullptr;
  const bool dims = s.b >= 1 && s.hkv >= 1 && s.h >= s.hkv && s.h % s.hkv == 0 && s.tq >= 1 && s.tk >= 1 && s.d >= 1 && (!qkv || s.d % 2 == 0);
  const bool bias_dims = s.bias_b == 0 || ((s.bias_b == 1 || s.bias_b == s.b) && (s.bias_q == 1 || s.bias_q == s.tq));
  if (!dims || !bias_dims || (s.rope_b != 1 && s.rope_b != s.b)) {
    throw_error(env, std::string(name) + ": b, hkv, t, d ≥ 1, h a multiple of hkv, d even with RoPE, the bias [1|b, 1, 1|tq, tk] (biasB 0 for none) and the tables [1|b, 1, t, d]");
    return false;
  }
  if (qkv) {
    s.cos = get_span(env, argv, 2, s.rope_b * s.tq * s.d);
    s.sin = get_span(env, argv, 4, s.rope_b * s.tq * s.d);
    if (!s.cos || !s.sin) return throw_error(env, std::string(name) + ": cos and sin must be Float32Arrays holding the tables after their offsets"), false;
  }
  if (s.bias_b != 0 && !(s.bias = get_span(env, argv, bias_at, s.bias_b * s.bias_q * s.tk)))
    return throw_error(env, std::string(name) + ": the bias must be a Float32Array holding its values after its offset"), false;
  const int64_t w = (s.h + 2 * s.hkv) * s.d;
  s.lq = qkv ? HeadLayout{s.tq * w, s.d, w} : packed(s.h, s.tq, s.d);
  s.lk = s.lv = qkv ? s.lq : packed(s.hkv, s.tk, s.d);
  s.lo = qkv ? HeadLayout{s.tq * s.h * s.d, s.d, s.h * s.d} : packed(s.h, s.tq, s.d);
  return true;
}

/** The operands at argv[0], argv[2], … (each with its offset) holding sizes[i] floats, into out; false when one does not. */
bool read_spans(napi_env env, napi_value* argv, const int64_t* sizes, int n, float** out) {
  bool ok = true;
  for (int i = 0; i < n; i++) ok = (out[i] = get_span(env, argv, 2 * i, sizes[i])) != nullptr && ok;
  return ok;
}

}  // namespace

// attention(q, qOff, k, kOff, v, vOff, bias, biasOff, out, outOff, probs, probsOff,
//           b, h, hkv, tq, tk, d, scale, biasB, biasQ): q and out [b, h, tq, d], k and v
//           [b, hkv, tk, d], probs [b, h, tq, tk].
napi_value Attention(napi_env env, napi_callback_info cb) {
  napi_value argv[21];
  AttentionShape s;
  if (!take_args(env, cb, 21, argv, "attention") || !read_shape(env, argv, 12, 6, false, s, "attention")) return nullptr;
  const int64_t nq = s.b * s.h * s.tq * s.d, nk = s.b * s.hkv * s.tk * s.d;
  const int64_t sizes[6] = {nq, nk, nk, 0, nq, s.b * s.h * s.tq * s.tk};  // the bias (checked above) as an empty span
  float* p[6];
  if (!read_spans(env, argv, sizes, 6, p)) return throw_error(env, "attention: q, k, v, out and probs must be Float32Arrays holding their values after their offsets");
  attention_forward(s, p[0], p[1], p[2], p[4], p[5]);
  return nullptr;
}

// attentionGrad(q, qOff, k, kOff, v, vOff, probs, probsOff, dout, doutOff, bias, biasOff, dq, dqOff,
//               dk, dkOff, dv, dvOff, b, h, hkv, tq, tk, d, scale, biasB, biasQ).
napi_value AttentionGrad(napi_env env, napi_callback_info cb) {
  napi_value argv[27];
  AttentionShape s;
  if (!take_args(env, cb, 27, argv, "attentionGrad") || !read_shape(env, argv, 18, 10, false, s, "attentionGrad")) return nullptr;
  const int64_t nq = s.b * s.h * s.tq * s.d, nk = s.b * s.hkv * s.tk * s.d;
  const int64_t sizes[9] = {nq, nk, nk, s.b * s.h * s.tq * s.tk, nq, 0, nq, nk, nk};
  float* p[9];
  if (!read_spans(env, argv, sizes, 9, p))
    return throw_error(env, "attentionGrad: q, k, v, probs, dout, dq, dk and dv must be Float32Arrays holding their values after their offsets");
  attention_backward(s, p[0], p[1], p[2], p[3], p[4], p[6], p[7], p[8]);
  return nullptr;
}

// qkvAttention(x, xOff, cos, cosOff, sin, sinOff, bias, biasOff, out, outOff, probs, probsOff,
//              b, h, hkv, t, d, scale, biasB, biasQ, ropeB): x [b·t, (h + 2·hkv)·d] (q heads, k
//              heads, v heads), tables [ropeB, 1, t, d], out [b·t, h·d], probs [b, h, t, t].
napi_value QkvAttention(napi_env env, napi_callback_info cb) {
  napi_value argv[21];
  AttentionShape s;
  if (!take_args(env, cb, 21, argv, "qkvAttention") || !read_shape(env, argv, 12, 6, true, s, "qkvAttention")) return nullptr;
  const int64_t sizes[6] = {s.b * s.tq * (s.h + 2 * s.hkv) * s.d, 0, 0, 0, s.b * s.tq * s.h * s.d, s.b * s.h * s.tq * s.tq};
  float* p[6];
  if (!read_spans(env, argv, sizes, 6, p)) return throw_error(env, "qkvAttention: x, out and probs must be Float32Arrays holding their values after their offsets");
  attention_forward(s, p[0], p[0] + s.h * s.d, p[0] + (s.h + s.hkv) * s.d, p[4], p[5]);
  return nullptr;
}

// qkvAttentionGrad(x, xOff, cos, cosOff, sin, sinOff, probs, probsOff, dout, doutOff, bias, biasOff,
//                  dx, dxOff, b, h, hkv, t, d, scale, biasB, biasQ, ropeB): dx of x's shape.
napi_value QkvAttentionGrad(napi_env env, napi_callback_info cb) {
  napi_value argv[23];
  AttentionShape s;
  if (!take_args(env, cb, 23, argv, "qkvAttentionGrad") || !read_shape(env, argv, 14, 10, true, s, "qkvAttentionGrad")) return nullptr;
  const int64_t nx = s.b * s.tq * (s.h + 2 * s.hkv) * s.d;
  const int64_t sizes[7] = {nx, 0, 0, s.b * s.h * s.tq * s.tq, s.b * s.tq * s.h * s.d, 0, nx};
  float* p[7];
  if (!read_spans(env, argv, sizes, 7, p)) return throw_error(env, "qkvAttentionGrad: x, probs, dout and dx must be Float32Arrays holding their values after their offsets");
  const int64_t ko = s.h * s.d, vo = (s.h + s.hkv) * s.d;
  attention_backward(s, p[0], p[0] + ko, p[0] + vo, p[3], p[4], p[6], p[6] + ko, p[6] + vo);
  return nullptr;
}
