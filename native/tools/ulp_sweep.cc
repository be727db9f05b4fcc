// swishnet — ULP sweep of the float32 activation kernels against a float64 reference.
//
//   ulp_sweep [--quick[=N]] [--isa scalar|avx2|neon|all] [--op NAME] [--ref f64|libm] [--threads T]
//   ulp_sweep --bench [--isa ...] [--op NAME] [--n N]   single-thread throughput (default 1M float32)
// ISA: full mode checks the best ISA of this CPU unless --isa says otherwise (--isa all: every supported one);
// --quick and --bench default to every supported ISA. N: 1 to 2240806914 (the number of inputs in [-100, 100]);
// --n: 1 to 2^28; T: 1 to 256. A bad or misplaced argument: one line naming it on stderr, exit 2.
//
// Full mode walks EVERY float32 in [-100, 100] (~2.2e9 values) plus the edge values; --quick samples N (default
// 1M) values uniformly over the float32 bit patterns of [-100, 100] (so every binade is covered) plus the edges.
// Reference: --ref f64 (default in full mode) uses the float64 kernels of the best ISA, which test_activations
// checks against long double libm to 1e-14; --ref libm (default with --quick) uses the double libm formulas of
// native/tests/act_reference.h. Both are ~1e-14 accurate, far below one float32 ULP.
// Metric: forward = distance in float32 ULPs between the kernel's result and the reference rounded to float32
// (target <= 4); where that rounded reference is subnormal, the absolute error counts instead (target <= 1e-38).
// Derivative (computed from x, and for sigmoid/tanh also from the saved y) = the same ULP distance, counted only
// where the absolute error exceeds 1e-7 (target: <= 8 ULP or <= 1e-7 absolute).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "../tests/act_reference.h"
#include "swishnet/activations.h"
#include "swishnet/cpu.h"

using namespace swishnet;

