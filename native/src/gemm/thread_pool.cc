// swishnet — persistent thread pool (see thread_pool.h for the contract).
#include "gemm/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <new>
#include <system_error>

#if defined(_MSC_VER)
#include <intrin.h>
#endif

namespace swishnet {

namespace {

constexpr std::size_t kScratchAlign = 64;
// How long an idle worker (and a caller waiting for workers) spins before sleeping. Long enough to bridge the
// gap between the GEMM calls of one training step, short enough not to burn a core that JS code could use.
constexpr auto kSpinTime = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
  _mm_pause();
#endif
}

int clamp_threads(int threads) { return std::max(1, std::min(threads, ThreadPool::kMaxThreads)); }

}  // namespace

// ---------------------------------------------------------------------------------------------- ScratchBuffer

ScratchBuffer::~ScratchBuffer() { release(); }

ScratchBuffer& ScratchBuffer::operator=(ScratchBuffer&& o) noexcept {
  if (this != &o) {
    release();
    ptr_ = o.ptr_;
    size_ = o.size_;
    o.ptr_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

void* ScratchBuffer::get(std::size_t bytes) {
  if (bytes <= size_ && ptr_ != nullptr) return ptr_;
  release();
  // Round up to whole pages so that slowly growing requests do not reallocate every call.
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + 4095) & ~static_cast<std::size_t>(4095);
  ptr_ = ::operator new(rounded, std::align_val_t(kScratchAlign));
  size_ = rounded;
  return ptr_;
}

void ScratchBuffer::release() {
  if (ptr_ != nullptr) ::operator delete(ptr_, std::align_val_t(kScratchAlign));
  ptr_ = nullptr;
  size_ = 0;
}

// ------------------------------------------------------------------------------------------------- ThreadPool

ThreadPool::ThreadPool(int threads) {
  busy_.store(true, std::memory_order_relaxed);
  start_workers(clamp_threads(threads));
  requested_.store(live_, std::memory_order_relaxed);
  busy_.store(false, std::memory_order_release);
}

ThreadPool::~ThreadPool() {
  // A job cannot be running: the owner is destroying the pool.
  stop_workers();
}

void ThreadPool::set_size(int threads) {
  // The store comes first, and every access to requested_ and every exchange of busy_ is seq_cst: when the
  // exchange below fails, the job that holds busy_ has it, and the next exchange that takes busy_ (the next
  // job's, which then applies the new size) is ordered after this store.
  requested_.store(clamp_threads(threads), std::memory_order_seq_cst);
  bool expected = false;
  if (!busy_.compare_exchange_strong(expected, true, std::memory_order_seq_cst)) return;  // a job runs
  struct Release {
    std::atomic<bool>& b;
    ~Release() { b.store(false, std::memory_order_release); }
  } release{busy_};
  apply_requested();
}

void ThreadPool::apply_requested() {
  const int want = requested_.load(std::memory_order_seq_cst);
  if (want == live_) return;
  try {
    stop_workers();
    start_workers(want);
  } catch (...) {
    // Out of memory while restarting: carry on single-threaded (slot 0 must exist for run_tasks), and say so
    // unless a newer request came meanwhile.
    try {
      if (scratch_.empty()) scratch_.resize(1);
    } catch (...) {
    }
    int asked = want;
    requested_.compare_exchange_strong(asked, live_, std::memory_order_seq_cst);
    throw;
  }
  // The system may have refused some workers: size() tells what runs (and the next job does not retry).
  int asked = want;
  if (live_ != want) requested_.compare_exchange_strong(asked, live_, std::memory_order_seq_cst);
}

void ThreadPool::start_workers(int threads) {
  scratch_.clear();
  scratch_.resize(static_cast<std::size_t>(threads));
  workers_.reserve(static_cast<std::size_t>(threads - 1));
  // Workers start with the current job word as "already seen": a job published before a new thread gets
  // to run has a newer word, so it is never missed.
  const std::uint64_t word = job_word_.load(std::memory_order_relaxed);
  int started = 1;
  bool refused = false;
  for (int tid = 1; tid < threads; ++tid) {
    try {
      workers_.emplace_back(&ThreadPool::worker_main, this, tid, word);
    } catch (const std::system_error&) {
      refused = true;
      break;
    }
    ++started;
  }
  scratch_.resize(static_cast<std::size_t>(started));
  live_ = started;
  // The system refused a thread (a thread or address-space limit): the pool must not keep every thread there was
  // room for, or the threads the process needs next (libuv's pool, started at the first fs call or gemmAsync, whose
  // failure is an abort(); V8's; a Worker) find none. Keep half of those that started.
  if (refused && started > 1) {
    stop_workers();
    start_workers((started + 1) / 2);
  }
}

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
    // A new job word with nthreads 0 wakes spinning workers; they see stop_ and leave.
    job_word_.store(((job_word_.load(std::memory_order_relaxed) >> 16) + 1) << 16, std::memory_order_release);
  }
  cv_work_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  scratch_.clear();
  live_ = 1;
  std::lock_guard<std::mutex> lk(mu_);
  stop_ = false;
}

