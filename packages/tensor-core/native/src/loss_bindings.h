// N-API bindings of the fused cross-entropy (loss_bindings.cc), listed in addon.cc's export table.
#pragma once

#include <node_api.h>

napi_value CrossEntropy(napi_env env, napi_callback_info cb);
napi_value CrossEntropyGrad(napi_env env, napi_callback_info cb);
