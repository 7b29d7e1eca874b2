// The BLAS's own threads pay for large products only. Attention runs batch·heads products of
// [T, hd]·[hd, T] (a few MFLOP each): a 2-thread BLAS wakes, splits and joins its threads once per
// product, and on a busy machine waits a scheduler slice for the second thread each time. Here
// such a batch runs as whole products claimed one at a time by the caller and the decoding
// helpers (row_split.cc), the BLAS held at one thread meanwhile; a single product this small runs
// on one BLAS thread too. Larger products keep the library's threading.
#include "batched_gemm.h"

#include "blas.h"
#include "row_split.h"
#include "split_gemm.h"

namespace {

/** Multiply-adds per product up to which one thread runs it whole (2·4 M FLOP ≈ 0.1 ms on one core). */
constexpr double kSmallMacs = 4.0 * 1024 * 1024;

/** Run fn with the BLAS at one thread, restoring `threads` after; false (fn not run) when the BLAS cannot be set. */
template <typename Fn>
bool with_one_blas_thread(int threads, Fn&& fn) {
  if (!blas_set_threads(1)) return false;
  fn();
  blas_set_threads(threads);
  return true;
}

}  // namespace

void sgemm_batched(bool ta, bool tb, int64_t batch, int m, int n, int k, const float* a, int64_t as, int lda, const float* b, int64_t bs, int ldb, float* c) {
  const auto one = [&](int64_t i) { blas_sgemm(ta, tb, m, n, k, a + i * as, lda, b + i * bs, ldb, c + i * static_cast<int64_t>(m) * n); };
  const auto all = [&]() {
    for (int64_t i = 0; i < batch; i++) one(i);
  };
  const int threads = blas_threads();
  const bool small = static_cast<double>(m) * n * k <= kSmallMacs;
  if (batch == 1 && !small && sgemm_split(ta, tb, m, n, k, a, lda, b, ldb, c, threads)) return;
  if (threads <= 1 || !small) return all();
  if (batch >= 4 && with_one_blas_thread(threads, [&] { split_blocks(batch, one, threads); })) return;
  if (!with_one_blas_thread(threads, all)) all();
}
