// N-API bindings of H-LoRA's routed mixture (routed_mix.cc); operands are (Float32Array, offset)
// pairs as in kernel_bindings.cc.
#include "routed_mix_bindings.h"

#include "napi_util.h"
#include "routed_mix.h"

namespace {

/** n, r, k from argv[at ..]: false when n < 1, k < 1 or r not a positive multiple of k. */
bool read_dims(napi_env env, napi_value* argv, int at, int64_t& n, int64_t& r, int64_t& k) {
  n = get_int(env, argv[at]);
  r = get_int(env, argv[at + 1]);
  k = get_int(env, argv[at + 2]);
  return n >= 1 && k >= 1 && r >= k && r % k == 0;
}

}  // namespace

// routedMix(u, uOff, y, yOff, g, gOff, n, r, k, scaling): u [n, r + k] → y [n, r], g [n, k].
napi_value RoutedMix(napi_env env, napi_callback_info cb) {
  napi_value argv[10];
  if (!take_args(env, cb, 10, argv, "routedMix")) return nullptr;
  int64_t n, r, k;
  if (!read_dims(env, argv, 6, n, r, k)) return throw_error(env, "routedMix: n and k must be ≥ 1 and r a positive multiple of k");
  const float* u = get_span(env, argv, 0, n * (r + k));
  float* y = get_span(env, argv, 2, n * r);
  float* g = get_span(env, argv, 4, n * k);
  if (!u || !y || !g) return throw_error(env, "routedMix: u, y and g must be Float32Arrays holding [n, r + k], [n, r] and [n, k] after their offsets");
  routed_mix_forward(u, y, g, n, r, k, static_cast<float>(get_double(env, argv[9])));
  return nullptr;
}

// routedMixGrad(dy, dyOff, u, uOff, g, gOff, du, duOff, n, r, k, scaling): du [n, r + k] from
//       dy [n, r], u [n, r + k] and the forward's g [n, k].
napi_value RoutedMixGrad(napi_env env, napi_callback_info cb) {
  napi_value argv[12];
  if (!take_args(env, cb, 12, argv, "routedMixGrad")) return nullptr;
  int64_t n, r, k;
  if (!read_dims(env, argv, 8, n, r, k)) return throw_error(env, "routedMixGrad: n and k must be ≥ 1 and r a positive multiple of k");
  const float* dy = get_span(env, argv, 0, n * r);
  const float* u = get_span(env, argv, 2, n * (r + k));
  const float* g = get_span(env, argv, 4, n * k);
  float* du = get_span(env, argv, 6, n * (r + k));
  if (!dy || !u || !g || !du) return throw_error(env, "routedMixGrad: dy, u, g and du must be Float32Arrays holding [n, r], [n, r + k], [n, k] and [n, r + k] after their offsets");
  routed_mix_backward(dy, u, g, du, n, r, k, static_cast<float>(get_double(env, argv[11])));
  return nullptr;
}
