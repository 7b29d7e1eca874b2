// Attention for training in one native call forward and one backward, instead of two batched
// products, a scale, a mask add and a softmax forward (and ~8 kernels backward). Rows go in blocks
// of kBlock queries; a block multiplies only the keys up to the last one its bias leaves visible,
// so a causal mask skips about half the products. Keys hidden from a row (bias ≤ kHidden while the
// row has a visible key) get probability exactly 0, as their e^x underflows in the reference. A
// row that hides every key is computed over all keys, as the reference does. Work is split by
// (batch, kv head) across the caller and the addon's helpers, the BLAS held at one thread.
#include "attention_train.h"

#pragma GCC optimize("no-trapping-math")

#include <algorithm>
#include <cstring>
#include <vector>

#include "blas.h"
#include "exp_approx.h"
#include "kernels.h"
#include "row_split.h"

namespace {

constexpr int64_t kBlock = 32;
/** Biases at or below this hide a key (tensor-core's mask value is −1e9). */
constexpr float kHidden = -1e8f;

const float* bias_row(const AttentionShape& s, int64_t b, int64_t i) {
  if (!s.bias) return nullptr;
  return s.bias + (s.bias_b == 1 ? 0 : b) * s.bias_q * s.tk + (s.bias_q == 1 ? 0 : i) * s.tk;
}

/** Keys a row needs: 1 + its last visible key, or tk when it has none (or no bias). */
int64_t row_extent(const float* bias, int64_t tk) {
  if (!bias) return tk;
  for (int64_t j = tk; j > 0; j--)
    if (bias[j - 1] > kHidden) return j;
  return tk;
}

/** Extent of every row block, per bias batch: [bias_b][blocks]. */
std::vector<int64_t> block_extents(const AttentionShape& s) {
  const int64_t blocks = (s.tq + kBlock - 1) / kBlock, bb = s.bias ? s.bias_b : 1;
  std::vector<int64_t> ext(bb * blocks, 0);
  for (int64_t b = 0; b < bb; b++)
    for (int64_t i = 0; i < s.tq; i++) {
      int64_t& e = ext[b * blocks + i / kBlock];
      e = std::max(e, row_extent(bias_row(s, b, i), s.tk));
    }
  return ext;
}

/** p[0..e) = softmax(x·scale + bias) over the first e keys of one row, 0 from e to tk. */
KERNEL_CLONES void softmax_row(const float* x, const float* bias, float scale, float* p, int64_t e, int64_t tk) {
  float m = -3.4e38f;
  for (int64_t j = 0; j < e; j++) {
    p[j] = x[j] * scale + (bias ? bias[j] : 0.0f);
    m = std::max(m, p[j]);
  }
  float sum = 0.0f;
  for (int64_t j = 0; j < e; j++) {
    const float z = p[j] - m;
    p[j] = z < -87.0f ? 0.0f : exp_approx(z);
    sum += p[j];
  }
  const float inv = 1.0f / sum;
  for (int64_t j = 0; j < e; j++) p[j] *= inv;
  std::fill(p + e, p + tk, 0.0f);
}

/** ds[0..e) = p·(dp − Σ p·dp)·scale over one row, 0 from e to tk. */
KERNEL_CLONES void softmax_grad_row(const float* p, const float* dp, float scale, float* ds, int64_t e, int64_t tk) {
  float dot = 0.0f;
  for (int64_t j = 0; j < e; j++) dot += p[j] * dp[j];
  for (int64_t j = 0; j < e; j++) ds[j] = p[j] * (dp[j] - dot) * scale;
  std::fill(ds + e, ds + tk, 0.0f);
}

/** Scratch of at least n floats for this thread, kept between calls (no allocation per task). */
float* scratch(int slot, int64_t n) {
  thread_local std::vector<float> buffers[3];
  std::vector<float>& b = buffers[slot];
  if (static_cast<int64_t>(b.size()) < n) b.resize(n);
  return b.data();
}

/** Run fn over `tasks` tasks on the caller and the helpers with the BLAS at one thread. */
template <typename Fn>
void split_tasks(int64_t tasks, Fn&& fn) {
  const int threads = blas_threads();
  const bool pinned = threads > 1 && blas_set_threads(1);
  split_blocks(tasks, fn, threads > 1 ? threads : 0);
  if (pinned) blas_set_threads(threads);
}

/** First row of the earliest block reaching past key `key` (tq when none does). */
int64_t first_row_past(const int64_t* ext, int64_t blocks, int64_t key, int64_t tq) {
  for (int64_t blk = 0; blk < blocks; blk++)
    if (ext[blk] > key) return blk * kBlock;
  return tq;
}

}  // namespace

