// The native path of @healthgpt/tensor-core: an N-API addon whose kernels run zero-copy on a
// Float32Array over the wasm heap or a cpu-backend tensor. Matmuls go to whichever BLAS the
// machine has (found at load time, see blas.cc); nothing links against one at build time.
#include <node_api.h>

#include "attention_bindings.h"
#include "batched_gemm.h"
#include "bindings.h"
#include "blas.h"
#include "loss_bindings.h"
#include "napi_util.h"
#include "routed_mix_bindings.h"

namespace {

// Bumped whenever the exported functions change, so tensor-core can tell a stale build.
constexpr int kAbi = 4;

// sgemm(a, aOff, b, bOff, c, cOff, batch, aStride, bStride, m, n, k, transA, transB): Float32Arrays
// (the same wasm-heap view three times, or three cpu tensors), offsets and strides in floats.
// C[i] = op(A[i]) · op(B[i]) for i < batch; a stride of 0 broadcasts that operand.
napi_value Sgemm(napi_env env, napi_callback_info cb) {
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc != 14) return throw_error(env, "sgemm: expected 14 arguments");
  if (!blas_load()) return throw_error(env, "sgemm: no BLAS library was found (" + blas_problem() + ")");
  float *A = nullptr, *B = nullptr, *C = nullptr;
  size_t la = 0, lb = 0, lc = 0;
  if (!get_f32(env, argv[0], &A, &la) || !get_f32(env, argv[2], &B, &lb) || !get_f32(env, argv[4], &C, &lc)) {
    return throw_error(env, "sgemm: a, b and c must be Float32Arrays");
  }
  int64_t a = get_int(env, argv[1]), b = get_int(env, argv[3]), c = get_int(env, argv[5]);
  int64_t batch = get_int(env, argv[6]), as = get_int(env, argv[7]), bs = get_int(env, argv[8]);
  int64_t m = get_int(env, argv[9]), n = get_int(env, argv[10]), k = get_int(env, argv[11]);
  bool ta = get_int(env, argv[12]) != 0, tb = get_int(env, argv[13]) != 0;
  if (a < 0 || b < 0 || c < 0 || as < 0 || bs < 0 || batch < 1 || m < 1 || n < 1 || k < 1 || m > INT32_MAX || n > INT32_MAX || k > INT32_MAX ||
      a + (batch - 1) * as + m * k > (int64_t)la || b + (batch - 1) * bs + k * n > (int64_t)lb || c + batch * m * n > (int64_t)lc) {
    return throw_error(env, "sgemm: operands out of bounds");
  }
  const int lda = ta ? (int)m : (int)k, ldb = tb ? (int)k : (int)n;
  sgemm_batched(ta, tb, batch, (int)m, (int)n, (int)k, A + a, as, lda, B + b, bs, ldb, C + c);
  return nullptr;
}

// blasInfo(): { library, path, vendor, version, parallel, detail, interface, threads } or null.
napi_value Info(napi_env env, napi_callback_info) {
  napi_value out;
  if (!blas_load()) {
    napi_get_null(env, &out);
    return out;
  }
  const BlasInfo& i = blas_info();
  napi_create_object(env, &out);
  set_prop(env, out, "library", make_string(env, i.library));
  set_prop(env, out, "path", make_string(env, i.path));
  set_prop(env, out, "vendor", make_string(env, i.vendor));
  set_prop(env, out, "version", make_string(env, i.version));
  set_prop(env, out, "parallel", make_string(env, i.parallel));
  set_prop(env, out, "detail", make_string(env, i.detail));
  set_prop(env, out, "interface", make_string(env, i.interface));
  set_prop(env, out, "threads", make_int(env, blas_threads()));
  return out;
}

// blasProblem(): why no BLAS is in use ('' when one is).
napi_value Problem(napi_env env, napi_callback_info) {
  blas_load();
  return make_string(env, blas_problem());
}

// setThreads(n): set the BLAS thread count; false when the library has no way to.
napi_value SetThreads(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc != 1) return throw_error(env, "setThreads: expected 1 argument");
  int64_t n = get_int(env, argv[0]);
  if (n < 1 || n > 1024) return throw_error(env, "setThreads: the thread count must be in 1..1024");
  return make_bool(env, blas_load() && blas_set_threads((int)n));
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"blasInfo", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"blasProblem", nullptr, Problem, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamw", nullptr, AdamW, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"int8Matmul", nullptr, Int8Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"decodeAttention", nullptr, DecodeAttention, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsNorm", nullptr, RmsNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsNormGrad", nullptr, RmsNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"siluGate", nullptr, SiluGate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"siluGateGrad", nullptr, SiluGateGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rotary", nullptr, Rotary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attention", nullptr, Attention, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attentionGrad", nullptr, AttentionGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"qkvAttention", nullptr, QkvAttention, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"qkvAttentionGrad", nullptr, QkvAttentionGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"crossEntropy", nullptr, CrossEntropy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"crossEntropyGrad", nullptr, CrossEntropyGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"routedMix", nullptr, RoutedMix, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"routedMixGrad", nullptr, RoutedMixGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"poolThreads", nullptr, PoolThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setPoolThreads", nullptr, SetPoolThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"abi", nullptr, nullptr, nullptr, nullptr, make_int(env, kAbi), napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
