// N-API bindings of the addon's own kernels. Every operand is a (Float32Array, offset in floats)
// pair, so one binding serves the wasm heap (one view, many offsets) and cpu tensors alike.
#include <cmath>
#include <string>
#include <vector>

#include "bindings.h"
#include "kernels.h"
#include "napi_util.h"
#include "pool.h"

// adamw(arrays, table): one AdamW step for every parameter of an optimizer step. `arrays` is an
//       array of Float32Arrays (the wasm heap once, or cpu tensors' own values); `table` a
//       Float64Array of kAdamWRow numbers per parameter: (array index, offset) for p, g, m, v and
//       the new p, m, v, then n, lr, beta1, beta2, eps, weightDecay and the bias corrections
//       1 − β₁ᵗ and 1 − β₂ᵗ (computed by the caller).
constexpr int kAdamWRow = 22;

napi_value AdamW(napi_env env, napi_callback_info cb) {
  napi_value argv[2];
  if (!take_args(env, cb, 2, argv, "adamw")) return nullptr;
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) return throw_error(env, "adamw: arrays must be an array of Float32Arrays");
  napi_get_array_length(env, argv[0], &count);
  std::vector<float*> data(count);
  std::vector<size_t> lengths(count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value a;
    napi_get_element(env, argv[0], i, &a);
    if (!get_f32(env, a, &data[i], &lengths[i])) return throw_error(env, "adamw: arrays must be an array of Float32Arrays");
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* ptr = nullptr;
  napi_value ab;
  size_t byte_offset = 0;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &ptr, &ab, &byte_offset) != napi_ok || type != napi_float64_array || length % kAdamWRow != 0)
    return throw_error(env, "adamw: table must be a Float64Array of 22 numbers per parameter");
  const double* table = static_cast<const double*>(ptr);
  std::vector<AdamWTask> tasks(length / kAdamWRow);
  for (size_t t = 0; t < tasks.size(); t++) {
    const double* row = table + t * kAdamWRow;
    const double n = row[14], bc1 = row[20], bc2 = row[21];
    if (!(n >= 0 && n <= 9e15 && n == std::floor(n)) || !(bc1 > 0 && bc1 <= 1) || !(bc2 > 0 && bc2 <= 1))
      return throw_error(env, "adamw: parameter " + std::to_string(t) + ": n must be an integer ≥ 0 and the bias corrections in (0, 1]");
    float* spans[7];
    for (int i = 0; i < 7; i++) {
      const double index = row[2 * i], offset = row[2 * i + 1];
      const bool ok = index >= 0 && index < count && index == std::floor(index) && offset >= 0 && offset == std::floor(offset) &&
                      offset + n <= static_cast<double>(lengths[static_cast<size_t>(index)]);
      if (!ok) return throw_error(env, "adamw: parameter " + std::to_string(t) + ": every operand must name one of the arrays and have n floats after its offset");
      spans[i] = data[static_cast<size_t>(index)] + static_cast<int64_t>(offset);
    }
    tasks[t] = {{spans[0], spans[1], spans[2], spans[3], spans[4], spans[5], spans[6]}, static_cast<int64_t>(n), row[15], row[16], row[17], row[18], row[19], bc1, bc2};
  }
  adamw_steps(tasks.data(), static_cast<int64_t>(tasks.size()));
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
