// Optional native matmul for @healthgpt/tensor-core: a CBLAS sgemm (OpenBLAS or any libblas with
// the cblas_* symbols, found with dlopen at load time) run zero-copy on a Float32Array that views
// the wasm heap or a cpu-backend tensor. Nothing links against BLAS at build time, so the addon
// builds wherever node-gyp does; `available()` says whether a BLAS was found.
#include <dlfcn.h>
#include <node_api.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };
typedef void (*SgemmFn)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
typedef void (*SetThreadsFn)(int);

SgemmFn sgemm = nullptr;
SetThreadsFn set_threads = nullptr;
std::string library;

void load_blas() {
  const char* env = std::getenv("HEALTHGPT_BLAS");
  const char* candidates[] = {env, "libopenblas.so.0", "libopenblas.so", "libmkl_rt.so", "libblis.so.4", "libblas.so.3", nullptr};
  for (int i = 0; i < 6; i++) {
    if (!candidates[i]) continue;
    void* h = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) continue;
    auto fn = reinterpret_cast<SgemmFn>(dlsym(h, "cblas_sgemm"));
    if (!fn) {
      dlclose(h);
      continue;
    }
    sgemm = fn;
    set_threads = reinterpret_cast<SetThreadsFn>(dlsym(h, "openblas_set_num_threads"));
    library = candidates[i];
    return;
  }
}

bool get_f32(napi_env env, napi_value v, float** data, size_t* length) {
  napi_typedarray_type type;
  void* ptr = nullptr;
  napi_value ab;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, v, &type, length, &ptr, &ab, &offset) != napi_ok || type != napi_float32_array) return false;
  *data = static_cast<float*>(ptr);
  return true;
}

int64_t get_int(napi_env env, napi_value v) {
  int64_t x = 0;
  napi_get_value_int64(env, v, &x);
  return x;
}

napi_value throw_error(napi_env env, const char* msg) {
  napi_throw_error(env, "TENSOR_CORE_NATIVE", msg);
  return nullptr;
}

// sgemm(a, aOff, b, bOff, c, cOff, batch, aStride, bStride, m, n, k, transA, transB): Float32Arrays
// (the same wasm-heap view three times, or three cpu tensors), offsets and strides in floats.
// C[i] = op(A[i]) · op(B[i]) for i < batch; a stride of 0 broadcasts that operand.
napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 14) return throw_error(env, "sgemm: expected 14 arguments");
  if (!sgemm) return throw_error(env, "sgemm: no CBLAS library was found");
  float *A = nullptr, *B = nullptr, *C = nullptr;
  size_t la = 0, lb = 0, lc = 0;
  if (!get_f32(env, argv[0], &A, &la) || !get_f32(env, argv[2], &B, &lb) || !get_f32(env, argv[4], &C, &lc)) {
    return throw_error(env, "sgemm: a, b and c must be Float32Arrays");
  }
  int64_t a = get_int(env, argv[1]), b = get_int(env, argv[3]), c = get_int(env, argv[5]);
  int64_t batch = get_int(env, argv[6]), as = get_int(env, argv[7]), bs = get_int(env, argv[8]);
  int64_t m = get_int(env, argv[9]), n = get_int(env, argv[10]), k = get_int(env, argv[11]);
  bool ta = get_int(env, argv[12]) != 0, tb = get_int(env, argv[13]) != 0;
  if (a < 0 || b < 0 || c < 0 || as < 0 || bs < 0 || batch < 1 || m < 1 || n < 1 || k < 1 || a + (batch - 1) * as + m * k > (int64_t)la ||
      b + (batch - 1) * bs + k * n > (int64_t)lb || c + batch * m * n > (int64_t)lc) {
    return throw_error(env, "sgemm: operands out of bounds");
  }
  const int lda = ta ? m : k, ldb = tb ? k : n;
  for (int64_t i = 0; i < batch; i++) {
    sgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, (int)m, (int)n, (int)k, 1.0f, A + a + i * as, lda, B + b + i * bs, ldb, 0.0f,
          C + c + i * m * n, (int)n);
  }
  return nullptr;
}

napi_value Available(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_string_utf8(env, library.c_str(), library.size(), &out);
  return out;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_value out;
  napi_get_boolean(env, set_threads != nullptr, &out);
  if (set_threads && argc == 1) set_threads((int)get_int(env, argv[0]));
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  load_blas();
  napi_property_descriptor props[] = {
      {"sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"blasLibrary", nullptr, Available, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
