// swishnet — GEMM benchmark: GFLOP/s of our sgemm/dgemm per ISA and thread count, and OpenBLAS in the same run
// when it can be loaded at run time (dlopen; no build-time dependency).
//
//   gemm_bench [--threads=1,2] [--dtype=f32|f64|both] [--isa=scalar|avx2|neon|all] [--time=0.3] [--quick]
//              [--no-openblas]
//
// Each figure is the median of several timed runs after a warm-up run (enough runs to fill --time seconds,
// at least 3). FLOPs = 2*m*n*k. Ours and OpenBLAS are timed in separate phases so that one library's idle
// spinning threads do not slow the other; `max|diff|` compares the two results (relative to max |C|).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#define SWISHNET_HAVE_DLOPEN 1
#endif

#include "gemm/gemm_kernel.h"
#include "gemm/thread_pool.h"
#include "swishnet/gemm.h"

using namespace swishnet;

namespace {

struct Shape {
  const char* label;
  std::size_t m, n, k;
  bool ta, tb;
  int act = -2;  // >= -1: fused epilogue with bias and this activation (OpenBLAS runs the plain product)
};

// MLP shapes (batch 128, 784 -> 128 -> 64 -> 10; then one and two samples: the row kernel) and square sizes.
const Shape kShapes[] = {
    {"m128 n128 k784 (x W^T fwd)", 128, 128, 784, false, true},
    {"  same + bias + tanh epilogue", 128, 128, 784, false, true, static_cast<int>(Act::Tanh)},
    {"m128 n128 k784 (NN)", 128, 128, 784, false, false},
    {"m128 n784 k128 (dX = dY W, NN)", 128, 784, 128, false, false},
    {"m784 n128 k128 (dW = X^T dY, tA)", 784, 128, 128, true, false},
    {"m128 n64 k128 (x W^T fwd)", 128, 64, 128, false, true},
    {"m128 n128 k64 (NN)", 128, 128, 64, false, false},
    {"m128 n10 k64 (x W^T fwd)", 128, 10, 64, false, true},
    {"m128 n64 k10 (NN)", 128, 64, 10, false, false},
    {"m1 n128 k784 (one sample, x W^T)", 1, 128, 784, false, true},
    {"m1 n784 k128 (one sample, dY W)", 1, 784, 128, false, false},
    {"m2 n128 k784 (x W^T fwd)", 2, 128, 784, false, true},
    {"256^3 (NN)", 256, 256, 256, false, false},
    {"1024^3 (NN)", 1024, 1024, 1024, false, false},
    {"1024^3 (TT)", 1024, 1024, 1024, true, true},
    {"2048^3 (NN)", 2048, 2048, 2048, false, false},
};

// ---------------------------------------------------------------------------------------- OpenBLAS (dlopen)
enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };
using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*,
                            int);
using CblasDgemm = void (*)(int, int, int, int, int, int, double, const double*, int, const double*, int, double,
                            double*, int);
using SetThreads = void (*)(int);

struct OpenBlas {
  void* handle = nullptr;
  CblasSgemm sgemm = nullptr;
  CblasDgemm dgemm = nullptr;
  SetThreads set_threads = nullptr;
  std::string name;
  bool ok() const { return sgemm != nullptr && dgemm != nullptr; }
};

OpenBlas load_openblas() {
  OpenBlas ob;
#ifdef SWISHNET_HAVE_DLOPEN
  for (const char* name : {"libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"}) {
    ob.handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (ob.handle != nullptr) {
      ob.name = name;
      break;
    }
  }
  if (ob.handle == nullptr) return ob;
  ob.sgemm = reinterpret_cast<CblasSgemm>(dlsym(ob.handle, "cblas_sgemm"));
  ob.dgemm = reinterpret_cast<CblasDgemm>(dlsym(ob.handle, "cblas_dgemm"));
  ob.set_threads = reinterpret_cast<SetThreads>(dlsym(ob.handle, "openblas_set_num_threads"));
#endif
  return ob;
}

