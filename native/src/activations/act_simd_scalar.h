// swishnet — the width-1 "SIMD" wrapper used by the scalar kernel family, and the reference for the wrapper
// interface that act_math.h / act_ops.h are written against. A wrapper type V provides:
//   V::T (float | double), V::M (mask type), V::N (lanes); V(T) broadcasts;
//   V::load / store (N elements), V::load_part / store_part (the first m < N elements; lanes past m read as 0);
//   V::kStream; where it is true, V::stream(p, a) and V::stream_fence(): a non-temporal store of N elements to an
//   address aligned to N elements, and the fence that orders such stores before later ones (act_run uses
//   them only for such a V), and V::prefetch(p): a hint to fetch p's cache line, non-temporal where the ISA has
//   one (the streaming loops prefetch their inputs, see prefetch_ahead);
//   + - * / and unary -; fmadd(a, b, c) = a*b + c (fused where the ISA has FMA, else two roundings);
//   fma_exact(a, b, c): a*b + c with ONE rounding (used for exact residuals such as x*x - fl(x*x));
//   fnma_exact(a, b, c): c - a*b with ONE rounding (the residual fl(x*x) - x*x without a negation);
//   vmin / vmax with SSE semantics (vmax(a, b) = a > b ? a : b: the second operand comes out on NaN);
//   vabs, vand / vor (bitwise), round_int (nearest, ties to even), pow2i(n) = 2^n for integral n in the normal
//   exponent range; shl_mant(t) (the significand bits shifted into the exponent field); lt / gt (ordered
//   compares: false on NaN), isnan, select(m, a, b), m_and;
//   hsum_double (sum of the lanes in double).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace swishnet {
namespace {

template <class TT>
struct Bits;
template <>
struct Bits<float> {
  using U = std::uint32_t;
  static constexpr int kMant = 23;
  static constexpr float kMagic = 12583039.0f;  // 1.5 * 2^23 + 127: n + kMagic holds n + bias in its low bits
  static constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
};
template <>
struct Bits<double> {
  using U = std::uint64_t;
  static constexpr int kMant = 52;
  static constexpr double kMagic = 6755399441056767.0;  // 1.5 * 2^52 + 1023
  static constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52
};

template <class TT>
struct Scalar {
  using T = TT;
  using M = bool;
  using U = typename Bits<TT>::U;
  static constexpr std::size_t N = 1;
  T v;
  Scalar() = default;
  Scalar(T f) : v(f) {}  // NOLINT: implicit broadcast keeps the math readable
  static Scalar load(const T* p) { return *p; }
  static void store(T* p, Scalar a) { *p = a.v; }
  static Scalar load_part(const T* p, std::size_t) { return *p; }
  static void store_part(T* p, Scalar a, std::size_t) { *p = a.v; }
  static constexpr bool kStream = false;  // no non-temporal stores
  static U bits(T f) {
    U u;
    std::memcpy(&u, &f, sizeof u);
    return u;
  }
  static T from_bits(U u) {
    T f;
    std::memcpy(&f, &u, sizeof f);
    return f;
  }
};

template <class T> inline Scalar<T> operator+(Scalar<T> a, Scalar<T> b) { return a.v + b.v; }
template <class T> inline Scalar<T> operator-(Scalar<T> a, Scalar<T> b) { return a.v - b.v; }
template <class T> inline Scalar<T> operator*(Scalar<T> a, Scalar<T> b) { return a.v * b.v; }
template <class T> inline Scalar<T> operator/(Scalar<T> a, Scalar<T> b) { return a.v / b.v; }
template <class T> inline Scalar<T> operator-(Scalar<T> a) { return -a.v; }
// Fused where the hardware has it (arm64: one instruction), so that every call site rounds the same way.
#if defined(FP_FAST_FMA) && defined(FP_FAST_FMAF)
template <class T> inline Scalar<T> fmadd(Scalar<T> a, Scalar<T> b, Scalar<T> c) { return std::fma(a.v, b.v, c.v); }
#else
template <class T> inline Scalar<T> fmadd(Scalar<T> a, Scalar<T> b, Scalar<T> c) { return a.v * b.v + c.v; }
#endif
// float: the product of two floats is exact in double, so one double add + one rounding is a fused multiply-add
// for every use here (exact residuals); double: std::fma (hardware where the CPU has it).
inline Scalar<float> fma_exact(Scalar<float> a, Scalar<float> b, Scalar<float> c) {
  return static_cast<float>(static_cast<double>(a.v) * static_cast<double>(b.v) + static_cast<double>(c.v));
}
inline Scalar<double> fma_exact(Scalar<double> a, Scalar<double> b, Scalar<double> c) {
  return std::fma(a.v, b.v, c.v);
}
// c - a*b = fma_exact(-a, b, c): the negation is exact (the SIMD families have one instruction for it).
template <class T> inline Scalar<T> fnma_exact(Scalar<T> a, Scalar<T> b, Scalar<T> c) { return fma_exact(-a, b, c); }
template <class T> inline Scalar<T> vmin(Scalar<T> a, Scalar<T> b) { return a.v < b.v ? a.v : b.v; }
template <class T> inline Scalar<T> vmax(Scalar<T> a, Scalar<T> b) { return a.v > b.v ? a.v : b.v; }
template <class T> inline Scalar<T> vand(Scalar<T> a, Scalar<T> b) {
  return Scalar<T>::from_bits(Scalar<T>::bits(a.v) & Scalar<T>::bits(b.v));
}
template <class T> inline Scalar<T> vor(Scalar<T> a, Scalar<T> b) {
  return Scalar<T>::from_bits(Scalar<T>::bits(a.v) | Scalar<T>::bits(b.v));
}
template <class T> inline Scalar<T> vabs(Scalar<T> a) {
  return Scalar<T>::from_bits(Scalar<T>::bits(a.v) & ~Scalar<T>::bits(T(-0.0)));
}
// Adding and subtracting 1.5 * 2^mant rounds to an integer (ties to even) for |x| < 2^(mant-1).
template <class T> inline Scalar<T> round_int(Scalar<T> a) {
  return (a.v + Bits<T>::kRound) - Bits<T>::kRound;  // not folded: the compiler keeps IEEE semantics
}
// 2^n from the bits of n + (1.5 * 2^mant + bias): no float-to-int conversion, so no UB for NaN lanes.
template <class T> inline Scalar<T> pow2i(Scalar<T> n) {
  return Scalar<T>::from_bits(Scalar<T>::bits(n.v + Bits<T>::kMagic) << Bits<T>::kMant);
}
// The low bits of t's significand moved into the exponent field: with t = m + (1.5 * 2^mant + bias + k) for an
// integer m (as fmadd(x, log2e, that constant) leaves it), this is 2^(m + k) for m + k + bias in [1, 2 emax].
template <class T> inline Scalar<T> shl_mant(Scalar<T> t) {
  return Scalar<T>::from_bits(Scalar<T>::bits(t.v) << Bits<T>::kMant);
}
template <class T> inline bool lt(Scalar<T> a, Scalar<T> b) { return a.v < b.v; }
template <class T> inline bool gt(Scalar<T> a, Scalar<T> b) { return a.v > b.v; }
template <class T> inline bool isnan(Scalar<T> a) { return a.v != a.v; }
template <class T> inline Scalar<T> select(bool m, Scalar<T> a, Scalar<T> b) { return m ? a : b; }
// +-0 with the sign of v where m, v elsewhere (the SIMD families: two logic operations, no blend).
template <class T> inline Scalar<T> flush_where(bool m, Scalar<T> v) { return m ? vand(v, Scalar<T>(T(-0.0))) : v; }
inline bool m_and(bool a, bool b) { return a && b; }
inline bool m_any(bool a) { return a; }
inline bool m_or(bool a, bool b) { return a || b; }
template <class T> inline double hsum_double(Scalar<T> a) { return static_cast<double>(a.v); }

}  // namespace
}  // namespace swishnet
