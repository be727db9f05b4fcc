// swishnet — the activation ops (forward + derivative), their loops and the kernel table, written once over a
// SIMD wrapper V (see act_simd_scalar.h for the interface and act_math.h for the math and its comments).
//
// Each op is a struct built from ActParams (constants broadcast once per call) with
//   V fwd(V x)            the forward value,
//   V grad(V x)           f'(x) from x,
//   V grad_y(V x, V y)    f'(x) from the saved output y (only ops with kUsesY: sigmoid, tanh; their derivative
//                         is a function of y alone, so the loops then do not read x at all),
// and kUnroll / kUnrollBwd (default kUnroll): how many registers of V the forward / backward loop processes as
// one Multi<V, U> (act_multi.h), i.e. how many independent dependency chains sit side by side in program order.
// The values were measured per op on Zen 3 (ulp_sweep --bench): 3-6 for the transcendental ops, where more
// chains hide latency until register spills eat the gain; 4 for the cheap ones, which run at memory speed.
// An op may split its forward into two passes over a chunk buffer (kFwdPasses, fwd_pre / fwd_post: see FwdPasses),
// or three stages (fwd_pre / fwd_mid / fwd_fin, the last skewed by one chunk: gelu_tanh).
// Ops whose float32 fast path depends on a parameter (beta == 1, alpha == 1) come in two compile-time variants
// picked per call (act_forward_pick). float32 bodies are the `if constexpr (kIsF32<V>)` branches; the float64
// code after them is the accurate reference path (1e-14).
// Loops load every input of an iteration before storing any output, so y may alias x and gi may alias x, y or
// go; the unrolled loop, the one-register loop and the masked tail run the same operations lane for lane.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "activations/act_math.h"
#include "activations/act_multi.h"
#include "swishnet/activations.h"



// The loops are flattened: every helper of the math is inlined into them (GCC otherwise gives up on the larger
// Multi<V, U> bodies and passes registers through memory).
#if defined(__GNUC__)
#define SWISHNET_FLATTEN __attribute__((flatten))
#else
#define SWISHNET_FLATTEN
#endif

