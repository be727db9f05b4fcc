// swishnet — GEMM and thread-pool tests (ctest: test_gemm).
//
// Every result is compared with a naive float64 reference (compensated sums) computed here, for
// every ISA this CPU runs (scalar always), float32 and float64, all four transpose combinations, alpha/beta
// (beta = 0 over NaN, beta = 1, alpha = -0.5, alpha = 0), odd shapes, padded leading dimensions, 1/2/3 threads
// and the fused epilogue (bias, relu, tanh, preact). Tolerance: |got - ref| <= (k + 4) * 2 * eps * scale,
// where scale = |alpha| * sum_p |a_ip||b_pj| + |beta*c_ij| + |bias_j| (the classic dot-product error bound),
// plus the activation kernel's own error for tanh.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gemm/gemm_kernel.h"
#include "gemm/thread_pool.h"
#include "swishnet/gemm.h"

using namespace swishnet;

namespace {

std::atomic<int> g_failures{0};
std::atomic<int> g_checks{0};

#define EXPECT(cond, ...)                                                \
  do {                                                                   \
    ++g_checks;                                                          \
    if (!(cond)) {                                                       \
      if (++g_failures <= 40) {                                          \
        std::fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
        std::fprintf(stderr, __VA_ARGS__);                               \
        std::fprintf(stderr, "\n");                                      \
      }                                                                  \
    }                                                                    \
  } while (0)

// xorshift64*: reproducible inputs without <random>'s implementation-defined distributions.
struct Rng {
  std::uint64_t s;
  explicit Rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  std::uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0; }
};

template <typename T>
std::vector<T> random_vec(std::size_t n, Rng& rng) {
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(rng.uniform());
  return v;
}

template <typename T>
struct Eps;
template <>
struct Eps<float> {
  static constexpr double value = 5.9604644775390625e-08;  // 2^-24
};
template <>
struct Eps<double> {
  static constexpr double value = 1.1102230246251565e-16;  // 2^-53
};

const char* g_only_isa = nullptr;  // --isa=NAME: test one ISA only

std::vector<Isa> isas() {
  std::vector<Isa> v;
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Neon}) {
    if (!isa_supported(isa)) continue;
    if (g_only_isa != nullptr && std::strcmp(g_only_isa, isa_name(isa)) != 0) continue;
    v.push_back(isa);
  }
  return v;
}

template <typename T>
void run_gemm(Isa isa, ThreadPool* pool, const GemmArgs& g, T alpha, const T* a, const T* b, T beta, T* c,
              const GemmEpilogue<T>* ep);
template <>
void run_gemm<float>(Isa isa, ThreadPool* pool, const GemmArgs& g, float alpha, const float* a, const float* b,
                     float beta, float* c, const GemmEpilogue<float>* ep) {
  sgemm(isa, pool, g, alpha, a, b, beta, c, ep);
}
template <>
void run_gemm<double>(Isa isa, ThreadPool* pool, const GemmArgs& g, double alpha, const double* a,
                      const double* b, double beta, double* c, const GemmEpilogue<double>* ep) {
  dgemm(isa, pool, g, alpha, a, b, beta, c, ep);
}

struct Case {
  std::size_t m, n, k;
  bool ta, tb;
  double alpha, beta;
  std::size_t pad = 0;  // added to every leading dimension
  bool bias = false;
  int act = -1;  // -1, Relu or Tanh
  bool preact = false;
  bool nan_c = false;  // fill C with NaN (only meaningful with beta == 0)
};

std::string describe(const Case& cs, Isa isa, int threads, const char* dtype) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%s %s threads=%d m=%zu n=%zu k=%zu ta=%d tb=%d alpha=%g beta=%g pad=%zu bias=%d act=%d pre=%d",
                dtype, isa_name(isa), threads, cs.m, cs.n, cs.k, cs.ta, cs.tb, cs.alpha, cs.beta, cs.pad, cs.bias,
                cs.act, cs.preact);
  return buf;
}

struct Run {
  Isa isa;
  ThreadPool* pool;  // nullptr: no pool
  bool verify = true;
};

