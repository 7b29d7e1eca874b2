// One AdamW step for one parameter in a single pass over its elements (PyTorch's
// torch.optim.AdamW arithmetic, in float32 and in the same order), split across the pool.
#include <cmath>

#include "kernels.h"
#include "pool.h"

namespace {

// The buffers and the step's constants in float32, as torch.optim.AdamW rounds them.
struct AdamWArgs : AdamWBuffers {
  float decay;         // 1 − lr·wd (1 when wd = 0)
  float beta1, one_minus_beta1;
  float beta2, one_minus_beta2;
  float bc2_sqrt;      // √(1 − β₂ᵗ)
  float eps;
  float neg_step_size; // −lr / (1 − β₁ᵗ)
};

// Outputs may alias their own inputs (p_out = p for an in-place step) but nothing else: the loop
// reads element i of every input before it writes element i of any output.
KERNEL_CLONES void adamw_range(const AdamWArgs& a, int64_t begin, int64_t end) {
  const float* p = a.p;
  const float* gr = a.g;
  const float* m0 = a.m;
  const float* v0 = a.v;
  float* p_out = a.p_out;
  float* m_out = a.m_out;
  float* v_out = a.v_out;
  const float decay = a.decay, b1 = a.beta1, c1 = a.one_minus_beta1, b2 = a.beta2, c2 = a.one_minus_beta2;
  const float bc2 = a.bc2_sqrt, eps = a.eps, step = a.neg_step_size;
#pragma GCC ivdep
  for (int64_t i = begin; i < end; i++) {
    const float g = gr[i];
    const float m = m0[i] * b1 + g * c1;             // exp_avg.mul_(β₁).add_(g, 1 − β₁)
    const float v = v0[i] * b2 + c2 * g * g;          // exp_avg_sq.mul_(β₂).addcmul_(g, g, 1 − β₂)
    const float denom = std::sqrt(v) / bc2 + eps;     // (√v / √bc₂).add_(eps)
    const float pi = p[i] * decay + step * m / denom; // p.mul_(1 − lr·wd); p.addcdiv_(m, denom, −step)
    m_out[i] = m;
    v_out[i] = v;
    p_out[i] = pi;
  }
}

}  // namespace

void adamw_step(const AdamWBuffers& b, int64_t n, double lr, double beta1, double beta2, double eps, double weight_decay, double bias_correction1, double bias_correction2) {
  AdamWArgs a;
  static_cast<AdamWBuffers&>(a) = b;
  a.decay = static_cast<float>(1.0 - lr * weight_decay);
  a.beta1 = static_cast<float>(beta1);
  a.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  a.beta2 = static_cast<float>(beta2);
  a.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  a.bc2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  a.eps = static_cast<float>(eps);
  a.neg_step_size = static_cast<float>(-lr / bias_correction1);
  parallel_for(n, 1 << 15, 16, [&](int64_t begin, int64_t end) { adamw_range(a, begin, end); });
}
