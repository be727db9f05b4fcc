// swishnet — GEMM driver: the five BLIS loops around a micro-kernel, threads, and the fused epilogue.
//
//   split C into tasks (a tm x tn grid of row/column ranges, multiples of mr/nr); per task:
//   for jc in cols, step nc            (loop 5)
//     for pc in 0..k, step kc          (loop 4)   pack B[pc:pc+kc, jc:jc+nc] -> kc x nc block
//       for ic in rows, step mc        (loop 3)   pack A[ic:ic+mc, pc:pc+kc] -> mc x kc block
//         for jr in 0..nc, step nr     (loop 2)
//           for ir in 0..mc, step mr   (loop 1)   micro-kernel: C tile mr x nr (+)= A sliver * B sliver
//         last pc pass: epilogue on the C rows just finished, a few column strips at a time (still in L2)
//
// The grid has one block per thread (tm * tn <= threads); a task packs its own A and B blocks into its thread's
// scratch buffer and writes its own disjoint part of C, so threads never wait for one another inside a job,
// and the pool hands tasks to whichever thread is free (a worker the OS has not scheduled yet gets none).
// Every C entry is summed in the same order whatever the split (kc depends on k only; tiles are aligned to
// mr/nr from the origin), so the result depends neither on the thread count nor on which thread ran which
// task (the activation epilogue aside: SIMD activation kernels may round a vector body and a tail
// differently, and the split moves row-segment boundaries).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "gemm/gemm_kernel.h"
#include "gemm/thread_pool.h"
#include "swishnet/gemm.h"

namespace swishnet {
namespace {

using gemm::KernelInfo;

// Below this many multiply-adds (m*n*k) a call stays on the calling thread: waking workers costs more.
constexpr double kParallelMinWork = 64.0 * 64.0 * 64.0;
// Each thread should get at least this much work, or fewer threads are used.
constexpr double kMinWorkPerThread = 32.0 * 32.0 * 64.0;
// Products of at most this many rows go through the family's row kernel (when it has one) instead of packing:
// B is then read once per row rather than packed once, and no tile computes padding rows.
constexpr std::size_t kRowMaxM = 2;
// Epilogue granularity: it runs on row segments of about this many bytes (C rows are then hot in L1/L2).
constexpr std::size_t kEpilogueBytes = 512;

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }
std::size_t round_up(std::size_t a, std::size_t b) { return ceil_div(a, b) * b; }

// Splits `total` into equal-sized blocks of at most `max_block` (a multiple of `unit`): the block size to step by.
std::size_t balanced_block(std::size_t total, std::size_t max_block, std::size_t unit) {
  max_block = std::max(unit, max_block / unit * unit);
  const std::size_t nblocks = ceil_div(total, max_block);
  return std::min(max_block, round_up(ceil_div(total, nblocks), unit));
}

template <typename T>
const KernelInfo<T>* kernel_for(Isa isa);
template <>
const KernelInfo<float>* kernel_for<float>(Isa isa) {
  const KernelInfo<float>* k = nullptr;
  if (isa == Isa::Avx2) k = gemm::sgemm_kernel_avx2();
  if (isa == Isa::Neon) k = gemm::sgemm_kernel_neon();
  return k != nullptr ? k : gemm::sgemm_kernel_scalar();
}
template <>
const KernelInfo<double>* kernel_for<double>(Isa isa) {
  const KernelInfo<double>* k = nullptr;
  if (isa == Isa::Avx2) k = gemm::dgemm_kernel_avx2();
  if (isa == Isa::Neon) k = gemm::dgemm_kernel_neon();
  return k != nullptr ? k : gemm::dgemm_kernel_scalar();
}

template <typename T>
const ActKernelTable<T>* act_table_for(Isa isa);
template <>
const ActKernelTable<float>* act_table_for<float>(Isa isa) {
  const ActKernelTable<float>* t = nullptr;
  if (isa == Isa::Avx2) t = act_table_f32_avx2();
  if (isa == Isa::Neon) t = act_table_f32_neon();
  return t != nullptr ? t : act_table_f32_scalar();
}
template <>
const ActKernelTable<double>* act_table_for<double>(Isa isa) {
  const ActKernelTable<double>* t = nullptr;
  if (isa == Isa::Avx2) t = act_table_f64_avx2();
  if (isa == Isa::Neon) t = act_table_f64_neon();
  return t != nullptr ? t : act_table_f64_scalar();
}

// The epilogue as the driver runs it: v = (C so far) + bias; preact = v; C = act(v).
template <typename T>
struct Epilogue {
  const T* bias = nullptr;
  T* preact = nullptr;
  std::size_t preact_ld = 0;
  ActForwardFn<T> act = nullptr;
  ActParams params{};
  bool active() const { return bias != nullptr || preact != nullptr || act != nullptr; }

