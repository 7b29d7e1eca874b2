// Finds a BLAS at run time, so one binary works with whichever BLAS a machine has and needs none:
// HEALTHGPT_BLAS when set (that one only), else the usual names of OpenBLAS (pthreads or OpenMP
// builds), MKL, BLIS, FlexiBLAS, Apple Accelerate and a generic libblas. sgemm is taken from the
// CBLAS interface when the library has it, else from the Fortran one (every BLAS has `sgemm_`).
// A reference (netlib) BLAS is skipped unless named: it is slower than the wasm kernels.
#include "blas.h"

#include <cstdlib>
#include <cstring>
#include <vector>

#include "dl.h"
#include "kernels.h"

namespace {

enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };
typedef void (*CblasSgemm)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
typedef void (*FortranSgemm)(const char*, const char*, const int*, const int*, const int*, const float*, const float*, const int*, const float*,
                             const int*, const float*, float*, const int*, size_t, size_t);
typedef void (*CblasSgemv)(int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
typedef void (*FortranSgemv)(const char*, const int*, const int*, const float*, const float*, const int*, const float*, const int*, const float*, float*,
                             const int*, size_t);
typedef void (*SetIntFn)(int);
typedef void (*SetInt64Fn)(int64_t);
typedef int (*GetIntFn)();
typedef int64_t (*GetInt64Fn)();
typedef char* (*GetStrFn)();

#if defined(_WIN32)
const char* const kCandidates[] = {"libopenblas.dll", "openblas.dll", "mkl_rt.2.dll", "mkl_rt.dll", "libblis.4.dll", "blis.dll", "libblas.dll"};
#elif defined(__APPLE__)
const char* const kCandidates[] = {"/System/Library/Frameworks/Accelerate.framework/Accelerate",
                                   "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
                                   "/usr/local/opt/openblas/lib/libopenblas.dylib",
                                   "libopenblas.dylib",
                                   "libmkl_rt.2.dylib",
                                   "libmkl_rt.dylib",
                                   "libblis.4.dylib",
                                   "libblis.dylib"};
#else
const char* const kCandidates[] = {"libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "libopenblaso.so.0", "libmkl_rt.so.2", "libmkl_rt.so.1",
                                   "libmkl_rt.so",     "libblis.so.4",   "libblis.so.3",      "libblis-mt.so.4",   "libblis.so",     "libflexiblas.so.3",
                                   "libblas.so.3",     "libblas.so"};
#endif

CblasSgemm cblas_sgemm_fn = nullptr;
FortranSgemm fortran_sgemm_fn = nullptr;
CblasSgemv cblas_sgemv_fn = nullptr;
FortranSgemv fortran_sgemv_fn = nullptr;
SetIntFn set_int_threads = nullptr;
SetInt64Fn set_int64_threads = nullptr;
GetIntFn get_int_threads = nullptr;
GetInt64Fn get_int64_threads = nullptr;
BlasInfo info;
std::string problem;
bool searched = false;

template <typename F>
F sym(LibHandle h, const char* name) {
  return reinterpret_cast<F>(lib_sym(h, name));
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

std::string word(const std::string& s, int index) {
  size_t pos = 0;
  for (int i = 0; i <= index; i++) {
    size_t start = s.find_first_not_of(' ', pos);
    if (start == std::string::npos) return "";
    size_t end = s.find(' ', start);
    if (i == index) return s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    pos = end;
  }
  return "";
}

/** Vendor, version, threading kind and thread functions, from the symbols the library exports. */
void describe(LibHandle h, BlasInfo& out) {
  if (auto config = sym<GetStrFn>(h, "openblas_get_config")) {
    out.vendor = "OpenBLAS";
    out.detail = config();
    out.version = word(out.detail, 1);
    auto parallel = sym<GetIntFn>(h, "openblas_get_parallel");
    int p = parallel ? parallel() : -1;
    out.parallel = p == 0 ? "serial" : p == 1 ? "pthreads" : p == 2 ? "openmp" : "unknown";
    set_int_threads = sym<SetIntFn>(h, "openblas_set_num_threads");
    get_int_threads = sym<GetIntFn>(h, "openblas_get_num_threads");
  } else if (auto version = sym<GetStrFn>(h, "bli_info_get_version_str")) {
    out.vendor = "BLIS";
    out.version = version();
    auto pthreads = sym<GetInt64Fn>(h, "bli_info_get_enable_pthreads");
    auto openmp = sym<GetInt64Fn>(h, "bli_info_get_enable_openmp");
    out.parallel = openmp && openmp() ? "openmp" : pthreads && pthreads() ? "pthreads" : (openmp || pthreads) ? "serial" : "unknown";
    set_int64_threads = sym<SetInt64Fn>(h, "bli_thread_set_num_threads");
    get_int64_threads = sym<GetInt64Fn>(h, "bli_thread_get_num_threads");
  } else if (auto mkl_version = sym<void (*)(char*, int)>(h, "MKL_Get_Version_String")) {
    char buf[256] = {0};
    mkl_version(buf, sizeof buf - 1);
    out.vendor = "MKL";
    out.detail = buf;
    out.parallel = "threaded";
    set_int_threads = sym<SetIntFn>(h, "MKL_Set_Num_Threads");
    get_int_threads = sym<GetIntFn>(h, "MKL_Get_Max_Threads");
  } else if (auto backend = sym<int (*)(char*, size_t)>(h, "flexiblas_current_backend")) {
    char buf[256] = {0};
    backend(buf, sizeof buf - 1);
    out.vendor = "FlexiBLAS";
    out.detail = std::string("backend ") + buf;
    out.parallel = "unknown";
    set_int_threads = sym<SetIntFn>(h, "flexiblas_set_num_threads");
    get_int_threads = sym<GetIntFn>(h, "flexiblas_get_num_threads");
  } else if (contains(out.path, "Accelerate.framework") || contains(out.path, "vecLib")) {
    out.vendor = "Accelerate";
    out.parallel = "threaded";
  } else if (contains(out.path, "/blas/libblas") || contains(out.path, "refblas") || contains(out.path, "/netlib/")) {
    out.vendor = "reference";
    out.parallel = "serial";
  } else {
    out.vendor = "unknown";
    out.parallel = "unknown";
  }
}

void reset_functions() {
  cblas_sgemm_fn = nullptr;
  fortran_sgemm_fn = nullptr;
  cblas_sgemv_fn = nullptr;
  fortran_sgemv_fn = nullptr;
  set_int_threads = nullptr;
  set_int64_threads = nullptr;
  get_int_threads = nullptr;
  get_int64_threads = nullptr;
}

/** Try one library; true when it is usable. `named` = the user chose it (HEALTHGPT_BLAS). */
bool try_library(const char* name, bool named, std::string& tried) {
  LibHandle h = lib_open(name, contains(name, "mkl"));
  if (!h) {
    if (named) tried += lib_error() + "; ";
    return false;
  }
  const char* forced = std::getenv("HEALTHGPT_BLAS_INTERFACE");
  bool fortran_only = forced && std::strcmp(forced, "fortran") == 0;
  CblasSgemm cblas = fortran_only ? nullptr : sym<CblasSgemm>(h, "cblas_sgemm");
  FortranSgemm fortran = sym<FortranSgemm>(h, "sgemm_");
#ifdef _WIN32
  if (!fortran) fortran = sym<FortranSgemm>(h, "sgemm");
  if (!fortran) fortran = sym<FortranSgemm>(h, "SGEMM");
#endif
  if (!cblas && !fortran) {
    tried += std::string(name) + ": no sgemm symbol; ";
    lib_close(h);
    return false;
  }
  BlasInfo found;
  found.library = name;
  found.path = lib_path(h, cblas ? reinterpret_cast<void*>(cblas) : reinterpret_cast<void*>(fortran));
  if (found.path.empty()) found.path = name;
  found.interface = cblas ? "cblas" : "fortran";
  reset_functions();
  describe(h, found);
  if (found.vendor == "reference" && !named) {
    tried += std::string(name) + ": skipped, the reference BLAS at " + found.path + " is slower than the wasm kernels; ";
    reset_functions();
    lib_close(h);
    return false;
  }
  cblas_sgemm_fn = cblas;
  fortran_sgemm_fn = fortran;
  // gemv for one-row (or one-column) products: some BLAS builds run sgemm with m = 1 through
  // their packing GEMM at a fraction of the memory bandwidth a gemv reaches.
  if (cblas) cblas_sgemv_fn = sym<CblasSgemv>(h, "cblas_sgemv");
  if (!cblas_sgemv_fn) fortran_sgemv_fn = sym<FortranSgemv>(h, "sgemv_");
  info = found;
  return true;  // the handle stays open for the life of the process
}

}  // namespace

bool blas_load() {
  if (searched) return cblas_sgemm_fn || fortran_sgemm_fn;
  searched = true;
  std::string tried;
  const char* named = std::getenv("HEALTHGPT_BLAS");
  if (named && *named) {
    if (try_library(named, true, tried)) return true;
    problem = "HEALTHGPT_BLAS=" + std::string(named) + " could not be used (" + tried.substr(0, tried.size() - 2) + ")";
    return false;
  }
  for (const char* name : kCandidates) {
    if (try_library(name, false, tried)) return true;
  }
  problem = "no BLAS library found";
  if (!tried.empty()) problem += " (" + tried.substr(0, tried.size() - 2) + ")";
  return false;
}

const BlasInfo& blas_info() { return info; }
const std::string& blas_problem() { return problem; }

namespace {

/** Rows up to which x·Wᵀ runs on the addon's row kernel (rows_matmul) instead of the BLAS. */
constexpr int kDirectRows = 8;

/** Row-major y[rows] = op(M)·x with M stored [r, c] (ld = c); trans: y[c] = Mᵀ·x. */
void sgemv(bool trans, int r, int c, const float* mat, int ld, const float* x, float* y) {
  if (cblas_sgemv_fn) {
    cblas_sgemv_fn(kRowMajor, trans ? kTrans : kNoTrans, r, c, 1.0f, mat, ld, x, 1, 0.0f, y, 1);
    return;
  }
  // Row-major [r, c] is column-major [c, r]: the transpose flag flips.
  const float one = 1.0f, zero = 0.0f;
  const int inc = 1;
  const char op = trans ? 'N' : 'T';
  fortran_sgemv_fn(&op, &c, &r, &one, mat, &ld, x, &inc, &zero, y, &inc, 1);
}

}  // namespace

void blas_sgemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c) {
  if (!ta && tb && m <= kDirectRows) {
    // x·Wᵀ with W [n, k] and a few rows (decoding): the addon's own kernel, split by rows of W
    // across its threads. A BLAS woken with several threads for a product this small spends
    // longer starting and joining them than computing.
    rows_matmul(a, lda, b, ldb, c, n, m, n, k);
    return;
  }
  const bool gemv = cblas_sgemv_fn || fortran_sgemv_fn;
  // The vector operand must be contiguous: a transposed one-column A (or a plain one-column B)
  // strided by its leading dimension goes to the sgemm below.
  if (gemv && m == 1 && (!ta || lda == 1)) {
    // c[n] = op(B)ᵀ-side product with the vector a (k contiguous floats).
    if (tb) sgemv(false, n, k, b, ldb, a, c);  // B stored [n, k]: c = B·a
    else sgemv(true, k, n, b, ldb, a, c);      // B stored [k, n]: c = Bᵀ·a
    return;
  }
  if (gemv && n == 1 && (tb || ldb == 1)) {
    if (ta) sgemv(true, k, m, a, lda, b, c);  // A stored [k, m]: c = Aᵀ·b
    else sgemv(false, m, k, a, lda, b, c);    // A stored [m, k]: c = A·b
    return;
  }
  blas_sgemm_ldc(ta, tb, m, n, k, a, lda, b, ldb, c, n);
}

void blas_sgemm_ldc(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc) {
  if (cblas_sgemm_fn) {
    cblas_sgemm_fn(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
    return;
  }
  // Column-major view of the row-major product: Cᵀ[n,m] = op(B)ᵀ·op(A)ᵀ, same buffers and strides.
  const float one = 1.0f, zero = 0.0f;
  const char opb = tb ? 'T' : 'N', opa = ta ? 'T' : 'N';
  fortran_sgemm_fn(&opb, &opa, &n, &m, &k, &one, b, &ldb, a, &lda, &zero, c, &ldc, 1, 1);
}

int blas_threads() {
  if (get_int_threads) return get_int_threads();
  if (get_int64_threads) return static_cast<int>(get_int64_threads());
  return -1;
}

bool blas_set_threads(int n) {
  if (set_int_threads) {
    set_int_threads(n);
    return true;
  }
  if (set_int64_threads) {
    set_int64_threads(n);
    return true;
  }
  return false;
}
