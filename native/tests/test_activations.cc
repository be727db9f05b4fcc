// swishnet — C++ tests of the activation kernels (run by ctest; exit code 0 = pass).
//
// For every ISA this CPU runs (scalar always, avx2 / neon where available), every op, float32 and float64:
// results against the libm references of act_reference.h (double for float32, long double for float64) on
// edge values, a grid, random inputs and every tail length n = 0..67; in-place aliasing; backward with and
// without go and y; PReLU per channel; swish_beta_grad against finite differences.
// Tolerances (the ones the kernels promise, stated once here):
//   float32 forward: 4 ULP of the correctly rounded result (results below FLT_MIN: 1e-38 absolute);
//   float32 derivative: 8 ULP or 1e-7 absolute;
//   float64 forward: 1e-14 relative (results below DBL_MIN: 1e-300 absolute);
//   float64 derivative: 1e-14 relative or 1e-15 absolute (the y-based forms round y to 2^-53 first).
// Non-default parameters get 2 more float32 ULP for the rounding of the parameter itself.
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "act_reference.h"
#include "swishnet/activations.h"
#include "swishnet/cpu.h"

using namespace swishnet;

namespace {

int g_pass = 0, g_fail = 0;
void check(bool ok, const std::string& what) {
  if (ok) {
    ++g_pass;
  } else {
    ++g_fail;
    if (g_fail <= 60) std::printf("FAIL: %s\n", what.c_str());
  }
}
std::string fmt(const char* f, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}

std::int64_t ordered(float f) {
  std::int32_t i;
  std::memcpy(&i, &f, 4);
  return i < 0 ? -static_cast<std::int64_t>(i & 0x7fffffff) : i;
}
bool same_special(double c, long double r, bool& handled) {
  handled = std::isnan(c) || std::isnan(r) || std::isinf(c) || std::isinf(r);
  if (!handled) return true;
  if (std::isnan(c) || std::isnan(r)) return std::isnan(c) && std::isnan(r);
  return static_cast<long double>(c) == r;
}

// float32 result c vs reference r (double).
bool ok_f32(float c, double r, bool deriv, double extra_ulp) {
  const float rf = static_cast<float>(r);
  bool handled;
  const bool s = same_special(c, rf, handled);
  if (handled) return s;
  const double abs_err = std::fabs(static_cast<double>(c) - r);
  if (!deriv && std::fabs(rf) < std::numeric_limits<float>::min()) return abs_err <= 1e-38;
  if (deriv && abs_err <= 1e-7) return true;
  const double ulps = static_cast<double>(std::llabs(ordered(c) - ordered(rf)));
  return ulps <= (deriv ? 8 : 4) + extra_ulp;
}
bool ok_f64(double c, long double r, bool deriv) {
  bool handled;
  const double rd = static_cast<double>(r);
  const bool s = same_special(c, rd, handled);
  if (handled) return s;
  const long double err = std::fabs(static_cast<long double>(c) - r);
  if (!deriv && std::fabs(rd) < std::numeric_limits<double>::min()) return err <= 1e-300L;
  if (deriv && err <= 1e-15L) return true;
  return err <= 1e-14L * std::fabs(r);
}

template <class T>
struct Tables;
template <>
struct Tables<float> {
  static const ActKernelTable<float>* get(Isa i) {
    return i == Isa::Scalar ? act_table_f32_scalar() : i == Isa::Avx2 ? act_table_f32_avx2() : act_table_f32_neon();
  }
};
template <>
struct Tables<double> {
  static const ActKernelTable<double>* get(Isa i) {
    return i == Isa::Scalar ? act_table_f64_scalar() : i == Isa::Avx2 ? act_table_f64_avx2() : act_table_f64_neon();
  }
};

template <class T>
bool ok_val(T c, Act op, T x, ActParams p, bool deriv, double extra_ulp) {
  if constexpr (std::is_same<T, float>::value) {
    const double r = deriv ? ref::derivative<double>(op, x, p.a, p.b) : ref::forward<double>(op, x, p.a, p.b);
    return ok_f32(c, r, deriv, extra_ulp);
  } else {
    const long double xl = x;
    const long double r = deriv ? ref::derivative<long double>(op, xl, p.a, p.b) : ref::forward<long double>(op, xl, p.a, p.b);
    return ok_f64(c, r, deriv);
  }
}

std::uint64_t g_rng = 0x243F6A8885A308D3ull;
double uniform(double lo, double hi) {
  g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
  return lo + (hi - lo) * static_cast<double>(g_rng >> 11) / 9007199254740992.0;
}

template <class T>
std::vector<T> test_inputs() {
  std::vector<T> v;
  const double edges[] = {0,  1e-30, 1e-8, 0.5, 1, 3, 6, 15, 20, 30, 88, 89, 100, 105, 120, 1e4, 3.4e38,
                          std::numeric_limits<double>::infinity()};
  for (double e : edges) v.push_back(static_cast<T>(e)), v.push_back(static_cast<T>(-e));
  v.push_back(std::numeric_limits<T>::quiet_NaN());
  v.push_back(std::numeric_limits<T>::denorm_min());
  v.push_back(-std::numeric_limits<T>::min());
  for (double x = -40; x <= 40; x += 0.37) v.push_back(static_cast<T>(x));
  for (int i = 0; i < 400; ++i) v.push_back(static_cast<T>(uniform(-12, 12)));
  for (int i = 0; i < 100; ++i) v.push_back(static_cast<T>(uniform(-110, 110)));
  // float32 underflow seams: e^x goes subnormal at -87.3 and flushes at -87.7 / -110 (x e^x is normal down to
  // -92), gelu's v Q(v) underflows near 13.2, gelu_tanh's z(x) reaches -104 near -10.3.
  for (int i = 0; i < 200; ++i) v.push_back(static_cast<T>(uniform(-112, -80)));
  for (int i = 0; i < 100; ++i) v.push_back(static_cast<T>(uniform(-16, -9)));
  if (std::is_same<T, double>::value)  // float64 tails: deep underflow regions
    for (int i = 0; i < 100; ++i) v.push_back(static_cast<T>(uniform(-800, 60)));
  return v;
}

struct Case {
  Act op;
  ActParams p;
  double extra_ulp;
};
std::vector<Case> cases() {
  std::vector<Case> c;
  for (int op = 0; op < kActCount; ++op) c.push_back({static_cast<Act>(op), ref::default_params(static_cast<Act>(op)), 0});
  auto add = [&](Act op, double a, double b) {
    ActParams p;
    p.a = a, p.b = b;
    c.push_back({op, p, 2});
  };
  add(Act::Softplus, 2.0, 10.0);
  add(Act::Softplus, 0.5, 20.0);
  add(Act::LeakyRelu, 0.2, 0);
  add(Act::Elu, 0.7, 0);
  add(Act::Celu, 0.7, 0);
  add(Act::Celu, 2.0, 0);
  add(Act::Swish, 1.5, 0);
  add(Act::Swish, 0.3, 0);
  add(Act::Swish, -0.7, 0);  // beta < 0: z and x have opposite signs
  return c;
}

template <class T>
void test_isa(Isa isa) {
  const ActKernelTable<T>* t = Tables<T>::get(isa);
  const char* dt = std::is_same<T, float>::value ? "f32" : "f64";
  check(t != nullptr && std::strcmp(t->isa, isa_name(isa)) == 0, std::string("table for ") + isa_name(isa));
  if (!t) return;
  for (int op = 0; op < kActCount; ++op) check(t->forward[op] && t->backward[op], "non-null kernels");
  check(t->streams == (isa == Isa::Avx2), std::string(isa_name(isa)) + " " + dt + ": streaming stores exactly on AVX2");
  const std::vector<T> xs = test_inputs<T>();
  const std::size_t n = xs.size();
  std::vector<T> go(n);
  for (std::size_t i = 0; i < n; ++i) go[i] = static_cast<T>(uniform(-2, 2));

  for (const Case& cs : cases()) {
    const int op = static_cast<int>(cs.op);
    std::string tag = std::string(isa_name(isa)) + " " + dt + " " + kActNames[op] + fmt(" (a=%g b=%g)", cs.p.a, cs.p.b);
    std::vector<T> y(n), d(n), dy(n), gi(n);
    t->forward[op](xs.data(), y.data(), n, cs.p);
    t->backward[op](xs.data(), nullptr, nullptr, d.data(), n, cs.p);
    t->backward[op](xs.data(), y.data(), nullptr, dy.data(), n, cs.p);
    t->backward[op](xs.data(), y.data(), go.data(), gi.data(), n, cs.p);
    int bad_f = 0, bad_d = 0, bad_dy = 0, bad_go = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!ok_val<T>(y[i], cs.op, xs[i], cs.p, false, cs.extra_ulp) && bad_f++ < 3)
        check(false, tag + fmt(" forward x=%.9g got %.9g", xs[i], y[i]));
      if (!ok_val<T>(d[i], cs.op, xs[i], cs.p, true, cs.extra_ulp) && bad_d++ < 3)
        check(false, tag + fmt(" derivative(x) x=%.9g got %.9g", xs[i], d[i]));
      if (!ok_val<T>(dy[i], cs.op, xs[i], cs.p, true, cs.extra_ulp) && bad_dy++ < 3)
        check(false, tag + fmt(" derivative(x, y) x=%.9g got %.9g", xs[i], dy[i]));
      const T want = dy[i] * go[i];  // gi = f'(x) * go, the same rounding
      if (!(gi[i] == want || (std::isnan(gi[i]) && std::isnan(want))) && bad_go++ < 3)
        check(false, tag + fmt(" gi != f' * go at x=%.9g", xs[i]));
    }
    check(bad_f == 0, tag + " forward vs reference");
    // Ops of the form x f(x), f > 0 (and tanh, softsign): a result that rounds to zero keeps the sign of x.
    const bool odd_sign = cs.op == Act::Tanh || cs.op == Act::Softsign || cs.op == Act::Swish || cs.op == Act::Gelu ||
                          cs.op == Act::GeluTanh || cs.op == Act::Mish;
    if (odd_sign) {
      int bad_sz = 0;
      for (std::size_t i = 0; i < n; ++i)
        if (y[i] == 0 && !std::isnan(xs[i]) && std::signbit(y[i]) != std::signbit(xs[i]) && bad_sz++ < 3)
          check(false, tag + fmt(" sign of zero: x=%.9g got %.9g", xs[i], y[i]));
      check(bad_sz == 0, tag + " zero results carry the sign of x");
    }
    check(bad_d == 0, tag + " derivative from x vs reference");
    check(bad_dy == 0, tag + " derivative with y vs reference");
    check(bad_go == 0, tag + " backward with go");
    // Saturated tails: where the true value rounds to 0 in T (below half the smallest subnormal), the result is
    // +-0, not the value at a clamp held for every larger |x| (sigmoid(-1e4) once gave 8e-39, tanh'(50) 3e-38).
    const long double half_tiny = std::is_same<T, float>::value ? std::ldexp(1.0L, -150) : std::ldexp(1.0L, -1075);
    int bad_zero = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isnan(xs[i])) continue;
      const long double xl = xs[i];
      // (float32 gelu_tanh's forward holds -6e-39 below x = -10.13, kept for speed: see OpGeluTanh::fwd_fin)
      const bool keeps_clamp = std::is_same<T, float>::value && cs.op == Act::GeluTanh;
      const bool f0 = !keeps_clamp && std::fabs(ref::forward<long double>(cs.op, xl, cs.p.a, cs.p.b)) < half_tiny;
      const bool d0 = std::fabs(ref::derivative<long double>(cs.op, xl, cs.p.a, cs.p.b)) < half_tiny;
      if (((f0 && y[i] != 0) || (d0 && (d[i] != 0 || dy[i] != 0))) && bad_zero++ < 3)
        check(false, tag + fmt(" saturated tail x=%.9g: f %.9g f' %.9g, want 0", xs[i], y[i], d[i]));
    }
    check(bad_zero == 0, tag + " results that round to 0 are +-0");

    // Tails: every length 0..67 at an odd offset gives the same values as the long call, and writes nothing
    // past the end.
    int bad_tail = 0;
    for (std::size_t len = 0; len <= 67; ++len) {
      std::vector<T> out(len + 9, T(-12345)), gout(len + 9, T(-12345));
      t->forward[op](xs.data() + 3, out.data() + 1, len, cs.p);
      t->backward[op](xs.data() + 3, y.data() + 3, go.data() + 3, gout.data() + 1, len, cs.p);
      for (std::size_t i = 0; i < len; ++i) {
        const T a = out[1 + i], b = y[3 + i], g1 = gout[1 + i], g2 = gi[3 + i];
        if (!(a == b || (std::isnan(a) && std::isnan(b)))) ++bad_tail;
        if (!(g1 == g2 || (std::isnan(g1) && std::isnan(g2)))) ++bad_tail;
      }
      if (out[0] != T(-12345) || out[len + 1] != T(-12345) || gout[len + 1] != T(-12345)) ++bad_tail;
    }
    check(bad_tail == 0, tag + " tails n=0..67 match and stay in bounds");

    // Aliasing: y == x; gi == go; gi == x; gi == y.
    std::vector<T> a(xs);
    t->forward[op](a.data(), a.data(), n, cs.p);
    bool same = true;
    for (std::size_t i = 0; i < n; ++i) same &= (a[i] == y[i]) || (std::isnan(a[i]) && std::isnan(y[i]));
    check(same, tag + " forward in place (y == x)");
    std::vector<T> g(go);
    t->backward[op](xs.data(), y.data(), g.data(), g.data(), n, cs.p);
    std::vector<T> xx(xs);
    t->backward[op](xx.data(), y.data(), go.data(), xx.data(), n, cs.p);
    std::vector<T> yy(y);
    t->backward[op](xs.data(), yy.data(), go.data(), yy.data(), n, cs.p);
    bool s1 = true, s2 = true, s3 = true;
    for (std::size_t i = 0; i < n; ++i) {
      auto eq = [](T u, T v) { return u == v || (std::isnan(u) && std::isnan(v)); };
      s1 &= eq(g[i], gi[i]), s2 &= eq(xx[i], gi[i]), s3 &= eq(yy[i], gi[i]);
    }
    check(s1, tag + " backward in place (gi == go)");
    check(s2, tag + " backward in place (gi == x)");
    check(s3, tag + " backward in place (gi == y)");

    // Streaming output (threshold 0: every call streams where the ISA can): the same values as the plain stores
    // above, for outputs at every offset from a vector boundary (the plain head differs), short and long calls,
    // out of place and in place, and nothing written outside the output.
    set_act_stream_min_bytes(0);
    int bad_nt = 0;
    for (std::size_t len : {std::size_t(0), std::size_t(3), std::size_t(40), std::size_t(517), n - 8}) {
      for (std::size_t off = 0; off < 8; ++off) {
        std::vector<T> out(len + 16, T(-12345)), dd(len + 16, T(-12345)), dyy(len + 16, T(-12345)),
            gg(len + 16, T(-12345));
        t->forward[op](xs.data() + 5, out.data() + off, len, cs.p);
        t->backward[op](xs.data() + 5, nullptr, nullptr, dd.data() + off, len, cs.p);
        t->backward[op](xs.data() + 5, y.data() + 5, nullptr, dyy.data() + off, len, cs.p);
        t->backward[op](xs.data() + 5, y.data() + 5, go.data() + 5, gg.data() + off, len, cs.p);
        auto eq = [](T u, T v) { return u == v || (std::isnan(u) && std::isnan(v)); };
        for (std::size_t i = 0; i < len; ++i) {
          bad_nt += !eq(out[off + i], y[5 + i]) + !eq(dd[off + i], d[5 + i]) + !eq(dyy[off + i], dy[5 + i]) +
                    !eq(gg[off + i], gi[5 + i]);
        }
        for (std::size_t i = 0; i < off; ++i) bad_nt += out[i] != T(-12345) || gg[i] != T(-12345);
        for (std::size_t i = off + len; i < len + 16; ++i) bad_nt += out[i] != T(-12345) || gg[i] != T(-12345);
      }
    }
    std::vector<T> an(xs), gn(go);
    t->forward[op](an.data() + 1, an.data() + 1, n - 1, cs.p);
    t->backward[op](xs.data() + 1, y.data() + 1, gn.data() + 1, gn.data() + 1, n - 1, cs.p);
    for (std::size_t i = 1; i < n; ++i) {
      bad_nt += !(an[i] == y[i] || (std::isnan(an[i]) && std::isnan(y[i])));
      bad_nt += !(gn[i] == gi[i] || (std::isnan(gn[i]) && std::isnan(gi[i])));
    }
    set_act_stream_min_bytes(act_stream_default_bytes());
    check(bad_nt == 0, tag + " streamed output: same values, in bounds, in place");

    // Long calls: several whole chunks of the two- and three-stage loops (512 elements) and a remainder give,
    // element for element, the values of short calls (61 elements: the one-pass loops), out of place and in place,
    // with the output at every offset from a vector boundary (act_run's aligning head) and nothing written
    // outside it.
    {
      const std::size_t len = 8 * 512 + 37;
      std::vector<T> xl(len + 1), gol(len + 1), ys(len + 1), gs(len + 1);
      for (std::size_t i = 0; i <= len; ++i) xl[i] = xs[(i * 7) % n], gol[i] = go[(i * 5) % n];
      for (std::size_t at = 1; at <= len; at += 61) {
        const std::size_t m = std::min<std::size_t>(61, len + 1 - at);
        t->forward[op](xl.data() + at, ys.data() + at, m, cs.p);
        t->backward[op](xl.data() + at, nullptr, gol.data() + at, gs.data() + at, m, cs.p);
      }
      auto eq = [](T u, T v) { return u == v || (std::isnan(u) && std::isnan(v)); };
      int bad_long = 0;
      for (std::size_t off = 0; off < 8; ++off) {
        std::vector<T> yl(len + 16, T(-12345)), gl(len + 16, T(-12345)), al(len + 16, T(-12345));
        std::copy(xl.begin() + 1, xl.end(), al.begin() + off);
        t->forward[op](xl.data() + 1, yl.data() + off, len, cs.p);
        t->backward[op](xl.data() + 1, nullptr, gol.data() + 1, gl.data() + off, len, cs.p);
        t->forward[op](al.data() + off, al.data() + off, len, cs.p);
        for (std::size_t i = 0; i < len; ++i)
          bad_long += !eq(yl[off + i], ys[1 + i]) + !eq(gl[off + i], gs[1 + i]) + !eq(al[off + i], ys[1 + i]);
        for (std::size_t i = 0; i < len + 16; ++i) {
          if (i >= off && i < off + len) continue;
          bad_long += (yl[i] != T(-12345)) + (gl[i] != T(-12345)) + (al[i] != T(-12345));
        }
      }
      check(bad_long == 0, tag + fmt(" long call (n=%g) = short calls, every output offset, also in place",
                                     double(len)));
    }
  }

  // PReLU per channel: element i is channel (i / inner) % channels.
  {
    const std::size_t channels = 3, inner = 13, len = 2 * channels * inner + 5;
    std::vector<T> x(len), g(len), alpha = {T(0.25), T(-0.5), T(2)}, y(len), gi2(len);
    for (std::size_t i = 0; i < len; ++i) x[i] = static_cast<T>(uniform(-3, 3)), g[i] = static_cast<T>(uniform(-1, 1));
    t->prelu_forward(x.data(), y.data(), len, alpha.data(), channels, inner);
    std::vector<double> galpha(channels, 1.0);
    t->prelu_backward(x.data(), g.data(), gi2.data(), len, alpha.data(), channels, inner, galpha.data());
    bool okf = true, okb = true;
    std::vector<double> want_ga(channels, 1.0);
    for (std::size_t i = 0; i < len; ++i) {
      const std::size_t c = (i / inner) % channels;
      okf &= y[i] == (x[i] > 0 ? x[i] : alpha[c] * x[i]);
      okb &= gi2[i] == (x[i] > 0 ? g[i] : alpha[c] * g[i]);
      if (!(x[i] > 0)) want_ga[c] += static_cast<double>(x[i]) * g[i];
    }
    bool oka = true;
    for (std::size_t c = 0; c < channels; ++c) oka &= std::fabs(galpha[c] - want_ga[c]) <= 1e-5 * (1 + std::fabs(want_ga[c]));
    check(okf, std::string(isa_name(isa)) + " " + dt + " prelu forward per channel");
    check(okb, std::string(isa_name(isa)) + " " + dt + " prelu backward gi per channel");
    check(oka, std::string(isa_name(isa)) + " " + dt + " prelu backward galpha accumulates");
    // go == nullptr, gi == nullptr, galpha == nullptr, in place
    std::vector<double> ga2(channels, 0.0);
    t->prelu_backward(x.data(), nullptr, nullptr, len, alpha.data(), channels, inner, ga2.data());
    double s0 = 0;
    for (std::size_t i = 0; i < len; ++i)
      if ((i / inner) % channels == 0 && !(x[i] > 0)) s0 += x[i];
    check(std::fabs(ga2[0] - s0) <= 1e-5 * (1 + std::fabs(s0)), std::string(dt) + " prelu galpha with go == null");
    std::vector<T> xin(x);
    t->prelu_forward(xin.data(), xin.data(), len, alpha.data(), channels, inner);
    check(xin == y, std::string(dt) + " prelu forward in place");
    t->prelu_backward(x.data(), g.data(), nullptr, len, alpha.data(), channels, inner, nullptr);  // no-op, no crash
  }
  // PReLU runs long enough for the aligning head (act_run), the output at every offset from a vector boundary:
  // exact values, the alpha gradient, and nothing written outside the output.
  {
    const std::size_t channels = 2, inner = 700, len = 2 * channels * inner + 37;
    const std::vector<T> alpha = {T(0.25), T(-1.5)};
    std::vector<T> x(len), g(len);
    for (std::size_t i = 0; i < len; ++i) x[i] = static_cast<T>(uniform(-3, 3)), g[i] = static_cast<T>(uniform(-1, 1));
    std::vector<double> want_ga(channels, 0.0);
    for (std::size_t i = 0; i < len; ++i)
      if (!(x[i] > 0)) want_ga[(i / inner) % channels] += static_cast<double>(x[i]) * g[i];
    int bad = 0;
    std::vector<double> ga0;  // the alpha gradient must not depend on where gi sits (nor on whether it is wanted)
    t->prelu_backward(x.data(), g.data(), nullptr, len, alpha.data(), channels, inner, (ga0 = {0.0, 0.0}).data());
    for (std::size_t off = 0; off < 8; ++off) {
      std::vector<T> y(len + 16, T(-12345)), gi2(len + 16, T(-12345));
      std::vector<double> ga(channels, 0.0);
      t->prelu_forward(x.data(), y.data() + off, len, alpha.data(), channels, inner);
      t->prelu_backward(x.data(), g.data(), gi2.data() + off, len, alpha.data(), channels, inner, ga.data());
      for (std::size_t i = 0; i < len + 16; ++i) {
        if (i < off || i >= off + len) {
          bad += (y[i] != T(-12345)) + (gi2[i] != T(-12345));
          continue;
        }
        const std::size_t j = i - off, c = (j / inner) % channels;
        bad += y[i] != (x[j] > 0 ? x[j] : alpha[c] * x[j]);
        bad += gi2[i] != (x[j] > 0 ? g[j] : alpha[c] * g[j]);
      }
      for (std::size_t c = 0; c < channels; ++c)
        bad += !(std::fabs(ga[c] - want_ga[c]) <= 1e-4 * (1 + std::fabs(want_ga[c]))) + (ga[c] != ga0[c]);
    }
    check(bad == 0, std::string(isa_name(isa)) + " " + dt + " prelu long runs at every output offset");
  }

  // PReLU backward over long channel runs: the unrolled loop with four partial sums, the one-vector loop, the
  // partial tail and the blocks of 256 vectors summed in double (inner = 4100 = 2 blocks of 2048 floats + 4, and
  // the second channel's run starts mid-vector); a NaN in channel 1 reaches galpha[1] only.
  {
    const std::size_t channels = 2, inner = 4100, len = channels * inner + 4 * inner / 3;
    std::vector<T> x(len), g(len), alpha = {T(0.25), T(-0.5)}, gi(len, T(-7));
    std::vector<double> galpha = {0.5, 0.0};
    const double tol = sizeof(T) == 4 ? 1e-6 : 1e-13;  // float32 products, float32 partial sums of <= 64 terms
    for (std::size_t i = 0; i < len; ++i) x[i] = static_cast<T>(uniform(-3, 3)), g[i] = static_cast<T>(uniform(-1, 1));
    x[inner + 3001] = std::numeric_limits<T>::quiet_NaN();
    t->prelu_backward(x.data(), g.data(), gi.data(), len, alpha.data(), channels, inner, galpha.data());
    std::vector<double> want = {0.5, 0.0}, scale = {0.5, 0.0};
    bool okg = true;
    for (std::size_t i = 0; i < len; ++i) {
      const std::size_t c = (i / inner) % channels;
      const T w = x[i] > 0 ? g[i] : (x[i] <= 0 ? alpha[c] * g[i] : x[i]);
      okg &= gi[i] == w || (std::isnan(gi[i]) && std::isnan(w));
      if (!(x[i] > 0)) want[c] += static_cast<double>(x[i]) * g[i], scale[c] += std::fabs(double(x[i]) * g[i]);
    }
    check(okg, std::string(isa_name(isa)) + " " + dt + " prelu backward gi over long runs (NaN stays NaN)");
    check(std::fabs(galpha[0] - want[0]) <= tol * scale[0] && std::isnan(galpha[1]) && std::isnan(want[1]),
          std::string(isa_name(isa)) + " " + dt + " prelu galpha over long runs, NaN in channel 1 only");
    x[inner + 3001] = T(-1);
    std::vector<double> ga(channels, 0.0);
    t->prelu_backward(x.data(), nullptr, nullptr, len, alpha.data(), channels, inner, ga.data());
    double w1 = 0, s1 = 0;
    for (std::size_t i = 0; i < len; ++i)
      if ((i / inner) % channels == 1 && !(x[i] > 0)) w1 += x[i], s1 += std::fabs(double(x[i]));
    check(std::fabs(ga[1] - w1) <= tol * s1,
          std::string(isa_name(isa)) + " " + dt + " prelu galpha, long runs, go null");
  }

  // swish_beta_grad vs central finite differences of sum go * swish(x; beta) (long double reference forward).
  for (double beta : {1.0, 0.5, 1.7}) {
    const std::size_t len = 37;
    std::vector<T> x(len), g(len);
    for (std::size_t i = 0; i < len; ++i) x[i] = static_cast<T>(uniform(-6, 6)), g[i] = static_cast<T>(uniform(-1, 1));
    const long double h = 1e-6L;
    long double sp = 0, sm = 0, s1 = 0;
    for (std::size_t i = 0; i < len; ++i) {
      sp += g[i] * ref::forward<long double>(Act::Swish, x[i], beta + h, 0);
      sm += g[i] * ref::forward<long double>(Act::Swish, x[i], beta - h, 0);
      s1 += ref::forward<long double>(Act::Swish, x[i], beta + h, 0) - ref::forward<long double>(Act::Swish, x[i], beta - h, 0);
    }
    const double fd = static_cast<double>((sp - sm) / (2 * h)), fd1 = static_cast<double>(s1 / (2 * h));
    const double got = t->swish_beta_grad(x.data(), g.data(), len, beta);
    const double got1 = t->swish_beta_grad(x.data(), nullptr, len, beta);
    const double tol = std::is_same<T, float>::value ? 1e-5 : 1e-8;
    check(std::fabs(got - fd) <= tol * (1 + std::fabs(fd)), std::string(dt) + fmt(" swish_beta_grad beta=%g: %.10g vs fd %.10g", beta, got, fd));
    check(std::fabs(got1 - fd1) <= tol * (1 + std::fabs(fd1)), std::string(dt) + fmt(" swish_beta_grad go=null beta=%g: %.10g vs %.10g", beta, got1, fd1));
  }
  // float64 deep in the tails: x^2 e^-|beta x| has relative condition |beta x|, so beta x must be carried with its
  // rounding error (a plain double product was 5.7e-14 off at the first point). mpmath, 60 digits.
  if (std::is_same<T, double>::value) {
    const double pts[][3] = {{10, -52.90873814585879, 4.648625879717633e-227},
                             {1.1, -600.3, 6.012588080190285e-282},
                             {-0.75, 93.7, 2.6511510106188195e-27},
                             {3, -211.13, 3.7266448185046537e-271},
                             {1.5, 300.1, 2.863327089633586e-191},
                             {0.3, -2000.7, 8.59949525359318e-255}};
    for (const auto& p : pts) {
      const T x1 = static_cast<T>(p[1]);
      const double got = t->swish_beta_grad(&x1, nullptr, 1, p[0]);
      const std::string what = fmt(" swish_beta_grad beta=%g x=%.17g: %.17g", p[0], p[1], got);
      check(std::fabs(got - p[2]) <= 1e-14 * p[2], std::string(isa_name(isa)) + " " + dt + what);
    }
  }
  // The same double loop in every family, compiled without implicit contraction (the kernel sources' pragmas): the
  // same bits as the scalar family's, with and without go.
  if (isa != Isa::Scalar) {
    const std::size_t len = 4096;
    std::vector<T> x(len), g(len);
    for (std::size_t i = 0; i < len; ++i) x[i] = static_cast<T>(uniform(-9, 9)), g[i] = static_cast<T>(uniform(-1, 1));
    const ActKernelTable<T>* s = Tables<T>::get(Isa::Scalar);
    bool same = true;
    for (double beta : {1.0, 0.37, -1.3}) {
      same &= t->swish_beta_grad(x.data(), g.data(), len, beta) == s->swish_beta_grad(x.data(), g.data(), len, beta);
      same &= t->swish_beta_grad(x.data(), nullptr, len, beta) == s->swish_beta_grad(x.data(), nullptr, len, beta);
    }
    check(same, std::string(isa_name(isa)) + " " + dt + " swish_beta_grad: the scalar family's bits");
  }
}

