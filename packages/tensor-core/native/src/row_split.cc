// The helpers of split_blocks: their own small set of threads (split_threads() minus the caller),
// asleep on a condition variable between products. A product publishes
// (generation, blocks left) in one 64-bit atomic and wakes them; everyone claims blocks by
// compare-and-swap on that word, so a helper that wakes after the product is over finds its
// generation gone and claims nothing. The caller waits only for blocks a helper has claimed (it is
// running them), never for a helper to wake up — on a busy 2-core machine waking a second thread
// can take a whole scheduler slice, longer than a one-row product.
#include "row_split.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <vector>

#include "blas.h"
#include "pool.h"

#ifdef _WIN32
#include <condition_variable>
#include <mutex>
#include <thread>
using Thread = std::thread;
#else
#include <pthread.h>
// The oldest symbol versions, as in pool.cc: the prebuilt addon loads on every glibc Node supports.
#if defined(__GLIBC__) && defined(__x86_64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.2.5");
#endif
using Thread = pthread_t;
#endif

#ifdef _WIN32
#define YIELD() std::this_thread::yield()
#else
#include <sched.h>
#define YIELD() sched_yield()
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(_WIN32)
#define CPU_RELAX() std::this_thread::yield()
#else
#include <sched.h>
#define CPU_RELAX() sched_yield()
#endif

namespace {

using Fn = std::function<void(int64_t)>;

// Sleeping and waking: plain pthreads on POSIX (libstdc++'s condition_variable would tie the
// prebuilt addon to a recent libstdc++), the standard library on Windows.
#ifdef _WIN32
struct Sleep {
  std::mutex m;
  std::condition_variable cv;
  void lock() { m.lock(); }
  void unlock() { m.unlock(); }
  void wait() {
    std::unique_lock<std::mutex> l(m, std::adopt_lock);
    cv.wait(l);
    l.release();
  }
  void wake_all() { cv.notify_all(); }
};
#else
struct Sleep {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
  void lock() { pthread_mutex_lock(&m); }
  void unlock() { pthread_mutex_unlock(&m); }
  void wait() { pthread_cond_wait(&cv, &m); }
  void wake_all() { pthread_cond_broadcast(&cv); }
};
#endif

struct Split {
  std::atomic<bool> busy{false};  // one product at a time; a concurrent caller runs inline
  Sleep sleep;                    // its mutex guards `posted` and `stop`
  std::vector<Thread> helpers;
  uint64_t posted = 0;
  bool stop = false;
  // (generation << 32) | blocks not yet claimed.
  std::atomic<uint64_t> state{0};
  std::atomic<int64_t> done{0};
  // Valid while a block of the current generation is unclaimed or running.
  const Fn* fn = nullptr;
  int64_t blocks = 0;
};

// Never destroyed: no static destructor may run while helpers exist.
Split& split() {
  static Split* s = new Split();
  return *s;
}

constexpr uint64_t kLeftMask = 0xffffffffull;
// Fewer blocks than this (under ~128 KiB of weights) run inline: waking a helper costs more.
constexpr int64_t kMinSplit = 4;
// How long a helper keeps looking for the next product before it sleeps (see linger).
constexpr std::chrono::microseconds kLinger{100};

/** Claim one block of generation `gen`: its index, or −1 when none is left (or the product is over). */
int64_t claim(Split& s, uint64_t gen) {
  uint64_t cur = s.state.load(std::memory_order_acquire);
  for (;;) {
    if ((cur >> 32) != gen || (cur & kLeftMask) == 0) return -1;
    if (s.state.compare_exchange_weak(cur, cur - 1, std::memory_order_acq_rel, std::memory_order_acquire)) return static_cast<int64_t>((cur & kLeftMask) - 1);
  }
}

/** Run claimed blocks until none is left; returns how many this thread ran. */
int64_t work(Split& s, uint64_t gen) {
  int64_t ran = 0;
  for (int64_t b; (b = claim(s, gen)) >= 0; ran++) {
    (*s.fn)(s.blocks - 1 - b);  // ascending order for the caller's cache's sake
    s.done.fetch_add(1, std::memory_order_acq_rel);
  }
  return ran;
}

/**
 * Stay awake for kLinger after a product, taking the blocks of any product posted meanwhile: the
 * products of a decoding step follow each other within microseconds, and waking a sleeping helper
 * (a futex call, on a virtual machine an interrupt to a halted CPU) costs more than a small
 * product, so without this the second thread mostly arrives after the caller has finished.
 */
void linger(Split& s, uint64_t gen) {
  using Clock = std::chrono::steady_clock;
  for (auto until = Clock::now() + kLinger; Clock::now() < until;) {
    for (int spin = 0; spin < 64; spin++) {
      const uint64_t cur = s.state.load(std::memory_order_acquire);
      if ((cur >> 32) != gen && (cur & kLeftMask) != 0) {
        gen = cur >> 32;
        work(s, gen);
        until = Clock::now() + kLinger;
        break;
      }
      CPU_RELAX();
    }
    YIELD();  // on a busy machine, let a runnable thread (the caller's, perhaps) have this core
  }
}

void helper_loop() {
  Split& s = split();
  s.sleep.lock();
  uint64_t seen = s.posted;
  for (;;) {
    while (!s.stop && s.posted == seen) s.sleep.wait();
    if (s.stop) break;
    seen = s.posted;
    s.sleep.unlock();
    uint64_t gen = s.state.load(std::memory_order_acquire) >> 32;
    work(s, gen);
    linger(s, gen);
    s.sleep.lock();
  }
  s.sleep.unlock();
}

#ifndef _WIN32
void* helper_main(void*) {
  helper_loop();
  return nullptr;
}
#endif

/** Start or stop helpers to have `helpers` of them. */
void resize(Split& s, int helpers) {
  if (static_cast<int>(s.helpers.size()) == helpers) return;
  s.sleep.lock();
  s.stop = true;
  s.sleep.unlock();
  s.sleep.wake_all();
#ifdef _WIN32
  for (auto& t : s.helpers) t.join();
#else
  for (pthread_t t : s.helpers) pthread_join(t, nullptr);
#endif
  s.helpers.clear();
  s.stop = false;
  for (int i = 0; i < helpers; i++) {
#ifdef _WIN32
    s.helpers.emplace_back(helper_loop);
#else
    pthread_t t;
    if (pthread_create(&t, nullptr, helper_main, nullptr) == 0) s.helpers.push_back(t);
#endif
  }
}

}  // namespace