// Runs one case once per entry of `runs` (same inputs) and checks each C (all of its storage: padding and an
// extra row must be untouched) and preact against one reference. Returns each run's C storage, so callers
// can compare runs bit for bit.
template <typename T>
std::vector<std::vector<T>> check_case(const Case& cs, const std::vector<Run>& runs, std::uint64_t seed) {
  const char* dtype = sizeof(T) == 4 ? "f32" : "f64";
  Rng rng(seed);
  const std::size_t m = cs.m, n = cs.n, k = cs.k;
  // Stored shapes: A is m x k (k x m when transposed), B is k x n (n x k when transposed).
  const std::size_t a_rows = cs.ta ? k : m, a_cols = cs.ta ? m : k;
  const std::size_t b_rows = cs.tb ? n : k, b_cols = cs.tb ? k : n;
  const std::size_t lda = a_cols + cs.pad, ldb = b_cols + cs.pad, ldc = n + cs.pad;
  const std::vector<T> a = random_vec<T>(a_rows * lda + 1, rng);
  const std::vector<T> b = random_vec<T>(b_rows * ldb + 1, rng);
  std::vector<T> c0 = random_vec<T>((m + 1) * ldc, rng);  // one extra row: must stay untouched
  const std::vector<T> bias = random_vec<T>(n, rng);
  if (cs.nan_c) {
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < n; ++j) c0[i * ldc + j] = std::numeric_limits<T>::quiet_NaN();
  }

  // Reference: v = alpha * sum_p a_ip b_pj + beta * c_ij + bias_j in double, the dot product with Neumaier
  // compensation (exact enough for float64 inputs too), and its error scale.
  std::vector<double> ref_v(m * n), ref_scale(m * n);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      double sum = 0, comp = 0, abs_sum = 0;
      for (std::size_t p = 0; p < k; ++p) {
        const double av = static_cast<double>(cs.ta ? a[p * lda + i] : a[i * lda + p]);
        const double bv = static_cast<double>(cs.tb ? b[j * ldb + p] : b[p * ldb + j]);
        const double prod = av * bv;  // exact for float32 inputs; within 2^-53 relative for float64
        const double t = sum + prod;
        comp += std::fabs(sum) >= std::fabs(prod) ? (sum - t) + prod : (prod - t) + sum;
        sum = t;
        abs_sum += std::fabs(prod);
      }
      sum += comp;
      const double cold = cs.beta == 0 ? 0.0 : static_cast<double>(c0[i * ldc + j]);
      const double bj = cs.bias ? static_cast<double>(bias[j]) : 0.0;
      ref_v[i * n + j] = cs.alpha * sum + cs.beta * cold + bj;
      ref_scale[i * n + j] = std::fabs(cs.alpha) * abs_sum + std::fabs(cs.beta * cold) + std::fabs(bj);
    }
  }

  GemmArgs g;
  g.trans_a = cs.ta;
  g.trans_b = cs.tb;
  g.m = m;
  g.n = n;
  g.k = k;
  g.lda = lda;
  g.ldb = ldb;
  g.ldc = ldc;
  const double eps = Eps<T>::value;
  const double gamma = 2.0 * static_cast<double>(k + 4) * eps;
  std::vector<std::vector<T>> outputs;
  for (const Run& run : runs) {
    std::vector<T> c = c0;
    std::vector<T> preact(cs.preact ? m * n : 0, T(-7));
    GemmEpilogue<T> ep;
    ep.bias = cs.bias ? bias.data() : nullptr;
    ep.act = cs.act;
    ep.preact = cs.preact ? preact.data() : nullptr;
    const bool use_ep = cs.bias || cs.act >= 0 || cs.preact;
    run_gemm<T>(run.isa, run.pool, g, static_cast<T>(cs.alpha), a.data(), b.data(), static_cast<T>(cs.beta),
                c.data(), use_ep ? &ep : nullptr);
    if (!run.verify) {
      outputs.push_back(std::move(c));
      continue;
    }
    const std::string what = describe(cs, run.isa, run.pool != nullptr ? run.pool->size() : 0, dtype);
    bool reported = false;  // one message per run is enough
    for (std::size_t i = 0; i < m && !reported; ++i) {
      for (std::size_t j = 0; j < n && !reported; ++j) {
        const double v = ref_v[i * n + j];
        const double tol_v = gamma * ref_scale[i * n + j] + 1e-300;
        double want = v, tol = tol_v;
        if (cs.act == static_cast<int>(Act::Relu)) {
          want = v > 0 ? v : 0.0;
        } else if (cs.act == static_cast<int>(Act::Tanh)) {
          want = std::tanh(v);
          tol = tol_v + 16 * eps * std::fabs(want) + 4 * eps * 1e-3;
        }
        const double got = static_cast<double>(c[i * ldc + j]);
        const bool ok = std::fabs(got - want) <= tol;  // false for NaN
        EXPECT(ok, "%s: C[%zu,%zu] = %.9g, want %.9g (tol %.3g)", what.c_str(), i, j, got, want, tol);
        reported = !ok;
        if (cs.preact && !reported) {
          const double pg = static_cast<double>(preact[i * n + j]);
          const bool pok = std::fabs(pg - v) <= tol_v;
          EXPECT(pok, "%s: preact[%zu,%zu] = %.9g, want %.9g", what.c_str(), i, j, pg, v);
          reported = !pok;
        }
      }
    }
    bool untouched = true;
    for (std::size_t i = 0; i < m; ++i)
      untouched = untouched && std::memcmp(&c[i * ldc + n], &c0[i * ldc + n], (ldc - n) * sizeof(T)) == 0;
    untouched = untouched && std::memcmp(&c[m * ldc], &c0[m * ldc], ldc * sizeof(T)) == 0;
    EXPECT(untouched, "%s: C padding or the row after C changed", what.c_str());
    outputs.push_back(std::move(c));
  }
  return outputs;
}

