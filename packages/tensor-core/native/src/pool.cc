// The addon's thread pool: workers sleep on a condition variable between jobs; the calling thread
// takes the first range itself and then waits for the others. One job at a time (a second caller,
// e.g. another worker_thread of the process, runs its job inline instead of waiting).
//
// Plain POSIX threads (Windows: the C++ standard library), bound on glibc to the oldest symbol
// versions, so the prebuilt Linux addon loads on every glibc Node supports.
#include "pool.h"

#include <algorithm>
#include <atomic>
#include <vector>

#ifdef _WIN32
#include <condition_variable>
#include <mutex>
#include <thread>
#else
#include <pthread.h>
#include <sched.h>
#if defined(__GLIBC__) && defined(__x86_64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.2.5");
__asm__(".symver pthread_mutex_trylock,pthread_mutex_trylock@GLIBC_2.2.5");
#endif
#endif

namespace {

using Fn = std::function<void(int64_t, int64_t)>;

#ifdef _WIN32
struct Mutex {
  std::mutex m;
  void lock() { m.lock(); }
  void unlock() { m.unlock(); }
  bool try_lock() { return m.try_lock(); }
};
#else
struct Mutex {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  void lock() { pthread_mutex_lock(&m); }
  void unlock() { pthread_mutex_unlock(&m); }
  bool try_lock() { return pthread_mutex_trylock(&m) == 0; }
};
#endif

struct Lock {
  Mutex& mu;
  explicit Lock(Mutex& m) : mu(m) { mu.lock(); }
  ~Lock() { mu.unlock(); }
};

struct Pool {
  Mutex dispatch;  // one job at a time
  Mutex mu;        // guards the job fields below
#ifdef _WIN32
  std::condition_variable_any wake;
  std::vector<std::thread> workers;
#else
  pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
  std::vector<pthread_t> workers;
#endif
  const Fn* fn = nullptr;
  int64_t n = 0;
  int64_t chunk = 0;
  uint64_t generation = 0;
  // The generation when the current workers were started: a worker waits for the job after it,
  // however late the system schedules it (reading `generation` itself at start-up could skip a
  // job posted before the thread ran, and the caller would wait for it forever).
  uint64_t start_generation = 0;
  std::atomic<int> pending{0};
  bool stop = false;
};

// Never destroyed: no static destructor may run while workers exist.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

void wait_for_job(Pool& p) {
#ifdef _WIN32
  p.wake.wait(p.mu);
#else
  pthread_cond_wait(&p.wake, &p.mu.m);
#endif
}

void yield_cpu() {
#ifdef _WIN32
  std::this_thread::yield();
#else
  sched_yield();
#endif
}

void wake_all(Pool& p) {
#ifdef _WIN32
  p.wake.notify_all();
#else
  pthread_cond_broadcast(&p.wake);
#endif
}

void worker_loop(int index) {
  Pool& p = pool();
  p.mu.lock();
  uint64_t seen = p.start_generation;
  for (;;) {
    while (!p.stop && p.generation == seen) wait_for_job(p);
    if (p.stop) break;
    seen = p.generation;
    const Fn* fn = p.fn;
    const int64_t begin = std::min(p.n, (index + 1) * p.chunk);
    const int64_t end = std::min(p.n, (index + 2) * p.chunk);
    p.mu.unlock();
    if (begin < end) (*fn)(begin, end);
    p.pending.fetch_sub(1, std::memory_order_acq_rel);
    p.mu.lock();
  }
  p.mu.unlock();
}

#ifndef _WIN32
void* worker_main(void* index) {
  worker_loop(static_cast<int>(reinterpret_cast<intptr_t>(index)));
  return nullptr;
}
#endif

void start_worker(Pool& p, int index) {
#ifdef _WIN32
  p.workers.emplace_back(worker_loop, index);
#else
  pthread_t t;
  if (pthread_create(&t, nullptr, worker_main, reinterpret_cast<void*>(static_cast<intptr_t>(index))) == 0) p.workers.push_back(t);
#endif
}

void stop_workers(Pool& p) {
  {
    Lock lock(p.mu);
    p.stop = true;
  }
  wake_all(p);
#ifdef _WIN32
  for (auto& t : p.workers) t.join();
#else
  for (pthread_t t : p.workers) pthread_join(t, nullptr);
#endif
  p.workers.clear();
  p.stop = false;
}

}  // namespace

int pool_threads() { return static_cast<int>(pool().workers.size()) + 1; }

void set_pool_threads(int n) {
  Pool& p = pool();
  Lock guard(p.dispatch);
  n = std::max(1, std::min(n, 64));
  if (n == pool_threads()) return;
  stop_workers(p);
  {
    Lock lock(p.mu);
    p.start_generation = p.generation;
  }
  for (int i = 0; i < n - 1; i++) start_worker(p, i);
}

void pool_shutdown() {
  Pool& p = pool();
  Lock guard(p.dispatch);
  stop_workers(p);
}

void parallel_for(int64_t n, int64_t min_per_thread, int64_t align, const Fn& fn) {
  Pool& p = pool();
  const int64_t wanted = std::max<int64_t>(1, n / std::max<int64_t>(1, min_per_thread));
  const int64_t threads = std::min<int64_t>(pool_threads(), wanted);
  if (threads <= 1 || !p.dispatch.try_lock()) {
    if (n > 0) fn(0, n);
    return;
  }
  int64_t chunk = (n + threads - 1) / threads;
  chunk = (chunk + align - 1) / align * align;
  {
    Lock lock(p.mu);
    p.fn = &fn;
    p.n = n;
    p.chunk = chunk;
    p.pending.store(static_cast<int>(p.workers.size()), std::memory_order_release);
    p.generation++;
  }
  wake_all(p);
  fn(0, std::min(n, chunk));
  for (int spins = 0; p.pending.load(std::memory_order_acquire) > 0; spins++) {
    if (spins > 2000) yield_cpu();
  }
  p.dispatch.unlock();
}