void ThreadPool::claim_tasks(ScratchBuffer& scratch) {
  for (;;) {
    const int task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= job_ntasks_) return;
    try {
      job_fn_(job_ctx_, task, scratch);
    } catch (...) {
      std::lock_guard<std::mutex> lk(error_mu_);
      if (!error_) error_ = std::current_exception();
    }
    if (done_tasks_.fetch_add(1, std::memory_order_acq_rel) + 1 == job_ntasks_) {
      std::lock_guard<std::mutex> lk(mu_);
      if (caller_waiting_) cv_done_.notify_one();
    }
  }
}

void ThreadPool::worker_main(int slot, std::uint64_t seen) {
  for (;;) {
    std::uint64_t w = job_word_.load(std::memory_order_acquire);
    if (w == seen) {
      const auto t0 = std::chrono::steady_clock::now();
      for (unsigned i = 1;; ++i) {
        cpu_relax();
        w = job_word_.load(std::memory_order_acquire);
        if (w != seen) break;
        if ((i & 63u) == 0 && std::chrono::steady_clock::now() - t0 > kSpinTime) break;
      }
      if (w == seen) {
        std::unique_lock<std::mutex> lk(mu_);
        ++sleepers_;
        cv_work_.wait(lk, [&] { return stop_ || job_word_.load(std::memory_order_acquire) != seen; });
        --sleepers_;
        w = job_word_.load(std::memory_order_acquire);
      }
    }
    seen = w;
    const int want = static_cast<int>(w & 0xffffu);
    if (want == 0) {  // stop request (or a spurious word): check under the lock
      std::lock_guard<std::mutex> lk(mu_);
      if (stop_) return;
      continue;
    }
    if (slot >= want) continue;  // this job does not need this worker
    active_.fetch_add(1, std::memory_order_seq_cst);
    if (open_seq_.load(std::memory_order_seq_cst) == (w >> 16)) claim_tasks(scratch_[static_cast<std::size_t>(slot)]);
    active_.fetch_sub(1, std::memory_order_seq_cst);
  }
}

void ThreadPool::run_impl(int ntasks, JobFn fn, void* ctx) {
  if (ntasks <= 0) return;
  bool expected = false;
  if (!busy_.compare_exchange_strong(expected, true, std::memory_order_seq_cst)) {
    // Busy (another thread's job, or a nested call): run every task here, in order.
    ScratchBuffer local;
    for (int task = 0; task < ntasks; ++task) fn(ctx, task, local);
    return;
  }
  struct Release {
    std::atomic<bool>& b;
    ~Release() { b.store(false, std::memory_order_release); }
  } release{busy_};

  // A thread count that set_size could not apply while a job ran: restart the workers before this job.
  if (requested_.load(std::memory_order_seq_cst) != live_) {
    try {
      apply_requested();
    } catch (...) {
      // out of memory: run on the threads there are (apply_requested left slot 0 if it could)
    }
  }
  ScratchBuffer fallback;  // only if a failed restart left no slot (allocates nothing otherwise)
  ScratchBuffer& mine = scratch_.empty() ? fallback : scratch_[0];
  const int want = std::min(ntasks, live_);
  if (want == 1) {
    for (int task = 0; task < ntasks; ++task) fn(ctx, task, mine);
    return;
  }
  job_fn_ = fn;
  job_ctx_ = ctx;
  job_ntasks_ = ntasks;
  next_task_.store(0, std::memory_order_relaxed);
  done_tasks_.store(0, std::memory_order_relaxed);
  error_ = nullptr;
  const std::uint64_t seq = (job_word_.load(std::memory_order_relaxed) >> 16) + 1;
  open_seq_.store(seq, std::memory_order_seq_cst);
  bool wake;
  {
    std::lock_guard<std::mutex> lk(mu_);
    job_word_.store((seq << 16) | static_cast<std::uint64_t>(want), std::memory_order_release);
    wake = sleepers_ > 0;
  }
  if (wake) cv_work_.notify_all();

  claim_tasks(mine);

  // Wait for tasks that workers are still running.
  if (done_tasks_.load(std::memory_order_acquire) != ntasks) {
    const auto t0 = std::chrono::steady_clock::now();
    for (unsigned i = 1; done_tasks_.load(std::memory_order_acquire) != ntasks; ++i) {
      cpu_relax();
      if ((i & 63u) == 0 && std::chrono::steady_clock::now() - t0 > kSpinTime) {
        std::unique_lock<std::mutex> lk(mu_);
        caller_waiting_ = true;
        cv_done_.wait(lk, [&] { return done_tasks_.load(std::memory_order_acquire) == ntasks; });
        caller_waiting_ = false;
        break;
      }
    }
  }
  // Close the job; workers that joined it late leave without touching it.
  open_seq_.store(0, std::memory_order_seq_cst);
  for (unsigned i = 1; active_.load(std::memory_order_seq_cst) != 0; ++i) {
    if (i < 1024) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

}  // namespace swishnet
