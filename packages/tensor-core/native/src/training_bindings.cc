// N-API bindings of the training kernels (rms_norm.cc, silu_gate.cc, rotary.cc); operands are
// (Float32Array, offset) pairs as in kernel_bindings.cc.
#include <string>

#include "bindings.h"
#include "napi_util.h"
#include "rms_norm.h"
#include "rotary.h"
#include "silu_gate.h"

// rmsNorm(x, xOff, w, wOff, y, yOff, r, rOff, rows, d, eps): y [rows, d], r [rows].
napi_value RmsNorm(napi_env env, napi_callback_info cb) {
  napi_value argv[11];
  if (!take_args(env, cb, 11, argv, "rmsNorm")) return nullptr;
  const int64_t rows = get_int(env, argv[8]), d = get_int(env, argv[9]);
  if (rows < 0 || d < 1) return throw_error(env, "rmsNorm: rows must be ≥ 0 and d ≥ 1");
  float* y = get_span(env, argv, 4, rows * d);  // outputs first, then inputs
  float* r = get_span(env, argv, 6, rows);
  const float* x = get_span(env, argv, 0, rows * d);
  const float* w = get_span(env, argv, 2, d);
  if (!x || !w || !y || !r) return throw_error(env, "rmsNorm: x, w, y and r must be Float32Arrays with rows·d, d, rows·d and rows floats after their offsets");
  rms_norm_forward(x, w, y, r, rows, d, static_cast<float>(get_double(env, argv[10])));
  return nullptr;
}

// rmsNormGrad(dy, dyOff, x, xOff, r, rOff, w, wOff, dx, dxOff, dw, dwOff, rows, d): dx [rows, d], dw [d].
napi_value RmsNormGrad(napi_env env, napi_callback_info cb) {
  napi_value argv[14];
  if (!take_args(env, cb, 14, argv, "rmsNormGrad")) return nullptr;
  const int64_t rows = get_int(env, argv[12]), d = get_int(env, argv[13]);
  if (rows < 0 || d < 1) return throw_error(env, "rmsNormGrad: rows must be ≥ 0 and d ≥ 1");
  const float* dy = get_span(env, argv, 0, rows * d);
  const float* x = get_span(env, argv, 2, rows * d);
  const float* r = get_span(env, argv, 4, rows);
  const float* w = get_span(env, argv, 6, d);
  float* dx = get_span(env, argv, 8, rows * d);
  float* dw = get_span(env, argv, 10, d);
  if (!dy || !x || !r || !w || !dx || !dw) return throw_error(env, "rmsNormGrad: dy, x, r, w, dx and dw must be Float32Arrays with rows·d, rows·d, rows, d, rows·d and d floats after their offsets");
  rms_norm_backward(dy, x, r, w, dx, dw, rows, d);
  return nullptr;
}

// siluGate(g, gOff, u, uOff, stride, out, outOff, rows, n): out [rows, n] = silu(g)·u, g and u rows
//       `stride` floats apart (≥ n).
napi_value SiluGate(napi_env env, napi_callback_info cb) {
  napi_value argv[9];
  if (!take_args(env, cb, 9, argv, "siluGate")) return nullptr;
  const int64_t stride = get_int(env, argv[4]), rows = get_int(env, argv[7]), n = get_int(env, argv[8]);
  if (rows < 1 || n < 1 || stride < n) return throw_error(env, "siluGate: rows and n must be ≥ 1 and the stride ≥ n");
  const int64_t span = (rows - 1) * stride + n;
  const float* g = get_span(env, argv, 0, span);
  const float* u = get_span(env, argv, 2, span);
  float* out = get_span(env, argv, 5, rows * n);
  if (!g || !u || !out) return throw_error(env, "siluGate: g, u and out must be Float32Arrays holding their rows after their offsets");
  silu_gate_forward(g, u, stride, out, rows, n);
  return nullptr;
}

// siluGateGrad(g, gOff, u, uOff, stride, da, daOff, dg, dgOff, du, duOff, gradStride, rows, n):
//       dg and du (rows `gradStride` floats apart) from the forward's g, u and da [rows, n].
napi_value SiluGateGrad(napi_env env, napi_callback_info cb) {
  napi_value argv[14];
  if (!take_args(env, cb, 14, argv, "siluGateGrad")) return nullptr;
  const int64_t stride = get_int(env, argv[4]), grad_stride = get_int(env, argv[11]), rows = get_int(env, argv[12]), n = get_int(env, argv[13]);
  if (rows < 1 || n < 1 || stride < n || grad_stride < n) return throw_error(env, "siluGateGrad: rows and n must be ≥ 1 and the strides ≥ n");
  const float* g = get_span(env, argv, 0, (rows - 1) * stride + n);
  const float* u = get_span(env, argv, 2, (rows - 1) * stride + n);
  const float* da = get_span(env, argv, 5, rows * n);
  float* dg = get_span(env, argv, 7, (rows - 1) * grad_stride + n);
  float* du = get_span(env, argv, 9, (rows - 1) * grad_stride + n);
  if (!g || !u || !da || !dg || !du) return throw_error(env, "siluGateGrad: g, u, da, dg and du must be Float32Arrays holding their rows after their offsets");
  silu_gate_backward(g, u, stride, da, dg, du, grad_stride, rows, n);
  return nullptr;
}

// rotary(x, xOff, cos, cosOff, sin, sinOff, out, outOff, b, h, t, d, cb, backward): x and out
//       [b, h, t, d], cos and sin [cb, 1, t, d] (cb = 1 or b), d even; backward: x holds dy.
napi_value Rotary(napi_env env, napi_callback_info cb) {
  napi_value argv[14];
  if (!take_args(env, cb, 14, argv, "rotary")) return nullptr;
  const int64_t b = get_int(env, argv[8]), h = get_int(env, argv[9]), t = get_int(env, argv[10]), d = get_int(env, argv[11]), tb = get_int(env, argv[12]);
  if (b < 1 || h < 1 || t < 1 || d < 2 || d % 2 != 0 || (tb != 1 && tb != b)) return throw_error(env, "rotary: b, h, t ≥ 1, d even and ≥ 2, and the tables' batch 1 or b");
  const float* x = get_span(env, argv, 0, b * h * t * d);
  const float* c = get_span(env, argv, 2, tb * t * d);
  const float* s = get_span(env, argv, 4, tb * t * d);
  float* out = get_span(env, argv, 6, b * h * t * d);
  if (!x || !c || !s || !out) return throw_error(env, "rotary: x, cos, sin and out must be Float32Arrays holding their values after their offsets");
  rotary(x, c, s, out, b, h, t, d, tb, get_int(env, argv[13]) != 0);
  return nullptr;
}