struct Pools {
  ThreadPool p1{1}, p2{2}, p3{3};
  std::vector<ThreadPool*> all() { return {nullptr, &p1, &p2, &p3}; }
};

// One run per ISA, each with the given pool.
std::vector<Run> per_isa(ThreadPool* pool) {
  std::vector<Run> runs;
  for (Isa isa : isas()) runs.push_back(Run{isa, pool});
  return runs;
}

// Shapes 1x1x1 up to odd sizes, all transposes, alpha/beta combinations, padded leading dimensions.
template <typename T>
void test_shapes(Pools& pools) {
  struct Shape {
    std::size_t m, n, k;
  };
  const Shape shapes[] = {{1, 1, 1},    {2, 3, 4},     {6, 16, 8},   {5, 15, 3},    {7, 17, 9},   {12, 32, 1},
                          {13, 33, 2},  {1, 1000, 1},  {1000, 1, 7}, {17, 3, 200},  {3, 17, 300}, {64, 64, 64},
                          {129, 785, 65}, {128, 10, 64}, {33, 4100, 3}, {300, 50, 513}};
  const double ab[][2] = {{1, 0}, {1, 1}, {-0.5, 0.75}, {2, -1}};
  std::uint64_t seed = 1;
  for (const Shape& s : shapes) {
    for (int t = 0; t < 4; ++t) {
      for (int v = 0; v < 4; ++v) {
        // Large shapes: one alpha/beta pair per transpose combination (each pair still runs once).
        if (s.m * s.n * s.k > 1000000 && v != t) continue;
        Case cs{s.m, s.n, s.k, (t & 1) != 0, (t & 2) != 0, ab[v][0], ab[v][1]};
        cs.pad = (seed % 3 == 0) ? 0 : (seed % 3 == 1 ? 1 : 7);
        ThreadPool* pool = (seed % 2 == 0) ? &pools.p2 : (seed % 3 == 0 ? nullptr : &pools.p3);
        check_case<T>(cs, per_isa(pool), seed++);
      }
    }
  }
  // Every edge tile size of the micro-kernels: m over 1..13 (>= 2*MR+1), n over 1..33 (>= 2*NR+1).
  for (std::size_t m = 1; m <= 13; ++m) {
    for (std::size_t n = 1; n <= 33; n += (n < 18 ? 1 : 5)) {
      Case cs{m, n, 5, (m & 1) != 0, (n & 1) != 0, 1.0, m % 3 == 0 ? 0.0 : 0.5};
      cs.pad = 2;
      check_case<T>(cs, per_isa(nullptr), seed++);
    }
  }
}

