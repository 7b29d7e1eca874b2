// N-API bindings of the training attention (attention_bindings.cc), listed in addon.cc's export table.
#pragma once

#include <node_api.h>

napi_value Attention(napi_env env, napi_callback_info cb);
napi_value AttentionGrad(napi_env env, napi_callback_info cb);
napi_value QkvAttention(napi_env env, napi_callback_info cb);
napi_value QkvAttentionGrad(napi_env env, napi_callback_info cb);
