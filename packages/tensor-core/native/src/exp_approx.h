// A vectorisable float32 e^x for the addon's elementwise loops: range reduction by ln 2 and a
// degree-6 polynomial, within ~2 ulp of expf over [−87, 88] (clamped outside). Include it after
// `#pragma GCC optimize("no-trapping-math")`, so its float → int conversion vectorises.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace {

inline float exp_approx(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  // floor by truncation of a positive value (x is clamped, so t + 128 > 0): vectorises without SSE4.1.
  const int32_t i = static_cast<int32_t>(x * 1.44269504088896341f + 0.5f + 128.0f) - 128;
  const float fx = static_cast<float>(i);
  float r = x - fx * 0.693359375f;
  r = r - fx * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int32_t bits = (i + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

}  // namespace