// beta = 0 ignores NaN in C; alpha = 0 and k = 0 reduce to C = beta*C (+ epilogue); NaN in A propagates.
template <typename T>
void test_special_values(Pools& pools) {
  std::vector<Run> runs;
  for (Isa isa : isas())
    for (ThreadPool* pool : pools.all()) runs.push_back(Run{isa, pool});
  for (int t = 0; t < 4; ++t) {
    Case cs{70, 90, 100, (t & 1) != 0, (t & 2) != 0, 1.0, 0.0};
    cs.nan_c = true;
    check_case<T>(cs, runs, 100 + t);
    cs.bias = true;
    cs.act = static_cast<int>(Act::Relu);
    check_case<T>(cs, runs, 200 + t);
  }
  // An ISA this CPU cannot run falls back to the portable kernels (no crash, same results).
  for (Isa isa : {Isa::Avx2, Isa::Neon}) {
    if (isa_supported(isa)) continue;
    Case cs{20, 37, 41, true, false, 1.0, 0.5};
    cs.bias = true;
    cs.act = static_cast<int>(Act::Tanh);
    check_case<T>(cs, {Run{isa, &pools.p2}}, 300);
  }
  for (Isa isa : isas()) {
    // k = 0: C = beta*C + bias, A and B are never read (null pointers are fine).
    for (double beta : {0.0, 1.0, -0.5}) {
      const std::size_t m = 9, n = 11;
      std::vector<T> c(m * n), bias(n);
      for (std::size_t i = 0; i < c.size(); ++i)
        c[i] = beta == 0 ? std::numeric_limits<T>::quiet_NaN() : T(i) * T(0.25);
      for (std::size_t j = 0; j < n; ++j) bias[j] = T(j) - T(3);
      const std::vector<T> c0 = c;
      GemmArgs g;
      g.m = m;
      g.n = n;
      g.k = 0;
      g.ldc = n;
      GemmEpilogue<T> ep;
      ep.bias = bias.data();
      run_gemm<T>(isa, &pools.p2, g, T(1), nullptr, nullptr, static_cast<T>(beta), c.data(), &ep);
      bool ok = true;
      for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
          const T want = (beta == 0 ? T(0) : static_cast<T>(beta) * c0[i * n + j]) + bias[j];
          ok = ok && c[i * n + j] == want;
        }
      EXPECT(ok, "k = 0, beta = %g: C != beta*C + bias (%s)", beta, isa_name(isa));
    }
    // alpha = 0: A and B are not read (NaN there does not reach C), C = beta*C.
    {
      const std::size_t m = 20, n = 30, k = 40;
      std::vector<T> a(m * k, std::numeric_limits<T>::quiet_NaN()), b(k * n, T(1)), c(m * n, T(2));
      GemmArgs g;
      g.m = m;
      g.n = n;
      g.k = k;
      g.lda = k;
      g.ldb = n;
      g.ldc = n;
      run_gemm<T>(isa, &pools.p2, g, T(0), a.data(), b.data(), T(0.5), c.data(), nullptr);
      bool ok = true;
      for (T v : c) ok = ok && v == T(1);
      EXPECT(ok, "alpha = 0 must give C = beta*C without reading A (%s)", isa_name(isa));
    }
    // NaN and Inf in A propagate to exactly their rows of C.
    for (ThreadPool* pool : pools.all()) {
      const std::size_t m = 50, n = 70, k = 300;
      Rng rng(7);
      std::vector<T> a = random_vec<T>(m * k, rng), b = random_vec<T>(k * n, rng), c(m * n, T(0));
      a[3 * k + 123] = std::numeric_limits<T>::quiet_NaN();
      a[41 * k + 7] = std::numeric_limits<T>::infinity();
      for (std::size_t p = 0; p < k; ++p) b[p * n + 5] = std::fabs(b[p * n + 5]) + T(0.5);  // column 5 > 0
      GemmArgs g;
      g.m = m;
      g.n = n;
      g.k = k;
      g.lda = k;
      g.ldb = n;
      g.ldc = n;
      run_gemm<T>(isa, pool, g, T(1), a.data(), b.data(), T(0), c.data(), nullptr);
      bool ok = true;
      for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
          const T v = c[i * n + j];
          if (i == 3) ok = ok && std::isnan(v);
          else if (i == 41 && j == 5) ok = ok && std::isinf(v) && v > 0;
          else if (i != 41) ok = ok && std::isfinite(v);
        }
      EXPECT(ok, "NaN/Inf in A must reach exactly their rows of C (%s)", isa_name(isa));
    }
  }
}