// ------------------------------------------------------------------------------------------------ timing
template <class F>
double median_seconds(F&& f, double budget) {
  f();  // warm-up
  auto t0 = std::chrono::steady_clock::now();
  f();
  const double first = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int reps = static_cast<int>(std::max(3.0, std::min(200.0, budget / std::max(first, 1e-9))));
  std::vector<double> times{first};
  for (int r = 1; r < reps; ++r) {
    t0 = std::chrono::steady_clock::now();
    f();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

template <typename T>
struct Buffers {
  std::vector<T> a, b, c, ref, bias;
  explicit Buffers(const Shape& s) : a(s.m * s.k), b(s.k * s.n), c(s.m * s.n), ref(s.m * s.n), bias(s.n, T(0.5)) {
    unsigned x = 12345;
    auto rnd = [&] {
      x = x * 1103515245u + 12345u;
      return static_cast<T>((x >> 8) & 0xffff) / T(32768) - T(1);
    };
    for (auto& v : a) v = rnd();
    for (auto& v : b) v = rnd();
  }
};

template <typename T>
void ours(Isa isa, ThreadPool* pool, const Shape& s, Buffers<T>& buf, T* c) {
  GemmArgs g;
  g.trans_a = s.ta;
  g.trans_b = s.tb;
  g.m = s.m;
  g.n = s.n;
  g.k = s.k;
  g.lda = s.ta ? s.m : s.k;
  g.ldb = s.tb ? s.k : s.n;
  g.ldc = s.n;
  GemmEpilogue<T> ep;
  ep.bias = buf.bias.data();
  ep.act = s.act;
  const GemmEpilogue<T>* epp = s.act >= -1 ? &ep : nullptr;
  if constexpr (sizeof(T) == 4) {
    sgemm(isa, pool, g, 1.0f, buf.a.data(), buf.b.data(), 0.0f, c, epp);
  } else {
    dgemm(isa, pool, g, 1.0, buf.a.data(), buf.b.data(), 0.0, c, epp);
  }
}

template <typename T>
void openblas(const OpenBlas& ob, const Shape& s, Buffers<T>& buf, T* c) {
  const int m = static_cast<int>(s.m), n = static_cast<int>(s.n), k = static_cast<int>(s.k);
  const int lda = s.ta ? m : k, ldb = s.tb ? k : n;
  if constexpr (sizeof(T) == 4) {
    ob.sgemm(kRowMajor, s.ta ? kTrans : kNoTrans, s.tb ? kTrans : kNoTrans, m, n, k, 1.0f, buf.a.data(), lda,
             buf.b.data(), ldb, 0.0f, c, n);
  } else {
    ob.dgemm(kRowMajor, s.ta ? kTrans : kNoTrans, s.tb ? kTrans : kNoTrans, m, n, k, 1.0, buf.a.data(), lda,
             buf.b.data(), ldb, 0.0, c, n);
  }
}

double gflops(const Shape& s, double sec) { return 2.0 * static_cast<double>(s.m * s.n * s.k) / sec * 1e-9; }

struct Options {
  std::vector<int> threads{1, 2};
  bool f32 = true, f64 = true;
  std::vector<Isa> isas;
  double budget = 0.3;
  bool quick = false;
  bool use_openblas = true;
};

template <typename T>
void bench_dtype(const Options& opt, const OpenBlas& ob) {
  const char* dt = sizeof(T) == 4 ? "float32 (sgemm)" : "float64 (dgemm)";
  std::vector<const Shape*> shapes;
  for (const Shape& s : kShapes) {
    if (opt.quick && s.m * s.n * s.k > 1024u * 1024u * 1024u / 2) continue;
    shapes.push_back(&s);
  }
  for (int threads : opt.threads) {
    ThreadPool pool(threads);
    std::printf("\n%s, %d thread%s (pool size %d)\n", dt, threads, threads == 1 ? "" : "s", pool.size());
    std::printf("%-34s", "shape");
    for (Isa isa : opt.isas) std::printf(" %10s", isa_name(isa));
    if (ob.ok()) std::printf(" %10s %9s %10s", "openblas", "best/ob", "max|diff|");
    std::printf("\n");
    // Phase 1: ours, every shape and ISA. Phase 2: OpenBLAS.
    std::vector<std::vector<double>> g_ours(shapes.size());
    std::vector<std::vector<T>> results(shapes.size());
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      const Shape& s = *shapes[i];
      Buffers<T> buf(s);
      for (Isa isa : opt.isas) {
        const double budget = isa == Isa::Scalar ? opt.budget / 3 : opt.budget;
        g_ours[i].push_back(gflops(s, median_seconds([&] { ours<T>(isa, &pool, s, buf, buf.c.data()); }, budget)));
      }
      results[i] = buf.c;
    }
    std::vector<double> g_ob(shapes.size(), 0.0), diff(shapes.size(), 0.0);
    if (ob.ok()) {
      if (ob.set_threads != nullptr) ob.set_threads(threads);
      for (std::size_t i = 0; i < shapes.size(); ++i) {
        const Shape& s = *shapes[i];
        Buffers<T> buf(s);
        g_ob[i] = gflops(s, median_seconds([&] { openblas<T>(ob, s, buf, buf.ref.data()); }, opt.budget));
        if (s.act >= -1) {  // no epilogue in OpenBLAS: nothing to compare
          diff[i] = std::nan("");
          continue;
        }
        double maxc = 0, maxd = 0;
        for (std::size_t j = 0; j < buf.ref.size(); ++j) {
          maxc = std::max(maxc, std::fabs(static_cast<double>(buf.ref[j])));
          maxd = std::max(maxd, std::fabs(static_cast<double>(buf.ref[j]) - static_cast<double>(results[i][j])));
        }
        diff[i] = maxd / std::max(maxc, 1e-300);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let OpenBLAS's threads go idle
    }
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      std::printf("%-34s", shapes[i]->label);
      for (double g : g_ours[i]) std::printf(" %10.1f", g);
      if (ob.ok()) {
        const double best = *std::max_element(g_ours[i].begin(), g_ours[i].end());
        std::printf(" %10.1f %9.2f %10.1e", g_ob[i], best / g_ob[i], diff[i]);
      }
      std::printf("\n");
    }
  }
}

bool starts_with(const char* s, const char* p, const char** rest) {
  const std::size_t n = std::strlen(p);
  if (std::strncmp(s, p, n) != 0) return false;
  *rest = s + n;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  std::string isa_arg = "all";
  for (int i = 1; i < argc; ++i) {
    const char* v = nullptr;
    if (starts_with(argv[i], "--threads=", &v)) {
      opt.threads.clear();
      for (const char* p = v; *p != '\0';) {
        char* end = nullptr;
        const long t = std::strtol(p, &end, 10);
        if (end == p || t < 1 || t > ThreadPool::kMaxThreads) {
          std::fprintf(stderr, "bad --threads list: %s\n", v);
          return 2;
        }
        opt.threads.push_back(static_cast<int>(t));
        p = *end == ',' ? end + 1 : end;
      }
    } else if (starts_with(argv[i], "--dtype=", &v)) {
      opt.f32 = std::strcmp(v, "f64") != 0;
      opt.f64 = std::strcmp(v, "f32") != 0;
    } else if (starts_with(argv[i], "--isa=", &v)) {
      isa_arg = v;
    } else if (starts_with(argv[i], "--time=", &v)) {
      opt.budget = std::max(0.01, std::atof(v));
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      opt.quick = true;
    } else if (std::strcmp(argv[i], "--no-openblas") == 0) {
      opt.use_openblas = false;
    } else {
      std::fprintf(stderr,
                   "usage: gemm_bench [--threads=1,2] [--dtype=f32|f64|both] [--isa=scalar|avx2|neon|all] "
                   "[--time=0.3] [--quick] [--no-openblas]\n");
      return 2;
    }
  }
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Neon}) {
    if (!isa_supported(isa)) continue;
    if (isa_arg != "all" && isa_arg != isa_name(isa)) continue;
    opt.isas.push_back(isa);
  }
  if (opt.isas.empty()) {
    std::fprintf(stderr, "no supported ISA matches --isa=%s\n", isa_arg.c_str());
    return 2;
  }
  OpenBlas ob;
  if (opt.use_openblas) ob = load_openblas();
  std::printf("gemm_bench: kernels %s", gemm::sgemm_kernel_scalar()->name);
  if (gemm::sgemm_kernel_avx2() != nullptr)
    std::printf(" %s %s", gemm::sgemm_kernel_avx2()->name, gemm::dgemm_kernel_avx2()->name);
  if (gemm::sgemm_kernel_neon() != nullptr)
    std::printf(" %s %s", gemm::sgemm_kernel_neon()->name, gemm::dgemm_kernel_neon()->name);
  std::printf("; hardware threads %u; OpenBLAS: %s\n", std::thread::hardware_concurrency(),
              ob.ok() ? ob.name.c_str() : (opt.use_openblas ? "not found" : "disabled"));
  std::printf("GFLOP/s = 2mnk / median time; columns: ours per ISA, OpenBLAS, our best / OpenBLAS\n");
  if (opt.f32) bench_dtype<float>(opt, ob);
  if (opt.f64) bench_dtype<double>(opt, ob);
  return 0;
}