namespace {

constexpr std::size_t kChunk = 4096;

float f_of(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
std::int64_t ordered(float f) {
  std::int32_t i;
  std::memcpy(&i, &f, 4);
  return i < 0 ? -static_cast<std::int64_t>(i & 0x7fffffff) : i;
}
double ulp_dist(float a, float b) {
  return static_cast<double>(std::llabs(ordered(a) - ordered(b)));
}

struct Stat {
  double max_fwd = 0, max_der = 0, max_der_y = 0;
  float arg_fwd = 0, arg_der = 0, arg_der_y = 0;
  std::uint64_t bad_fwd = 0, bad_der = 0, bad_special = 0, n = 0;
  void merge(const Stat& o) {
    if (o.max_fwd > max_fwd) max_fwd = o.max_fwd, arg_fwd = o.arg_fwd;
    if (o.max_der > max_der) max_der = o.max_der, arg_der = o.arg_der;
    if (o.max_der_y > max_der_y) max_der_y = o.max_der_y, arg_der_y = o.arg_der_y;
    bad_fwd += o.bad_fwd, bad_der += o.bad_der, bad_special += o.bad_special, n += o.n;
  }
};

// NaN/inf agreement: returns true when both are NaN or both equal infinities; counts a mismatch otherwise.
bool special(float c, double r, Stat& s) {
  const float rf = static_cast<float>(r);  // a finite double beyond FLT_MAX rounds to inf
  const bool cn = std::isnan(c), rn = std::isnan(rf);
  if (cn || rn || std::isinf(c) || std::isinf(rf)) {
    if (!((cn && rn) || (!cn && !rn && c == rf))) ++s.bad_special;
    return true;
  }
  return false;
}

// The scorers are called once per (input, op, ISA, direction): the common cases leave first, before any
// classification (c equal to the rounded reference: at most 0.5 ULP off; a derivative within 1e-7 absolute).
// NaN and infinities never take those exits (NaN compares false, inf - inf is NaN).
inline void score_fwd(float c, double r, float x, Stat& s) {
  if (c == static_cast<float>(r)) return;
  if (special(c, r, s)) return;
  const float rf = static_cast<float>(r);
  if (std::fabs(rf) < std::numeric_limits<float>::min()) {
    if (std::fabs(static_cast<double>(c) - r) > 1e-38) ++s.bad_fwd;
    return;
  }
  const double u = ulp_dist(c, rf);
  if (u > 4) ++s.bad_fwd;
  if (u > s.max_fwd) s.max_fwd = u, s.arg_fwd = x;
}
inline void score_der(float c, double r, float x, Stat& s, bool from_y) {
  if (std::fabs(static_cast<double>(c) - r) <= 1e-7) return;
  if (special(c, r, s)) return;
  const double u = ulp_dist(c, static_cast<float>(r));
  if (u > 8) ++s.bad_der;
  double& m = from_y ? s.max_der_y : s.max_der;
  float& a = from_y ? s.arg_der_y : s.arg_der;
  if (u > m) m = u, a = x;
}

struct Config {
  std::vector<const ActKernelTable<float>*> isas;
  std::vector<int> ops;
  bool libm_ref = false;
  const ActKernelTable<double>* ref64 = nullptr;
};

// Scores one chunk of inputs for every op and ISA.
void run_chunk(const Config& cfg, const float* xf, std::size_t n, std::vector<Stat>& stats) {
  double xd[kChunk], rf[kChunk], rd[kChunk];
  float yf[kChunk], gf[kChunk];
  for (std::size_t i = 0; i < n; ++i) xd[i] = xf[i];
  for (std::size_t k = 0; k < cfg.ops.size(); ++k) {
    const int op = cfg.ops[k];
    const Act act = static_cast<Act>(op);
    const ActParams p = ref::default_params(act);
    if (cfg.libm_ref) {
      for (std::size_t i = 0; i < n; ++i) {
        rf[i] = ref::forward<double>(act, xd[i], p.a, p.b);
        rd[i] = ref::derivative<double>(act, xd[i], p.a, p.b);
      }
    } else {
      cfg.ref64->forward[op](xd, rf, n, p);
      cfg.ref64->backward[op](xd, nullptr, nullptr, rd, n, p);
    }
    const bool uses_y = act == Act::Sigmoid || act == Act::Tanh;
    for (std::size_t t = 0; t < cfg.isas.size(); ++t) {
      Stat& s = stats[t * kActCount + op];
      cfg.isas[t]->forward[op](xf, yf, n, p);
      for (std::size_t i = 0; i < n; ++i) score_fwd(yf[i], rf[i], xf[i], s);
      cfg.isas[t]->backward[op](xf, nullptr, nullptr, gf, n, p);
      for (std::size_t i = 0; i < n; ++i) score_der(gf[i], rd[i], xf[i], s, false);
      if (uses_y) {
        cfg.isas[t]->backward[op](xf, yf, nullptr, gf, n, p);
        for (std::size_t i = 0; i < n; ++i) score_der(gf[i], rd[i], xf[i], s, true);
      }
      s.n += n;
    }
  }
}

// Best-of-reps throughput (Gelem/s) of f32 forward and backward (go given; y given for ops that use it) on
// n floats (default 1M) uniform in [-10, 10], one thread, buffers reused (in cache as far as the cache allows:
// 1M floats are 4 MB per buffer, in L3 on most CPUs; the cheap ops then run at the memory system's speed).
int bench(const std::vector<const ActKernelTable<float>*>& isas, const std::vector<Isa>& names,
          const std::vector<int>& ops, std::size_t n, bool all_ops) {
  std::vector<float> x(n), y(n), go(n), gi(n);
  std::uint64_t r = 12345;
  for (std::size_t i = 0; i < n; ++i) {
    r = r * 6364136223846793005ull + 1442695040888963407ull;
    x[i] = -10.0f + 20.0f * static_cast<float>(r >> 40) / 16777216.0f;
    go[i] = 1.0f + static_cast<float>((r >> 20) & 0xff) / 256.0f;
  }
  const int reps = n > (std::size_t(1) << 22) ? 10 : 30;
  auto best = [&](auto&& fn) {
    double b = 1e9;
    for (int rep = 0; rep < reps; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      fn();
      b = std::min(b, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return static_cast<double>(n) / b * 1e-9;
  };
  std::printf("f32 throughput, %zu elements, 1 thread, Gelem/s (best of %d)\n%-7s %-12s %9s %9s %9s\n", n, reps,
              "isa", "op", "forward", "backward", "bwd/fwd");
  std::vector<float> alpha(64, 0.25f);
  for (std::size_t t = 0; t < isas.size(); ++t) {
    const ActKernelTable<float>* k = isas[t];
    for (int op : ops) {
      const ActParams p = ref::default_params(static_cast<Act>(op));
      const double f = best([&] { k->forward[op](x.data(), y.data(), n, p); });
      const double b = best([&] { k->backward[op](x.data(), y.data(), go.data(), gi.data(), n, p); });
      std::printf("%-7s %-12s %9.2f %9.2f %8.0f%%\n", isa_name(names[t]), kActNames[op], f, b, 100 * b / f);
    }
    if (!all_ops) continue;
    const double pf = best([&] { k->prelu_forward(x.data(), y.data(), n, alpha.data(), 64, 128); });
    std::vector<double> gsum(64, 0.0);
    const double pb =
        best([&] { k->prelu_backward(x.data(), go.data(), gi.data(), n, alpha.data(), 64, 128, gsum.data()); });
    std::printf("%-7s %-12s %9.2f %9.2f %8.0f%%\n", isa_name(names[t]), "prelu", pf, pb, 100 * pb / pf);
  }
  return 0;
}

// Argument errors: one line naming the flag, exit 2.
[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "ulp_sweep: %s\n", msg.c_str());
  std::exit(2);
}

// A whole decimal number in [lo, hi]: digits only (no sign, no spaces, no exponent), no overflow.
std::uint64_t parse_count(const char* flag, const std::string& s, std::uint64_t lo, std::uint64_t hi) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))
                                   ? 0
                                   : std::strtoull(s.c_str(), &end, 10);
  if (end == nullptr || *end != '\0' || errno == ERANGE || v < lo || v > hi)
    usage_error(std::string(flag) + " '" + s + "': expected a whole number from " + std::to_string(lo) + " to " +
                std::to_string(hi));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, do_bench = false, n_given = false;
  std::uint64_t samples = 1000000;
  std::size_t bench_n = std::size_t(1) << 20;
  std::string isa_filter, op_filter, ref_mode;
  unsigned threads = 2;
  const std::uint32_t top = 0x42C80000u;  // bits of 100.0f
  const std::uint64_t space = 2ull * (static_cast<std::uint64_t>(top) + 1);  // magnitude bits x sign
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    // --name VALUE or --name=VALUE
    auto is = [&](const char* name) { return a == name || a.rfind(std::string(name) + "=", 0) == 0; };
    auto val = [&](const char* name) -> std::string {
      std::string pre = std::string(name) + "=";
      if (a.rfind(pre, 0) == 0) return a.substr(pre.size());
      if (a == name && i + 1 < argc) return argv[++i];
      usage_error(std::string("missing value for ") + name);
    };
    if (a == "--bench") {
      do_bench = true;
    } else if (a == "--quick") {
      quick = true;
    } else if (a.rfind("--quick=", 0) == 0) {
      quick = true;
      // More samples than inputs in [-100, 100] would only repeat them: the full sweep (no --quick) covers all.
      samples = parse_count("--quick", a.substr(8), 1, space);
    } else if (is("--isa")) {
      isa_filter = val("--isa");
      if (isa_filter != "all" && isa_filter != "scalar" && isa_filter != "avx2" && isa_filter != "neon")
        usage_error("--isa '" + isa_filter + "': unknown ISA (scalar, avx2, neon or all)");
    } else if (is("--op")) {
      op_filter = val("--op");
    } else if (is("--ref")) {
      ref_mode = val("--ref");
      if (ref_mode != "f64" && ref_mode != "libm") usage_error("--ref '" + ref_mode + "': expected f64 or libm");
    } else if (is("--n")) {
      bench_n = static_cast<std::size_t>(parse_count("--n", val("--n"), 1, std::uint64_t(1) << 28));
      n_given = true;
    } else if (is("--threads")) {
      threads = static_cast<unsigned>(parse_count("--threads", val("--threads"), 1, 256));
    } else {
      std::fprintf(stderr,
                   "ulp_sweep: unknown argument '%s'\nusage: ulp_sweep [--bench [--n N]] [--quick[=N]] "
                   "[--isa scalar|avx2|neon|all] [--op NAME] [--ref f64|libm] [--threads T]\n",
                   a.c_str());
      return 2;
    }
  }
  if (n_given && !do_bench) usage_error("--n sets the --bench input size: it needs --bench");
  Config cfg;
  const Isa all[] = {Isa::Scalar, Isa::Avx2, Isa::Neon};
  std::vector<Isa> isas;
  // Full mode sweeps the best ISA only unless --isa names one (--isa all: every supported ISA); --quick and
  // --bench take every supported ISA by default.
  if (!quick && !do_bench && isa_filter.empty()) isa_filter = isa_name(best_isa());
  if (isa_filter == "all") isa_filter.clear();
  for (Isa isa : all) {
    if (!isa_supported(isa) || (!isa_filter.empty() && isa_filter != isa_name(isa))) continue;
    const ActKernelTable<float>* t = isa == Isa::Scalar ? act_table_f32_scalar()
                                     : isa == Isa::Avx2 ? act_table_f32_avx2()
                                                        : act_table_f32_neon();
    if (t) cfg.isas.push_back(t), isas.push_back(isa);
  }
  if (cfg.isas.empty()) {
    std::string have;
    for (Isa isa : all)
      if (isa_supported(isa)) have += std::string(have.empty() ? "" : ", ") + isa_name(isa);
    usage_error("--isa '" + isa_filter + "': not supported on this CPU or build (supported: " + have + ")");
  }
  for (int op = 0; op < kActCount; ++op)
    if (op_filter.empty() || op_filter == kActNames[op]) cfg.ops.push_back(op);
  if (cfg.ops.empty() && !(do_bench && op_filter == "prelu"))
    usage_error("--op '" + op_filter + "': unknown op" + (op_filter == "prelu" ? " without --bench" : ""));
  if (do_bench) return bench(cfg.isas, isas, cfg.ops, bench_n, op_filter.empty() || op_filter == "prelu");
  cfg.libm_ref = ref_mode.empty() ? quick : ref_mode == "libm";
  const Isa best = best_isa();
  cfg.ref64 = best == Isa::Avx2 ? act_table_f64_avx2() : best == Isa::Neon ? act_table_f64_neon() : act_table_f64_scalar();

  // Inputs: the edge values, then the bit patterns of [0, 100] with both signs.
  const float edges[] = {0.0f,   1e-30f, 1e-8f, 0.5f,   1.0f,    3.0f, 6.0f, 15.0f, 20.0f, 30.0f, 88.0f, 89.0f,
                         100.0f, 1e4f,   3.4e38f, std::numeric_limits<float>::infinity()};
  std::vector<float> edge_inputs;
  for (float e : edges) edge_inputs.push_back(e), edge_inputs.push_back(-e);
  edge_inputs.push_back(std::numeric_limits<float>::quiet_NaN());
  const std::uint64_t total = quick ? samples : space;

  std::vector<std::vector<Stat>> per_thread(threads, std::vector<Stat>(cfg.isas.size() * kActCount));
  run_chunk(cfg, edge_inputs.data(), edge_inputs.size(), per_thread[0]);
  std::atomic<std::uint64_t> next{0};
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&](unsigned tid) {
    std::vector<float> xf(kChunk);
    std::uint64_t rng = 0x9E3779B97F4A7C15ull * (tid + 1);
    for (;;) {
      const std::uint64_t start = next.fetch_add(kChunk);
      if (start >= total) break;
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, total - start));
      for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t k = start + i;
        if (quick) {  // splitmix64 over the whole space
          rng += 0x9E3779B97F4A7C15ull;
          std::uint64_t z = rng;
          z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
          z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
          k = (z ^ (z >> 31)) % space;
        }
        const std::uint32_t mag = static_cast<std::uint32_t>(k >> 1);
        xf[i] = f_of(mag | ((k & 1) ? 0x80000000u : 0u));
      }
      run_chunk(cfg, xf.data(), n, per_thread[tid]);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::vector<Stat> stats(cfg.isas.size() * kActCount);
  for (auto& v : per_thread)
    for (std::size_t i = 0; i < v.size(); ++i) stats[i].merge(v[i]);

  std::printf("float32 ULP sweep: %s, %" PRIu64 " inputs in [-100, 100] + %zu edge values, reference %s, %u threads, %.1f s\n",
              quick ? "sampled" : "every float32", total, edge_inputs.size(),
              cfg.libm_ref ? "libm double" : "float64 kernels", threads, secs);
  std::printf("targets: forward <= 4 ULP (subnormal results: <= 1e-38 abs); derivative <= 8 ULP or <= 1e-7 abs\n\n");
  std::printf("%-7s %-12s %8s %-15s %8s %-15s %8s %-15s %s\n", "isa", "op", "fwd ULP", "(at x)", "der ULP",
              "(at x)", "der(y)", "(at x)", "status");
  bool ok = true;
  for (std::size_t t = 0; t < cfg.isas.size(); ++t) {
    for (int op : cfg.ops) {
      const Stat& s = stats[t * kActCount + op];
      const bool uses_y = op == static_cast<int>(Act::Sigmoid) || op == static_cast<int>(Act::Tanh);
      const bool pass = s.bad_fwd == 0 && s.bad_der == 0 && s.bad_special == 0;
      ok = ok && pass;
      char y1[32] = "-", y2[32] = "", a1[32], a2[32];
      if (uses_y) std::snprintf(y1, sizeof y1, "%.0f", s.max_der_y), std::snprintf(y2, sizeof y2, "(%.9g)", s.arg_der_y);
      std::snprintf(a1, sizeof a1, "(%.9g)", s.arg_fwd);
      std::snprintf(a2, sizeof a2, "(%.9g)", s.arg_der);
      std::printf("%-7s %-12s %8.0f %-15s %8.0f %-15s %8s %-15s %s", isa_name(isas[t]), kActNames[op], s.max_fwd, a1,
                  s.max_der, a2, y1, y2, pass ? "ok" : "FAIL");
      if (!pass)
        std::printf("  [fwd>4: %" PRIu64 ", der>8: %" PRIu64 ", nan/inf mismatch: %" PRIu64 "]", s.bad_fwd,
                    s.bad_der, s.bad_special);
      std::printf("\n");
    }
  }
  return ok ? 0 : 1;
}