  void apply(T* c, std::size_t ldc, std::size_t i0, std::size_t i1, std::size_t j0, std::size_t j1) const {
    const std::size_t len = j1 - j0;
    for (std::size_t i = i0; i < i1; ++i) {
      T* row = c + i * ldc + j0;
      if (bias != nullptr) {
        const T* bj = bias + j0;
        for (std::size_t j = 0; j < len; ++j) row[j] += bj[j];
      }
      if (preact != nullptr) std::memcpy(preact + i * preact_ld + j0, row, len * sizeof(T));
      if (act != nullptr) act(row, row, len, params);
    }
  }
};

template <typename T>
struct Problem {
  const KernelInfo<T>* ki;
  GemmArgs g;
  T alpha, beta;
  const T* a;
  const T* b;
  T* c;
  Epilogue<T> ep;
  std::size_t kc;  // k step, the same for every thread (summation order does not depend on the split)
};

// One thread's share: C[m0:m1, n0:n1], all of k.
template <typename T>
void gemm_region(const Problem<T>& pr, std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1,
                 ScratchBuffer& scratch) {
  const KernelInfo<T>& ki = *pr.ki;
  const std::size_t MR = static_cast<std::size_t>(ki.blk.mr), NR = static_cast<std::size_t>(ki.blk.nr);
  const std::size_t k = pr.g.k, ldc = pr.g.ldc;
  const std::size_t kc_max = pr.kc;
  const std::size_t mc_max = balanced_block(m1 - m0, static_cast<std::size_t>(ki.blk.mc), MR);
  const std::size_t nc_max = balanced_block(n1 - n0, static_cast<std::size_t>(ki.blk.nc), NR);

  // One allocation: the A block, then the B block at a 64-byte boundary.
  const std::size_t align = 64 / sizeof(T);
  const std::size_t a_elems = round_up(round_up(mc_max, MR) * kc_max, align);
  const std::size_t b_elems = round_up(nc_max, NR) * kc_max;
  T* const ap = static_cast<T*>(scratch.get((a_elems + b_elems) * sizeof(T)));
  T* const bp = ap + a_elems;

  const bool epilogue = pr.ep.active();
  const std::size_t group = epilogue ? std::max(NR, kEpilogueBytes / sizeof(T) / NR * NR) : nc_max;

  for (std::size_t jc = n0; jc < n1; jc += nc_max) {
    const std::size_t nc = std::min(nc_max, n1 - jc);
    for (std::size_t pc = 0; pc < k; pc += kc_max) {
      const std::size_t kc = std::min(kc_max, k - pc);
      ki.pack_b(pr.b, pr.g.ldb, pr.g.trans_b, pc, kc, jc, nc, bp);
      const T beta = pc == 0 ? pr.beta : T(1);
      const bool last = pc + kc >= k;
      for (std::size_t ic = m0; ic < m1; ic += mc_max) {
        const std::size_t mc = std::min(mc_max, m1 - ic);
        ki.pack_a(pr.a, pr.g.lda, pr.g.trans_a, ic, mc, pc, kc, ap);
        for (std::size_t jg = 0; jg < nc; jg += group) {
          const std::size_t jg_end = std::min(nc, jg + group);
          for (std::size_t jr = jg; jr < jg_end; jr += NR) {
            const std::size_t nr = std::min(NR, nc - jr);
            const T* bpanel = bp + jr * kc;
            T* ccol = pr.c + jc + jr;
            for (std::size_t ir = 0; ir < mc; ir += MR) {
              const std::size_t mr = std::min(MR, mc - ir);
              ki.ukernel(kc, ap + ir * kc, bpanel, ccol + (ic + ir) * ldc, ldc, mr, nr, pr.alpha, beta);
            }
          }
          if (last && epilogue) pr.ep.apply(pr.c, ldc, ic, ic + mc, jc + jg, jc + jg_end);
        }
      }
    }
  }
}

// Rows m0..m1 of C, columns n0..n1, through the family's row kernel (products of at most kRowMaxM rows): per
// row, the kc blocks of the packed path in the same order with the same beta, then the epilogue.
template <typename T>
void gemm_rows(const Problem<T>& pr, std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1) {
  const GemmArgs& g = pr.g;
  const std::size_t as = g.trans_a ? g.lda : 1;
  for (std::size_t i = m0; i < m1; ++i) {
    const T* arow = g.trans_a ? pr.a + i : pr.a + i * g.lda;
    T* crow = pr.c + i * g.ldc + n0;
    for (std::size_t pc = 0; pc < g.k; pc += pr.kc) {
      const std::size_t kc = std::min(pr.kc, g.k - pc);
      const T* bblk = g.trans_b ? pr.b + n0 * g.ldb + pc : pr.b + pc * g.ldb + n0;
      pr.ki->row(kc, arow + pc * as, as, bblk, g.ldb, g.trans_b, n1 - n0, crow, pr.alpha, pc == 0 ? pr.beta : T(1));
    }
    if (pr.ep.active()) pr.ep.apply(pr.c, g.ldc, i, i + 1, n0, n1);
  }
}

// C = beta*C (+ epilogue) when there is no product to add (k == 0 or alpha == 0; A and B are not read).
template <typename T>
void scale_only(const Problem<T>& pr) {
  const std::size_t m = pr.g.m, n = pr.g.n, ldc = pr.g.ldc;
  for (std::size_t i = 0; i < m; ++i) {
    T* row = pr.c + i * ldc;
    if (pr.beta == T(0)) {
      std::fill(row, row + n, T(0));
    } else if (pr.beta != T(1)) {
      for (std::size_t j = 0; j < n; ++j) row[j] *= pr.beta;
    }
  }
  if (pr.ep.active()) pr.ep.apply(pr.c, ldc, 0, m, 0, n);
}

struct Split {
  std::size_t tm = 1, tn = 1;      // thread grid
  std::size_t mstep = 0, nstep = 0;  // rows / columns per thread (multiples of mr / nr)
};

// Picks the thread grid that minimises the slowest thread's work: its tile of C times k, plus packing
// (each thread packs its own rows of A once per nc block and its own columns of B once).
Split choose_split(std::size_t m, std::size_t n, std::size_t k, std::size_t mr, std::size_t nr, std::size_t nc,
                   int threads) {
  Split best;
  best.mstep = round_up(m, mr);
  best.nstep = round_up(n, nr);
  if (threads <= 1) return best;
  constexpr double kPackCost = 4.0;  // one packed element ~ this many multiply-adds of time
  double best_cost = -1.0;
  for (int tm = 1; tm <= threads; ++tm) {
    if (threads % tm != 0) continue;
    const int tn = threads / tm;
    const std::size_t mstep = round_up(ceil_div(m, static_cast<std::size_t>(tm)), mr);
    const std::size_t nstep = round_up(ceil_div(n, static_cast<std::size_t>(tn)), nr);
    const double ms = static_cast<double>(std::min(mstep, m)), ns = static_cast<double>(std::min(nstep, n));
    const double kd = static_cast<double>(k);
    const double cost = ms * ns * kd + kPackCost * kd * (ms * static_cast<double>(ceil_div(nstep, nc)) + ns);
    if (best_cost < 0 || cost < best_cost) {
      best_cost = cost;
      best.tm = ceil_div(m, mstep);
      best.tn = ceil_div(n, nstep);
      best.mstep = mstep;
      best.nstep = nstep;
    }
  }
  return best;
}

void check(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("gemm: ") + what);
}