void attention_forward(const AttentionShape& s, const float* q, const float* k, const float* v, float* out, float* probs) {
  const std::vector<int64_t> ext = block_extents(s);
  const int64_t blocks = (s.tq + kBlock - 1) / kBlock, rep = s.h / s.hkv;
  split_tasks(s.b * s.h, [&](int64_t task) {
    const int64_t b = task / s.h, head = task % s.h, g = b * s.hkv + head / rep;
    const float* qh = q + task * s.tq * s.d;
    const float* kh = k + g * s.tk * s.d;
    const float* vh = v + g * s.tk * s.d;
    float* ph = probs + task * s.tq * s.tk;
    float* scores = scratch(0, kBlock * s.tk);
    for (int64_t blk = 0; blk < blocks; blk++) {
      const int64_t i0 = blk * kBlock, rows = std::min(kBlock, s.tq - i0), e = ext[(s.bias && s.bias_b > 1 ? b : 0) * blocks + blk];
      blas_sgemm(false, true, rows, e, s.d, qh + i0 * s.d, s.d, kh, s.d, scores);
      for (int64_t r = 0; r < rows; r++) softmax_row(scores + r * e, bias_row(s, b, i0 + r), s.scale, ph + (i0 + r) * s.tk, e, s.tk);
      blas_sgemm(false, false, rows, s.d, e, ph + i0 * s.tk, s.tk, vh, s.d, out + task * s.tq * s.d + i0 * s.d);
    }
  });
}

void attention_backward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* probs, const float* dout, float* dq, float* dk,
                        float* dv) {
  const std::vector<int64_t> ext = block_extents(s);
  const int64_t blocks = (s.tq + kBlock - 1) / kBlock, rep = s.h / s.hkv, key_blocks = (s.tk + kBlock - 1) / kBlock;
  // One task per (batch, kv head): its rep query heads add into the same dk and dv.
  split_tasks(s.b * s.hkv, [&](int64_t task) {
    const int64_t b = task / s.hkv;
    const int64_t* be = ext.data() + (s.bias && s.bias_b > 1 ? b : 0) * blocks;
    const float* kh = k + task * s.tk * s.d;
    const float* vh = v + task * s.tk * s.d;
    float* dkh = dk + task * s.tk * s.d;
    float* dvh = dv + task * s.tk * s.d;
    float* dp = scratch(0, kBlock * s.tk);
    float* ds = scratch(1, s.tq * s.tk);
    float* part = scratch(2, 2 * kBlock * s.d);
    for (int64_t r = 0; r < rep; r++) {
      const int64_t qi = task * rep + r;  // query head (b, g·rep + r)
      const float* qh = q + qi * s.tq * s.d;
      const float* ph = probs + qi * s.tq * s.tk;
      const float* doh = dout + qi * s.tq * s.d;
      for (int64_t blk = 0; blk < blocks; blk++) {
        const int64_t i0 = blk * kBlock, rows = std::min(kBlock, s.tq - i0), e = be[blk];
        blas_sgemm(false, true, rows, e, s.d, doh + i0 * s.d, s.d, vh, s.d, dp);
        for (int64_t i = 0; i < rows; i++) softmax_grad_row(ph + (i0 + i) * s.tk, dp + i * e, s.scale, ds + (i0 + i) * s.tk, e, s.tk);
        blas_sgemm(false, false, rows, s.d, e, ds + i0 * s.tk, s.tk, kh, s.d, dq + qi * s.tq * s.d + i0 * s.d);
      }
      // dk and dv per key block, from the rows that can see it (ds and probs are 0 elsewhere).
      for (int64_t kb = 0; kb < key_blocks; kb++) {
        const int64_t j0 = kb * kBlock, cols = std::min(kBlock, s.tk - j0), i0 = first_row_past(be, blocks, j0, s.tq), n = cols * s.d;
        float* dk_out = r == 0 ? dkh + j0 * s.d : part;
        float* dv_out = r == 0 ? dvh + j0 * s.d : part + n;
        if (i0 >= s.tq) {
          std::fill(dk_out, dk_out + n, 0.0f);
          std::fill(dv_out, dv_out + n, 0.0f);
        } else {
          blas_sgemm(true, false, cols, s.d, s.tq - i0, ds + i0 * s.tk + j0, s.tk, qh + i0 * s.d, s.d, dk_out);
          blas_sgemm(true, false, cols, s.d, s.tq - i0, ph + i0 * s.tk + j0, s.tk, doh + i0 * s.d, s.d, dv_out);
        }
        if (r == 0) continue;
        for (int64_t x = 0; x < n; x++) {
          dkh[j0 * s.d + x] += dk_out[x];
          dvh[j0 * s.d + x] += dv_out[x];
        }
      }
    }
  });
}
