// N-API bindings of the addon's own kernels. Every operand is a (Float32Array, offset in floats)
// pair, so one binding serves the wasm heap (one view, many offsets) and cpu tensors alike.
#include "bindings.h"
#include "kernels.h"
#include "napi_util.h"
#include "pool.h"

// adamw(p, pOff, g, gOff, m, mOff, v, vOff, pOut, pOutOff, mOut, mOutOff, vOut, vOutOff,
//       n, lr, beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2): one AdamW step
//       over n elements (bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ, computed by the caller).
napi_value AdamW(napi_env env, napi_callback_info cb) {
  size_t argc = 22;
  napi_value argv[22];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc != 22) return throw_error(env, "adamw: expected 22 arguments");
  const int64_t n = get_int(env, argv[14]);
  const double bc1 = get_double(env, argv[20]), bc2 = get_double(env, argv[21]);
  if (n < 0 || !(bc1 > 0 && bc1 <= 1) || !(bc2 > 0 && bc2 <= 1)) return throw_error(env, "adamw: n must be ≥ 0 and the bias corrections in (0, 1]");
  AdamWBuffers b;
  float* spans[7];
  for (int i = 0; i < 7; i++) {
    spans[i] = get_span(env, argv, 2 * i, n);
    if (!spans[i]) return throw_error(env, "adamw: every operand must be a Float32Array with n floats after its offset");
  }
  b.p = spans[0];
  b.g = spans[1];
  b.m = spans[2];
  b.v = spans[3];
  b.p_out = spans[4];
  b.m_out = spans[5];
  b.v_out = spans[6];
  adamw_step(b, n, get_double(env, argv[15]), get_double(env, argv[16]), get_double(env, argv[17]), get_double(env, argv[18]), get_double(env, argv[19]), bc1, bc2);
  return nullptr;
}

// int8Matmul(x, xOff, q, scales, y, yOff, rows, out, in): y [rows, out] = x [rows, in] ·
//       (q [out, in] · scales [out])ᵀ; q an Int8Array and scales a Float32Array of exactly those sizes.
napi_value Int8Matmul(napi_env env, napi_callback_info cb) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc != 9) return throw_error(env, "int8Matmul: expected 9 arguments");
  const int64_t rows = get_int(env, argv[6]), out = get_int(env, argv[7]), in = get_int(env, argv[8]);
  if (rows < 0 || out < 0 || in < 0) return throw_error(env, "int8Matmul: rows, out and in must be ≥ 0");
  const float* x = get_span(env, argv, 0, rows * in);
  const int8_t* q = get_i8(env, argv[2], out * in);
  float* scales = nullptr;
  size_t n_scales = 0;
  const bool scales_ok = get_f32(env, argv[3], &scales, &n_scales) && static_cast<int64_t>(n_scales) == out;
  float* y = get_span(env, argv, 4, rows * out);
  if (!x || !y) return throw_error(env, "int8Matmul: x and y must be Float32Arrays with rows·in and rows·out floats after their offsets");
  if (!q || !scales_ok) return throw_error(env, "int8Matmul: q must be an Int8Array of out·in values and scales a Float32Array of out values");
  int8_matmul(x, q, scales, y, rows, out, in);
  return nullptr;
}

napi_value PoolThreads(napi_env env, napi_callback_info) { return make_int(env, pool_threads()); }

// setPoolThreads(n): threads for the addon's elementwise kernels (the caller included).
napi_value SetPoolThreads(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc != 1) return throw_error(env, "setPoolThreads: expected 1 argument");
  const int64_t n = get_int(env, argv[0]);
  if (n < 1 || n > 64) return throw_error(env, "setPoolThreads: the thread count must be in 1..64");
  set_pool_threads(static_cast<int>(n));
  return make_int(env, pool_threads());
}
