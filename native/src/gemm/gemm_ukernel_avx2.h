// swishnet — the AVX2+FMA GEMM micro-kernel, 6 rows x 2 ymm vectors of columns (12 accumulators), written once
// for both element types: sgemm 6x16 (float) and dgemm 6x8 (double) instantiate it.
//
// Per k step: 2 loads of B, 6 broadcasts of A, 12 FMAs. Two FMA pipes at 4-cycle latency need 8 independent FMAs
// in flight; 12 accumulators cover that with room for the loads. Math: gemm_kernel_scalar.cc.
//
// Included by the kernel files inside SWISHNET_GEMM_AVX2_BEGIN/END (so it compiles for AVX2+FMA there), with
// internal linkage like gemm_pack.h: an AVX2 instance can never be linked into code for another ISA.
#pragma once
#include <immintrin.h>

#include <cstddef>

#include "gemm/gemm_pack.h"  // store_edge_tile

namespace swishnet {
namespace gemm {
namespace {  // NOLINT(build/namespaces): see above

// The ymm operations the kernel needs, per element type.
template <typename T>
struct Ymm;

template <>
struct Ymm<float> {
  using V = __m256;
  static constexpr std::size_t kLanes = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V load(const float* p) { return _mm256_load_ps(p); }
  static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_store_ps(p, v); }
  static void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};

template <>
struct Ymm<double> {
  using V = __m256d;
  static constexpr std::size_t kLanes = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V set1(double x) { return _mm256_set1_pd(x); }
  static V broadcast(const double* p) { return _mm256_broadcast_sd(p); }
  static V load(const double* p) { return _mm256_load_pd(p); }
  static V loadu(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, V v) { _mm256_store_pd(p, v); }
  static void storeu(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
};

template <typename T>
constexpr std::size_t kUkernelNr = 2 * Ymm<T>::kLanes;  // 16 floats or 8 doubles

// C[mr x nr] = alpha * (A panel x B panel) + beta * C, for packed panels of kc steps (a: 6 per step, b: 2 vectors
// per step); mr <= 6, nr <= kUkernelNr<T>; beta == 0 does not read C.
template <typename T>
void ukernel_6x2v_avx2(std::size_t kc, const T* a, const T* b, T* c, std::size_t ldc, std::size_t mr,
                       std::size_t nr, T alpha, T beta) {
  using Y = Ymm<T>;
  using V = typename Y::V;
  constexpr std::size_t kMr = 6, kL = Y::kLanes, kNr = 2 * kL;
  V c00 = Y::zero(), c01 = Y::zero();
  V c10 = Y::zero(), c11 = Y::zero();
  V c20 = Y::zero(), c21 = Y::zero();
  V c30 = Y::zero(), c31 = Y::zero();
  V c40 = Y::zero(), c41 = Y::zero();
  V c50 = Y::zero(), c51 = Y::zero();

  for (std::size_t i = 0; i < mr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNr - 1), _MM_HINT_T0);
  }

  // One k step per iteration: unrolling lets the compiler hoist the next step's loads, which needs more than
  // the 16 ymm registers and spills an accumulator (this form measured sgemm 91 -> 97 GFLOP/s in the kernel
  // alone, and took dgemm 256^3 from 32 to 45 GFLOP/s).
  for (std::size_t p = 0; p < kc; ++p, a += kMr, b += kNr) {
    const V b0 = Y::load(b);
    const V b1 = Y::load(b + kL);
    V av;
    av = Y::broadcast(a + 0);
    c00 = Y::fmadd(av, b0, c00);
    c01 = Y::fmadd(av, b1, c01);
    av = Y::broadcast(a + 1);
    c10 = Y::fmadd(av, b0, c10);
    c11 = Y::fmadd(av, b1, c11);
    av = Y::broadcast(a + 2);
    c20 = Y::fmadd(av, b0, c20);
    c21 = Y::fmadd(av, b1, c21);
    av = Y::broadcast(a + 3);
    c30 = Y::fmadd(av, b0, c30);
    c31 = Y::fmadd(av, b1, c31);
    av = Y::broadcast(a + 4);
    c40 = Y::fmadd(av, b0, c40);
    c41 = Y::fmadd(av, b1, c41);
    av = Y::broadcast(a + 5);
    c50 = Y::fmadd(av, b0, c50);
    c51 = Y::fmadd(av, b1, c51);
  }

  const V va = Y::set1(alpha);
  if (mr == kMr && nr == kNr) {
    // C = alpha*acc (+ beta*C): the same two roundings as the scalar edge path below.
#define SWISHNET_UKERNEL_ROW(R, X0, X1)                                                              \
  {                                                                                                  \
    T* cr = c + (R)*ldc;                                                                             \
    if (beta == T(0)) {                                                                              \
      Y::storeu(cr, Y::mul(va, X0));                                                                 \
      Y::storeu(cr + kL, Y::mul(va, X1));                                                            \
    } else {                                                                                         \
      const V vb = Y::set1(beta);                                                                    \
      Y::storeu(cr, Y::fmadd(vb, Y::loadu(cr), Y::mul(va, X0)));                                     \
      Y::storeu(cr + kL, Y::fmadd(vb, Y::loadu(cr + kL), Y::mul(va, X1)));                           \
    }                                                                                                \
  }
    SWISHNET_UKERNEL_ROW(0, c00, c01)
    SWISHNET_UKERNEL_ROW(1, c10, c11)
    SWISHNET_UKERNEL_ROW(2, c20, c21)
    SWISHNET_UKERNEL_ROW(3, c30, c31)
    SWISHNET_UKERNEL_ROW(4, c40, c41)
    SWISHNET_UKERNEL_ROW(5, c50, c51)
#undef SWISHNET_UKERNEL_ROW
    return;
  }
  // Edge tile: spill alpha*acc, then update only the mr x nr corner.
  alignas(32) T t[kMr][kNr];
  Y::store(t[0], Y::mul(va, c00));
  Y::store(t[0] + kL, Y::mul(va, c01));
  Y::store(t[1], Y::mul(va, c10));
  Y::store(t[1] + kL, Y::mul(va, c11));
  Y::store(t[2], Y::mul(va, c20));
  Y::store(t[2] + kL, Y::mul(va, c21));
  Y::store(t[3], Y::mul(va, c30));
  Y::store(t[3] + kL, Y::mul(va, c31));
  Y::store(t[4], Y::mul(va, c40));
  Y::store(t[4] + kL, Y::mul(va, c41));
  Y::store(t[5], Y::mul(va, c50));
  Y::store(t[5] + kL, Y::mul(va, c51));
  store_edge_tile(c, ldc, t[0], kNr, mr, nr, beta);
}

}  // namespace
}  // namespace gemm
}  // namespace swishnet
