// N-API bindings of the RMSNorm kernels (rms_norm.cc); operands are (Float32Array, offset) pairs
// as in kernel_bindings.cc.
#include "bindings.h"
#include "napi_util.h"
#include "rms_norm.h"

// rmsNorm(x, xOff, w, wOff, y, yOff, r, rOff, rows, d, eps): y [rows, d], r [rows].
napi_value RmsNorm(napi_env env, napi_callback_info cb) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc != 11) return throw_error(env, "rmsNorm: expected 11 arguments");
  const int64_t rows = get_int(env, argv[8]), d = get_int(env, argv[9]);
  if (rows < 0 || d < 1) return throw_error(env, "rmsNorm: rows must be ≥ 0 and d ≥ 1");
  const float* x = get_span(env, argv, 0, rows * d);
  const float* w = get_span(env, argv, 2, d);
  float* y = get_span(env, argv, 4, rows * d);
  float* r = get_span(env, argv, 6, rows);
  if (!x || !w || !y || !r) return throw_error(env, "rmsNorm: x, w, y and r must be Float32Arrays with rows·d, d, rows·d and rows floats after their offsets");
  rms_norm_forward(x, w, y, r, rows, d, static_cast<float>(get_double(env, argv[10])));
  return nullptr;
}

// rmsNormGrad(dy, dyOff, x, xOff, r, rOff, w, wOff, dx, dxOff, dw, dwOff, rows, d): dx [rows, d], dw [d].
napi_value RmsNormGrad(napi_env env, napi_callback_info cb) {
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc != 14) return throw_error(env, "rmsNormGrad: expected 14 arguments");
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
