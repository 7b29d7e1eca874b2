// One large product split by rows or columns of its output across the addon's threads (see split_gemm.cc).
#pragma once

/**
 * C[m,n] = op(A)·op(B) (row-major, as blas_sgemm) as blocks of C's rows (≥ 256 of them), or of
 * its columns when C is wider than tall (n > m ≥ 64, n ≥ 256), each a whole product on one BLAS
 * thread, claimed by the caller and the split helpers (row_split.h). False, with nothing done, when
 * the product is too small to gain or the BLAS's threads cannot be set: the caller then runs it as
 * before. `threads` is the BLAS's thread count at the call.
 */
bool sgemm_split(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int threads);