namespace swishnet {
namespace {

template <class V>
inline V keep_nan(V x, V v) {
  return select(isnan(x), x, v);
}
// +0 or -0 with the sign of x.
template <class V>
inline V signed_zero(V x) {
  return vand(x, V(typename V::T(-0.0)));
}
template <class V>
inline V clamp(V x, typename V::T lo, typename V::T hi) {
  return vmin(V(hi), vmax(V(lo), x));  // x second: NaN comes out
}
// Splits a double constant into hi + lo of the element type.
template <class T>
struct Split {
  T hi, lo;
  explicit Split(double c) : hi(T(c)), lo(T(static_cast<long double>(c) - static_cast<long double>(T(c)))) {}
};

// z = c x as an unevaluated sum zh + zl (c given as hi + lo).
template <class V>
struct Ext {
  V hi, lo;
};
// The low part only matters while zh is inside the exp range (|zl| <= |zh| 2^-24 < 1e-3 there, resp. 1e-10 for
// float64); beyond, zh saturates and a huge residual must not reach the reduction, so it is capped.
template <class V>
inline Ext<V> mul_ext(V x, V ch, V cl) {
  using T = typename V::T;
  const T cap = kIsF32<V> ? T(1e-3f) : T(1e-10);
  V zh = ch * x;
  V zl = fmadd(cl, x, fma_exact(ch, x, -zh));
  return {zh, clamp(zl, -cap, cap)};
}

// The sigmoid core shared by sigmoid, swish, gelu_tanh and the softplus derivative: for z = zh + zl,
//   e = exp(-|z|) = p 2^n, r = 1/(1 + e); sigmoid(z) = r (z >= 0) or e r (z < 0).
template <class V>
struct SigCore {
  V pk;  // exp(-|z|) * 2^K (see scale_up): exact for the whole range, no underflow
  V e;   // exp(-|z|), with gradual underflow
  V r;   // 1 / (1 + e)
  typename V::M neg;  // z < 0
};
template <bool kLo, class V>
inline SigCore<V> sig_core(V zh, V zl) {
  using T = typename V::T;
  auto neg = lt(zh, V(T(0)));
  V a = vor(vabs(zh), V(T(-0.0)));  // -|zh|
  ExpParts<V> ep = kLo ? exp_parts(a, select(neg, zl, V(T(0)) - zl)) : exp_parts(a);
  V pk = scale_up(ep.p, ep.n);
  V e = scale_down(pk);
  V r = V(T(1)) / (V(T(1)) + e);
  return {pk, e, r, neg};
}

// -|x| for the float32 ops that use only p and exp32_inv_scale (u = e / (1 + e) = p / (p + 2^-n)), clamped at
// kExp32SiInf: below, 2^-n is +inf and u is exactly 0, so the tails reach their limits (sigmoid(-1e4) = 0,
// sech^2(50) = 0) with no compare or flush. neg_abs_si_pos also caps x at -kExp32Flush<0> = 87.7 first, for ops that
// divide si itself (si / (p + si) = 1 / (1 + e) for x >= 0), where si must stay finite.
template <class V>
inline V neg_abs_si(V x) {
  return vmax(V(kExp32SiInf), vor(x, V(-0.0f)));
}
template <class V>
inline V neg_abs_si_pos(V x) {
  return vor(vmin(V(-kExp32Flush<0>), vmax(V(kExp32SiInf), x)), V(-0.0f));
}

// ---------------------------------------------------------------------------------------------- the ops

// How an op's loop is split over a chunk buffer (Op::kFwdPasses / Op::kBwdPasses; see FwdPasses below): stages
// 1 (one loop: the other fields are unused), 2 (pre, post) or 3 (pre, mid, fin: forward only); mids: vectors
// the first loop hands on per input; unroll_pre / unroll_post: Multi widths of the first loop and of the second
// (post, or mid in three stages); chunk: elements per chunk.
struct Passes {
  int stages;
  int mids;
  int unroll_pre;
  int unroll_post;
  std::size_t chunk = 512;
};

// fwd(x) / grad(x) of an op whose float32 loop runs in passes (see FwdPasses below): the same operations,
// lane for lane, as fwd_post(x, fwd_pre(x)) resp. grad_post(x, grad_pre(x)).
template <class Op, class V>
inline V fwd_by_passes(const Op& op, V x) {
  V mid[Op::kFwdPasses.mids];
  op.fwd_pre(x, mid);
  return op.fwd_post(x, mid);
}
template <class Op, class V>
inline V grad_by_passes(const Op& op, V x) {
  V mid[Op::kBwdPasses.mids];
  op.grad_pre(x, mid);
  return op.grad_post(x, mid);
}

template <class V>
struct OpSigmoid {
  static constexpr bool kUsesY = true;
  static constexpr int kUnroll = 5;
  static constexpr int kUnrollBwd = 3;
  static constexpr bool kStreamPrefetch = false;  // measured slower with it (prefetch_ahead)
  explicit OpSigmoid(ActParams) {}
  V fwd(V x) const {
    using T = typename V::T;
    if constexpr (kIsF32<V>) {
      // sigmoid(x) = num / (1 + e), e = exp(-|x|) = p 2^n, num = e (x < 0) or 1, both divided through by 2^n
      // (si = 2^-n): one correctly rounded division, also into the subnormal range. x is clamped to
      // [kExp32SiInf, 87.7] before -|x| is taken: above, n >= -127 keeps si finite (si / (p + si) rounds to 1);
      // below, at -88.67, n = -128 and si = 2^128 = +inf, so p / (p + si) is exactly 0 (sigmoid(-1e4) = 0) with
      // one vmin more and no compare or flush (a flush of the result cost 13-22% here: one more mask in a loop
      // already short of registers). Between -88.4 and -88.67 the result is 0 too (true value below 4e-39; the
      // promise below FLT_MIN is 1e-38 absolute).
      Exp32<V> E = exp32_parts<0>(neg_abs_si_pos(x));
      V si = exp32_inv_scale(E);  // e / (1 + e) = p / (p + si), 1 / (1 + e) = si / (p + si)
      return select(lt(x, V(0.0f)), E.p, si) / (E.p + si);
    }
    SigCore<V> c = sig_core<false>(x, x);
    return select(c.neg, scale_down(c.pk * c.r), fmadd(-c.e, c.r, V(T(1))));  // 1 - e r: ~0.5 ULP
  }
  V grad(V x) const {  // s (1 - s) = e r^2 for both signs
    if constexpr (kIsF32<V>) {
      Exp32<V> E = exp32_parts<0, true>(neg_abs_si(x));
      V u = E.p / (E.p + exp32_inv_scale(E));  // e / (1 + e): 0 below the clamp
      return u * (V(1.0f) - u);
    }
    SigCore<V> c = sig_core<false>(x, x);
    return c.e * c.r * c.r;
  }
  V grad_y(V, V y) const { return y * (V(typename V::T(1)) - y); }  // 1 - y is exact for y >= 1/2
};

template <class V>
struct OpTanh {
  using T = typename V::T;
  static constexpr bool kUsesY = true;
  static constexpr int kUnroll = kIsF32<V> ? 4 : 3;
  static constexpr int kUnrollBwd = 3;
  static constexpr bool kStreamPrefetch = false;  // measured slower with it (prefetch_ahead)
  explicit OpTanh(ActParams) {}
  // float64: |x| <= 0.55: tanh|x| = -em / (2 + em), em = expm1(-2|x|) (no cancellation for small |x|);
  // |x| > 0.55:  tanh|x| = 1 - 2e / (1 + e), e = exp(-2|x|) (the subtraction is the only sizeable rounding, so
  // y = tanh x is within ~0.5 ULP where 1 - y^2 is small and the derivative is taken from y).
  // One division serves both branches; the sign is restored last (tanh(-0) = -0).
  V fwd(V x) const {
    if constexpr (kIsF32<V>) {
      // h = expm1(2a)/2, a = min(|x|, 10) (tanh rounds to 1 from 9.01 on): tanh a = h / (1 + h) = 1 - 1/(1 + h).
      // a <= 0.55: q = h / (1 + h) (h has no cancellation: for a < 0.17 it is rho + rho^2 Q with rho = a exactly;
      // max 3 ULP). a > 0.55: 1 - q with q = 1 / (1 + h) <= 1/2; q's few roundings and the error of h (up to
      // ~1e-7 relative for large n) are scaled by q in the result, so the last subtraction is the only sizeable
      // rounding and y stays within ~0.7 ULP near 1, as the derivative from y needs. 21 operations + 1 division.
      V a = vmin(V(10.0f), vabs(x));  // NaN passes (second operand)
      V h = expm1_half32(a);
      auto big = gt(a, V(0.55f));
      V q = select(big, V(1.0f), h) / (h + V(1.0f));
      return vor(select(big, V(1.0f) - q, q), signed_zero(x));
    }
    V ax = vabs(x);
    Expm1Result<V> m = vexpm1_neg(V(T(-2)) * ax);
    auto big = gt(ax, V(T(0.55)));
    V num = select(big, m.e + m.e, V(T(0)) - m.em1);
    V den = select(big, V(T(1)) + m.e, V(T(2)) + m.em1);
    V q = num / den;
    return vor(select(big, V(T(1)) - q, q), signed_zero(x));
  }
  V grad(V x) const {  // sech^2 x = 4e / (1 + e)^2, e = exp(-2|x|)
    if constexpr (kIsF32<V>) {
      // u = e / (1 + e), 0 below the clamp (|x| > 44.3, where sech^2 < 1e-38); 4e / (1 + e)^2 = 4 u (1 - u)
      Exp32<V> E = exp32_parts<0, true>(neg_abs_si(x * V(2.0f)));
      V u = E.p / (E.p + exp32_inv_scale(E));
      return (u * V(4.0f)) * (V(1.0f) - u);
    }
    // e = exp(-2|x|) as p 2^n with gradual underflow, 2^n applied last (vexpm1_neg's exp stops at its clamp,
    // -40, where expm1 is -1 but exp is still 4e-18: sech^2 would stop falling at 1.7e-17 from |x| = 20 on).
    // Below -746 exp_parts clamps, and 4 exp(-746) would round to the smallest subnormal instead of 0.
    V a = V(T(-2)) * vabs(x);
    ExpParts<V> E = exp_parts(a);
    V r = V(T(1)) / (V(T(1)) + scale_flush(E.p, E.n));
    return select(lt(a, V(T(-746))), V(T(0)), scale(V(T(4)) * E.p * r * r, E.n));
  }
  // (1 - y)(1 + y): 1 - y is exact for |y| >= 1/2, so only y's own error counts where 1 - y^2 is small.
  V grad_y(V, V y) const { return (V(T(1)) - y) * (V(T(1)) + y); }
};

template <class V>
struct OpSoftsign {
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 4;
  explicit OpSoftsign(ActParams) {}
  // |x| is capped at 2^60 (where 1 + |x| == |x| already) so that +-inf give +-1.
  V fwd(V x) const {
    V xc = clamp(x, T(-1.152921504606846976e18), T(1.152921504606846976e18));
    return xc / (V(T(1)) + vabs(xc));
  }
  // No clamp here: r = 1 / (1 + |x|) is exact to the last bit for every finite x and 0 for +-inf, and r^2
  // underflows gracefully (the true derivative is below 1e-36 where |x| > 2^60).
  V grad(V x) const {
    V r = V(T(1)) / (V(T(1)) + vabs(x));
    return r * r;
  }
  V grad_y(V x, V) const { return grad(x); }
};

template <class V>
struct OpRelu {
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 4;
  static constexpr bool kStreamPrefetch = false;  // measured slower with it (prefetch_ahead)
  explicit OpRelu(ActParams) {}
  V fwd(V x) const { return vmax(V(T(0)), x); }
  V grad(V x) const { return keep_nan(x, select(gt(x, V(T(0))), V(T(1)), V(T(0)))); }
  V grad_y(V x, V) const { return grad(x); }
};

template <class V, bool kUnit>
struct OpSoftplusT {  // a = beta, b = threshold; kUnit: beta == 1 (z = x exactly, no division by beta)
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 6;
  static constexpr int kUnrollBwd = 4;
  V beta, thr, bh, bl, lbh, lbl;
  bool small_beta;  // beta < 1: float32 results stay normal below exp's range (see tail32)
  explicit OpSoftplusT(ActParams p)
      : beta(T(p.a)), thr(T(p.b)), bh(T(0)), bl(T(0)), lbh(T(0)), lbl(T(0)), small_beta(p.a < 1) {
    Split<T> b(p.a);
    bh = V(b.hi);
    bl = V(b.lo);
    // ln(beta) as hi + lo, for the float32 tail exp(z - ln beta) (fwd); beta is positive (checked in TypeScript)
    Split<T> lb(p.a > 0 ? std::log(static_cast<double>(static_cast<T>(p.a))) : 0.0);
    lbh = V(lb.hi);
    lbl = V(lb.lo);
  }
  // beta x > threshold ? x : (max(z, 0) + log1p(exp(-|z|))) / beta, z = beta x.
  // float32: log1p(e) = 2s + s^3 P(s^2), s = e / (2 + e) = p / (p + 2 si) in [0, 1/3] (P degree 3, max rel.
  // error 4.5e-9), e = exp(-|z|) = p / si with -|z| clamped at -87.7 (softplus is below FLT_MIN there).
  // z = beta x keeps its rounding error as zl.
  // softplus (beta 1) runs its float32 forward in two passes (kFwdPasses): fwd_pre forms s, fwd_post the
  // polynomial and the sum (ulp_sweep --bench: 1.88-1.90 -> 2.04-2.11 Gelem/s in the same runs; the split after
  // the exp parts, before the division, gave 1.89-1.99).
  static constexpr Passes kFwdPasses{kIsF32<V> && kUnit ? 2 : 1, 1, 4, 2};  // mid: s
  static V s_of(const Exp32<V>& E) {  // e / (2 + e)
    V si = exp32_inv_scale(E);
    return E.p / (E.p + (si + si));
  }
  static V log1p_of_s(V sv) {  // log1p(e) = 2s + s^3 P(s^2)
    V w = sv * sv;
    V P = fmadd(w, V(2.801475e-01f), V(2.800129e-01f));
    P = fmadd(P, w, V(4.0021557e-01f));
    P = fmadd(P, w, V(6.666642e-01f));
    return fmadd(sv * w, P, sv + sv);
  }
  void fwd_pre(V x, V* mid) const { mid[0] = s_of(exp32_parts<0>(vmax(V(kExp32Flush<0>), vor(x, V(-0.0f))))); }
  V fwd_post(V x, const V* mid) const { return select(gt(x, thr), x, vmax(V(0.0f), x) + log1p_of_s(mid[0])); }
  V fwd(V x) const {
    if constexpr (kIsF32<V> && kUnit) {
      return fwd_by_passes(*this, x);
    } else if constexpr (kIsF32<V>) {
      Ext<V> ze = mul_ext(clamp(x, -1e30f, 1e30f), bh, bl);
      V z = ze.hi;
      V a = vmax(V(kExp32Flush<0>), vor(z, V(-0.0f)));
      Exp32<V> E = exp32_parts<0>(a, select(lt(z, V(0.0f)), ze.lo, V(0.0f) - ze.lo));
      V sp = (vmax(V(0.0f), z) + log1p_of_s(s_of(E))) / beta;
      // tail32 for beta < 1 only (beyond exp's range the result is below FLT_MIN for beta >= 1, where 1e-38 absolute
      // is the promise), and only where a lane needs it, out of line: computed for every vector, its second exp
      // cost 40% of this loop (0.95 -> 0.57 Gelem/s at beta 0.5); the test costs ~8% at beta 0.5 (0.87-0.88).
      if (small_beta) {
        auto low = lt(z, V(-87.0f));
        if (SWISHNET_UNLIKELY(m_any(low))) return select(gt(z, thr), x, select(low, tail32(z, ze.lo), sp));
      }
      return select(gt(z, thr), x, sp);
    }
    V z = beta * x;
    V e;
    if constexpr (kUnit) {
      e = vexp(vor(vabs(z), V(T(-0.0))));
    } else {
      // z's rounding error goes into the exp (beta x is exact only for a power-of-two beta): without it, exp(z)
      // carried |z| 2^-53 of relative error, 5.7e-14 at z = -700
      ExpParts<V> ep = exp_parts(vor(vabs(z), V(T(-0.0))), z_lo_toward_zero(x, z));
      e = scale(ep.p, ep.n);
    }
    V sp = vmax(V(T(0)), z) + log1p_unit(e);
    return select(gt(z, thr), x, sp / beta);
  }
  // float32, z = beta x (+ zl) < -87: log1p(e) = e to float32 precision, and e / (2 + e) is subnormal (0 below the
  // clamp at -87.7), while softplus = exp(z) / beta = exp(z - ln beta) is a normal float for beta < 1 down to
  // z = -87.3 + ln beta: formed here from z - ln beta as hi + lo (softplus(-175.4) with beta 0.5 is 1.66e-38, not 0;
  // with beta 1e-20, softplus(-8.8e21) is 8.1e-19).
  SWISHNET_NOINLINE V tail32(V z, V zl) const {
    V zc = vmax(V(-200.0f), z);  // below, exp(z - ln beta) is 0 for every float32 beta (ln beta >= -104); no inf
    V t = zc - lbh;
    V tl = (two_sum_err(zc, V(0.0f) - lbh, t) + zl) - lbl;
    Exp32<V> Et = exp32_parts<0>(vmax(V(kExp32Flush<0>), t), tl);
    return Et.p * Et.s;
  }
  // float64: the low part of -|z| for z = beta x (hi z, as beta * x rounds it), from a clamped x (no NaN residual
  // at +-inf; beyond 1e300 exp(-|z|) is 0 or the threshold takes x for every beta the checks admit but the tiniest).
  V z_lo_toward_zero(V x, V z) const {
    Ext<V> ze = mul_ext(clamp(x, T(-1e300), T(1e300)), bh, bl);
    return select(lt(z, V(T(0))), ze.lo, V(T(0)) - ze.lo);
  }
  V grad(V x) const {
    if constexpr (kIsF32<V>) {  // sigmoid(z)
      V z = kUnit ? x : beta * x;
      Exp32<V> E = exp32_parts<0, true>(neg_abs_si_pos(z));  // as sigmoid's forward
      V si = exp32_inv_scale(E);
      V s = select(lt(z, V(0.0f)), E.p, si) / (E.p + si);
      return select(gt(z, thr), V(1.0f), s);
    }
    V z = beta * x;
    SigCore<V> c;
    if constexpr (kUnit) {
      c = sig_core<false>(z, z);
    } else {
      Ext<V> ze = mul_ext(clamp(x, T(-1e300), T(1e300)), bh, bl);
      c = sig_core<true>(z, ze.lo);
    }
    V s = select(c.neg, c.e * c.r, c.r);
    return select(gt(z, thr), V(T(1)), s);
  }
  V grad_y(V x, V) const { return grad(x); }
};
template <class V>
using OpSoftplus1 = OpSoftplusT<V, true>;
template <class V>
using OpSoftplus = OpSoftplusT<V, false>;

template <class V>
struct OpLeakyRelu {  // a = alpha
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 4;
  V alpha;
  explicit OpLeakyRelu(ActParams p) : alpha(T(p.a)) {}
  V fwd(V x) const { return select(gt(x, V(T(0))), x, alpha * x); }
  V grad(V x) const { return keep_nan(x, select(gt(x, V(T(0))), V(T(1)), alpha)); }
  V grad_y(V x, V) const { return grad(x); }
};

// elu, selu and celu: x > 0 ? s x : c expm1(x / alpha); derivative x > 0 ? s : c / alpha exp(x / alpha).
// kUnit: alpha == 1 (z = x exactly).
template <class V, bool kUnit>
struct EluCore {
  using T = typename V::T;
  V pos_scale, neg_scale, grad_scale, iah, ial;
  EluCore(double s, double c, double alpha)
      : pos_scale(T(s)), neg_scale(T(c)), grad_scale(T(c / alpha)), iah(T(0)), ial(T(0)) {
    // 1/alpha as q + e to ~2^-106 (e: q's rounding error, exact through the FMA), so that z = x / alpha is the
    // product of x and a double-double: with q alone, z carried |z| 2^-53 of error, 3e-14 relative in exp(z)
    // at z = -533.
    const double q = 1.0 / alpha;
    const double e = std::fma(-q, alpha, 1.0) / alpha;
    const T h = T(q);
    iah = V(h);
    ial = V(T((q - static_cast<double>(h)) + e));
  }
  // z = x / alpha as hi + lo (not kUnit), x clamped to +-1e30 first: no NaN residual at +-inf.
  Ext<V> z_of(V x) const { return mul_ext(clamp(x, T(-1e30), T(1e30)), iah, ial); }
  Expm1Result<V> em(V x) const {
    if constexpr (kUnit) return vexpm1_neg(x);
    Ext<V> z = z_of(x);
    return vexpm1_neg(z.hi, z.lo);
  }
  // float32: expm1 of z = x / alpha clamped to [-26, 0] (expm1 is -1 in float32 below -17); the derivative's
  // exp(z) flushes to 0 below -88 (1e-7 absolute is the promise there).
  V fwd(V x) const {
    if constexpr (kIsF32<V>) {
      V em1;
      if constexpr (kUnit) {
        em1 = expm1_32(vmin(V(0.0f), vmax(V(-26.0f), x))).em1;
      } else {
        Ext<V> z = z_of(x);
        em1 = expm1_32(vmin(V(0.0f), vmax(V(-26.0f), z.hi)), z.lo).em1;
      }
      return select(lt(x, V(0.0f)), neg_scale * em1, pos_scale * x);
    }
    // x < 0 picks the exponential side, so that -0 gives -0 (scale x -0), as expm1(-0) = -0 does in PyTorch and
    // the js backend (the polynomial's expm1 gives +0 there); NaN takes the other side, and propagates
    return select(lt(x, V(T(0))), neg_scale * em(x).em1, pos_scale * x);
  }
  V grad(V x) const {
    if constexpr (kIsF32<V>) {
      V e;
      if constexpr (kUnit) {
        e = exp32_pk<0, true>(vmin(V(0.0f), vmax(V(kExp32Flush<0>), x)));
      } else {
        Ext<V> z = z_of(x);
        Exp32<V> E = exp32_parts<0, true>(vmin(V(0.0f), vmax(V(kExp32Flush<0>), z.hi)), z.lo);
        e = E.p * E.s;
      }
      return select(gt(x, V(0.0f)), pos_scale, grad_scale * e);
    }
    // exp(x / alpha) with gradual underflow (not vexpm1_neg's exp, which stops at its clamp: elu' would stay at
    // 4e-18 alpha for every x < -40).
    ExpParts<V> E;
    if constexpr (kUnit) {
      E = exp_parts(vmin(V(T(0)), x));
    } else {
      Ext<V> z = z_of(x);
      E = exp_parts(vmin(V(T(0)), z.hi), z.lo);
    }
    return select(gt(x, V(T(0))), pos_scale, grad_scale * scale(E.p, E.n));
  }
};

template <class V>
struct OpElu {  // a = alpha
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 5;
  static constexpr int kUnrollBwd = 3;
  EluCore<V, true> core;
  explicit OpElu(ActParams p) : core(1.0, p.a, 1.0) {}
  V fwd(V x) const { return core.fwd(x); }
  V grad(V x) const { return core.grad(x); }
  V grad_y(V x, V) const { return grad(x); }
};

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

template <class V>
struct OpSelu {
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 6;
  static constexpr int kUnrollBwd = 3;
  EluCore<V, true> core;
  explicit OpSelu(ActParams) : core(kSeluScale, kSeluScale * kSeluAlpha, 1.0) {}
  V fwd(V x) const { return core.fwd(x); }
  V grad(V x) const { return core.grad(x); }
  V grad_y(V x, V) const { return grad(x); }
};

template <class V, bool kUnit>
struct OpCeluT {  // a = alpha
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 5;
  static constexpr int kUnrollBwd = 3;
  EluCore<V, kUnit> core;
  explicit OpCeluT(ActParams p) : core(1.0, p.a, p.a) {}
  V fwd(V x) const { return core.fwd(x); }
  V grad(V x) const { return core.grad(x); }
  V grad_y(V x, V) const { return grad(x); }
};
template <class V>
using OpCelu1 = OpCeluT<V, true>;
template <class V>
using OpCelu = OpCeluT<V, false>;

// x sigmoid(z) and its derivative for z = zh + zl, shared by swish (z = beta x) and gelu_tanh.
template <bool kLo, class V>
inline V x_sigmoid(V x, V zh, V zl) {
  using T = typename V::T;
  SigCore<V> c = sig_core<kLo>(zh, zl);
  V xc = clamp(x, T(-1e30), T(1e30));
  V y = select(c.neg, scale_down(xc * c.pk * c.r), fmadd(-(xc * c.e), c.r, x));  // x >= 0: x - x e r
  return select(lt(zh, V(MathConst<V>::kExpLo)), signed_zero(x), y);  // beyond the exp cutoff: +-0
}
// d/dx [x sigmoid(z(x))] = s (1 + x z'(x) (1 - s)); xdz = x z'(x), clamped by the caller.
template <bool kLo, class V>
inline V x_sigmoid_grad(V zh, V zl, V xdz) {
  using T = typename V::T;
  SigCore<V> c = sig_core<kLo>(zh, zl);
  V er = c.e * c.r;
  V s = select(c.neg, er, c.r);
  V sm = select(c.neg, c.r, er);
  return s * fmadd(xdz, sm, V(T(1)));
}

template <class V, bool kUnit>
struct OpSwishT {  // a = beta; kUnit: beta == 1 (silu): z = x exactly, no residual needed
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 5;
  static constexpr int kUnrollBwd = 4;
  V bh, bl;
  bool negb;
  explicit OpSwishT(ActParams p) : bh(T(0)), bl(T(0)), negb(p.a < 0) {
    Split<T> b(p.a);
    bh = V(b.hi);
    bl = V(b.lo);
  }
  // float32: x sigmoid(z) = max(x, 0) - |x| u, u = sigmoid(-|z|) = e / (1 + e), e = exp(-|z|) (z and x have the
  // same sign for beta > 0; for beta < 0 the roles of the two formulas swap, see below). With pk = e 2^32,
  // |x| u = (|x| pk) / (pk + 2^32): exact scaling, so results that are normal while e is subnormal (x ~ -90) come
  // out of one correctly rounded division. -|z| is clamped where pk flushes to 0; |x| is capped at 1e30 (no
  // inf * 0). For x >= 0 the subtraction loses at most what |x| u / y <= 1 amplifies.
  V fwd32(V x) const {
    if constexpr (kUnit) {
      // silu: -|x| clamped is also the factor: |x| u = (-a pk) / (pk + 2^32) (pk = 0 below the clamp, where
      // |x| itself may be inf), so no separate |x| capped at 1e30.
      V a = vmax(V(kExp32Flush<32>), vor(x, V(-0.0f)));
      V pk = exp32_pk<32>(a);
      return vmax(V(-0.0f), x) + (a * pk) / (pk + V(4294967296.0f));
    }
    Ext<V> z = mul_ext(clamp(x, -1e30f, 1e30f), bh, bl);
    Exp32<V> E = exp32_parts<32>(vmax(V(kExp32Flush<32>), vor(z.hi, V(-0.0f))),
                                 select(lt(z.hi, V(0.0f)), z.lo, V(0.0f) - z.lo));
    V pk = E.p * E.s;
    V g = (vmin(V(1e30f), vabs(x)) * pk) / (pk + V(4294967296.0f));
    if (negb) return vor(vmin(V(0.0f), x) + g, signed_zero(x));  // beta < 0: min(x, 0) + |x| u
    return vmax(V(-0.0f), x) - g;
  }
  // silu: s = sigmoid(x) = 1 / (1 + E), E = exp(-x), and 1 - s = E s (relative accuracy for both signs):
  // f' = s + x s (1 - s) = s (1 + x E s): no select, no 1 - u. x is clamped to +-87 (2^n stays normal and
  // 1 + E finite; f'(-87) = -1.4e-36); below -87 the result is -0.
  // general beta: e = exp(-|z|) with -|z| clamped at kExp32SiInf, where u = e / (1 + e) is exactly 0.
  // silu's float32 backward runs in two passes (kBwdPasses): grad_pre forms E, grad_post the rest
  // (ulp_sweep --bench: 2.40-2.42 -> 2.52-2.53 Gelem/s in the same runs). Its forward in two passes, pk first,
  // was slower (2.64-2.66 against 2.81-2.83) and stays one loop. Unrolls 4/2 since act_run aligns the output:
  // 2.66-2.67 against 2/2's 2.55-2.57 (4/4 2.64-2.66).
  static constexpr Passes kBwdPasses{kIsF32<V> && kUnit ? 2 : 1, 1, 4, 2};  // mid: E
  void grad_pre(V x, V* mid) const {
    V xc = vmin(V(87.0f), vmax(V(-87.0f), x));
    Exp32<V> Em = exp32_parts<0, true>(-xc);
    mid[0] = Em.p * Em.s;
  }
  V grad_post(V x, const V* mid) const {
    V xc = vmin(V(87.0f), vmax(V(-87.0f), x));
    V e = mid[0];
    V sg = V(1.0f) / (e + V(1.0f));
    return flush_where(lt(x, V(-87.0f)), sg * fmadd(xc, e * sg, V(1.0f)));  // -0 below, not f'(-87)
  }
  V grad32(V x) const {
    if constexpr (kUnit) return grad_by_passes(*this, x);
    Ext<V> ze = mul_ext(clamp(x, -1e30f, 1e30f), bh, bl);
    V z = ze.hi;
    V a = neg_abs_si(z);
    Exp32<V> E = exp32_parts<0, true>(a, select(lt(z, V(0.0f)), ze.lo, V(0.0f) - ze.lo));
    // s + z u (1 - u), u = e / (1 + e) = sigmoid(-|z|), s = u (z < 0) or 1 - u. Where -|z| is clamped, u is 0
    // exactly (neg_abs_si), so z may be replaced by the clamped value with z's sign (finite: no inf * 0), and the
    // derivative is 0 (z < 0) or 1 there.
    V u = E.p / (E.p + exp32_inv_scale(E));
    V um = V(1.0f) - u;
    V zc = vor(vabs(a), signed_zero(z));
    // s (1 + z (1 - s)) with s = u (z < 0) or 1 - u: where u underflows (z < 0), 0 times a negative factor is -0,
    // the sign of the true value (z u (1 - u) + u summed -0 and +0 into +0; the unit-beta kernel and js give -0)
    auto neg = lt(z, V(0.0f));
    return select(neg, u, um) * fmadd(zc, select(neg, um, u), V(1.0f));
  }