// The fused epilogue: bias, relu, tanh, preact, with beta 0 and 1, large enough for several kc passes and
// several mc blocks, every ISA and thread count.
template <typename T>
void test_epilogue(Pools& pools) {
  std::vector<Run> runs;
  for (Isa isa : isas())
    for (ThreadPool* pool : pools.all()) runs.push_back(Run{isa, pool});
  std::uint64_t seed = 1000;
  for (int act : {-1, static_cast<int>(Act::Relu), static_cast<int>(Act::Tanh)}) {
    for (int t = 0; t < 4; ++t) {
      Case cs{131, 67, 530, (t & 1) != 0, (t & 2) != 0, 0.75, t < 2 ? 0.0 : 1.0};
      cs.bias = (t != 1);
      cs.act = act;
      cs.preact = (act != -1 || t == 2);
      cs.pad = static_cast<std::size_t>(t);
      check_case<T>(cs, runs, seed++);
    }
  }
}

// Same inputs, every thread count: results identical bit for bit (no activation: see gemm_driver.cc), and
// repeated runs of one thread count are identical too.
template <typename T>
void test_thread_determinism(Pools& pools) {
  struct Shape {
    std::size_t m, n, k;
  };
  for (const Shape& s : {Shape{300, 257, 129}, Shape{64, 1000, 200}, Shape{1000, 40, 260}}) {
    for (int t = 0; t < 4; ++t) {
      Case cs{s.m, s.n, s.k, (t & 1) != 0, (t & 2) != 0, 1.0, 0.5};
      cs.bias = true;
      cs.act = t == 3 ? static_cast<int>(Act::Relu) : -1;
      std::vector<Run> runs;
      for (Isa isa : isas()) {
        for (ThreadPool* pool : pools.all()) runs.push_back(Run{isa, pool, pool == nullptr});
        runs.push_back(Run{isa, &pools.p3, false});
      }
      const std::vector<std::vector<T>> results = check_case<T>(cs, runs, 77 + t);
      for (std::size_t r = 0; r < runs.size(); ++r) {
        std::size_t first = r;  // the first run of the same ISA
        while (first > 0 && runs[first - 1].isa == runs[r].isa) --first;
        EXPECT(std::memcmp(results[r].data(), results[first].data(), results[first].size() * sizeof(T)) == 0,
               "%s m=%zu n=%zu k=%zu t=%d: run %zu (pool %d) differs from the run without a pool",
               isa_name(runs[r].isa), s.m, s.n, s.k, t, r, runs[r].pool != nullptr ? runs[r].pool->size() : 0);
      }
    }
  }
}

