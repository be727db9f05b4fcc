// swishnet — vector math for the activation kernels, written ONCE over a tiny SIMD wrapper V.
//
// Every kernel family (scalar = width 1, AVX2 = 8 floats / 4 doubles, NEON = 4 floats / 2 doubles) instantiates
// these templates with its own wrapper type; see act_simd_scalar.h for the wrapper interface. Everything here is
// in an anonymous namespace on purpose: each ISA's translation unit is compiled with different target options,
// so its instantiations must stay private to it (no ODR merging of an AVX2 body into the scalar family).
//
// THE MATH (the one place it is described; the ops in act_ops.h only compose these pieces)
// --------------------------------------------------------------------------------------------------------------
// Two sets of routines: the float64 ones (exp_parts, vexpm1_neg, log1p_unit, normal_tail_scaled, ...) keep the
// float64 kernels at 1e-14 relative; the float32 ones (exp32_*, expm1_*32, exp32_neg_half_square) are written
// for speed within the float32 contract (4 ULP forward, results below FLT_MIN only to 1e-38 absolute;
// derivatives 8 ULP or 1e-7 absolute). Both use the same reduction:
// exp (range reduction + polynomial):  x = n ln2 + r, n = round(x / ln2), |r| <= ln2/2.
//   r is computed by Cody-Waite: ln2 = LN2_HI + LN2_LO where LN2_HI has enough trailing zero bits that n*LN2_HI
//   is exact for every n in range, so r = (x - n*LN2_HI) - n*LN2_LO is exact to within one rounding.
//   exp(r) = 1 + r + r^2 q(r), expm1(r) = r + r^2 q(r) with ONE polynomial q for both (float32: degree 4,
//   float64: degree 9; near-minimax for the relative error of expm1, 1.3e-8 resp. 1.8e-17; derived by
//   fit_coefficients.py). 2^n is built from the exponent bits.
// float32 exp (exp32_parts): n is rounded inside the FMA t = x log2e + (1.5 * 2^23 + 127 + K) (t's last bit is
//   worth 1), so t - magic is n and t's low significand bits, shifted into the exponent field (shl_mant), are
//   2^(n + K): no conversion instruction, no separate add. The same t gives 2^-n = shl_mant(3 * 2^23 + 254 - t)
//   (exp32_inv_scale), so ratios like e / (1 + e) = p / (p + 2^-n) need no multiplication by 2^n at all.
//   Underflow is handled by the choice of K and of the clamp instead of by gradual-underflow bookkeeping:
//   where the result is exp-sized (sigmoid, softplus, every derivative) K = 0 and the argument is clamped at
//   kExp32Flush<0> = -87.7, where the exponent field reaches 0 and 2^n is exactly +0 (below FLT_MIN the promise
//   is 1e-38 absolute); where a product x e^x is normal while e^x is not (swish, gelu_tanh, mish near x = -90),
//   K = 32 keeps p 2^(n + 32) normal down to -110, and the 2^-32 is applied by the last operation (a division
//   by pk + 2^32, or a final product), which then rounds into the subnormal range once. Derivatives use a
//   degree-3 q (1.05e-7 relative for exp, kGrad), one FMA less.
// float32 exp in log2 units (exp2_unit, gelu_tanh): where the argument is a product x w with log2(e) folded into
//   w, t = fma(x, w, magic) gives n as above and r = fma(x, w, -n) is the reduced argument with ONE rounding of a
//   small value (no rounded product, no Cody-Waite split); 2^r = 1 + r P(r), P of degree 5 (3.0e-9) or 4 (9.3e-8,
//   derivatives and the gelu_tanh forward, which takes P itself: exp2_unit_p4).
// expm1(x), x <= 0:  2^n expm1(r) + (2^n - 1), evaluated as fma(2^n, expm1(r), 2^n - 1): no cancellation for
//   small |x| (n = 0 gives expm1(r) itself), and 2^n - 1 is exact for the n that occur. Clamped at -26 (float32)
//   resp. -40 (float64), where expm1 is -1 to working precision.
// float32 expm1(2a)/2 for a in [0, 10] (tanh, expm1_half32): n = round(2a log2e) from the FMA t as in exp32_parts
//   (2^n = shl_mant(t)), and the reduced argument rho = a - n (ln2/2) with ONE FMA and no Cody-Waite low part:
//   for n = 0 (|x| < 0.17) rho = a exactly, so the small-|x| results lose nothing to the reduction; for n >= 1 the
//   float32 ln2/2 (2.7e-9 relative) costs n * 1.9e-9 relative in exp(2a), which tanh damps by 1 - tanh (see
//   OpTanh; so does the rounding of n ln2/2 for n >= 3 where fmadd is not fused, as in the x86 scalar family).
//   expm1(2 rho)/2 = rho + rho^2 Q(rho), Q of degree 4 (1.4e-8 relative, fit_coefficients.py), then
//   expm1(2a)/2 = 2^n em + (2^n - 1)/2: 2^n em and (2^n - 1)/2 are exact, so one FMA rounds.
// log1p(e), 0 <= e <= 1 (softplus), float64: u = 1 + e rounded, c = e - (u - 1) its exact rounding error;
//   u = 2^k m with m in [sqrt(1/2), sqrt(2)); f = m - 1 + c 2^-k (so log1p(e) = k ln2 + log1p(f) exactly up to
//   one rounding); log1p(f) = f - (f^2/2 - s (f^2/2 + R)), s = f / (2 + f), R = s^2 P(s^2) with
//   2 atanh(s) = 2s + s^3 P(s^2) (degree 6). float32: log1p(e) = 2s + s^3 P(s^2) directly with s = e / (2 + e)
//   in [0, 1/3] (P degree 3, 4.5e-9; s = p / (p + 2 2^-n) from the exp parts): ~1 ULP, no splitting.
// Normal tail (gelu): Q(v) = P(X > v) = erfc(v/sqrt2)/2 = exp(-v^2/2) G(v), v = |x|, with G smooth and
//   G(v) ~ 1/(v sqrt(2 pi)) for large v. float64: with t = 1/(1 + v/4), G = t P(u)/Q(u), u = A t + B in [-1, 1],
//   degree (10, 10) (5e-18 on [0, 38.7]). float32: G is a rational of degree (4, 5) in v (8.9e-9 on
//   [0, 13.25] with float32 coefficients), evaluated in float32 as the ratio v P / D with the denominator split
//   as D = 2 v P + R (normal_tail_ratio32: few roundings reach the result, see there; the derivative evaluates
//   the plain P / Q of normal_tail_rational32 in float32 for its 8 ULP budget). exp(-v^2/2) uses the exact
//   square v^2 = h + l (FMA residual): the reduction runs on -h/2 and -l/2 is added to r, so a 100-sized
//   argument does not cost 7 bits. gelu(x) = max(x, 0) - v Q(v) for both signs; nothing cancels beyond a
//   factor 2 (x >= 0, small).
// Extended arguments: exp_parts() / exp32_parts() accept the argument as an unevaluated sum hi + lo (lo folded
//   into r). Ops whose exp argument is a product (swish beta*x, celu x/alpha, gelu_tanh's cubic) build hi + lo
//   with FMA residuals: otherwise a relative error eps in z becomes |z| eps in exp(z), i.e. ~100 ULP at z = -90.
// NaN: min/max follow SSE semantics (vmax(a, b) = a > b ? a : b, so a NaN in b comes out) and every clamp puts
//   the input second, so NaN flows through every path; selects are arranged so the NaN branch is taken.
//   Policy (forward and derivative): NaN in x gives NaN out.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace swishnet {
namespace {

template <class V>
constexpr bool kIsF32 = std::is_same<typename V::T, float>::value;

// Constant of the wrapper's element type: f32 value when V is float, f64 value otherwise.
template <class V>
inline V kc(float f32, double f64) {
  if constexpr (kIsF32<V>) {
    (void)f64;
    return V(f32);
  } else {
    (void)f32;
    return V(f64);
  }
}

template <class V>
struct MathConst {
  using T = typename V::T;
  static constexpr bool f32 = kIsF32<V>;
  static constexpr T kLog2e = f32 ? T(1.44269504088896341f) : T(1.4426950408889634);
  // Cody-Waite split of ln2 (the high parts end in zero bits).
  static constexpr T kLn2Hi = f32 ? T(0.693145751953125f) : T(6.93147180369123816490e-01);
  static constexpr T kLn2Lo = f32 ? T(1.428606765330187e-06f) : T(1.90821492927058770002e-10);
  static constexpr T kLn2 = f32 ? T(0.693147180559945f) : T(0.6931471805599453);
  static constexpr T kExpLo = f32 ? T(-104.0f) : T(-746.0);  // exp rounds to +0 at and below
  static constexpr T kExpHi = f32 ? T(88.0f) : T(709.0);     // keeps n <= EMAX; no caller needs more
  static constexpr T kExpm1Lo = f32 ? T(-26.0f) : T(-40.0);  // expm1 is -1 to working precision below
  static constexpr T kEmin = f32 ? T(-126) : T(-1022);       // smallest normal exponent
  static constexpr T kSqrt2 = f32 ? T(1.41421356f) : T(1.4142135623730951);
};

// float32 q(r) with expm1(r) = r + r^2 q(r) on |r| <= ln2/2, coefficients from the constant term up
// (fit_coefficients.py): degree 4 (1.3e-8 relative for expm1, 3e-9 for exp) and the derivative grade, degree 3
// (1.05e-7 for exp). Written once here: expm1_q, exp32_q and exp32_q_quarter_half take them from these arrays.
constexpr float kQ32[5] = {4.9999997e-01f, 1.6666543e-01f, 4.16672e-02f, 8.366528e-03f, 1.388252e-03f};
constexpr float kQ32Grad[4] = {4.999923e-01f, 1.6667114e-01f, 4.1890208e-02f, 8.312518e-03f};

// q(r) with expm1(r) = r + r^2 q(r) on |r| <= ln2/2.
template <class V>
inline V expm1_q(V r) {
  if constexpr (kIsF32<V>) {
    V q = fmadd(r, V(kQ32[4]), V(kQ32[3]));
    q = fmadd(q, r, V(kQ32[2]));
    q = fmadd(q, r, V(kQ32[1]));
    return fmadd(q, r, V(kQ32[0]));
  } else {
    V q = fmadd(r, V(2.505381014813642e-08), V(2.762605513686091e-07));
    q = fmadd(q, r, V(2.7557407484775493e-06));
    q = fmadd(q, r, V(2.4801505231921334e-05));
    q = fmadd(q, r, V(1.984126971901564e-04));
    q = fmadd(q, r, V(1.3888888931598274e-03));
    q = fmadd(q, r, V(8.333333333389571e-03));
    q = fmadd(q, r, V(4.166666666657666e-02));
    q = fmadd(q, r, V(1.6666666666666588e-01));
    return fmadd(q, r, V(5.000000000000006e-01));
  }
}

// Range reduction: x (+ xlo) = n ln2 + r. x must already be clamped to a range where |n| fits the exponent.
template <class V>
struct Reduced {  // NOLINT
  V r;
  V n;  // integral
};
template <class V>
inline Reduced<V> reduce_ln2(V x, V xlo) {
  using C = MathConst<V>;
  V n = round_int(x * V(C::kLog2e));
  V r = fmadd(n, V(-C::kLn2Hi), x);  // exact
  r = fmadd(n, V(-C::kLn2Lo), r);
  return {r + xlo, n};
}

// exp(x + xlo) = p * 2^n, p in [0.70, 1.42]. x is clamped here to [EXP_LO, EXP_HI].
template <class V>
struct ExpParts {
  V p;
  V n;
};
template <class V>
inline ExpParts<V> exp_parts(V x, V xlo = V(typename V::T(0))) {
  using C = MathConst<V>;
  x = vmin(V(C::kExpHi), vmax(V(C::kExpLo), x));
  Reduced<V> rd = reduce_ln2(x, xlo);
  V q = expm1_q(rd.r);
  V p = fmadd(rd.r, fmadd(rd.r, q, V(typename V::T(1))), V(typename V::T(1)));
  return {p, rd.n};
}

// v * 2^n for integral n in [EMIN - 54, EMAX - K] with one final rounding into the subnormal range:
// (v * 2^(n + K)) * 2^-K, K = 64 (float32) / 600 (float64); v * 2^(n + K) must stay finite.
template <class V>
inline V scale_up(V v, V n) {  // v * 2^(n + K)
  using T = typename V::T;
  return v * pow2i(n + V(kIsF32<V> ? T(64) : T(600)));
}
template <class V>
inline V scale_down(V v) {  // v * 2^-K
  using T = typename V::T;
  return v * V(kIsF32<V> ? T(5.42101086242752217e-20f) : T(2.4099198651028841e-181));
}
template <class V>
inline V scale(V v, V n) {
  return scale_down(scale_up(v, n));
}
// p * 2^n where results below the normal range may be flushed to (almost) zero: for uses like 1 + e.
template <class V>
inline V scale_flush(V p, V n) {
  using C = MathConst<V>;
  return p * pow2i(vmax(V(C::kEmin), n));
}

// exp with gradual underflow.
template <class V>
inline V vexp(V x) {
  ExpParts<V> e = exp_parts(x);
  return scale(e.p, e.n);
}

// expm1(x) for x <= 0 (x > 0 is clamped to 0); also returns exp(x), but of the clamped x: for x below kExpm1Lo
// it stays at exp(kExpm1Lo) (derivatives take exp_parts instead).
template <class V>
struct Expm1Result {
  V em1;  // expm1(x)
  V e;    // exp(x)
};
template <class V>
inline Expm1Result<V> vexpm1_neg(V x, V xlo = V(typename V::T(0))) {
  using C = MathConst<V>;
  using T = typename V::T;
  x = vmin(V(T(0)), vmax(V(C::kExpm1Lo), x));
  Reduced<V> rd = reduce_ln2(x, xlo);
  V r2 = rd.r * rd.r;
  V em1r = fmadd(r2, expm1_q(rd.r), rd.r);
  V t = pow2i(rd.n);
  return {fmadd(t, em1r, t - V(T(1))), fmadd(t, em1r, t)};
}

// float32 exp with a built-in power-of-two scale: exp(a + alo) * 2^K = p * s for a in [EXP32_LO, 0] (the caller
// clamps; NaN passes through). n = round(a / ln2) is rounded inside the FMA t = a log2e + (1.5 * 2^23 + 127 + K)
// (t's last bit is worth 1), and the same t gives s = 2^(n + K) by moving its low significand bits into the
// exponent field: no conversion, no separate add. alo (|alo| < 1e-3) is the low part of an argument given as an
// unevaluated sum; it is folded into r.
// Below: n + 127 + K must stay >= 0. At n + 127 + K = 0 the exponent field is 0 and s = +0 exactly, so clamping
// a at kExp32Flush<K> = -(127 + K) ln2 + 0.3 makes exp flush to 0 there, with no garbage exponent. K = 0 suits
// ops whose result is exp-sized (sigmoid: results below FLT_MIN need only 1e-38 absolute); K = 32 keeps p * s
// normal down to a = -110 for products like x e^x that are normal while e^x is not.
template <int K>
constexpr float kExp32Flush = -0.693147181f * static_cast<float>(127 + K) + 0.3f;
// For ops that use only p and exp32_inv_scale (K = 0): a clamped here has n = -128, and 2^-n = 2^128 comes out of
// exp32_inv_scale as exactly +inf (exponent field 255, significand 0), so p / (p + 2^-n) is exactly 0 below the
// clamp without a flush of its own. (n = -129 would give -0: the clamp must not go lower.)
constexpr float kExp32SiInf = -0.693147181f * 128.0f + 0.05f;
template <class V>
struct Exp32 {
  V p;  // in [0.70, 1.42]
  V s;  // 2^(n + K)
  V t;  // n + (1.5 * 2^23 + 127 + K)
};
// q(r) for exp: kGrad selects the derivative grade (degree 3, exp(r) = 1 + r + r^2 q within 1.05e-7 relative,
// one FMA less), used where the promise is 8 ULP; otherwise expm1_q (degree 4, 1.3e-8 for expm1, 3e-9 for exp).
template <bool kGrad, class V>
inline V exp32_q(V r) {
  if constexpr (kGrad) {
    V q = fmadd(r, V(kQ32Grad[3]), V(kQ32Grad[2]));
    q = fmadd(q, r, V(kQ32Grad[1]));
    return fmadd(q, r, V(kQ32Grad[0]));
  } else {
    return expm1_q(r);
  }
}
template <int K, bool kLo, bool kGrad, class V>
inline Exp32<V> exp32_impl(V a, V alo) {
  using C = MathConst<V>;
  const V magic(12582912.0f + static_cast<float>(127 + K));
  V t = fmadd(a, V(C::kLog2e), magic);
  V n = t - magic;
  V r = fmadd(n, V(-C::kLn2Hi), a);
  r = fmadd(n, V(-C::kLn2Lo), r);
  if constexpr (kLo) r = r + alo;
  V q = exp32_q<kGrad>(r);
  V p = fmadd(r, fmadd(r, q, V(1.0f)), V(1.0f));
  return {p, shl_mant(t), t};
}
template <int K, bool kGrad = false, class V>
inline Exp32<V> exp32_parts(V a) {
  return exp32_impl<K, false, kGrad>(a, a);
}
template <int K, bool kGrad = false, class V>
inline Exp32<V> exp32_parts(V a, V alo) {
  return exp32_impl<K, true, kGrad>(a, alo);
}
template <int K, bool kGrad = false, class V>
inline V exp32_pk(V a) {  // exp(a) * 2^K
  Exp32<V> E = exp32_impl<K, false, kGrad>(a, a);
  return E.p * E.s;
}
// exp(a) * 2^K with one rounding: s + s (p - 1), p - 1 = r (1 + r q) (no separate rounding of p).
template <int K, class V>
inline V exp32_pk1(V a) {
  using C = MathConst<V>;
  const V magic(12582912.0f + static_cast<float>(127 + K));
  V t = fmadd(a, V(C::kLog2e), magic);
  V n = t - magic;
  V r = fmadd(n, V(-C::kLn2Hi), a);
  r = fmadd(n, V(-C::kLn2Lo), r);
  V pm1 = r * fmadd(r, expm1_q(r), V(1.0f));
  V s = shl_mant(t);
  return fmadd(s, pm1, s);
}
// 2^-n for K = 0 (n in [-127, 0], i.e. a clamped at kExp32Flush<0>): (3 * 2^23 + 254) - t = 1.5 * 2^23 + 127 - n
// exactly. Ratios like e / (1 + e) = p / (p + 2^-n) then need no multiplication by 2^n, and stay exact where e
// itself would be subnormal.
template <class V>
inline V exp32_inv_scale(const Exp32<V>& E) {
  return shl_mant(V(25166078.0f) - E.t);
}

// float32 2^r = 1 + r P(r) for |r| <= 1/2, for ops that reduce in log2 units (gelu_tanh): their exp argument is
// a product a w with log2(e) folded into w, t = fma(a, w, magic) rounds it to n (as in exp32_impl) and
// r = fma(a, w, -n) is exact up to one rounding of the small result, so the product is never rounded on its own
// and no Cody-Waite split of ln2 is needed. P has degree 5 (3.0e-9 relative, Estrin: r^2 overlaps the first
// pairs, 12 cycles of latency instead of 20) or, kGrad, degree 4 (9.3e-8, Horner; gelu_tanh uses it for its
// forward too, see OpGeluTanh) (fit_coefficients.py).
// P of the degree-4 form, 2^r = 1 + r P(r) (for callers that fold the 1 in elsewhere).
template <class V>
inline V exp2_unit_p4(V r) {
  V P = fmadd(r, V(1.3269272e-03f), V(9.671301e-03f));
  P = fmadd(P, r, V(5.5507116e-02f));
  P = fmadd(P, r, V(2.4022247e-01f));
  return fmadd(P, r, V(6.93147e-01f));
}
template <bool kGrad, class V>
inline V exp2_unit(V r) {
  if constexpr (kGrad) {
    return fmadd(r, exp2_unit_p4(r), V(1.0f));
  } else {
    V r2 = r * r;
    V a = fmadd(r, V(2.4022648e-01f), V(6.931472e-01f));
    V b = fmadd(r, V(9.6185e-03f), V(5.5503596e-02f));
    V c = fmadd(r, V(1.5328906e-04f), V(1.3390977e-03f));
    return fmadd(r, fmadd(r2, fmadd(r2, c, b), a), V(1.0f));
  }
}

// float32 expm1(a) and exp(a) for a in [-88, 0]: expm1 = s expm1(r) + (s - 1), s = 2^n, expm1(r) = r + r^2 q(r);
// s - 1 is exact and the FMA rounds once, so there is no cancellation for small |a| (n = 0 gives expm1(r)).
// exp(a) = s expm1(r) + s flushes to 0 at a = -88 (see kExp32Flush).
template <class V>
struct Expm132 {
  V em1;
  V e;
};
template <bool kLo, class V>
inline Expm132<V> expm1_32_impl(V a, V alo) {
  using C = MathConst<V>;
  const V magic(12582912.0f + 127.0f);
  V t = fmadd(a, V(C::kLog2e), magic);
  V n = t - magic;
  V r = fmadd(n, V(-C::kLn2Hi), a);
  r = fmadd(n, V(-C::kLn2Lo), r);
  if constexpr (kLo) r = r + alo;
  V em1r = fmadd(r * r, expm1_q(r), r);
  V s = shl_mant(t);
  return {fmadd(s, em1r, s - V(1.0f)), fmadd(s, em1r, s)};
}
// float32 expm1(2a) / 2 for a in [0, 10] (a clamped by the caller; NaN passes through); see the header comment.
template <class V>
inline V expm1_half32(V a) {
  const V magic(12582912.0f + 127.0f);
  V t = fmadd(a, V(2.88539f), magic);           // 2 log2e: n = round(2a log2e) sits in t's low bits
  V rho = fmadd(magic - t, V(0.3465736f), a);  // a - n ln2/2 (magic - t = -n exactly), |rho| <= ln2/4
  V Q = fmadd(rho, V(4.4386104e-02f), V(1.3386019e-01f));
  Q = fmadd(Q, rho, V(3.3333948e-01f));
  Q = fmadd(Q, rho, V(6.6666186e-01f));
  Q = fmadd(Q, rho, V(9.9999994e-01f));
  V em = fmadd(rho * rho, Q, rho);  // expm1(2 rho) / 2
  V s = shl_mant(t);                // 2^n
  return fmadd(s, em, fmadd(s, V(0.5f), V(-0.5f)));
}
template <class V>
inline Expm132<V> expm1_32(V a) {
  return expm1_32_impl<false>(a, a);
}
template <class V>
inline Expm132<V> expm1_32(V a, V alo) {
  return expm1_32_impl<true>(a, alo);
}

// log1p(e) for e in [0, 1] (see the header comment).
template <class V>
inline V log1p_unit(V e) {
  using C = MathConst<V>;
  using T = typename V::T;
  const V one(T(1));
  V u = one + e;
  V c = e - (u - one);
  auto big = gt(u, V(C::kSqrt2));
  V k = select(big, one, V(T(0)));
  V m = select(big, u * V(T(0.5)), u);
  V f = (m - one) + select(big, c * V(T(0.5)), c);
  V s = f / (V(T(2)) + f);
  V w = s * s;
  V P;
  if constexpr (kIsF32<V>) {
    P = fmadd(w, V(2.9871488e-01f), V(3.9977556e-01f));
    P = fmadd(P, w, V(6.6666776e-01f));
  } else {
    P = fmadd(w, V(1.479610785220861e-01), V(1.5314039018159734e-01));
    P = fmadd(P, w, V(1.818356460334883e-01));
    P = fmadd(P, w, V(2.222219857132259e-01));
    P = fmadd(P, w, V(2.8571428742370675e-01));
    P = fmadd(P, w, V(3.9999999999414915e-01));
    P = fmadd(P, w, V(6.666666666666734e-01));
  }
  V R = w * P;
  V hfsq = V(T(0.5)) * f * f;
  V l = f - (hfsq - s * (hfsq + R));
  return fmadd(k, V(C::kLn2Hi), l + k * V(C::kLn2Lo));
}

// float64 G(v) = exp(v^2/2) P(X > v) for v in [0, 38.7]; see the header comment (float32 uses
// normal_tail_ratio32, and normal_tail_rational32 for the derivative).
template <class V>
inline V normal_tail_scaled(V v) {
  using T = typename V::T;
  const V one(T(1));
  V d = fmadd(v, V(T(0.25)), one);
  V t = one / d;
  V u = fmadd(t, V(2.20671834625323e+00), V(-1.20671834625323e+00));
  V P = fmadd(u, V(1.3674832871361183e-06), V(2.4282977274803443e-05));
  P = fmadd(P, u, V(2.1926861427367617e-04));
  P = fmadd(P, u, V(1.1708177272593192e-03));
  P = fmadd(P, u, V(5.185476928596913e-03));
  P = fmadd(P, u, V(1.451066408686725e-02));
  P = fmadd(P, u, V(4.160460766341276e-02));
  P = fmadd(P, u, V(6.739320427411225e-02));
  P = fmadd(P, u, V(1.3778949397417575e-01));
  P = fmadd(P, u, V(1.1174630448159933e-01));
  P = fmadd(P, u, V(1.612604976794657e-01));
  V Q = fmadd(u, V(1.3001816928940002e-06), V(-2.3337391766099467e-05));
  Q = fmadd(Q, u, V(2.1938322674292164e-04));
  Q = fmadd(Q, u, V(-1.2327074158239204e-03));
  Q = fmadd(Q, u, V(6.090804121958765e-03));
  Q = fmadd(Q, u, V(-1.6807854719286742e-02));
  Q = fmadd(Q, u, V(6.698747080477896e-02));
  Q = fmadd(Q, u, V(-7.426054808606401e-02));
  Q = fmadd(Q, u, V(3.6443251001427446e-01));
  Q = fmadd(Q, u, V(-5.4294808541164974e-02));
  Q = fmadd(Q, u, V(7.906997595853076e-01));
  return t * (P / Q);
}

// G(v) = exp(v^2/2) Q(v) for the float32 gelu derivative, evaluated in float32 (W = the float wrapper; its ~2-3
// ULP of rounding error fit the 8 ULP budget): a rational of degree (4, 5) in v, all coefficients positive, max
// relative error 4.9e-9 on [0, 13.25] (fit_coefficients.py). The forward uses normal_tail_ratio32 instead.
template <class W>
inline W normal_tail_rational32(W v) {
  W P = fmadd(v, W(4.01593351064222e-03), W(3.995531112928769e-02));
  P = fmadd(P, v, W(1.8122079991463935e-01));
  P = fmadd(P, v, W(4.35569660400324e-01));
  P = fmadd(P, v, W(5.000000024640338e-01));
  W Q = fmadd(v, W(1.0066308146605652e-02), W(1.0016053766506067e-01));
  Q = fmadd(Q, v, W(4.6415347247387123e-01));
  Q = fmadd(Q, v, W(1.1941261618264507e+00));
  Q = fmadd(Q, v, W(1.6690242371787924e+00));
  Q = fmadd(Q, v, W(1.0));
  return P / Q;
}

// v G(v) for the float32 gelu forward, evaluated in float32 as a ratio v P / D (the caller multiplies the
// numerator by exp(-v^2/2) and divides): G = P / D, D = 2 v P + R, P = 1/2 + v P1 (degree 4), R = 1 + v R1
// (degree 5): the (4, 5) rational P / Q with its denominator split as Q = 2 v P + R (all coefficients positive,
// fitted with float32 coefficients: max relative error 8.9e-9 on [0, 13.25], fit_coefficients.py). The
// evaluation is arranged so that few roundings reach the result (a plain float32 P / Q costs 2-3 ULP, and with
// exp and the products the 4 ULP budget is exceeded; measured: 5 ULP near v = 0.01):
//   v P = fma(v, v P1, v/2): one rounding, and P's value just above 1/2 (coarse relative rounding) is never
//   formed; v P enters D too, so its error cancels in v P / D up to the factor R / D;
//   Dm = D - 1 = fma(2, v P, v R1), D = Dm + 1: for small v (Dm < 1/2) the caller replaces the quotient
//   q0 = N / D by N - q0 Dm (= N / (1 + Dm) up to q0's error times Dm), which removes the rounding of D (relative
//   2^-24 just above 1) and of the division.
// Max error of gelu with this: 3 ULP (every float32; 2 ULP for |x| < 0.125).
template <class V>
struct TailRatio32 {
  V vP;  // v P(v)
  V D;   // 2 v P + R
  V Dm;  // D - 1, without D's rounding
};
template <class V>
inline TailRatio32<V> normal_tail_ratio32(V v) {
  V P1 = fmadd(v, V(3.988542e-03f), V(3.977677e-02f));
  P1 = fmadd(P1, v, V(1.8070094e-01f));
  P1 = fmadd(P1, v, V(4.3488526e-01f));
  V R1 = fmadd(v, V(2.020561e-03f), V(2.0159611e-02f));
  R1 = fmadd(R1, v, V(1.01376854e-01f));
  R1 = fmadd(R1, v, V(3.2222423e-01f));
  R1 = fmadd(R1, v, V(6.6765535e-01f));
  V vP = fmadd(v, v * P1, v * V(0.5f));
  V Dm = fmadd(vP, V(2.0f), v * R1);
  return {vP, Dm + V(1.0f), Dm};
}

// float32 exp(-v^2/2) = (1 + pm1) 2^n for v in [0, 13.2] (n >= -126: 2^n = s is normal; the Exp32 field p holds
// pm1 = p - 1 here), with the exact square v^2 = h + l: r = (-h/2 - n ln2) - l/2, where -h/2 - n ln2hi is exact.
// p - 1 = r (1 + r q(r)) is returned instead of p: a product A p = A + A (p - 1) then rounds once.
// Evaluated on r2 = 2r = -h - 2n ln2 - l, with every constant scaled by a power of 2 to match: -h comes from the
// FMA unit (fnma) so no separate -h/2 product is formed, and -l is a plain subtraction, not an FMA; the
// polynomial Q(r2) = q(r2 / 2) / 4 (coefficient k scaled by 2^-(k+2)) gives u/2 = fmadd(r2, Q, 1/2) and
// r u = r2 (u/2). Every intermediate is the former one (r, q's Horner steps, 1 + r q) times a power of 2, so the
// results are bit for bit those of the plain form, two multiplies fewer.
template <bool kGrad, class V>
inline V exp32_q_quarter_half(V r2) {  // q(r2 / 2) / 4: kQ32[Grad][k] 2^-(k+2)
  if constexpr (kGrad) {
    V q = fmadd(r2, V(kQ32Grad[3] * 0x1p-5f), V(kQ32Grad[2] * 0x1p-4f));
    q = fmadd(q, r2, V(kQ32Grad[1] * 0x1p-3f));
    return fmadd(q, r2, V(kQ32Grad[0] * 0x1p-2f));
  } else {
    V q = fmadd(r2, V(kQ32[4] * 0x1p-6f), V(kQ32[3] * 0x1p-5f));
    q = fmadd(q, r2, V(kQ32[2] * 0x1p-4f));
    q = fmadd(q, r2, V(kQ32[1] * 0x1p-3f));
    return fmadd(q, r2, V(kQ32[0] * 0x1p-2f));
  }
}
template <bool kGrad = false, class V>
inline Exp32<V> exp32_neg_half_square(V v) {
  using C = MathConst<V>;
  const V magic(12582912.0f + 127.0f);
  V nh = fnma_exact(v, v, V(0.0f));  // -h
  V l = fma_exact(v, v, nh);
  V t = fmadd(nh, V(0.5f * C::kLog2e), magic);
  V n = t - magic;
  V r2 = fmadd(n, V(-2.0f * C::kLn2Hi), nh);
  r2 = fmadd(n, V(-2.0f * C::kLn2Lo), r2);
  r2 = r2 - l;
  return {r2 * fmadd(r2, exp32_q_quarter_half<kGrad>(r2), V(0.5f)), shl_mant(t), t};
}

// exp(-v^2/2) as parts, with the exact square (v >= 0, already clamped so that v^2 is finite).
template <class V>
inline ExpParts<V> exp_neg_half_square(V v) {
  using T = typename V::T;
  V h = v * v;
  V l = fma_exact(v, v, -h);
  return exp_parts(V(T(-0.5)) * h, V(T(-0.5)) * l);
}

// Sum hi + lo of two values whose magnitudes are in either order (Knuth's TwoSum): returns the rounding error.
template <class V>
inline V two_sum_err(V a, V b, V s) {
  V bb = s - a;
  return (a - (s - bb)) + (b - bb);
}

}  // namespace
}  // namespace swishnet
