// N-API bindings of the addon's kernels (kernel_bindings.cc), listed in addon.cc's export table.
#pragma once

#include <node_api.h>

napi_value AdamW(napi_env env, napi_callback_info cb);
napi_value Int8Matmul(napi_env env, napi_callback_info cb);
napi_value PoolThreads(napi_env env, napi_callback_info cb);
napi_value SetPoolThreads(napi_env env, napi_callback_info cb);
napi_value DecodeAttention(napi_env env, napi_callback_info cb);
napi_value RmsNorm(napi_env env, napi_callback_info cb);
napi_value RmsNormGrad(napi_env env, napi_callback_info cb);
napi_value SiluGate(napi_env env, napi_callback_info cb);
napi_value SiluGateGrad(napi_env env, napi_callback_info cb);
napi_value Rotary(napi_env env, napi_callback_info cb);