// A row of C has the same bits whatever rows are computed with it: products of one or two rows (the AVX2 row
// kernel: op(A) and op(B) read in place) against the same rows of a 7-row product (packed tiles), for every
// transpose, alpha/beta, column tails, kc blocks and thread count. A and B are exactly as long as the shapes
// need (ASan sees any read past them) and guards around C must stay untouched.
template <typename T>
void test_row_independence(Pools& pools) {
  struct Shape {
    std::size_t n, k;
  };
  const T kGuard = T(-7.25);
  const std::size_t kPad = 9;
  const double ab[][2] = {{1.0, 0.0}, {-0.75, 1.0}, {2.0, -0.5}};
  int seed = 500;
  for (Isa isa : isas()) {
    for (const Shape& s : {Shape{1, 1}, Shape{7, 9}, Shape{8, 8}, Shape{13, 17}, Shape{24, 33}, Shape{67, 785},
                           Shape{130, 400}, Shape{3000, 150}}) {
      for (int t = 0; t < 4; ++t) {
        for (const auto& albe : ab) {
          const bool ta = (t & 1) != 0, tb = (t & 2) != 0;
          const std::size_t mall = 7, n = s.n, k = s.k;
          GemmArgs g;
          g.trans_a = ta;
          g.trans_b = tb;
          g.n = n;
          g.k = k;
          g.lda = (ta ? mall : k) + 3;
          g.ldb = (tb ? k : n) + 5;
          g.ldc = n;
          Rng rng(static_cast<std::uint64_t>(++seed));
          // stored A: mall x k (k x mall when transposed); the last row ends at its last used element
          const std::vector<T> a = random_vec<T>((ta ? k - 1 : mall - 1) * g.lda + (ta ? mall : k), rng);
          const std::vector<T> b = random_vec<T>((tb ? n - 1 : k - 1) * g.ldb + (tb ? k : n), rng);
          const std::vector<T> c0 = random_vec<T>(mall * n, rng);
          std::vector<T> all(c0);
          g.m = mall;
          run_gemm<T>(isa, nullptr, g, T(albe[0]), a.data(), b.data(), T(albe[1]), all.data(), nullptr);
          const std::size_t parts[3][2] = {{0, 1}, {3, 2}, {6, 1}};  // first row, rows
          for (ThreadPool* pool : pools.all()) {
            for (const auto& part : parts) {
              const std::size_t i0 = part[0], m = part[1];
              g.m = m;
              // C with kPad guards on each side
              std::vector<T> c(m * n + 2 * kPad, kGuard);
              std::memcpy(c.data() + kPad, c0.data() + i0 * n, m * n * sizeof(T));
              // rows i0.. of op(A): shift A's start by rows (by columns when it is transposed); the slice
              // ends where the 7-row matrix does, so a read past the rows the call owns stays inside `a`
              const T* asub = a.data() + (ta ? i0 : i0 * g.lda);
              run_gemm<T>(isa, pool, g, T(albe[0]), asub, b.data(), T(albe[1]), c.data() + kPad, nullptr);
              bool guards = true;
              for (std::size_t q = 0; q < kPad; ++q) guards = guards && c[q] == kGuard && c[kPad + m * n + q] == kGuard;
              EXPECT(guards, "%s n=%zu k=%zu t=%d: a guard around C changed", isa_name(isa), n, k, t);
              EXPECT(std::memcmp(c.data() + kPad, all.data() + i0 * n, m * n * sizeof(T)) == 0,
                     "%s n=%zu k=%zu ta=%d tb=%d alpha=%g beta=%g pool=%d: rows %zu+%zu differ from the 7-row product",
                     isa_name(isa), n, k, ta, tb, albe[0], albe[1], pool != nullptr ? pool->size() : 0, i0, m);
            }
          }
        }
      }
    }
  }
}

