// The addon's own kernels (besides the BLAS calls): declarations shared with the bindings.
#pragma once

#include <cstdint>

// Vectorised loops get an AVX2 clone picked at load time on x86-64 Linux; elsewhere the compiler's
// baseline (SSE2, NEON). No FMA contraction anywhere (-ffp-contract=off), so results do not
// depend on the CPU.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define KERNEL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KERNEL_CLONES
#endif

/** AdamW operands: outputs may alias inputs (in place). */
struct AdamWBuffers {
  const float* p;
  const float* g;
  const float* m;
  const float* v;
  float* p_out;
  float* m_out;
  float* v_out;
};

/** One parameter's share of an AdamW step: its buffers, n elements, settings and bias corrections 1 − β₁ᵗ, 1 − β₂ᵗ. */
struct AdamWTask {
  AdamWBuffers buffers;
  int64_t n;
  double lr, beta1, beta2, eps, weight_decay, bias_correction1, bias_correction2;
};

/**
 * One step of torch.optim.AdamW for every task, shared across the split threads (row_split.h).
 * A task's outputs may alias its own inputs; distinct tasks must not overlap.
 */
void adamw_steps(const AdamWTask* tasks, int64_t count);

/** y [rows, out] = x [rows, in] · (q [out, in] · scales [out])ᵀ: int8 weights, float32 activations. */
void int8_matmul(const float* x, const int8_t* q, const float* scales, float* y, int64_t rows, int64_t out, int64_t in);

/**
 * y [rows, out] (row stride ldy) = x [rows, in] (ldx) · w [out, in]ᵀ (ldw): the one-row and
 * few-row products of decoding (x·Wᵀ), split by output rows across the addon's threads.
 */
void rows_matmul(const float* x, int64_t ldx, const float* w, int64_t ldw, float* y, int64_t ldy, int64_t rows, int64_t out, int64_t in);