int64_t rows_per_block(int64_t rows, int64_t row_bytes) {
  constexpr int64_t kBlockBytes = 32 << 10;
  return std::max<int64_t>(1, std::min<int64_t>(rows, kBlockBytes / std::max<int64_t>(1, row_bytes)));
}

int split_threads() {
  const int blas = blas_threads();
  return blas >= 1 ? std::min(blas, 64) : pool_threads();
}

void split_blocks(int64_t blocks, const Fn& fn, int wanted) {
  Split& s = split();
  const int threads = wanted > 0 ? std::min(wanted, 64) : split_threads();
  if (blocks < kMinSplit || threads <= 1 || blocks > static_cast<int64_t>(kLeftMask) || s.busy.exchange(true, std::memory_order_acquire)) {
    for (int64_t b = 0; b < blocks; b++) fn(b);
    return;
  }
  resize(s, threads - 1);
  const uint64_t gen = ((s.state.load(std::memory_order_relaxed) >> 32) + 1) & kLeftMask;
  s.fn = &fn;
  s.blocks = blocks;
  s.done.store(0, std::memory_order_relaxed);
  s.state.store((gen << 32) | static_cast<uint64_t>(blocks), std::memory_order_release);
  s.sleep.lock();
  s.posted++;
  s.sleep.unlock();
  s.sleep.wake_all();
  work(s, gen);
  // A helper still running a block may have lost its core to another process: after a short
  // spin, yield so that it (or whatever runs in its place) gets this core.
  for (int spin = 1; s.done.load(std::memory_order_acquire) < blocks; spin++) {
    if (spin % 64 == 0) YIELD();
    else CPU_RELAX();
  }
  s.busy.store(false, std::memory_order_release);
}
