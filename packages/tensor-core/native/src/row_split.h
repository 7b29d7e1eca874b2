// Splitting the output rows of one decoding product (one-row x·Wᵀ, int8 or float32) across the
// addon's threads without ever waiting for a thread that has not started (see row_split.cc).
#pragma once

#include <cstdint>
#include <functional>

/**
 * Run fn(block) for every block in [0, blocks), each exactly once, on the calling thread and on
 * up to split_threads() − 1 helper threads. Blocks are claimed one at a time from a shared counter:
 * the caller starts at once and takes whatever a late (or unscheduled) helper has not claimed, so
 * a loaded machine costs at most the blocks already in flight, never a whole thread's share.
 * Fewer than 4 blocks, or a pool of one, run inline. `threads` > 0 overrides split_threads().
 */
void split_blocks(int64_t blocks, const std::function<void(int64_t)>& fn, int threads = 0);

/**
 * Threads of the decoding products: the BLAS's thread count (they stand in for its gemv, so
 * `setThreads` and HEALTHGPT_BLAS_THREADS govern both), or the addon pool's without a BLAS.
 */
int split_threads();

/** Blocks for `rows` rows of `row_bytes` bytes each: ≥ ~32 KiB of weights per block, 1 when small. */
int64_t rows_per_block(int64_t rows, int64_t row_bytes);