// Bad arguments throw std::invalid_argument before touching C.
template <typename T>
void test_invalid(Isa isa) {
  std::vector<T> a(100, T(1)), b(100, T(1)), c(100, T(3));
  GemmArgs g;
  g.m = 4;
  g.n = 5;
  g.k = 3;
  g.lda = 3;
  g.ldb = 5;
  g.ldc = 4;  // < n
  bool threw = false;
  try {
    run_gemm<T>(isa, nullptr, g, T(1), a.data(), b.data(), T(0), c.data(), nullptr);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  EXPECT(threw, "ldc < n must throw");
  g.ldc = 5;
  g.lda = 2;  // < k
  threw = false;
  try {
    run_gemm<T>(isa, nullptr, g, T(1), a.data(), b.data(), T(0), c.data(), nullptr);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  EXPECT(threw, "lda < k must throw");
  g.lda = 3;
  GemmEpilogue<T> ep;
  ep.act = kActCount;
  threw = false;
  try {
    run_gemm<T>(isa, nullptr, g, T(1), a.data(), b.data(), T(0), c.data(), &ep);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  EXPECT(threw, "an unknown activation id must throw");
  bool untouched = true;
  for (T v : c) untouched = untouched && v == T(3);
  EXPECT(untouched, "C must be untouched after a rejected call");
}

// ------------------------------------------------------------------------------------------- thread pool

void test_thread_pool() {
  for (int size : {1, 2, 3, 5}) {
    ThreadPool pool(size);
    EXPECT(pool.size() == size, "size() = %d, want %d", pool.size(), size);
    // Every task runs exactly once; each thread's scratch buffer is aligned and private to it.
    for (int rep = 0; rep < 300; ++rep) {
      const int ntasks = 1 + rep % 7;
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(ntasks));
      std::atomic<int> overlap{0};
      pool.run_tasks(ntasks, [&](int task, ScratchBuffer& s) {
        hits[static_cast<std::size_t>(task)].fetch_add(1);
        auto* p = static_cast<unsigned char*>(s.get(1000 + static_cast<std::size_t>(task)));
        EXPECT(reinterpret_cast<std::uintptr_t>(p) % 64 == 0, "scratch not 64-byte aligned");
        std::memset(p, task, 1000);
        for (int spin = 0; spin < 200; ++spin) std::atomic_signal_fence(std::memory_order_seq_cst);
        for (int b = 0; b < 1000; ++b)
          if (p[b] != static_cast<unsigned char>(task)) {
            overlap.fetch_add(1);  // another thread wrote into this thread's scratch
            break;
          }
      });
      bool once = true;
      for (auto& h : hits) once = once && h.load() == 1;
      EXPECT(once, "pool %d, %d tasks: a task did not run exactly once", size, ntasks);
      EXPECT(overlap.load() == 0, "pool %d: scratch buffers shared between threads", size);
      if (rep == 150) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // workers go to sleep
    }
    // Workers do take part: task 0 waits until task 1 has started, which only another thread can do.
    if (size >= 2) {
      std::atomic<bool> started1{false};
      std::atomic<bool> saw{false};
      pool.run_tasks(2, [&](int task, ScratchBuffer&) {
        if (task == 1) {
          started1.store(true);
          return;
        }
        const auto t0 = std::chrono::steady_clock::now();
        while (!started1.load() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10))
          std::this_thread::yield();
        saw.store(started1.load());
      });
      EXPECT(saw.load(), "pool %d: no worker ran task 1 while task 0 was running", size);
    }
    // parallel_for covers [0, n) exactly once.
    for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(2), std::size_t(7), std::size_t(1000)}) {
      std::vector<std::atomic<int>> cover(n);
      pool.parallel_for(n, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) cover[i].fetch_add(1);
      });
      bool ok = true;
      for (auto& x : cover) ok = ok && x.load() == 1;
      EXPECT(ok, "parallel_for(%zu) must visit each index once (pool %d)", n, size);
    }
    // The first exception reaches the caller after every other task has finished; the pool stays usable.
    {
      std::atomic<int> finished{0};
      bool caught = false;
      try {
        pool.run_tasks(4, [&](int task, ScratchBuffer&) {
          if (task == 2) throw std::runtime_error("boom");
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          finished.fetch_add(1);
        });
      } catch (const std::runtime_error& e) {
        caught = std::string(e.what()) == "boom";
      }
      EXPECT(caught, "exception must propagate (pool %d)", size);
      EXPECT(finished.load() == (size == 1 ? 2 : 3), "pool %d: %d other tasks finished", size, finished.load());
      std::atomic<int> after{0};
      pool.run_tasks(3, [&](int, ScratchBuffer&) { after.fetch_add(1); });
      EXPECT(after.load() == 3, "pool %d unusable after an exception", size);
    }
    // Nested run_tasks() from inside a task runs inline instead of deadlocking.
    std::atomic<int> inner{0};
    pool.run_tasks(size, [&](int, ScratchBuffer&) {
      pool.run_tasks(3, [&](int, ScratchBuffer&) { inner.fetch_add(1); });
    });
    EXPECT(inner.load() == size * 3, "nested runs: %d calls, want %d", inner.load(), size * 3);
  }
  // set_size grows and shrinks; jobs keep working.
  {
    ThreadPool pool(2);
    for (int s : {4, 1, 3, 0, 300}) {
      pool.set_size(s);
      const int want = s < 1 ? 1 : (s > ThreadPool::kMaxThreads ? ThreadPool::kMaxThreads : s);
      EXPECT(pool.size() == want, "set_size(%d): size %d, want %d", s, pool.size(), want);
      std::atomic<int> count{0};
      pool.run_tasks(pool.size() + 1, [&](int, ScratchBuffer&) { count.fetch_add(1); });
      EXPECT(count.load() == want + 1, "after set_size(%d): %d tasks ran", s, count.load());
    }
  }
  // set_size while a job runs on another thread (gemmAsync on a libuv thread) returns at once and size() tells
  // the new count; the job finishes on its threads, and the next job starts on the new count.
  {
    ThreadPool pool(2);
    std::atomic<bool> running{false}, release{false}, finished{false};
    std::thread job([&] {
      pool.run_tasks(1, [&](int, ScratchBuffer&) {
        running.store(true);
        const auto t0 = std::chrono::steady_clock::now();
        while (!release.load() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2))
          std::this_thread::yield();
        finished.store(true);
      });
    });
    while (!running.load()) std::this_thread::yield();
    pool.set_size(3);
    const bool returned_first = !finished.load();
    EXPECT(returned_first, "set_size waited for the running job");
    EXPECT(pool.size() == 3, "size() after set_size(3) during a job: %d", pool.size());
    release.store(true);
    job.join();
    // three tasks that each wait until all three have started: only three threads can run them
    std::atomic<int> arrived{0}, saw_all{0};
    pool.run_tasks(3, [&](int, ScratchBuffer&) {
      arrived.fetch_add(1);
      const auto t0 = std::chrono::steady_clock::now();
      while (arrived.load() < 3 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10))
        std::this_thread::yield();
      if (arrived.load() == 3) saw_all.fetch_add(1);
    });
    EXPECT(saw_all.load() == 3, "the job after set_size(3) did not run on 3 threads (%d saw all)", saw_all.load());
    // a request made from inside a task (the pool is busy) is recorded too, and applied by the next job
    pool.run_tasks(1, [&](int, ScratchBuffer&) { pool.set_size(1); });
    EXPECT(pool.size() == 1, "set_size(1) from inside a task: size %d", pool.size());
    std::atomic<int> count{0};
    pool.run_tasks(5, [&](int, ScratchBuffer&) { count.fetch_add(1); });
    EXPECT(count.load() == 5, "after set_size(1) from a task: %d of 5 tasks ran", count.load());
  }
  // Two threads sharing one pool (one runs inline while the pool is busy) and two pools side by side.
  {
    ThreadPool shared(3), other(2);
    std::atomic<long> total{0};
    auto hammer = [&](ThreadPool& p) {
      for (int i = 0; i < 300; ++i) {
        p.run_tasks(p.size(), [&](int task, ScratchBuffer& s) {
          s.get(4096);
          total.fetch_add(task + 1);
        });
      }
    };
    std::thread t1([&] { hammer(shared); });
    std::thread t2([&] { hammer(shared); });
    std::thread t3([&] { hammer(other); });
    t1.join();
    t2.join();
    t3.join();
    EXPECT(total.load() == 2 * 300 * (1 + 2 + 3) + 300 * (1 + 2), "concurrent jobs: total %ld", total.load());
  }
}

