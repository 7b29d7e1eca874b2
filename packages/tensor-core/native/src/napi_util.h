// Small N-API helpers shared by the addon's bindings.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <string>

/** A Float32Array's data and length (in floats); false when `v` is not a Float32Array. */
inline bool get_f32(napi_env env, napi_value v, float** data, size_t* length) {
  napi_typedarray_type type;
  void* ptr = nullptr;
  napi_value ab;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, v, &type, length, &ptr, &ab, &offset) != napi_ok || type != napi_float32_array) return false;
  *data = static_cast<float*>(ptr);
  return true;
}

inline int64_t get_int(napi_env env, napi_value v) {
  int64_t x = 0;
  napi_get_value_int64(env, v, &x);
  return x;
}

inline double get_double(napi_env env, napi_value v) {
  double x = 0;
  napi_get_value_double(env, v, &x);
  return x;
}

inline napi_value throw_error(napi_env env, const std::string& msg) {
  napi_throw_error(env, "TENSOR_CORE_NATIVE", msg.c_str());
  return nullptr;
}

/** Read exactly n arguments into argv; false (a JS error thrown) when the count differs. */
inline bool take_args(napi_env env, napi_callback_info cb, size_t n, napi_value* argv, const char* name) {
  size_t argc = n;
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc == n) return true;
  throw_error(env, std::string(name) + ": expected " + std::to_string(n) + " arguments");
  return false;
}

inline napi_value make_string(napi_env env, const std::string& s) {
  napi_value out;
  napi_create_string_utf8(env, s.c_str(), s.size(), &out);
  return out;
}

inline napi_value make_int(napi_env env, int64_t x) {
  napi_value out;
  napi_create_int64(env, x, &out);
  return out;
}

inline napi_value make_bool(napi_env env, bool x) {
  napi_value out;
  napi_get_boolean(env, x, &out);
  return out;
}

inline void set_prop(napi_env env, napi_value obj, const char* key, napi_value v) { napi_set_named_property(env, obj, key, v); }

/**
 * argv[i] is a Float32Array and argv[i + 1] an offset (in floats) with `count` floats after it:
 * the pointer at that offset, or nullptr (the caller throws) when the span is out of bounds.
 */
inline float* get_span(napi_env env, napi_value* argv, int i, int64_t count) {
  float* data = nullptr;
  size_t length = 0;
  if (!get_f32(env, argv[i], &data, &length)) return nullptr;
  int64_t off = get_int(env, argv[i + 1]);
  if (off < 0 || count < 0 || off + count > static_cast<int64_t>(length)) return nullptr;
  return data + off;
}

/** argv[i] is an Int8Array with exactly `count` values: its data, or nullptr (the caller throws). */
inline int8_t* get_i8(napi_env env, napi_value v, int64_t count) {
  napi_typedarray_type type;
  size_t length = 0;
  void* ptr = nullptr;
  napi_value ab;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &offset) != napi_ok || type != napi_int8_array) return nullptr;
  if (count < 0 || static_cast<int64_t>(length) != count) return nullptr;
  return static_cast<int8_t*>(ptr);
}
