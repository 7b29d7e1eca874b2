// AdamW for every parameter of a step in one call and one pass over each parameter's elements
// (PyTorch's torch.optim.AdamW arithmetic, in float32 and in the same order). The parameters are
// cut into blocks of at most kBlock elements, claimed one at a time by the caller and the split
// helpers (row_split.cc): one wake-up per step instead of one per parameter, and a helper that is
// late leaves its blocks to the caller instead of stalling it.
#include <cmath>
#include <vector>

#include "kernels.h"
#include "row_split.h"

namespace {

/** Elements per block: 64 KiB of each operand, many blocks per large parameter. */
constexpr int64_t kBlock = 1 << 14;

// One parameter's buffers and its step's constants in float32, as torch.optim.AdamW rounds them.
struct AdamWArgs : AdamWBuffers {
  float decay;         // 1 − lr·wd (1 when wd = 0)
  float beta1, one_minus_beta1;
  float beta2, one_minus_beta2;
  float bc2_sqrt;      // √(1 − β₂ᵗ)
  float eps;
  float neg_step_size; // −lr / (1 − β₁ᵗ)
};

AdamWArgs args_of(const AdamWTask& t) {
  AdamWArgs a;
  static_cast<AdamWBuffers&>(a) = t.buffers;
  a.decay = static_cast<float>(1.0 - t.lr * t.weight_decay);
  a.beta1 = static_cast<float>(t.beta1);
  a.one_minus_beta1 = static_cast<float>(1.0 - t.beta1);
  a.beta2 = static_cast<float>(t.beta2);
  a.one_minus_beta2 = static_cast<float>(1.0 - t.beta2);
  a.bc2_sqrt = static_cast<float>(std::sqrt(t.bias_correction2));
  a.eps = static_cast<float>(t.eps);
  a.neg_step_size = static_cast<float>(-t.lr / t.bias_correction1);
  return a;
}

// Outputs may alias their own inputs (in place) but nothing else: the loop reads element i of
// every input before it writes element i of any output.
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

struct Block {
  int32_t task;
  int64_t begin, end;
};

}  // namespace

void adamw_steps(const AdamWTask* tasks, int64_t count) {
  std::vector<AdamWArgs> args;
  std::vector<Block> blocks;
  args.reserve(count);
  for (int64_t t = 0; t < count; t++) {
    args.push_back(args_of(tasks[t]));
    for (int64_t b = 0; b < tasks[t].n; b += kBlock) blocks.push_back({static_cast<int32_t>(t), b, b + kBlock < tasks[t].n ? b + kBlock : tasks[t].n});
  }
  split_blocks(static_cast<int64_t>(blocks.size()), [&](int64_t i) {
    const Block& b = blocks[i];
    adamw_range(args[b.task], b.begin, b.end);
  });
}