template <typename T>
void gemm_impl(Isa isa, ThreadPool* pool, const GemmArgs& g, T alpha, const T* a, const T* b, T beta, T* c,
               const GemmEpilogue<T>* ep) {
  const std::size_t m = g.m, n = g.n, k = g.k;
  if (m == 0 || n == 0) return;
  check(c != nullptr, "C is null");
  check(g.ldc >= n, "ldc < n");
  const bool product = k != 0 && alpha != T(0);
  if (product) {
    check(a != nullptr && b != nullptr, "A or B is null");
    check(g.lda >= std::max<std::size_t>(1, g.trans_a ? m : k), "lda too small for op(A)");
    check(g.ldb >= std::max<std::size_t>(1, g.trans_b ? k : n), "ldb too small for op(B)");
  }

  // An ISA this CPU cannot run would crash the process: fall back to the portable kernels instead.
  if (!isa_supported(isa)) isa = Isa::Scalar;
  Problem<T> pr{};
  pr.ki = kernel_for<T>(isa);
  pr.g = g;
  pr.alpha = alpha;
  pr.beta = beta;
  pr.a = a;
  pr.b = b;
  pr.c = c;
  if (ep != nullptr) {
    check(ep->act >= -1 && ep->act < kActCount, "unknown activation id");
    pr.ep.bias = ep->bias;
    pr.ep.preact = ep->preact;
    pr.ep.preact_ld = n;
    pr.ep.params = ep->params;
    if (ep->act >= 0) pr.ep.act = act_table_for<T>(isa)->forward[ep->act];
  }
  if (!product) {
    scale_only(pr);
    return;
  }
  pr.kc = balanced_block(k, static_cast<std::size_t>(pr.ki->blk.kc), 1);

  const std::size_t MR = static_cast<std::size_t>(pr.ki->blk.mr), NR = static_cast<std::size_t>(pr.ki->blk.nr);
  const double work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  int threads = pool != nullptr ? pool->size() : 1;
  if (work < kParallelMinWork) threads = 1;
  threads = std::max(1, std::min(threads, static_cast<int>(std::min(work / kMinWorkPerThread, 1024.0))));
  if (pr.ki->row != nullptr && m <= kRowMaxM) {
    // Column ranges per task: each column is summed alone, so the split does not change its bits.
    const std::size_t nstep = round_up(ceil_div(n, static_cast<std::size_t>(threads)), 32);
    const int ntasks = static_cast<int>(ceil_div(n, nstep));
    auto task = [&](int t, ScratchBuffer&) {
      const std::size_t n0 = static_cast<std::size_t>(t) * nstep;
      gemm_rows(pr, 0, m, n0, std::min(n, n0 + nstep));
    };
    if (pool != nullptr && ntasks > 1) {
      pool->run_tasks(ntasks, task);
    } else {
      gemm_rows(pr, 0, m, 0, n);
    }
    return;
  }
  const Split s = choose_split(m, n, k, MR, NR, static_cast<std::size_t>(pr.ki->blk.nc), threads);
  const int ntasks = static_cast<int>(s.tm * s.tn);

  // Task t computes the C block (t / tn, t % tn) of the grid, whichever thread claims it.
  auto task = [&](int t, ScratchBuffer& scratch) {
    const std::size_t ti = static_cast<std::size_t>(t) / s.tn, tj = static_cast<std::size_t>(t) % s.tn;
    const std::size_t m0 = ti * s.mstep, n0 = tj * s.nstep;
    if (m0 >= m || n0 >= n) return;
    gemm_region(pr, m0, std::min(m, m0 + s.mstep), n0, std::min(n, n0 + s.nstep), scratch);
  };
  if (pool != nullptr) {
    pool->run_tasks(ntasks, task);
  } else {
    ScratchBuffer scratch;
    task(0, scratch);
  }
}

}  // namespace

void sgemm(Isa isa, ThreadPool* pool, const GemmArgs& g, float alpha, const float* a, const float* b, float beta,
           float* c, const GemmEpilogue<float>* ep) {
  gemm_impl<float>(isa, pool, g, alpha, a, b, beta, c, ep);
}

void dgemm(Isa isa, ThreadPool* pool, const GemmArgs& g, double alpha, const double* a, const double* b,
           double beta, double* c, const GemmEpilogue<double>* ep) {
  gemm_impl<double>(isa, pool, g, alpha, a, b, beta, c, ep);
}

}  // namespace swishnet
