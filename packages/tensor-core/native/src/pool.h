// A small persistent thread pool for the addon's elementwise kernels (the BLAS keeps its own).
#pragma once

#include <cstdint>
#include <functional>

/**
 * Run fn(begin, end) over [0, n) split into one contiguous range per thread (the calling thread
 * takes the first). Ranges are multiples of `align` elements, so vectorised loops see aligned
 * splits. Small n, or a pool of one, runs inline.
 */
void parallel_for(int64_t n, int64_t min_per_thread, int64_t align, const std::function<void(int64_t, int64_t)>& fn);

/** Threads used by parallel_for (the caller included); 1 = inline. */
int pool_threads();
void set_pool_threads(int n);

/** Stop and join the workers (at environment teardown). */
void pool_shutdown();
