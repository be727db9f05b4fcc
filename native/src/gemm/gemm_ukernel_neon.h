// swishnet — the NEON (AArch64) GEMM micro-kernel, kMr rows x kNr columns (kNv = kNr / lanes q registers of
// accumulators per row), written once for both element types: sgemm 8x8 (float, 2 q registers per row) and
// dgemm 6x8 (double, 4 per row) instantiate it.
//
// Per k step: kNv loads of B, kMr / lanes loads of A, kMr * kNv FMAs by lane (fmla v, v, v.s[l]): A is never
// broadcast into a register of its own. Math: gemm_kernel_scalar.cc.
//
// Every loop over registers is fully unrolled (SWISHNET_NEON_UNROLL) so that the accumulators live in registers.
// Included by the kernel files on AArch64 only, with internal linkage like gemm_pack.h.
#pragma once
#include <arm_neon.h>

#include <cstddef>
#include <utility>

#include "gemm/gemm_pack.h"  // store_edge_tile

#define SWISHNET_NEON_UNROLL _Pragma("GCC unroll 8")

namespace swishnet {
namespace gemm {
namespace {  // NOLINT(build/namespaces): see above

// The q-register operations the kernel needs, per element type.
template <typename T>
struct Qreg;

template <>
struct Qreg<float> {
  using V = float32x4_t;
  static constexpr int kLanes = 4;
  static V zero() { return vdupq_n_f32(0.0f); }
  static V set1(float x) { return vdupq_n_f32(x); }
  static V load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, V v) { vst1q_f32(p, v); }
  static V mul(V a, V b) { return vmulq_f32(a, b); }
  static V fmadd(V acc, V a, V b) { return vfmaq_f32(acc, a, b); }  // acc + a b
  template <int L>
  static V fmadd_lane(V acc, V b, V a) {  // acc + b a[L]
    return vfmaq_laneq_f32(acc, b, a, L);
  }
};

template <>
struct Qreg<double> {
  using V = float64x2_t;
  static constexpr int kLanes = 2;
  static V zero() { return vdupq_n_f64(0.0); }
  static V set1(double x) { return vdupq_n_f64(x); }
  static V load(const double* p) { return vld1q_f64(p); }
  static void store(double* p, V v) { vst1q_f64(p, v); }
  static V mul(V a, V b) { return vmulq_f64(a, b); }
  static V fmadd(V acc, V a, V b) { return vfmaq_f64(acc, a, b); }
  template <int L>
  static V fmadd_lane(V acc, V b, V a) {
    return vfmaq_laneq_f64(acc, b, a, L);
  }
};

// Row R of one k step: acc[R][q] += b[q] * a[R] for every column register q (the lane index must be a constant,
// hence one instantiation per row).
template <typename Q, int kNv, std::size_t R>
inline void fma_row(typename Q::V* acc_row, const typename Q::V* bv, const typename Q::V* av) {
  SWISHNET_NEON_UNROLL
  for (int q = 0; q < kNv; ++q)
    acc_row[q] = Q::template fmadd_lane<static_cast<int>(R % Q::kLanes)>(acc_row[q], bv[q], av[R / Q::kLanes]);
}
template <typename Q, int kNv, std::size_t... R>
inline void fma_rows(typename Q::V (*acc)[kNv], const typename Q::V* bv, const typename Q::V* av,
                     std::index_sequence<R...>) {
  (fma_row<Q, kNv, R>(acc[R], bv, av), ...);
}

// C[mr x nr] = alpha * (A panel x B panel) + beta * C, for packed panels of kc steps (a: kMr per step, b: kNr
// per step); mr <= kMr, nr <= kNr; beta == 0 does not read C.
template <typename T, int kMr, int kNr>
void ukernel_neon(std::size_t kc, const T* a, const T* b, T* c, std::size_t ldc, std::size_t mr, std::size_t nr,
                  T alpha, T beta) {
  using Q = Qreg<T>;
  using V = typename Q::V;
  constexpr int kL = Q::kLanes, kNv = kNr / kL, kAv = kMr / kL;
  static_assert(kMr % kL == 0 && kNr % kL == 0, "A and B are loaded as whole registers");
  V acc[kMr][kNv];
  SWISHNET_NEON_UNROLL
  for (int i = 0; i < kMr; ++i)
    SWISHNET_NEON_UNROLL
    for (int q = 0; q < kNv; ++q) acc[i][q] = Q::zero();

  for (std::size_t p = 0; p < kc; ++p) {
    V bv[kNv], av[kAv];
    SWISHNET_NEON_UNROLL
    for (int q = 0; q < kNv; ++q) bv[q] = Q::load(b + q * kL);
    SWISHNET_NEON_UNROLL
    for (int v = 0; v < kAv; ++v) av[v] = Q::load(a + v * kL);
    fma_rows<Q, kNv>(acc, bv, av, std::make_index_sequence<kMr>{});
    a += kMr;
    b += kNr;
  }

  const V va = Q::set1(alpha);
  if (mr == kMr && nr == kNr) {
    // C = alpha*acc (+ beta*C, one fused rounding): the same arithmetic as the edge path below.
    SWISHNET_NEON_UNROLL
    for (int i = 0; i < kMr; ++i) {
      T* ci = c + i * ldc;
      SWISHNET_NEON_UNROLL
      for (int q = 0; q < kNv; ++q) {
        const V t = Q::mul(va, acc[i][q]);
        if (beta == T(0)) {
          Q::store(ci + q * kL, t);
        } else {
          Q::store(ci + q * kL, Q::fmadd(t, Q::load(ci + q * kL), Q::set1(beta)));
        }
      }
    }
    return;
  }
  // Edge tile: spill alpha*acc, then update only the mr x nr corner.
  T t[kMr][kNr];
  SWISHNET_NEON_UNROLL
  for (int i = 0; i < kMr; ++i)
    SWISHNET_NEON_UNROLL
    for (int q = 0; q < kNv; ++q) Q::store(t[i] + q * kL, Q::mul(va, acc[i][q]));
  store_edge_tile(c, ldc, t[0], kNr, mr, nr, beta);
}

}  // namespace
}  // namespace gemm
}  // namespace swishnet
