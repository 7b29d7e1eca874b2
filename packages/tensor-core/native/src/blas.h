// The BLAS the addon found at load time (see blas.cc for the search order).
#pragma once

#include <cstdint>
#include <string>

struct BlasInfo {
  std::string library;   // the name that was loaded (a soname, a path, or HEALTHGPT_BLAS)
  std::string path;      // the file it resolved to
  std::string vendor;    // OpenBLAS, BLIS, MKL, FlexiBLAS, Accelerate, reference, unknown
  std::string version;   // '' when the library does not say
  std::string parallel;  // pthreads, openmp, serial, threaded (MKL), unknown
  std::string detail;    // e.g. OpenBLAS's config line, FlexiBLAS's backend
  std::string interface; // cblas (cblas_sgemm) or fortran (sgemm_)
};

/** Search for a BLAS once. True when one was found; `blas_problem()` says why not, or what was skipped. */
bool blas_load();
const BlasInfo& blas_info();
const std::string& blas_problem();

/** Row-major C[m,n] = op(A)·op(B) (alpha 1, beta 0), lda/ldb as in CBLAS row-major. */
void blas_sgemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c);

/** The same product straight to the library's sgemm, C's rows ldc ≥ n floats apart (no gemv or few-row shortcut). */
void blas_sgemm_ldc(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc);

/** The library's thread count (-1 when it cannot say), and setting it (false when it cannot). */
int blas_threads();
bool blas_set_threads(int n);
