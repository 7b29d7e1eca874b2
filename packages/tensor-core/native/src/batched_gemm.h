// Products through the BLAS with the thread count chosen by size (see batched_gemm.cc).
#pragma once

#include <cstdint>

/**
 * C[i] = op(A[i])·op(B[i]) for i < batch (row-major; strides in floats, 0 broadcasts; C packed
 * [batch, m, n]). Many small products run whole, one per thread, with the BLAS at one thread;
 * small single products run on one BLAS thread; large single products as blocks of rows, one BLAS
 * thread each (split_gemm.h); the rest as the BLAS threads them.
 */
void sgemm_batched(bool ta, bool tb, int64_t batch, int m, int n, int k, const float* a, int64_t a_stride, int lda, const float* b, int64_t b_stride, int ldb,
                   float* c);