void test_cpu() {
  Isa isa;
  check(parse_isa("scalar", &isa) && isa == Isa::Scalar, "parse scalar");
  check(parse_isa("avx2", &isa) && isa == Isa::Avx2, "parse avx2");
  check(parse_isa("neon", &isa) && isa == Isa::Neon, "parse neon");
  check(!parse_isa("sse9", &isa) && !parse_isa(nullptr, &isa), "parse rejects unknown names");
  check(isa_supported(Isa::Scalar) && isa_supported(best_isa()), "best ISA is supported");
  check(&cpu_features() == &cpu_features(), "features cached");
  check(act_stream_default_bytes() >= (std::size_t(1) << 20) && act_stream_min_bytes() == act_stream_default_bytes(),
        "streaming threshold: the cache size (>= 1 MiB) by default");
  std::printf("largest cache (CPUID): %llu bytes; streaming threshold %zu bytes\n", cpu_features().llc_bytes,
              act_stream_default_bytes());
  const char* names[] = {"sigmoid", "tanh",      "softsign", "relu",      "softplus",    "leaky_relu", "elu",  "selu",
                         "swish",   "gelu",      "gelu_tanh", "mish",     "hardswish", "hardsigmoid", "relu6", "celu"};
  bool same = true;
  for (int i = 0; i < kActCount; ++i) same &= std::strcmp(names[i], kActNames[i]) == 0;
  check(same, "kActNames in ops.ts order");
#if defined(__x86_64__) || defined(_M_X64)
  check(act_table_f32_neon() == nullptr && act_table_f32_avx2() != nullptr, "x86-64: avx2 table, no neon");
#endif
}

}  // namespace

int main() {
  test_cpu();
  const Isa all[] = {Isa::Scalar, Isa::Avx2, Isa::Neon};
  for (Isa isa : all) {
    if (!isa_supported(isa)) {
      std::printf("skip %s (not supported here)\n", isa_name(isa));
      continue;
    }
    std::printf("testing %s\n", isa_name(isa));
    test_isa<float>(isa);
    test_isa<double>(isa);
  }
  std::printf("%d passed, %d failed\n", g_pass, g_fail);
  return g_fail == 0 ? 0 : 1;
}