  // z = beta x is formed from x capped at +-1e30 (z saturates long before) so that +-inf give no NaN residual.
  // x f(x) with f > 0: the result carries the sign of x, also where it rounds to zero (-0 in, -0 out). float32
  // gets it for free: max(-0, x) - g is x - g or -g (-0 when g is 0), never +0 for negative x.
  V fwd(V x) const {
    if constexpr (kIsF32<V>) return fwd_impl(x);
    return vor(fwd_impl(x), signed_zero(x));
  }
  V fwd_impl(V x) const {
    if constexpr (kIsF32<V>) return fwd32(x);
    if constexpr (kUnit) return x_sigmoid<false>(x, x, x);
    Ext<V> z = mul_ext(clamp(x, T(-1e30), T(1e30)), bh, bl);
    return x_sigmoid<true>(x, z.hi, z.lo);
  }
  V grad(V x) const {
    if constexpr (kIsF32<V>) return grad32(x);
    if constexpr (kUnit) return x_sigmoid_grad<false>(x, x, clamp(x, T(-1e4), T(1e4)));
    Ext<V> z = mul_ext(clamp(x, T(-1e30), T(1e30)), bh, bl);
    return x_sigmoid_grad<true>(z.hi, z.lo, clamp(z.hi, T(-1e4), T(1e4)));
  }
  V grad_y(V x, V) const { return grad(x); }
};
template <class V>
using OpSwish1 = OpSwishT<V, true>;
// swish with beta = 0: x sigmoid(0) = x / 2 exactly, derivative 1/2 (NaN kept). Picked per call (act_forward_pick):
// the general loop forms beta x from x capped at 1e30, which overflowed float32 for |x| > 7.9e28 at beta = 0
// (-Infinity out of swish(1e30)), and the float64 one returned 5e29 for x = 1e300.
template <class V>
struct OpSwish0 {
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 4;
  explicit OpSwish0(ActParams) {}
  V fwd(V x) const { return x * V(T(0.5)); }
  V grad(V x) const { return keep_nan(x, V(T(0.5))); }
  V grad_y(V x, V) const { return grad(x); }
};
template <class V>
using OpSwish = OpSwishT<V, false>;

template <class V>
struct OpGelu {
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 5;
  static constexpr int kUnrollBwd = 3;
  static constexpr bool kStreamPrefetch = false;  // measured slower with it (prefetch_ahead)
  static constexpr T kVmax = kIsF32<V> ? T(14.5f) : T(38.7);  // Q(v) exp-underflows beyond
  static constexpr T kXc = kIsF32<V> ? T(20) : T(50);
  explicit OpGelu(ActParams) {}
  // gelu(x) = x Phi(x); Phi = Q(|x|) for x < 0, 1 - Q(|x|) otherwise; Q = exp(-v^2/2) G(v), 2^n applied last.
  // float32: gelu = max(x, 0) - v Q(v) for both signs, v Q(v) = v P exp(-v^2/2) / D (normal_tail_ratio32), the
  // division last (one rounding into the subnormal range). v is capped at 13.2, where 2^n is still normal and
  // v Q(v) < 1e-38.
  // x f(x) with f > 0: the result carries the sign of x, also where it rounds to zero (-0 in, -0 out). float32
  // gets it for free: max(-0, x) - g is x - g or -g (-0 when g is 0), never +0 for negative x.
  V fwd(V x) const {
    if constexpr (kIsF32<V>) return fwd_impl(x);
    return vor(fwd_impl(x), signed_zero(x));
  }
  V fwd_impl(V x) const {
    if constexpr (kIsF32<V>) {
      V v = vmin(V(13.2f), vabs(x));
      TailRatio32<V> T = normal_tail_ratio32(v);
      Exp32<V> E = exp32_neg_half_square(v);
      // 2^n is applied first (exact: v P 2^n stays normal, n >= -126) so that the division is the last rounding
      // (also into the subnormal range) and nothing but the correction follows it on the critical path.
      V vPs = T.vP * E.s;
      V N = fmadd(vPs, E.p, vPs);  // v P exp(-v^2/2)
      V q = N / T.D;
      q = select(lt(T.Dm, V(0.5f)), fmadd(-q, T.Dm, N), q);  // small v: N / (1 + Dm) without D's rounding
      // x < -13.2: -0 (gelu(-1e4) = -0), not gelu(-13.2) = -5.8e-39
      return flush_where(lt(x, V(-13.2f)), vmax(V(-0.0f), x) - q);
    }
    V v = vmin(V(kVmax), vabs(x));
    V G = normal_tail_scaled(v);
    ExpParts<V> E = exp_neg_half_square(v);
    auto neg = lt(x, V(T(0)));
    V xc = clamp(x, -kXc, kXc);
    V b = scale(select(neg, xc * G, G) * E.p, E.n);
    return select(neg, b, fmadd(-xc, b, x));
  }
  // Phi(x) + x phi(x): x < 0: exp(-v^2/2) (G + x c); x >= 0: 1 + exp(-v^2/2) (x c - G); c = 1/sqrt(2 pi).
  V grad(V x) const {
    if constexpr (kIsF32<V>) {  // D = exp(-v^2/2) (v c - G): x >= 0: 1 + D, x < 0: -D (v capped at 13.2)
      // G's plain rational P / Q is evaluated in float32 here: its ~2-3 ULP of rounding error fit the derivative's
      // 8 ULP budget.
      V v = vmin(V(13.2f), vabs(x));
      V G = normal_tail_rational32(v);
      Exp32<V> E = exp32_neg_half_square<true>(v);
      V w = fmadd(v, V(0.398942280401432677939946059934f), -G);
      V D = fmadd(w, E.p, w) * E.s;
      return flush_where(lt(x, V(-13.2f)), select(lt(x, V(0.0f)), -D, D + V(1.0f)));  // as the forward
    }
    V v = vmin(V(kVmax), vabs(x));
    V G = normal_tail_scaled(v);
    ExpParts<V> E = exp_neg_half_square(v);
    auto neg = lt(x, V(T(0)));
    V xc = clamp(x, -kXc, kXc);
    V w = fmadd(xc, V(T(0.398942280401432677939946059934)), select(neg, G, -G));
    // x < -38.7 (v capped): -0, not the smallest subnormal of the capped v
    return flush_where(lt(x, V(-kVmax)), select(neg, V(T(0)), V(T(1))) + scale(E.p * w, E.n));
  }
  V grad_y(V x, V) const { return grad(x); }
};

template <class V>
struct OpGeluTanh {
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 3;
  static constexpr int kUnrollBwd = 4;
  static constexpr T kXc = kIsF32<V> ? T(20) : T(50);  // beyond, sigmoid(z) is 0 or 1
  // gelu_tanh(x) = 0.5 x (1 + tanh(u)) = x sigmoid(z), z = 2u = x (c1 + c2 x^2), c1 = 2 sqrt(2/pi),
  // c2 = 0.044715 c1. float64: z is formed as zh + zl (x^2 exact, TwoSum for c1 + c2 x^2, residual of the last
  // product) and goes through x_sigmoid.
  static constexpr double kC1 = 1.5957691216057307117597842397375;
  static constexpr double kC2 = 0.071354816272600243467638977316388;  // kC1 * 0.044715
  V c1h, c1l, c2h, c2l, c2x3;
  OpGeluTanh(ActParams) : c1h(T(0)), c1l(T(0)), c2h(T(0)), c2l(T(0)), c2x3(T(3 * kC2)) {
    if constexpr (kIsF32<V>) {
      c1h = V(1.5957692e+00f), c1l = V(-4.534068e-08f), c2h = V(7.1354814e-02f), c2l = V(2.3988325e-09f);
    } else {
      c1h = V(1.5957691216057308e+00), c1l = V(-9.96930880911092e-17);
      c2h = V(7.135481627260025e-02), c2l = V(-6.175149918155315e-19);
    }
  }
  Ext<V> z_of(V xc) const {
    V sh = xc * xc;
    V sl = fma_exact(xc, xc, -sh);
    V m = c2h * sh;
    V ml = fma_exact(c2h, sh, -m);
    V w = m + c1h;
    V wl = (two_sum_err(m, c1h, w) + ml) + fmadd(c2h, sl, fmadd(c2l, sh, c1l));
    V zh = xc * w;
    V zl = fmadd(xc, wl, fma_exact(xc, w, -zh));
    return {zh, zl};
  }
  // float32 (fwd_pre/fwd_post, grad_pre/grad_post): y = x / (1 + E), E = exp(-z) = 2^(x W),
  // W = -log2(e) (c1 + c2 x^2), reduced in log2 units (exp2_unit: t = fma(x, W, magic), r = fma(x, W, -n), so x W
  // itself is never rounded).
  // Only W's own error is left, and it matters for x < 0, where y ~ x e^z carries z's absolute error as a
  // relative one (|z| = 100 at x = -10.5: a float32 z would be ~100 ULP off). W is a double-float W + wl:
  //   W = fl(Bh x^2 + Ah) with Ah (-A rounded to a multiple of 2^-20) and Bh = fl(-B): Ah - W is then exact
  //   (|W| < 16: both are multiples of ulp(W)), so e = fma(Bh, h, Ah - W) is W's rounding error up to one
  //   rounding of a 1e-6-sized value; wl = e + Bh l + Bl h + Al with x^2 = h + l exact (-l = fnma(x, x, h), no
  //   negation). 7 operations where the former TwoSum construction of z took 17; log2(e) folded into the
  //   constants saves the ln2 split.
  // The forward scales numerator and denominator by 2^-3 (the magic's bias): 1 + E overflows float32 from
  // x = -10.05 on, while y is normal down to x = -10.1; 1 + E itself would reach 2^130 at the clamp x = -10.13.
  // There, y = -10.13 / 8 / D = -6e-39 stands for every smaller x (true value: below 1e-40; the promise below
  // FLT_MIN is 1e-38 absolute). x is clamped to 9.9 above (E >= 2^-124: D = 1/8 exactly, y = x). x / 8 is exact
  // except for |x| < 2^-123, where its subnormal rounding costs at most 2 ULP of y = x / 2.
  // gelu_tanh(-0) = -0 / (1/4), -inf gives -6e-39 (see fwd_fin), +inf: inf / 8 / (1/8).
  // 2^r = 1 + r P(r) with the degree-4 P of exp2_unit (9.3e-8; the degree-5 one costs two more FMAs per vector,
  // 1.85 -> 2.07 Gelem/s). y = x / (1 + E) takes E's relative error times E / (1 + E) <= 1; for x < 0 (E >> 1) the
  // errors add up to P's 9.3e-8 (up to 1.6 ULP where y's significand is near 2), the roundings of D and of the
  // quotient (0.5 ULP each) and W + wl and r (~0.3 ULP). D = s + fma(s r, P, 1/8) leaves out the rounding of a
  // separate 2^r: the full sweep's maximum is 3 ULP (scalar and AVX2; 4 at x = -5.0 with D = fma(2^r, s, 1/8),
  // which was ~4% faster in the two-pass loop and is ~6% slower in the three-stage one: 2.41-2.42 against
  // 2.55-2.57 Gelem/s in ulp_sweep --bench).
  // Two passes (act_forward, kFwdPasses): fwd_pre forms s = 2^(n-3) and r for a chunk of 512 elements into
  // an on-stack buffer, fwd_post evaluates 2^r and the quotient; fwd = fwd_post(fwd_pre(x)), lane for lane the
  // same operations. The two short loops keep more elements in flight than one long chain with its ~20 live
  // registers (spills at kUnroll 3): 1.85 -> 2.33-2.40 Gelem/s, of which the shorter exp2 polynomial gives 2.07.
  // Unrolls pre/post 2/4 rather than 1/2: 2.27-2.39 -> 2.42-2.45 in the same runs (1/4 2.38-2.42; 4/2 and 4/4
  // 1.95-2.00; chunks of 256 or 1024 no different).
  // SIMD float32 runs three stages (kFwdStages 3, skewed_chunks): fwd_pre, fwd_mid (D = (1 + E) / 8) and fwd_fin
  // (the quotient), the division of one chunk in the loop that runs fwd_pre for the next. Timed alone (ulp_sweep
  // --bench, 1M), fwd_mid runs at its FMA bound (3.0 cycles per vector of 8), the division loop alone (x in, y
  // out) at 5.7 cycles where `vdivps` alone takes 3.5 (pipe_costs); with fwd_pre beside it, 7.3. Same-minute A/B:
  // 2.36-2.41 -> 2.50-2.51 Gelem/s, unrolls pre+fin/mid 1/4 (2/4 2.34-2.38; 1/2, 1/3, 1/6 and chunks of 256-1024
  // within 2.45-2.52); all three stages in one loop gave 2.3. The scalar build keeps two passes (0.19 -> 0.14
  // Gelem/s with three). Those unrolls were chosen on an output 16 bytes off a vector boundary (half the stores
  // split across cache lines); since act_run aligns the output, 2/4 is the faster: 2.56-2.57 against 1/4's
  // 2.53-2.54 (4/4 2.06, 1/8 2.47-2.49, chunks of 1024 2.47-2.49, of 256 2.57-2.58).
  static constexpr float kAh = -2.302207946777344f;  // -A = -c1 log2(e), A rounded to a multiple of 2^-20
  static constexpr float kAl = -2.5136697e-07f;      // -(A - Ah)
  static constexpr float kBh = -1.0294324e-01f;      // -B = -c2 log2(e)
  static constexpr float kBl = 2.0161985e-09f;       // -(B - Bh)
  static constexpr int kFwdStages = kIsF32<V> ? (V::N > 1 ? 3 : 2) : 1;
  static constexpr Passes kFwdPasses{kFwdStages, 2, 2, 4};  // mids: s, r
  void fwd_pre(V x, V* mid) const {
    V xc = vmin(V(9.9f), vmax(V(-10.13f), x));
    V h = xc * xc;
    V nl = fnma_exact(xc, xc, h);  // -l
    V W = fmadd(V(kBh), h, V(kAh));
    V e = fma_exact(V(kBh), h, V(kAh) - W);
    V wl = e + fmadd(V(-kBh), nl, fmadd(V(kBl), h, V(kAl)));
    const V magic(12582912.0f + 127.0f - 3.0f);  // 2^(n - 3) from t (see exp32_impl)
    V t = fmadd(xc, W, magic);
    mid[0] = shl_mant(t);
    mid[1] = fmadd(xc, wl, fma_exact(xc, W, magic - t));
  }
  V fwd_mid(const V* mid) const {
    return mid[0] + fmadd(mid[0] * mid[1], exp2_unit_p4(mid[1]), V(0.125f));  // (1 + E) / 8 = s + (s r P + 1/8)
  }
  // x < -10.13 gives the clamp's -6e-39 (within 1e-38 of the true value, which rounds to -0): a flush to -0 here
  // (a compare and a mask beside the division) cost 6-7% of this loop (ulp_sweep --bench, ten interleaved runs:
  // 2.27-2.31 -> 2.12-2.16 Gelem/s in the fast minutes), and this forward is at its 1M target already.
  V fwd_fin(V x, V D) const { return (vmax(V(-10.13f), x) * V(0.125f)) / D; }
  V fwd_post(V x, const V* mid) const { return fwd_fin(x, fwd_mid(mid)); }
  // The derivative: with s = sigmoid(z) = 1 / (1 + E) and 1 - s = E s, f' = s + x z' s (1 - s) = s (1 + x z' E s).
  // Plain float32 W and a degree-4 exp2 suffice: the error of z is a relative error of s where s is small, and
  // there f' (< 0.15 in magnitude for |z| > 2.7) keeps it below 1e-7 absolute. x is clamped to +-10 (|z log2(e)| <=
  // 126: 2^n stays normal, 1 + E finite); at -10, f' = -2e-36, and -0 below.
  // Two passes (kBwdPasses): grad_pre forms E, grad_post the quotient and the product, as in the forward
  // (ulp_sweep --bench, backward with grad_out: 2.10-2.21 -> 2.21-2.28 Gelem/s in the same runs).
  static constexpr Passes kBwdPasses{kIsF32<V> ? 2 : 1, 1, 2, 2};  // mid: E
  void grad_pre(V x, V* mid) const {
    V xc = vmin(V(10.0f), vmax(V(-10.0f), x));
    V h = xc * xc;
    V W = fmadd(V(-1.0294324e-01f), h, V(-2.3022082f));
    const V magic(12582912.0f + 127.0f);
    V t = fmadd(xc, W, magic);
    mid[0] = exp2_unit<true>(fma_exact(xc, W, magic - t)) * shl_mant(t);
  }
  V grad_post(V x, const V* mid) const {
    V xc = vmin(V(10.0f), vmax(V(-10.0f), x));
    V E = mid[0];
    V s = V(1.0f) / (E + V(1.0f));
    V xdz = xc * fmadd(V(0.21406445f), xc * xc, V(1.5957692f));  // x z'(x), z' = c1 + 3 c2 x^2
    return flush_where(lt(x, V(-10.0f)), s * fmadd(xdz, E * s, V(1.0f)));  // -0 below the clamp, not f'(-10)
  }
  // x f(x) with f > 0: the result carries the sign of x, also where it rounds to zero (-0 in, -0 out).
  V fwd(V x) const {
    if constexpr (kIsF32<V>) return fwd_by_passes(*this, x);
    Ext<V> z = z_of(clamp(x, -kXc, kXc));
    return vor(x_sigmoid<true>(x, z.hi, z.lo), signed_zero(x));
  }
  V grad(V x) const {
    if constexpr (kIsF32<V>) return grad_by_passes(*this, x);
    V xc = clamp(x, -kXc, kXc);
    Ext<V> z = z_of(xc);
    V dz = fmadd(c2x3, xc * xc, c1h);  // z'(x) = c1 + 3 c2 x^2
    return x_sigmoid_grad<true>(z.hi, z.lo, xc * dz);
  }
  V grad_y(V x, V) const { return grad(x); }
};

template <class V>
struct OpMish {
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 6;
  static constexpr int kUnrollBwd = 6;
  explicit OpMish(ActParams) {}
  // tanh(softplus(x)) = N / (N + 2), N = e (e + 2), e = exp(x); mish = x N / (N + 2) with e's 2^n applied last.
  // x > 20: mish = x (N/(N+2) rounds to 1 long before); x below the exp cutoff: +-0.
  // float32: e = exp(x) = pk 2^-32 with the 2^-32 applied by the last division (x e^x is normal down to -92);
  // x is clamped to [kExp32Flush<32>, 20], where pk is exactly 0 at the bottom (mish(-inf) = -0).
  V fwd(V x) const {
    if constexpr (kIsF32<V>) return fwd_by_passes(*this, x);
    ExpParts<V> ep = exp_parts(vmin(V(T(20)), x));
    V e = scale_flush(ep.p, ep.n);
    V e2 = e + V(T(2));
    V D = fmadd(e, e2, V(T(2)));
    V y = scale((x * ep.p) * e2 / D, ep.n);
    y = select(gt(x, V(T(20))), x, y);
    return select(lt(x, V(MathConst<V>::kExpLo)), signed_zero(x), y);
  }
  // float32 forward and backward in two passes (kFwdPasses, kBwdPasses): the exp first, into the chunk buffer, then
  // the rest (ulp_sweep --bench, same runs: forward 2.13-2.20 -> 2.52-2.54 Gelem/s, backward 1.87-1.88 -> 2.01).
  static constexpr Passes kFwdPasses{kIsF32<V> ? 2 : 1, 1, 4, 4};  // mid: pk
  // pk = e 2^32 with a single rounding (exp32_pk1); N 2^32 in one FMA; the denominator (N + 2) 2^32 = Nk + 2^33
  // from the same rounded N (N / (N + 2) is less sensitive to an error in N than N itself), so the 2^-32 is
  // applied by the division itself: one rounding, also into the subnormal range (x ~ -90), and no product by
  // 2^-32 before or after it. Nk + 2^33 is exactly 2^32 fl(Nk 2^-32 + 2), so the quotient is the former
  // (x Nk / D) 2^-32 wherever that is normal (one pass: 1.91-1.94 -> 2.19-2.21 Gelem/s, ulp_sweep --bench).
  void fwd_pre(V x, V* mid) const { mid[0] = exp32_pk1<32>(vmin(V(20.0f), vmax(V(kExp32Flush<32>), x))); }
  V fwd_post(V x, const V* mid) const {
    V xc = vmin(V(20.0f), vmax(V(kExp32Flush<32>), x));
    V pk = mid[0];
    V Nk = fmadd(pk, pk * V(2.3283064365386963e-10f), pk + pk);
    V y = (xc * Nk) / (Nk + V(8589934592.0f));
    return select(gt(x, V(20.0f)), x, y);
  }
  // mish' = N/D + 4 x e (1 + e) / D^2, D = N + 2. Unrolls 4/4 since act_run aligns the output: 2.07-2.09 Gelem/s
  // against 2/4's 2.03-2.04 (4/2 2.07-2.08).
  static constexpr Passes kBwdPasses{kIsF32<V> ? 2 : 1, 1, 4, 4};  // mid: e
  // e flushed below -88; full-grade exp: the two terms cancel near x = -1 (5x amplification at -0.86).
  void grad_pre(V x, V* mid) const { mid[0] = exp32_pk<0>(vmin(V(20.0f), vmax(V(kExp32Flush<0>), x))); }
  V grad_post(V x, const V* mid) const {
    V xc = vmin(V(20.0f), vmax(V(kExp32Flush<0>), x));
    V e = mid[0];
    V N = e * (e + V(2.0f));
    V r = V(1.0f) / (N + V(2.0f));
    V d = fma_exact((V(4.0f) * xc) * (e * (e + V(1.0f))), r * r, N * r);  // the terms cancel near -1.19
    return select(gt(x, V(20.0f)), V(1.0f), d);
  }
  V grad(V x) const {
    if constexpr (kIsF32<V>) return grad_by_passes(*this, x);
    // float64: mish' = e B, B = (e + 2) r + 4 x (1 + e) r^2 (r = 1 / D), with e's 2^n applied last (scale), so
    // that it falls with e below x = -708 (it stayed near 1e-305 where e is flushed: 4x off at -710, and not 0 at
    // -746); e itself, flushed, only enters the O(1) factors.
    V xc = vmin(V(T(20)), x);
    ExpParts<V> ep = exp_parts(xc);
    V e = scale_flush(ep.p, ep.n);
    V N = e * (e + V(T(2)));
    V D = N + V(T(2));
    V r = V(T(1)) / D;
    V B = fmadd(V(T(4)) * xc * (V(T(1)) + e), r * r, (e + V(T(2))) * r);
    V d = scale(ep.p * B, ep.n);
    d = select(gt(x, V(T(20))), V(T(1)), d);
    return select(lt(x, V(MathConst<V>::kExpLo)), V(T(0)), d);
  }
  V grad_y(V x, V) const { return grad(x); }
};

template <class V>
struct OpHardswish {
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 4;
  explicit OpHardswish(ActParams) {}
  // x relu6(x + 3) / 6; x is floored at -4 (where relu6 is 0) so that -inf gives -0, not NaN.
  V fwd(V x) const {
    V t = clamp(x + V(T(3)), T(0), T(6));
    return vmax(V(T(-4)), x) * (t * V(T(1.0 / 6.0)));  // t/6 <= 1 first: no overflow at 3.4e38
  }
  // NaN fails both compares and keeps x / 3 + 1/2, i.e. NaN: no separate NaN select.
  V grad(V x) const {
    V d = select(gt(x, V(T(3))), V(T(1)), fmadd(x, V(T(1.0 / 3.0)), V(T(0.5))));
    return select(lt(x, V(T(-3))), V(T(0)), d);
  }
  V grad_y(V x, V) const { return grad(x); }
};

template <class V>
struct OpHardsigmoid {
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 4;
  explicit OpHardsigmoid(ActParams) {}
  V fwd(V x) const { return clamp(x + V(T(3)), T(0), T(6)) * V(T(1.0 / 6.0)); }
  V grad(V x) const {
    auto in = m_and(gt(x, V(T(-3))), lt(x, V(T(3))));
    return keep_nan(x, select(in, V(T(1.0 / 6.0)), V(T(0))));
  }
  V grad_y(V x, V) const { return grad(x); }
};

template <class V>
struct OpRelu6 {
  using T = typename V::T;
  static constexpr bool kUsesY = false;
  static constexpr int kUnroll = 4;
  static constexpr bool kStreamPrefetch = false;  // measured slower with it (prefetch_ahead)
  explicit OpRelu6(ActParams) {}
  V fwd(V x) const { return clamp(x, T(0), T(6)); }
  V grad(V x) const {
    auto in = m_and(gt(x, V(T(0))), lt(x, V(T(6))));
    return keep_nan(x, select(in, V(T(1)), V(T(0))));
  }
  V grad_y(V x, V) const { return grad(x); }
};

// ---------------------------------------------------------------------------------------------- loops

// NAME<Op>::value: the op's optional constant Op::MEMBER, or DEFAULT (an expression that may use Op) where the op
// does not declare it.
#define SWISHNET_OP_OPTION(NAME, TYPE, MEMBER, DEFAULT)              \
  template <class Op, class = void>                                 \
  struct NAME {                                                     \
    static constexpr TYPE value = DEFAULT;                          \
  };                                                                \
  template <class Op>                                               \
  struct NAME<Op, decltype(void(Op::MEMBER))> {                     \
    static constexpr TYPE value = Op::MEMBER;                       \
  };

// Forward in two passes (Op::kFwdPasses.stages == 2; default one loop): for each chunk of .chunk elements,
// fwd_pre(x, mid) writes .mids intermediate vectors per input into an on-stack buffer (Multi<V, .unroll_pre>), then
// fwd_post(x, mid) reads them back with x (Multi<V, .unroll_post>) and gives y; fwd(x) must equal
// fwd_post(x, fwd_pre(x)) lane for lane. For ops whose single chain is long (many live registers), two short
// loops let the out-of-order core overlap more elements. x is read again in the second pass, before y at the
// same index is stored, so y may still alias x.
// The backward may do the same (Op::kBwdPasses.stages == 2, ops that differentiate from x only): grad_pre(x, mid)
// and grad_post(x, mid); grad(x) must equal grad_post(x, grad_pre(x)), and grad_in = grad_post * grad_out as in
// the one-pass loop.
SWISHNET_OP_OPTION(FwdPasses, Passes, kFwdPasses, (Passes{1, 0, 1, 1}))
SWISHNET_OP_OPTION(BwdPasses, Passes, kBwdPasses, (Passes{1, 0, 1, 1}))

// Forward in three stages (Op::kFwdPasses.stages == 3), for an op whose loop ends in a division: fwd_pre(x, mid) as
// above, beside fwd_fin (Multi<V, .unroll_pre>); fwd_mid(mid) turns a chunk's .mids vectors into the divisor D
// (Multi<V, .unroll_post>, into a second buffer); fwd_fin(x, D) divides and gives y. The division of chunk c - 1
// runs in the same loop as fwd_pre of chunk c (skewed_chunks), so the divider, which takes FMA issue slots of its
// own, works beside FMA-heavy code instead of beside the short fwd_mid. fwd_post(x, mid) must equal fwd_fin(x,
// fwd_mid(mid)) lane for lane; it serves fwd() and the rest after the whole chunks. y may alias x: the divisions of
// a chunk read and write it only after that chunk's fwd_pre, and fwd_pre of the next chunk reads other indices.

// The chunk buffers, placed away from the caller's arrays modulo the chunk's bytes. A load whose address matches
// that of an older store still in flight in its low 12 bits can be taken for dependent on it (4K aliasing); the
// chunk loops load x and store the buffer (fwd_pre), then load the buffer and store y (post, fin), each stream
// advancing C elements per chunk, so what counts is where the buffer sits against x and y modulo kPeriod = C
// sizeof(T) bytes (2048). Measured with a temporary build that took the buffer's offset from the environment
// (1M-element gelu_tanh forward, N-API, best of 6 calls in 8 interleaved rounds, y - x = 0, 512 and 1024): a
// buffer 128 bytes above x ran 2.28-2.34 Gelem/s, 256 above 2.38-2.39, at y 2.41-2.44, elsewhere 2.44-2.48.
// On the stack it sat wherever the call left it, so a process ran 2.03-2.40 for 2 x offsets in 8 and 2.41-2.51
// for the others (scripts/bench-offsets.js). place() puts it in the middle of the longer arc between x and y on
// the kPeriod circle, about kPeriod / 4 or more from both, 64-byte aligned (a misaligned one cost another 3%).
// place() returns the first of kRows rows of C elements.
template <class T, int kRows, std::size_t C>
struct ChunkArena {
  static constexpr std::size_t kPeriod = C * sizeof(T);
  static_assert(4096 % kPeriod == 0, "chunk bytes: a divisor of 4096");
  alignas(64) T raw[(kRows + 1) * C];  // the rows, and kPeriod bytes to place them in
  T* place(const void* x, const void* y) {
    const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(x) % kPeriod;
    const std::uintptr_t c = reinterpret_cast<std::uintptr_t>(y) % kPeriod;
    const std::uintptr_t d = (c + kPeriod - a) % kPeriod;  // y - x
    // the middle of the longer arc between x and y
    std::uintptr_t want = d >= kPeriod / 2 ? a + d / 2 : c + (kPeriod - d) / 2;
    want = want % kPeriod / 64 * 64;
    const std::uintptr_t r = reinterpret_cast<std::uintptr_t>(raw) % kPeriod;
    return raw + (want + kPeriod - r) % kPeriod / sizeof(T);
  }
};
// The K vectors a pass hands on for the inputs at j, to and from rows 0..K-1 of C elements at buf. (The callers keep
// buf in a local: with it as an arena member, gelu_tanh's forward fell from 2.56 to 2.22 Gelem/s, probably because
// the vector stores, which may alias anything, made it reload the pointer.)
template <int K, std::size_t C, class W>
inline void store_rows(typename W::T* buf, std::size_t j, const W* m) {
  for (int k = 0; k < K; ++k) W::store(buf + k * C + j, m[k]);
}
template <int K, std::size_t C, class W>
inline void load_rows(const typename W::T* buf, std::size_t j, W* m) {
  for (int k = 0; k < K; ++k) m[k] = W::load(buf + k * C + j);
}

// The chunk loop of both: pre(at, mid) for every V1 vector of a chunk of C elements, mid stored to the buffer,
// then post(at, mid) for every V2 vector of it. Returns how many elements it covered (whole chunks only). x and y:
// the arrays pre loads and post stores, for the buffer's placement (ChunkArena).
template <class V1, class V2, int K, std::size_t C, class Pre, class Post>
inline std::size_t two_pass_chunks(std::size_t n, const void* x, const void* y, Pre pre, Post post) {
  static_assert(C % V1::N == 0 && C % V2::N == 0, "chunk: a multiple of both unrolled widths");
  std::size_t i = 0;
  if (n < C) return 0;
  ChunkArena<typename V1::T, K, C> arena;
  typename V1::T* const buf = arena.place(x, y);
  for (; i + C <= n; i += C) {
    for (std::size_t j = 0; j < C; j += V1::N) {
      V1 mid[K];
      pre(i + j, mid);
      store_rows<K, C>(buf, j, mid);
    }
    for (std::size_t j = 0; j < C; j += V2::N) {
      V2 mid[K];
      load_rows<K, C>(buf, j, mid);
      post(i + j, mid);
    }
  }
  return i;
}

// The three-stage loop (see above): pre(at, mid) for every V1 vector of chunk c into buf, then mid(mid) for
// every V3 vector of it into dbuf; fin(at, D) for chunk c runs in the loop that does pre for chunk c + 1, and
// after the last whole chunk on its own. Returns how many elements it covered (whole chunks only).
template <class V1, class V3, int K, std::size_t C, class Pre, class Mid, class Fin>
inline std::size_t skewed_chunks(std::size_t n, const void* x, const void* y, Pre pre, Mid mid, Fin fin) {
  static_assert(C % V1::N == 0 && C % V3::N == 0, "chunk: a multiple of both unrolled widths");
  if (n < C) return 0;
  ChunkArena<typename V1::T, K + 1, C> arena;  // K rows of mids, then the divisors
  typename V1::T* const buf = arena.place(x, y);
  typename V1::T* const dbuf = buf + K * C;
  auto pre_into = [&](std::size_t at, std::size_t j) {
    V1 m[K];
    pre(at, m);
    store_rows<K, C>(buf, j, m);
  };
  auto mid_pass = [&] {
    for (std::size_t j = 0; j < C; j += V3::N) {
      V3 m[K];
      load_rows<K, C>(buf, j, m);
      V3::store(dbuf + j, mid(m));
    }
  };
  for (std::size_t j = 0; j < C; j += V1::N) pre_into(j, j);
  mid_pass();
  std::size_t i = C;  // chunk [i - C, i) has its divisors in dbuf
  for (; i + C <= n; i += C) {
    for (std::size_t j = 0; j < C; j += V1::N) {
      fin(i - C + j, V1::load(dbuf + j));
      pre_into(i + j, j);
    }
    mid_pass();
  }
  for (std::size_t j = 0; j < C; j += V1::N) fin(i - C + j, V1::load(dbuf + j));
  return i;
}

// Output stores: plain, or non-temporal (kNt: V::stream, to addresses aligned to V::N elements; see act_run).
template <bool kNt, class V>
inline void store_out(typename V::T* p, const V& a) {
  if constexpr (kNt) {
    V::stream(p, a);
  } else {
    V::store(p, a);
  }
}

// Streaming calls (kNt, see act_run) also prefetch their inputs kPrefetchAhead bytes ahead of the loads, one
// V::prefetch (non-temporal: the lines are read once) per 64 bytes a step loads. At 16M elements on one thread
// (ulp_sweep --bench --n 16777216 --threads 1, three same-minute A/B rounds; table in the README) the float32
// forward of softsign, leaky_relu, elu, selu, celu, hardswish and hardsigmoid gains 8-30%, and the backward of elu,
// selu, celu, swish, softplus, mish, gelu_tanh, hardswish and hardsigmoid 8-27%; the other changes are within the
// 5% that unchanged ops moved between the builds (swish forward run alone: 2.10-2.26 -> 2.67-2.73 Gelem/s). 1, 2, 4
// or 8 KiB ahead: the same within the noise. sigmoid, tanh, gelu, relu and relu6 measured slower (forward up to -10%
// among all ops, -5% run alone; tanh's forward +5% alone but its backward, like sigmoid's, -5%) and opt out
// (kStreamPrefetch = false). The hint never faults, also past an array's end.
constexpr std::size_t kPrefetchAhead = 2048;
SWISHNET_OP_OPTION(StreamPrefetch, bool, kStreamPrefetch, true)
// Prefetches the lines of the kElems elements at p + kPrefetchAhead bytes (kOn: a streaming call of an op that
// prefetches).
template <bool kOn, class V, std::size_t kElems>
inline void prefetch_ahead(const typename V::T* p) {
  if constexpr (kOn) {
    const char* c = reinterpret_cast<const char*>(p) + kPrefetchAhead;
    for (std::size_t b = 0; b < kElems * sizeof(typename V::T); b += 64) V::prefetch(c + b);
  }
}

template <class V, template <class> class Op, bool kNt>
SWISHNET_FLATTEN void act_forward_loop(const typename V::T* x, typename V::T* y, std::size_t n, ActParams p) {
  constexpr int U = Op<V>::kUnroll;
  using VU = Multi<V, U>;
  constexpr std::size_t N = V::N;
  std::size_t i = 0;
  constexpr Passes P = FwdPasses<Op<V>>::value;
  constexpr bool kPf = kNt && StreamPrefetch<Op<V>>::value;
  if constexpr (P.stages > 1) {
    // Whole chunks in two passes through an on-stack buffer or in three stages (see FwdPasses); the rest as below.
    using V1 = Multi<V, P.unroll_pre>;
    using V2 = Multi<V, P.unroll_post>;
    const Op<V1> op1(p);
    const Op<V2> op2(p);
    auto pre = [&](std::size_t at, V1* mid) {
      prefetch_ahead<kPf, V, V1::N>(x + at);
      op1.fwd_pre(V1::load(x + at), mid);
    };
    if constexpr (P.stages == 3) {
      i = skewed_chunks<V1, V2, P.mids, P.chunk>(
          n, x, y, pre, [&](const V2* mid) { return op2.fwd_mid(mid); },
          [&](std::size_t at, V1 D) { store_out<kNt>(y + at, op1.fwd_fin(V1::load(x + at), D)); });
    } else {
      i = two_pass_chunks<V1, V2, P.mids, P.chunk>(
          n, x, y, pre,
          [&](std::size_t at, const V2* mid) { store_out<kNt>(y + at, op2.fwd_post(V2::load(x + at), mid)); });
    }
  }
  if (n - i >= VU::N) {
    const Op<VU> opu(p);
    for (; i + VU::N <= n; i += VU::N) {
      prefetch_ahead<kPf, V, VU::N>(x + i);
      store_out<kNt>(y + i, opu.fwd(VU::load(x + i)));
    }
  }
  const Op<V> op(p);
  for (; i + N <= n; i += N) store_out<kNt>(y + i, op.fwd(V::load(x + i)));
  if (i < n) V::store_part(y + i, op.fwd(V::load_part(x + i, n - i)), n - i);
}

// How a call runs its loop (act_run): every call of at least kAlignMinElems elements whose output is not aligned to
// V::N elements first runs the few elements up to the next aligned output address, so that the rest stores whole
// vectors that never straddle a cache line. Node's large ArrayBuffers start 16 bytes past a page boundary, so without
// this every other 32-byte store (and load, where x shares y's alignment) of an AVX2 loop straddles two lines: before
// this head, 1M-element gelu_tanh forward ran 2.41-2.46 Gelem/s at offsets +0 and +32 of such buffers against 2.51 at
// +16, the aligned one (scripts/bench-offsets.js, README). Calls that touch at least act_stream_min_bytes()
// (swishnet/activations.h) then write the rest with non-temporal stores where V has them, and a fence. Only the store
// instruction differs (and, as between the unrolled and the single-vector loops, which operand's NaN payload comes out:
// the head takes the short loops). loop(nt, at, m) runs elements [at, at + m).
constexpr std::size_t kAlignMinElems = 256;
// Elements from out to the next address aligned to V::N elements (at most n; 0 where out is null, not aligned to
// an element, or V has one lane); force: also below kAlignMinElems.
template <class V>
inline std::size_t align_head(const typename V::T* out, std::size_t n, bool force = false) {
  using T = typename V::T;
  const auto addr = reinterpret_cast<std::uintptr_t>(out);
  constexpr std::size_t align = V::N * sizeof(T);
  if (V::N == 1 || !out || addr % sizeof(T) != 0 || !(force || n >= kAlignMinElems)) return 0;
  return std::min(n, (align - addr % align) % align / sizeof(T));
}
template <class V, class Loop>
inline void act_run(typename V::T* out, std::size_t n, std::size_t arrays, Loop&& loop) {
  using T = typename V::T;
  using Plain = std::integral_constant<bool, false>;
  const bool nt = V::kStream && reinterpret_cast<std::uintptr_t>(out) % sizeof(T) == 0 &&
                  n * sizeof(T) * arrays >= act_stream_min_bytes();
  const std::size_t head = align_head<V>(out, n, nt);
  if (head) loop(Plain{}, std::size_t(0), head);
  if constexpr (V::kStream) {
    if (nt) {
      loop(std::integral_constant<bool, true>{}, head, n - head);
      V::stream_fence();
      return;
    }
  }
  loop(Plain{}, head, n - head);
}

template <class V, template <class> class Op>
void act_forward(const typename V::T* x, typename V::T* y, std::size_t n, ActParams p) {
  auto loop = [&](auto nt, std::size_t at, std::size_t m) {
    act_forward_loop<V, Op, decltype(nt)::value>(x + at, y + at, m, p);
  };
  act_run<V>(y, n, 2, loop);
}

template <class V, class Op, bool kY, bool kGo>
inline V act_grad_at(const Op& op, V xv, V yv, V gv) {
  V d;
  if constexpr (kY) {
    d = op.grad_y(xv, yv);
  } else {
    (void)yv;
    d = op.grad(xv);
  }
  if constexpr (kGo) {
    return d * gv;
  } else {
    (void)gv;
    return d;
  }
}

// The backward loops may keep a different number of registers in flight (Op::kUnrollBwd, default kUnroll).
SWISHNET_OP_OPTION(UnrollBwd, int, kUnrollBwd, Op::kUnroll)
#undef SWISHNET_OP_OPTION

template <class V, template <class> class Op, bool kY, bool kGo, bool kNt>
SWISHNET_FLATTEN void act_backward_loop(const typename V::T* x, const typename V::T* y, const typename V::T* go, typename V::T* gi,
                       std::size_t n, ActParams p) {
  using T = typename V::T;
  constexpr int U = UnrollBwd<Op<V>>::value;
  using VU = Multi<V, U>;
  constexpr std::size_t N = V::N;
  std::size_t i = 0;
  constexpr Passes P = BwdPasses<Op<V>>::value;
  static_assert(P.stages <= 2, "three stages exist for the forward only");
  constexpr bool kPf = kNt && StreamPrefetch<Op<V>>::value;
  if constexpr (P.stages == 2) {
    // Whole chunks in two passes (see BwdPasses); the rest as below.
    static_assert(!Op<V>::kUsesY, "a two-pass backward differentiates from x");
    using V1 = Multi<V, P.unroll_pre>;
    using V2 = Multi<V, P.unroll_post>;
    const Op<V1> op1(p);
    const Op<V2> op2(p);
    i = two_pass_chunks<V1, V2, P.mids, P.chunk>(
        n, x, gi,
        [&](std::size_t at, V1* mid) {
          // go is read in the second pass, a chunk later: its lines ahead are fetched here too
          prefetch_ahead<kPf, V, V1::N>(x + at);
          if constexpr (kGo) prefetch_ahead<kPf, V, V1::N>(go + at);
          op1.grad_pre(V1::load(x + at), mid);
        },
        [&](std::size_t at, const V2* mid) {
          V2 d = op2.grad_post(V2::load(x + at), mid);
          if constexpr (kGo) d = d * V2::load(go + at);
          store_out<kNt>(gi + at, d);
        });
  }
  if (n - i >= VU::N) {
    const Op<VU> opu(p);
    const VU one(T(1));
    for (; i + VU::N <= n; i += VU::N) {
      prefetch_ahead<kPf, V, VU::N>(kY ? y + i : x + i);
      if constexpr (kGo) prefetch_ahead<kPf, V, VU::N>(go + i);
      VU b = kY ? VU::load(y + i) : VU::load(x + i);
      VU a = kY ? b : VU::load(x + i);
      VU g = kGo ? VU::load(go + i) : one;
      store_out<kNt>(gi + i, act_grad_at<VU, Op<VU>, kY, kGo>(opu, a, b, g));
    }
  }
  const Op<V> op(p);
  const V one(T(1));
  for (; i + N <= n; i += N) {
    V b = kY ? V::load(y + i) : V::load(x + i);
    V a = kY ? b : V::load(x + i);
    V g = kGo ? V::load(go + i) : one;
    store_out<kNt>(gi + i, act_grad_at<V, Op<V>, kY, kGo>(op, a, b, g));
  }
  if (i < n) {
    const std::size_t m = n - i;
    V b = kY ? V::load_part(y + i, m) : V::load_part(x + i, m);
    V a = kY ? b : V::load_part(x + i, m);
    V g = kGo ? V::load_part(go + i, m) : one;
    V::store_part(gi + i, act_grad_at<V, Op<V>, kY, kGo>(op, a, b, g), m);
  }
}

template <class V, template <class> class Op>
void act_backward(const typename V::T* x, const typename V::T* y, const typename V::T* go, typename V::T* gi,
                  std::size_t n, ActParams p) {
  constexpr bool kUsesY = Op<V>::kUsesY;
  const bool use_y = kUsesY && y != nullptr;
  // One input array (x or y), go if given, and gi.
  auto run = [&](auto ky, auto kgo) {
    constexpr bool kY = decltype(ky)::value, kGo = decltype(kgo)::value;
    auto loop = [&](auto nt, std::size_t at, std::size_t m) {
      act_backward_loop<V, Op, kY, kGo, decltype(nt)::value>(x + at, kY ? y + at : y, kGo ? go + at : go, gi + at,
                                                             m, p);
    };
    act_run<V>(gi, n, kGo ? 3 : 2, loop);
  };
  using False = std::integral_constant<bool, false>;
  using YTrue = std::integral_constant<bool, kUsesY>;
  using True = std::integral_constant<bool, true>;
  if (use_y) {
    if (go)
      run(YTrue{}, True{});
    else
      run(YTrue{}, False{});
  } else {
    if (go)
      run(False{}, True{});
    else
      run(False{}, False{});
  }
}

// Ops whose fast path depends on a parameter (beta == 1, alpha == 1) come as two compile-time variants; the table
// entry picks one per call on p.a == 1.
// OpZero: for a == 0 (swish's beta; the other picked ops refuse 0, and default to OpGen).
template <class V, template <class> class OpUnit, template <class> class OpGen, template <class> class OpZero = OpGen>
void act_forward_pick(const typename V::T* x, typename V::T* y, std::size_t n, ActParams p) {
  if (p.a == 1.0)
    act_forward<V, OpUnit>(x, y, n, p);
  else if (p.a == 0.0)
    act_forward<V, OpZero>(x, y, n, p);
  else
    act_forward<V, OpGen>(x, y, n, p);
}
template <class V, template <class> class OpUnit, template <class> class OpGen, template <class> class OpZero = OpGen>
void act_backward_pick(const typename V::T* x, const typename V::T* y, const typename V::T* go, typename V::T* gi,
                       std::size_t n, ActParams p) {
  if (p.a == 1.0)
    act_backward<V, OpUnit>(x, y, go, gi, n, p);
  else if (p.a == 0.0)
    act_backward<V, OpZero>(x, y, go, gi, n, p);
  else
    act_backward<V, OpGen>(x, y, go, gi, n, p);
}

// PReLU: element i belongs to channel (i / inner) % channels; runs of one channel are processed as vectors.
template <class V>
void prelu_forward(const typename V::T* x, typename V::T* y, std::size_t n, const typename V::T* alpha,
                   std::size_t channels, std::size_t inner) {
  using T = typename V::T;
  constexpr std::size_t N = V::N;
  if (n == 0 || channels == 0 || inner == 0) return;
  const V zero(T(0));
  std::size_t i = 0;
  while (i < n) {
    const std::size_t c = (i / inner) % channels;
    const std::size_t end = (n - i < inner - i % inner) ? n : i + (inner - i % inner);
    const V a(alpha[c]);
    auto f = [&](V v) { return select(gt(v, zero), v, a * v); };
    auto part = [&](std::size_t at, std::size_t m) {  // m < N elements
      V::store_part(y + at, f(V::load_part(x + at, m)), m);
    };
    if (const std::size_t h = align_head<V>(y + i, end - i)) part(i, h), i += h;  // see act_run
    for (; i + 4 * N <= end; i += 4 * N) {
      V v0 = V::load(x + i), v1 = V::load(x + i + N), v2 = V::load(x + i + 2 * N), v3 = V::load(x + i + 3 * N);
      V::store(y + i, f(v0));
      V::store(y + i + N, f(v1));
      V::store(y + i + 2 * N, f(v2));
      V::store(y + i + 3 * N, f(v3));
    }
    for (; i + N <= end; i += N) V::store(y + i, f(V::load(x + i)));
    if (i < end) part(i, end - i), i = end;
  }
}

// gi = (x > 0 ? 1 : alpha[c]) go; gsum[c] += sum over !(x > 0) of x go (so a NaN reaches gsum too).
// Partial sums are kept in vectors of T for at most kBlock vectors, then added in double.
template <class V>
void prelu_backward(const typename V::T* x, const typename V::T* go, typename V::T* gi, std::size_t n,
                    const typename V::T* alpha, std::size_t channels, std::size_t inner, double* gsum) {
  using T = typename V::T;
  constexpr std::size_t N = V::N, kBlock = 256;
  if (n == 0 || channels == 0 || inner == 0) return;
  const V zero(T(0)), one(T(1));
  std::size_t i = 0;
  while (i < n) {
    const std::size_t c = (i / inner) % channels;
    const std::size_t end = (n - i < inner - i % inner) ? n : i + (inner - i % inner);
    const V a(alpha[c]);
    // One vector: adds its x go where !(x > 0) to acc and returns its gi (x > 0 ? go : alpha go, NaN kept).
    auto step = [&](V v, V g, V& acc) {
      auto pos = gt(v, zero);
      acc = acc + select(pos, zero, v * g);
      return select(pos, g, keep_nan(v, a * g));
    };
    auto full = [&](std::size_t at, V& acc) {
      V d = step(V::load(x + at), go ? V::load(go + at) : one, acc);
      if (gi) V::store(gi + at, d);
    };
    auto part = [&](std::size_t at, std::size_t m, V& acc) {  // m < N; lanes past m: x = 0, go = 0 or 1, add 0
      V d = step(V::load_part(x + at, m), go ? V::load_part(go + at, m) : one, acc);
      if (gi) V::store_part(gi + at, d, m);
    };
    double total = 0.0;
    // An aligning head (see act_run) only without the alpha gradient: with it, it would move the partial sums'
    // boundaries, and gsum's bits would depend on where gi sits.
    if (const std::size_t h = !gsum && gi ? align_head<V>(gi + i, end - i) : 0) {
      V acc = zero;
      part(i, h, acc);
      i += h;
    }
    while (i < end) {
      // Four partial sums: a single one chained every vector through the adder's latency (prelu's backward ran
      // at 4.8 Gelem/s at 1M, where relu's, with no sum, ran at 5.9).
      V acc[4] = {zero, zero, zero, zero};
      const std::size_t stop = (end - i) / N > kBlock ? i + kBlock * N : end;
      for (; i + 4 * N <= stop; i += 4 * N)
        for (std::size_t k = 0; k < 4; ++k) full(i + k * N, acc[k]);
      for (; i + N <= stop; i += N) full(i, acc[0]);
      V sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
      if (i < end && i + N > end) part(i, end - i, sum), i = end;
      total += hsum_double(sum);
    }
    if (gsum) gsum[c] += total;
  }
}

// sum_i go[i] x^2 s (1 - s), s = sigmoid(beta x), every term in double: x^2 overflows float32 for
// |x| > 1.8e19 (beta = 0 gives x^2 / 4), and the sum is a reduction used only for a learnable beta, so clarity wins
// over SIMD here. s (1 - s) = sigmoid(z) sigmoid(-z), each from exp of a non-positive argument (no overflow);
// a term whose s or 1 - s underflows to 0 is 0 (x^2 e^{-|beta x|} -> 0, also for x = +-inf); NaN propagates.
// z = beta x is carried with its rounding error dz (exact, from an FMA) and applied to first order,
// s(z + dz) = s + s dz (1 - s), as in the js backend's swishBetaGrad: the small factor e^{-|z|} has relative
// condition |z|, so a plain rounded z cost |z| 2^-53 relative (5.7e-14 at z = -529).
template <class V>
double swish_beta_grad(const typename V::T* x, const typename V::T* go, std::size_t n, double beta) {
  double total = 0.0;
  for (std::size_t i = 0; i < n; i++) {
    const double v = static_cast<double>(x[i]);
    const double z = beta * v;
    const double dz = std::fabs(z) < 1e300 ? std::fma(beta, v, -z) : 0.0;  // huge z: s or 1 - s is 0 anyway
    const double e = std::exp(-std::fabs(z));  // in (0, 1]
    const double big = 1.0 / (1.0 + e), small = e / (1.0 + e);
    const double s0 = z >= 0 ? big : small, sm0 = z >= 0 ? small : big;
    const double s = s0 + s0 * (dz * sm0), sm = sm0 - sm0 * (dz * s0);
    double term = (s == 0.0 || sm == 0.0) ? 0.0 : v * s * (v * sm);
    if (v != v || z != z) term = v + z;  // NaN in, NaN out
    total += go ? term * static_cast<double>(go[i]) : term;
  }
  return total;
}

}  // namespace
}  // namespace swishnet
