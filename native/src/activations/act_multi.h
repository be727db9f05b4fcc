// swishnet — Multi<V, U>: U registers of a SIMD wrapper V used as one wider wrapper (the interface of
// act_simd_scalar.h, lane for lane).
//
// Why: the transcendental ops are long dependency chains (~25 dependent instructions of 3-5 cycles each). When a
// loop body computes vector 0 completely and then vector 1, the out-of-order window (a few dozen scheduler
// entries) cannot see far enough ahead to overlap them, and the kernel runs at the chain's latency instead of
// the core's throughput. With Multi every step of the math is issued for all U registers before the next step,
// so U independent chains sit next to each other in program order (XNNPACK writes its kernels this way by hand).
// Every lane goes through exactly the same operations as with V alone, so the unrolled loop and the remainder
// (which uses V) give bit-identical results.
#pragma once
#include <cstddef>

// The per-register loops below must be fully unrolled (so that the U registers stay in registers): -O3 does that
// anyway; the pragma makes -O2 builds do it too.
#if defined(__clang__)
#define SWISHNET_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define SWISHNET_UNROLL _Pragma("GCC unroll 16")
#else
#define SWISHNET_UNROLL
#endif

// A branch around rarely needed work, and that work kept out of line (so the loop around it stays small).
#if defined(__GNUC__) || defined(__clang__)
#define SWISHNET_UNLIKELY(c) __builtin_expect(!!(c), 0)
#define SWISHNET_NOINLINE __attribute__((noinline))
#else
#define SWISHNET_UNLIKELY(c) (c)
#define SWISHNET_NOINLINE
#endif

