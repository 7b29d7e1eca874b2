// Softmax cross-entropy over rows of logits, forward and backward in one pass each (cross_entropy.cc).
#pragma once

#include <cstdint>

/**
 * stats[i] = (m, log Σ_j exp(x[i, j] − m)) with m the row's max, for every row of x [rows, v]
 * (stats [rows, 2]); returns Σ over the rows whose label
 * is in [0, v) and not `ignore` of −log softmax(x[i, :])[label[i]] (the summed negative log-likelihood, in double), and the
 * number of rows whose label is not `ignore` in *count.
 */
double cross_entropy_forward(const float* x, const int32_t* labels, int64_t rows, int64_t v, int32_t ignore, float* stats, int64_t* count);

/** dx[i, :] = (softmax(x[i, :]) − onehot(label[i]))·scale for rows whose label is in [0, v) and not `ignore`, 0 elsewhere. */
void cross_entropy_backward(const float* x, const int32_t* labels, const float* stats, int64_t rows, int64_t v, int32_t ignore, float scale, float* dx);

/** Rows whose label is not `ignore` (the mean's count). */
int64_t cross_entropy_count(const int32_t* labels, int64_t rows, int32_t ignore);
