// A training step's products (x·Wᵀ forward, dY·W and dYᵀ·X backward: 10–400 M multiply-adds, m of
// 256–1,376 rows) ran on the BLAS's own threads, which split one product into panels that share
// packed operands and wait for each other between them: on a 2-core machine that got 90–125
// GFLOP/s of the ~200 two single-threaded products reach, and under load a preempted BLAS thread
// stalls its partner at every such wait. Here the output's rows are cut into a few blocks, each a
// whole product on one BLAS thread, claimed one at a time by the caller and the split helpers
// (row_split.cc): nothing waits until the end, and a helper that is late (or never scheduled)
// leaves its blocks to the caller. Each block packs its own copy of the shared operand, a few per
// cent of the work at ≥ 64 rows a block.
#include "split_gemm.h"

#include <algorithm>
#include <cstdint>

#include "blas.h"
#include "row_split.h"

namespace {

/** Multiply-adds below which a product is left to the caller's path (the split's wake-up and packing cost more than they gain). */
constexpr double kMinMacs = 8.0 * 1024 * 1024;
/** Block heights are multiples of this (the BLAS kernels' row unroll) and at least this. */
constexpr int kRowAlign = 16;
constexpr int kMinRows = 64;
/** split_blocks runs fewer blocks than this inline. */
constexpr int kMinBlocks = 4;

}  // namespace

bool sgemm_split_rows(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int threads) {
  if (threads <= 1 || static_cast<double>(m) * n * k < kMinMacs || m < kMinBlocks * kMinRows) return false;
  // Two blocks per thread: a late helper costs at most its second block's share.
  const int wanted = std::max(kMinBlocks, 2 * threads);
  int rows = (m + wanted - 1) / wanted;
  rows = std::max(kMinRows, (rows + kRowAlign - 1) / kRowAlign * kRowAlign);
  const int64_t blocks = (m + rows - 1) / rows;
  if (blocks < kMinBlocks || !blas_set_threads(1)) return false;
  split_blocks(
      blocks,
      [&](int64_t i) {
        const int r0 = static_cast<int>(i) * rows;
        const int r = std::min(rows, m - r0);
        // Rows r0… of op(A): rows of A, or columns of A stored transposed [k, m].
        const float* ai = ta ? a + r0 : a + static_cast<int64_t>(r0) * lda;
        blas_sgemm(ta, tb, r, n, k, ai, lda, b, ldb, c + static_cast<int64_t>(r0) * n);
      },
      threads);
  blas_set_threads(threads);
  return true;
}
