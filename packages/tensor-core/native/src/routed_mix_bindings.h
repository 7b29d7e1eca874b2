// N-API bindings of H-LoRA's routed mixture (routed_mix_bindings.cc), listed in addon.cc's export table.
#pragma once

#include <node_api.h>

napi_value RoutedMix(napi_env env, napi_callback_info cb);
napi_value RoutedMixGrad(napi_env env, napi_callback_info cb);
