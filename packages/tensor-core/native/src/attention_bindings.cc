// N-API bindings of the training attention (attention_train.cc); operands are (Float32Array,
// offset) pairs as in kernel_bindings.cc.
#include <string>

#include "attention_train.h"
#include "attention_bindings.h"
#include "napi_util.h"

namespace {

/**
 * The shape arguments argv[at .. at + 8]: b, h, hkv, tq, tk, d, scale, biasB, biasQ (biasB = 0: no
 * bias), and the bias operand at argv[bias_at]. False (a JS error thrown) when they do not fit.
 */
bool read_shape(napi_env env, napi_value* argv, int at, int bias_at, AttentionShape& s, const char* name) {
  s.b = get_int(env, argv[at]);
  s.h = get_int(env, argv[at + 1]);
  s.hkv = get_int(env, argv[at + 2]);
  s.tq = get_int(env, argv[at + 3]);
  s.tk = get_int(env, argv[at + 4]);
  s.d = get_int(env, argv[at + 5]);
  s.scale = static_cast<float>(get_double(env, argv[at + 6]));
  s.bias_b = get_int(env, argv[at + 7]);
  s.bias_q = get_int(env, argv[at + 8]);
  s.bias = nullptr;
  const bool dims = s.b >= 1 && s.hkv >= 1 && s.h >= s.hkv && s.h % s.hkv == 0 && s.tq >= 1 && s.tk >= 1 && s.d >= 1;
  const bool bias_dims = s.bias_b == 0 || ((s.bias_b == 1 || s.bias_b == s.b) && (s.bias_q == 1 || s.bias_q == s.tq));
  if (!dims || !bias_dims) {
    throw_error(env, std::string(name) + ": b, hkv, tq, tk, d ≥ 1, h a multiple of hkv, and the bias [1|b, 1, 1|tq, tk] (biasB 0 for none)");
    return false;
  }
  if (s.bias_b == 0) return true;
  s.bias = get_span(env, argv, bias_at, s.bias_b * s.bias_q * s.tk);
  if (!s.bias) throw_error(env, std::string(name) + ": the bias must be a Float32Array holding its values after its offset");
  return s.bias != nullptr;
}

bool take(napi_env env, napi_callback_info cb, size_t n, napi_value* argv, const char* name) {
  size_t argc = n;
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc == n) return true;
  throw_error(env, std::string(name) + ": expected " + std::to_string(n) + " arguments");
  return false;
}

}  // namespace

/** The operands at argv[0], argv[2], … (each with its offset) holding sizes[i] floats, into out; false when one does not. */
static bool read_spans(napi_env env, napi_value* argv, const int64_t* sizes, int n, float** out) {
  bool ok = true;
  for (int i = 0; i < n; i++) ok = (out[i] = get_span(env, argv, 2 * i, sizes[i])) != nullptr && ok;
  return ok;
}

// attention(q, qOff, k, kOff, v, vOff, bias, biasOff, out, outOff, probs, probsOff,
//           b, h, hkv, tq, tk, d, scale, biasB, biasQ): out [b, h, tq, d], probs [b, h, tq, tk].
napi_value Attention(napi_env env, napi_callback_info cb) {
  napi_value argv[21];
  AttentionShape s;
  if (!take(env, cb, 21, argv, "attention") || !read_shape(env, argv, 12, 6, s, "attention")) return nullptr;
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
  if (!take(env, cb, 27, argv, "attentionGrad") || !read_shape(env, argv, 18, 10, s, "attentionGrad")) return nullptr;
  const int64_t nq = s.b * s.h * s.tq * s.d, nk = s.b * s.hkv * s.tk * s.d;
  const int64_t sizes[9] = {nq, nk, nk, s.b * s.h * s.tq * s.tk, nq, 0, nq, nk, nk};
  float* p[9];
  if (!read_spans(env, argv, sizes, 9, p))
    return throw_error(env, "attentionGrad: q, k, v, probs, dout, dq, dk and dv must be Float32Arrays holding their values after their offsets");
  attention_backward(s, p[0], p[1], p[2], p[3], p[4], p[6], p[7], p[8]);
  return nullptr;
}
