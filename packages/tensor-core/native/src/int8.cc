// y = x · (q·s)ᵀ for int8 weights with per-output-channel scales: the matrix–vector work of
// decoding with weight-only int8 layers, reading one byte per weight. Split across the pool by
// output channel; every dot product sums eight interleaved partial sums in a fixed order, so the
// result does not depend on the CPU or on the thread count.
#include "kernels.h"
#include "pool.h"

namespace {

KERNEL_CLONES float dot_i8(const float* x, const int8_t* q, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; j++) acc[j] += x[i + j] * static_cast<float>(q[i + j]);
  }
  for (int j = 0; i < n; i++, j++) acc[j] += x[i] * static_cast<float>(q[i]);
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

}  // namespace

void int8_matmul(const float* x, const int8_t* q, const float* scales, float* y, int64_t rows, int64_t out, int64_t in) {
  // About 64 KiB of weights per thread at least: smaller layers run inline.
  const int64_t min_channels = in > 0 ? (65536 + in - 1) / in : out;
  parallel_for(out, min_channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; o++) {
      const int8_t* qo = q + o * in;
      const float s = scales[o];
      for (int64_t r = 0; r < rows; r++) y[r * out + o] = dot_i8(x + r * in, qo, in) * s;
    }
  });
}