namespace swishnet {
namespace {

template <class MM, int U>
struct MultiMask {
  MM m[U];
};

template <class V, int U>
struct Multi {
  using T = typename V::T;
  using M = MultiMask<typename V::M, U>;
  static constexpr std::size_t N = V::N * U;
  V v[U];
  Multi() = default;
  Multi(T f) {  // NOLINT: implicit broadcast, as for V
    SWISHNET_UNROLL
    for (int u = 0; u < U; ++u) v[u] = V(f);
  }
  Multi(V a) {  // NOLINT: the same value in every register
    SWISHNET_UNROLL
    for (int u = 0; u < U; ++u) v[u] = a;
  }
  static Multi load(const T* p) {
    Multi r;
    SWISHNET_UNROLL
    for (int u = 0; u < U; ++u) r.v[u] = V::load(p + u * V::N);
    return r;
  }
  static void store(T* p, const Multi& a) {
    SWISHNET_UNROLL
    for (int u = 0; u < U; ++u) V::store(p + u * V::N, a.v[u]);
  }
  static void stream(T* p, const Multi& a) {
    SWISHNET_UNROLL
    for (int u = 0; u < U; ++u) V::stream(p + u * V::N, a.v[u]);
  }
};

#define SWISHNET_MULTI_BINARY(NAME, EXPR)                                  \
  template <class V, int U>                                               \
  inline Multi<V, U> NAME(const Multi<V, U>& a, const Multi<V, U>& b) {   \
    Multi<V, U> r;                                                        \
    SWISHNET_UNROLL                                                       \
    for (int u = 0; u < U; ++u) r.v[u] = EXPR;                            \
    return r;                                                             \
  }
SWISHNET_MULTI_BINARY(operator+, a.v[u] + b.v[u])
SWISHNET_MULTI_BINARY(operator-, a.v[u] - b.v[u])
SWISHNET_MULTI_BINARY(operator*, a.v[u] * b.v[u])
SWISHNET_MULTI_BINARY(operator/, a.v[u] / b.v[u])
SWISHNET_MULTI_BINARY(vmin, vmin(a.v[u], b.v[u]))
SWISHNET_MULTI_BINARY(vmax, vmax(a.v[u], b.v[u]))
SWISHNET_MULTI_BINARY(vand, vand(a.v[u], b.v[u]))
SWISHNET_MULTI_BINARY(vor, vor(a.v[u], b.v[u]))
#undef SWISHNET_MULTI_BINARY

#define SWISHNET_MULTI_UNARY(NAME, EXPR)                \
  template <class V, int U>                            \
  inline Multi<V, U> NAME(const Multi<V, U>& a) {      \
    Multi<V, U> r;                                     \
    SWISHNET_UNROLL                                    \
    for (int u = 0; u < U; ++u) r.v[u] = EXPR;         \
    return r;                                          \
  }
SWISHNET_MULTI_UNARY(operator-, -a.v[u])
SWISHNET_MULTI_UNARY(vabs, vabs(a.v[u]))
SWISHNET_MULTI_UNARY(round_int, round_int(a.v[u]))
SWISHNET_MULTI_UNARY(pow2i, pow2i(a.v[u]))
SWISHNET_MULTI_UNARY(shl_mant, shl_mant(a.v[u]))
#undef SWISHNET_MULTI_UNARY

#define SWISHNET_MULTI_TERNARY(NAME)                                                                 \
  template <class V, int U>                                                                         \
  inline Multi<V, U> NAME(const Multi<V, U>& a, const Multi<V, U>& b, const Multi<V, U>& c) {       \
    Multi<V, U> r;                                                                                  \
    SWISHNET_UNROLL                                                                                 \
    for (int u = 0; u < U; ++u) r.v[u] = NAME(a.v[u], b.v[u], c.v[u]);                              \
    return r;                                                                                       \
  }
SWISHNET_MULTI_TERNARY(fmadd)
SWISHNET_MULTI_TERNARY(fma_exact)
SWISHNET_MULTI_TERNARY(fnma_exact)
#undef SWISHNET_MULTI_TERNARY

#define SWISHNET_MULTI_CMP(NAME)                                                           \
  template <class V, int U>                                                               \
  inline typename Multi<V, U>::M NAME(const Multi<V, U>& a, const Multi<V, U>& b) {       \
    typename Multi<V, U>::M r;                                                            \
    SWISHNET_UNROLL                                                                       \
    for (int u = 0; u < U; ++u) r.m[u] = NAME(a.v[u], b.v[u]);                            \
    return r;                                                                             \
  }
SWISHNET_MULTI_CMP(lt)
SWISHNET_MULTI_CMP(gt)
#undef SWISHNET_MULTI_CMP

template <class V, int U>
inline typename Multi<V, U>::M isnan(const Multi<V, U>& a) {
  typename Multi<V, U>::M r;
  SWISHNET_UNROLL
  for (int u = 0; u < U; ++u) r.m[u] = isnan(a.v[u]);
  return r;
}
// Whether any lane of any vector is set (a branch around rarely needed work).
template <class MM, int U>
inline bool m_any(const MultiMask<MM, U>& a) {
  MM acc = a.m[0];  // one test of the lanes' union, not U branches
  SWISHNET_UNROLL
  for (int u = 1; u < U; ++u) acc = m_or(acc, a.m[u]);
  return m_any(acc);
}
template <class MM, int U>
inline MultiMask<MM, U> m_and(const MultiMask<MM, U>& a, const MultiMask<MM, U>& b) {
  MultiMask<MM, U> r;
  SWISHNET_UNROLL
  for (int u = 0; u < U; ++u) r.m[u] = m_and(a.m[u], b.m[u]);
  return r;
}
template <class V, int U>
inline Multi<V, U> select(const MultiMask<typename V::M, U>& m, const Multi<V, U>& a, const Multi<V, U>& b) {
  Multi<V, U> r;
  SWISHNET_UNROLL
  for (int u = 0; u < U; ++u) r.v[u] = select(m.m[u], a.v[u], b.v[u]);
  return r;
}
template <class V, int U>
inline Multi<V, U> flush_where(const MultiMask<typename V::M, U>& m, const Multi<V, U>& v) {
  Multi<V, U> r;
  SWISHNET_UNROLL
  for (int u = 0; u < U; ++u) r.v[u] = flush_where(m.m[u], v.v[u]);
  return r;
}

}  // namespace
}  // namespace swishnet
