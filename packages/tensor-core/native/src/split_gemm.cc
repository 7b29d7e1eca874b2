// A training step's products (x·Wᵀ forward, dY·W and dYᵀ·X backward: 10–400 M multiply-adds, m of
// 256–1,376 rows) ran on the BLAS's own threads, which split one product into panels that share
// packed operands and wait for each other between them: on a 2-core machine that got 90–125
// GFLOP/s of the ~200 two single-threaded products reach, and under load a preempted BLAS thread
// stalls its partner at every such wait. Here the output is cut into a few blocks, each a whole
// product on one BLAS thread, claimed one at a time by the caller and the split helpers
// (row_split.cc): nothing waits until the end, and a helper that is late (or never scheduled)
// leaves its blocks to the caller.
//
// Each block packs its own copy of the operand all blocks share: all of op(B) for blocks of rows,
// all of op(A) for blocks of columns. So the output is cut along its longer side, and the shared
// operand is the smaller one: down_proj's weight gradient dYᵀ·X ([256, 1024]·[1024, 688]) cut by
// rows packed X (704 K floats) once per block; cut by columns each block packs dYᵀ (262 K floats).
#include "split_gemm.h"

#include <algorithm>
#include <cstdint>

#include "blas.h"
#include "row_split.h"

namespace {

/** Multiply-adds below which a product is left to the caller's path (the split's wake-up and packing cost more than they gain). */
constexpr double kMinMacs = 8.0 * 1024 * 1024;
/** Block sizes (rows or columns) are multiples of this (the BLAS kernels' unroll) and at least kMinSpan. */
constexpr int kAlign = 16;
constexpr int kMinSpan = 64;
/** split_blocks runs fewer blocks than this inline. */
constexpr int kMinBlocks = 4;
/** Products of fewer rows than this are never cut by columns (decoding's few-row x·Wᵀ has its own split). */
constexpr int kMinColumnRows = 64;

/** The span of each of ≥ kMinBlocks blocks over `extent` (0 when it cannot be cut so). */
int block_span(int extent, int threads) {
  if (extent < kMinBlocks * kMinSpan) return 0;
  // Two blocks per thread: a late helper costs at most its second block's share.
  const int wanted = std::max(kMinBlocks, 2 * threads);
  int span = (extent + wanted - 1) / wanted;
  span = std::max(kMinSpan, (span + kAlign - 1) / kAlign * kAlign);
  return (extent + span - 1) / span >= kMinBlocks ? span : 0;
}

}  // namespace

bool sgemm_split(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int threads) {
  if (threads <= 1 || static_cast<double>(m) * n * k < kMinMacs) return false;
  // Cut along the longer side of C: the operand every block packs again is then the smaller one.
  const bool by_columns = n > m && m >= kMinColumnRows;
  const int extent = by_columns ? n : m;
  const int span = block_span(extent, threads);
  if (span == 0 || !blas_set_threads(1)) return false;
  split_blocks(
      (extent + span - 1) / span,
      [&](int64_t i) {
        const int s0 = static_cast<int>(i) * span;
        const int s = std::min(span, extent - s0);
        if (by_columns) {
          // Columns s0… of op(B): rows of B stored transposed [n, k], or columns of B [k, n].
          const float* bi = tb ? b + static_cast<int64_t>(s0) * ldb : b + s0;
          blas_sgemm_ldc(ta, tb, m, s, k, a, lda, bi, ldb, c + s0, n);
        } else {
          // Rows s0… of op(A): rows of A, or columns of A stored transposed [k, m].
          const float* ai = ta ? a + s0 : a + static_cast<int64_t>(s0) * lda;
          blas_sgemm(ta, tb, s, n, k, ai, lda, b, ldb, c + static_cast<int64_t>(s0) * n);
        }
      },
      threads);
  blas_set_threads(threads);
  return true;
}
