// N-API bindings of cross_entropy.cc; float operands are (Float32Array, offset) pairs as in
// kernel_bindings.cc, the labels an (Int32Array, offset) pair.
#include "loss_bindings.h"

#include <algorithm>

#include "cross_entropy.h"
#include "napi_util.h"

namespace {

/** argv[i] is an Int32Array and argv[i + 1] an offset with `count` values after it: that pointer, or nullptr. */
const int32_t* get_i32_span(napi_env env, napi_value* argv, int i, int64_t count) {
  napi_typedarray_type type;
  size_t length = 0;
  void* ptr = nullptr;
  napi_value ab;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, argv[i], &type, &length, &ptr, &ab, &offset) != napi_ok || type != napi_int32_array) return nullptr;
  const int64_t off = get_int(env, argv[i + 1]);
  if (off < 0 || count < 0 || off + count > static_cast<int64_t>(length)) return nullptr;
  return static_cast<const int32_t*>(ptr) + off;
}

bool valid_dims(int64_t rows, int64_t v, int64_t ignore) { return rows >= 1 && v >= 1 && ignore >= INT32_MIN && ignore <= INT32_MAX; }

}  // namespace

// crossEntropy(x, xOff, labels, labelsOff, stats, statsOff, loss, lossOff, rows, v, ignore): stats
//       [rows, 2] (each row's max and log Σ exp(x − max)) and loss [1] = Σ −log softmax(x)[label] / max(1, rows not ignored); returns that count.
napi_value CrossEntropy(napi_env env, napi_callback_info cb) {
  napi_value argv[11];
  if (!take_args(env, cb, 11, argv, "crossEntropy")) return nullptr;
  const int64_t rows = get_int(env, argv[8]), v = get_int(env, argv[9]), ignore = get_int(env, argv[10]);
  if (!valid_dims(rows, v, ignore)) return throw_error(env, "crossEntropy: rows and v must be ≥ 1 and the ignored label an int32");
  float* stats = get_span(env, argv, 4, 2 * rows);  // outputs first, then inputs
  float* loss = get_span(env, argv, 6, 1);
  const float* x = get_span(env, argv, 0, rows * v);
  const int32_t* labels = get_i32_span(env, argv, 2, rows);
  if (!x || !labels || !stats || !loss) return throw_error(env, "crossEntropy: x, stats and loss must be Float32Arrays holding rows·v, 2·rows and 1 floats after their offsets, labels an Int32Array holding rows");
  int64_t count = 0;
  const double nll = cross_entropy_forward(x, labels, rows, v, static_cast<int32_t>(ignore), stats, &count);
  *loss = static_cast<float>(nll / static_cast<double>(std::max<int64_t>(1, count)));
  return make_int(env, count);
}

// crossEntropyGrad(x, xOff, labels, labelsOff, stats, statsOff, dy, dyOff, dx, dxOff, rows, v, ignore):
//       dx [rows, v] = (softmax(x) − onehot(label))·dy / max(1, rows not ignored) on supervised rows.
napi_value CrossEntropyGrad(napi_env env, napi_callback_info cb) {
  napi_value argv[13];
  if (!take_args(env, cb, 13, argv, "crossEntropyGrad")) return nullptr;
  const int64_t rows = get_int(env, argv[10]), v = get_int(env, argv[11]), ignore = get_int(env, argv[12]);
  if (!valid_dims(rows, v, ignore)) return throw_error(env, "crossEntropyGrad: rows and v must be ≥ 1 and the ignored label an int32");
  float* dx = get_span(env, argv, 8, rows * v);
  const float* x = get_span(env, argv, 0, rows * v);
  const int32_t* labels = get_i32_span(env, argv, 2, rows);
  const float* stats = get_span(env, argv, 4, 2 * rows);
  const float* dy = get_span(env, argv, 6, 1);
  if (!x || !labels || !stats || !dy || !dx) return throw_error(env, "crossEntropyGrad: x, stats, dy and dx must be Float32Arrays holding rows·v, 2·rows, 1 and rows·v floats after their offsets, labels an Int32Array holding rows");
  const int64_t count = std::max<int64_t>(1, cross_entropy_count(labels, rows, static_cast<int32_t>(ignore)));
  cross_entropy_backward(x, labels, stats, rows, v, static_cast<int32_t>(ignore), static_cast<float>(*dy / static_cast<double>(count)), dx);
  return nullptr;
}