template <typename T>
void test_dtype(Pools& pools) {
  std::printf("  %s\n", sizeof(T) == 4 ? "float32" : "float64");
  test_shapes<T>(pools);
  test_special_values<T>(pools);
  test_epilogue<T>(pools);
  test_thread_determinism<T>(pools);
  test_row_independence<T>(pools);
  for (Isa isa : isas()) test_invalid<T>(isa);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--isa=", 6) == 0) {
      g_only_isa = argv[i] + 6;
    } else {
      std::fprintf(stderr, "usage: test_gemm [--isa=scalar|avx2|neon]\n");
      return 2;
    }
  }
  if (isas().empty()) {
    std::fprintf(stderr, "test_gemm: ISA %s is not supported here\n", g_only_isa);
    return 2;
  }
  std::printf("test_gemm: ISAs:");
  for (Isa isa : isas()) std::printf(" %s", isa_name(isa));
  std::printf(" | kernels: %s %s", gemm::sgemm_kernel_scalar()->name, gemm::dgemm_kernel_scalar()->name);
  if (gemm::sgemm_kernel_avx2() != nullptr)
    std::printf(" %s %s", gemm::sgemm_kernel_avx2()->name, gemm::dgemm_kernel_avx2()->name);
  if (gemm::sgemm_kernel_neon() != nullptr)
    std::printf(" %s %s", gemm::sgemm_kernel_neon()->name, gemm::dgemm_kernel_neon()->name);
  std::printf("\n");
  test_thread_pool();
  Pools pools;
  test_dtype<float>(pools);
  test_dtype<double>(pools);
  std::printf("test_gemm: %d checks, %d failures\n", g_checks.load(), g_failures.load());
  return g_failures == 0 ? 0 : 1;
}
