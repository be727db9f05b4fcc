// swishnet — a small persistent thread pool, one per addon instance (owned by the N-API glue).
//
// `ThreadPool(n)` runs jobs on n threads in all: the calling thread plus n - 1 persistent workers. Between jobs a
// worker spins briefly (a job that follows soon starts without a wake-up) and then sleeps on a condition
// variable; workers are joined in the destructor. There is no global state, so two addon instances
// (worker_threads) may each own a pool.
//
// A job is a set of tasks: `run_tasks(ntasks, fn)` calls fn(task, scratch) exactly once for every task in
// [0, ntasks) and returns when all have returned. Tasks are claimed from a shared counter by the caller and
// the workers alike, so a worker that the OS has not scheduled yet simply gets no task: the caller does the
// work instead of waiting for it (important on a busy 2-core machine). Which thread runs a task is therefore
// not fixed; a job whose tasks each compute their own output is deterministic anyway. Each thread has its
// own ScratchBuffer (aligned memory owned by the pool, kept between jobs, valid only during the call).
//
// If the pool is busy (a job started from another thread, or a nested call from inside a task), the calling
// thread runs every task itself, in order, with a temporary scratch buffer: same results, no deadlock.
// set_size() never waits either: it records the new total, and the workers are restarted right away when the
// pool is idle, else by the next job that starts (before it claims a task).
// The first exception thrown by fn is rethrown by run_tasks() after every started task has finished.
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace swishnet {

// A growable 64-byte aligned buffer. Contents are not preserved when it grows.
class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ~ScratchBuffer();
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ScratchBuffer(ScratchBuffer&& o) noexcept : ptr_(o.ptr_), size_(o.size_) {
    o.ptr_ = nullptr;
    o.size_ = 0;
  }
  ScratchBuffer& operator=(ScratchBuffer&& o) noexcept;

  // At least `bytes` bytes, 64-byte aligned. Throws std::bad_alloc.
  void* get(std::size_t bytes);
  std::size_t capacity() const { return size_; }
  void release();

 private:
  void* ptr_ = nullptr;
  std::size_t size_ = 0;
};

class ThreadPool {
 public:
  static constexpr int kMaxThreads = 256;

  // threads: total including the caller, clamped to [1, kMaxThreads]. If the system refuses to start a
  // worker, the pool keeps the workers it has (size() tells).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The requested total (what set_size asked for, or the threads the system let the pool start).
  int size() const { return requested_.load(std::memory_order_relaxed); }
  // Asks for a new total (clamped as in the constructor) and returns at once: when no job is running the
  // workers are restarted now (a std::bad_alloc then propagates, the pool running single-threaded); when one
  // is (from another thread, or this call comes from inside a task), it finishes on the threads it has and
  // the next job to start restarts them first.
  void set_size(int threads);

  // fn(int task, ScratchBuffer& scratch) once for every task in [0, ntasks), on the caller and up to
  // min(ntasks, size()) - 1 workers. Blocks until all are done.
  template <class F>
  void run_tasks(int ntasks, F&& fn) {
    using Fn = std::remove_reference_t<F>;
    run_impl(ntasks, [](void* ctx, int task, ScratchBuffer& s) { (*static_cast<Fn*>(ctx))(task, s); },
             const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // fn(begin, end) over size() contiguous near-equal ranges of [0, n) (fewer when n is small).
  template <class F>
  void parallel_for(std::size_t n, F&& fn) {
    if (n == 0) return;
    const std::size_t t = std::min<std::size_t>(static_cast<std::size_t>(size()), n);
    run_tasks(static_cast<int>(t), [&](int task, ScratchBuffer&) {
      const std::size_t begin = n * static_cast<std::size_t>(task) / t;
      const std::size_t end = n * static_cast<std::size_t>(task + 1) / t;
      if (begin < end) fn(begin, end);
    });
  }

 private:
  using JobFn = void (*)(void* ctx, int task, ScratchBuffer& scratch);
  void run_impl(int ntasks, JobFn fn, void* ctx);
  void apply_requested();          // needs busy_: restarts the workers when requested_ != live_
  void start_workers(int threads);  // needs busy_ and no workers
  void stop_workers();
  void worker_main(int slot, std::uint64_t seen);
  void claim_tasks(ScratchBuffer& scratch);  // runs tasks until none is left

  // The job word, (sequence << 16) | threads wanted, wakes the workers; workers whose slot is >= threads
  // wanted ignore the job. A worker joins by incrementing active_ and then checking open_seq_ (the sequence
  // of the job still open); the caller closes by clearing open_seq_ and then waiting for active_ == 0. Both
  // sides use seq_cst, so either the worker sees the job closed or the caller sees the worker inside.
  std::atomic<std::uint64_t> job_word_{0};
  std::atomic<std::uint64_t> open_seq_{0};
  std::atomic<int> active_{0};
  JobFn job_fn_ = nullptr;
  void* job_ctx_ = nullptr;
  int job_ntasks_ = 0;
  std::atomic<int> next_task_{0};
  std::atomic<int> done_tasks_{0};
  std::exception_ptr error_;  // first exception of the current job (guarded by error_mu_)
  std::mutex error_mu_;

  std::mutex mu_;  // guards sleeping/waking (with cv_work_ and cv_done_), stop_, sleepers_, caller_waiting_
  std::condition_variable cv_work_;
  std::condition_variable cv_done_;
  bool stop_ = false;
  int sleepers_ = 0;             // workers waiting on cv_work_
  bool caller_waiting_ = false;  // the caller waits on cv_done_

  std::atomic<bool> busy_{false};  // a job (or set_size applying a size) is in progress
  std::atomic<int> requested_{1};  // size() (set_size stores it without waiting for busy_)
  int live_ = 1;                   // the caller + running workers; read and written only with busy_ held
  std::vector<std::thread> workers_;
  std::vector<ScratchBuffer> scratch_;  // slot 0: the caller, slot i: worker i
};

// fn(begin, end) over [0, n): split over `pool` (parallel_for) when `worth` it and the pool has more than one
// thread, else one call on the caller. For elementwise work, whose result does not depend on the split.
template <class F>
void parallel_for_if(ThreadPool* pool, std::size_t n, bool worth, F&& fn) {
  if (pool != nullptr && worth && pool->size() > 1)
    pool->parallel_for(n, fn);
  else if (n > 0)
    fn(std::size_t(0), n);
}

}  // namespace swishnet
