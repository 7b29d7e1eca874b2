// Attention for training in one native call forward and one backward, instead of two batched
// products, a scale, a mask add and a softmax forward (and ~8 kernels backward) — and, read in
// place from a fused q/k/v projection, also its splits, RoPE, head transposes and their gradients.
// Rows go in blocks of kBlock queries; a block multiplies only the keys up to the last one its
// bias leaves visible, so a causal mask skips about half the products. Keys hidden from a row
// (bias ≤ kHidden while the row has a visible key) get probability exactly 0, as their e^x
// underflows in the reference; a row that hides every key is computed over all keys, as the
// reference does. Work is split by (batch, kv head) across the caller and the addon's helpers, the
// BLAS held at one thread; each task gathers its heads into per-thread scratch (rotated when RoPE
// tables are given), so the products always see packed [t, d] operands.
#include "attention_train.h"

#pragma GCC optimize("no-trapping-math")

#include <algorithm>
#include <cstring>
#include <vector>

#include "blas.h"
#include "exp_approx.h"
#include "kernels.h"
#include "rotary.h"
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
// The elementwise loops are kept apart from the max and the sum (left to right, as before): a
// loop carrying a float reduction does not vectorise, so e^x ran one element at a time.
KERNEL_CLONES void softmax_row(const float* x, const float* bias, float scale, float* p, int64_t e, int64_t tk) {
  if (bias)
    for (int64_t j = 0; j < e; j++) p[j] = x[j] * scale + bias[j];
  else
    for (int64_t j = 0; j < e; j++) p[j] = x[j] * scale + 0.0f;
  float m = -3.4e38f;
  for (int64_t j = 0; j < e; j++) m = std::max(m, p[j]);
  for (int64_t j = 0; j < e; j++) {
    const float z = p[j] - m;
    p[j] = z < -87.0f ? 0.0f : exp_approx(z);
  }
  float sum = 0.0f;
  for (int64_t j = 0; j < e; j++) sum += p[j];
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

/** Scratch of at least n floats in this thread's slot, kept between calls (allocating per task made glibc trim and refault its heap). */
float* scratch(int slot, int64_t n) {
  thread_local std::vector<float> buffers[8];
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

/** RoPE table row t of batch entry b. */
int64_t table_row(const AttentionShape& s, int64_t b, int64_t t) { return ((s.rope_b == 1 ? 0 : b) * s.tq + t) * s.d; }

/** Rows [0, t) of one head, packed into dst [t, d]; rotated when `rope` (the tables given). */
void gather(const AttentionShape& s, const float* src, const HeadLayout& l, int64_t b, int64_t head, int64_t t, bool rope, float* dst) {
  for (int64_t i = 0; i < t; i++) {
    const float* row = src + l.at(b, head, i);
    if (rope) rotary_row_forward(row, s.cos + table_row(s, b, i), s.sin + table_row(s, b, i), dst + i * s.d, s.d / 2);
    else std::memcpy(dst + i * s.d, row, s.d * sizeof(float));
  }
}

/** Rows [0, t) of src [t, d] written to one head of dst; through RoPE's transposed pass when `rope`. */
void scatter(const AttentionShape& s, const float* src, float* dst, const HeadLayout& l, int64_t b, int64_t head, int64_t t, bool rope) {
  for (int64_t i = 0; i < t; i++) {
    float* row = dst + l.at(b, head, i);
    if (rope) rotary_row_backward(src + i * s.d, s.cos + table_row(s, b, i), s.sin + table_row(s, b, i), row, s.d / 2);
    else std::memcpy(row, src + i * s.d, s.d * sizeof(float));
  }
}

/** scratch slots */
enum { kQ, kK, kV, kOut, kScores, kDs, kDk, kDv };

/** One (batch, kv head) task's start: its keys (rotated) and values packed, and its scratch for q, out (or dout) and one block of scores. */
struct Task {
  int64_t b, g;
  const int64_t* ext;  // the row blocks' extents for this batch entry
  float *k, *v, *q, *o, *rows;
};

Task begin_task(const AttentionShape& s, const std::vector<int64_t>& ext, int64_t task, const float* k, const float* v) {
  const int64_t blocks = (s.tq + kBlock - 1) / kBlock;
  Task t{task / s.hkv, task % s.hkv, ext.data() + (s.bias && s.bias_b > 1 ? task / s.hkv : 0) * blocks, scratch(kK, s.tk * s.d), scratch(kV, s.tk * s.d),
         scratch(kQ, s.tq * s.d), scratch(kOut, s.tq * s.d), scratch(kScores, kBlock * s.tk)};
  gather(s, k, s.lk, t.b, t.g, s.tk, s.cos != nullptr, t.k);
  gather(s, v, s.lv, t.b, t.g, s.tk, false, t.v);
  return t;
}

}  // namespace

void attention_forward(const AttentionShape& s, const float* q, const float* k, const float* v, float* out, float* probs) {
  const std::vector<int64_t> ext = block_extents(s);
  const int64_t blocks = (s.tq + kBlock - 1) / kBlock, rep = s.h / s.hkv;
  split_tasks(s.b * s.hkv, [&](int64_t task) {
    const Task t = begin_task(s, ext, task, k, v);
    for (int64_t head = t.g * rep; head < (t.g + 1) * rep; head++) {
      float* ph = probs + (t.b * s.h + head) * s.tq * s.tk;
      gather(s, q, s.lq, t.b, head, s.tq, s.cos != nullptr, t.q);
      for (int64_t blk = 0; blk < blocks; blk++) {
        const int64_t i0 = blk * kBlock, rows = std::min(kBlock, s.tq - i0), e = t.ext[blk];
        blas_sgemm(false, true, rows, e, s.d, t.q + i0 * s.d, s.d, t.k, s.d, t.rows);
        for (int64_t i = 0; i < rows; i++) softmax_row(t.rows + i * e, bias_row(s, t.b, i0 + i), s.scale, ph + (i0 + i) * s.tk, e, s.tk);
        blas_sgemm(false, false, rows, s.d, e, ph + i0 * s.tk, s.tk, t.v, s.d, t.o + i0 * s.d);
      }
      scatter(s, t.o, out, s.lo, t.b, head, s.tq, false);
    }
  });
}

void attention_backward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* probs, const float* dout, float* dq, float* dk,
                        float* dv) {
  const std::vector<int64_t> ext = block_extents(s);
  const int64_t blocks = (s.tq + kBlock - 1) / kBlock, rep = s.h / s.hkv, key_blocks = (s.tk + kBlock - 1) / kBlock;
  const bool rope = s.cos != nullptr;
  // One task per (batch, kv head): its rep query heads add into the same dk and dv.
  split_tasks(s.b * s.hkv, [&](int64_t task) {
    const Task tk = begin_task(s, ext, task, k, v);
    const int64_t b = tk.b, g = tk.g;
    const int64_t* be = tk.ext;
    float *kh = tk.k, *vh = tk.v, *qh = tk.q, *doh = tk.o, *dp = tk.rows;
    float* ds = scratch(kDs, s.tq * s.tk + s.tq * s.d);  // ds [tq, tk], then dq [tq, d]
    float* dqh = ds + s.tq * s.tk;
    float* dkh = scratch(kDk, 2 * s.tk * s.d);  // dk, then one block's share
    float* dvh = scratch(kDv, 2 * s.tk * s.d);
    for (int64_t r = 0; r < rep; r++) {
      const int64_t head = g * rep + r;
      const float* ph = probs + (b * s.h + head) * s.tq * s.tk;
      gather(s, q, s.lq, b, head, s.tq, rope, qh);
      gather(s, dout, s.lo, b, head, s.tq, false, doh);
      for (int64_t blk = 0; blk < blocks; blk++) {
        const int64_t i0 = blk * kBlock, rows = std::min(kBlock, s.tq - i0), e = be[blk];
        blas_sgemm(false, true, rows, e, s.d, doh + i0 * s.d, s.d, vh, s.d, dp);
        for (int64_t i = 0; i < rows; i++) softmax_grad_row(ph + (i0 + i) * s.tk, dp + i * e, s.scale, ds + (i0 + i) * s.tk, e, s.tk);
        blas_sgemm(false, false, rows, s.d, e, ds + i0 * s.tk, s.tk, kh, s.d, dqh + i0 * s.d);
      }
      scatter(s, dqh, dq, s.lq, b, head, s.tq, rope);
      // dk and dv per key block, from the rows that can see it (ds and probs are 0 elsewhere).
      for (int64_t kb = 0; kb < key_blocks; kb++) {
        const int64_t j0 = kb * kBlock, cols = std::min(kBlock, s.tk - j0), i0 = first_row_past(be, blocks, j0, s.tq), n = cols * s.d;
        float* dk_out = r == 0 ? dkh + j0 * s.d : dkh + s.tk * s.d;
        float* dv_out = r == 0 ? dvh + j0 * s.d : dvh + s.tk * s.d;
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
    scatter(s, dkh, dk, s.lk, b, g, s.tk, rope);
    scatter(s, dvh, dv, s.lv, b, g, s.tk, false);
  });
}
