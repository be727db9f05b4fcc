// swishnet — the AVX2+FMA row kernel: one row of C from op(A) and op(B) read in place, for products of one or
// two rows (a Linear layer on one sample), where packing B and running 6-row tiles for one real row cost 5x
// the arithmetic.
//
// It must give the bits of the 6x16 / 6x8 micro-kernel (gemm_ukernel_avx2.h), so that a row of C never depends
// on the rows computed with it (the classifier's chunked validation and predict rely on that): per kc block,
// acc = +0, then acc = fma(a_p, b_pj, acc) for p in order, then t = alpha * acc and C = t (beta == 0: C not
// read) or fma(beta, C, t). Columns are lanes, so each column's chain is the micro-kernel's, whatever the
// width of the pass that carries it; the columns that fill no vector run the same chain in scalar fma.
// Not promised: the payload and sign of a NaN result where NaNs meet (x86 keeps the first operand's NaN, and the
// compiler orders the operands of these multiplies and FMAs differently from the micro-kernel's).
//
// Included by the kernel files inside SWISHNET_GEMM_AVX2_BEGIN/END, after gemm_ukernel_avx2.h (Ymm<T>).
#pragma once
#include <immintrin.h>

#include <cmath>
#include <cstddef>

#include "gemm/gemm_ukernel_avx2.h"

namespace swishnet {
namespace gemm {
namespace {  // NOLINT(build/namespaces): internal linkage, as in gemm_ukernel_avx2.h

// The in-register transpose of kLanes rows of B^T (kLanes consecutive k each) into kLanes vectors, one per k
// step, lane l holding row l (the column j0 + l of op(B)).
inline void transpose_lanes(const float* b, std::size_t ldb, __m256 v[8]) {
  const __m256 r0 = _mm256_loadu_ps(b), r1 = _mm256_loadu_ps(b + ldb);
  const __m256 r2 = _mm256_loadu_ps(b + 2 * ldb), r3 = _mm256_loadu_ps(b + 3 * ldb);
  const __m256 r4 = _mm256_loadu_ps(b + 4 * ldb), r5 = _mm256_loadu_ps(b + 5 * ldb);
  const __m256 r6 = _mm256_loadu_ps(b + 6 * ldb), r7 = _mm256_loadu_ps(b + 7 * ldb);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  // s0 = (k 0 of rows 0-3 | k 4 of rows 0-3), s4 the same for rows 4-7, and so on
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  v[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  v[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  v[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  v[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  v[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  v[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  v[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  v[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
inline void transpose_lanes(const double* b, std::size_t ldb, __m256d v[4]) {
  const __m256d r0 = _mm256_loadu_pd(b), r1 = _mm256_loadu_pd(b + ldb);
  const __m256d r2 = _mm256_loadu_pd(b + 2 * ldb), r3 = _mm256_loadu_pd(b + 3 * ldb);
  const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
  const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
  v[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
  v[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
  v[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
  v[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}
// One k step of kLanes rows of B^T, gathered (the k steps that fill no transpose block).
inline __m256 gather_lanes(const float* b, std::size_t ldb) {
  return _mm256_setr_ps(b[0], b[ldb], b[2 * ldb], b[3 * ldb], b[4 * ldb], b[5 * ldb], b[6 * ldb], b[7 * ldb]);
}
inline __m256d gather_lanes(const double* b, std::size_t ldb) {
  return _mm256_setr_pd(b[0], b[ldb], b[2 * ldb], b[3 * ldb]);
}

template <typename T>
inline typename Ymm<T>::V row_finish(typename Ymm<T>::V acc, T alpha, T beta, const T* c) {
  using Y = Ymm<T>;
  const typename Y::V t = Y::mul(Y::set1(alpha), acc);
  return beta == T(0) ? t : Y::fmadd(Y::set1(beta), Y::loadu(c), t);
}

// Columns j0 .. j0 + U*kLanes of C, op(B) not transposed (b points at op(B)(0, j0); rows ldb apart).
template <typename T, int U>
void row_cols_n(std::size_t kc, const T* a, std::size_t as, const T* b, std::size_t ldb, T* c, T alpha, T beta) {
  using Y = Ymm<T>;
  using V = typename Y::V;
  constexpr std::size_t L = Y::kLanes;
  V acc[U];
  for (int u = 0; u < U; ++u) acc[u] = Y::zero();
  for (std::size_t p = 0; p < kc; ++p, a += as, b += ldb) {
    const V av = Y::broadcast(a);
    for (int u = 0; u < U; ++u) acc[u] = Y::fmadd(av, Y::loadu(b + u * L), acc[u]);
  }
  for (int u = 0; u < U; ++u) Y::storeu(c + u * L, row_finish<T>(acc[u], alpha, beta, c + u * L));
}

// Columns j0 .. j0 + U*kLanes of C, op(B) transposed (b points at B(j0, 0); op(B) columns are B's rows).
template <typename T, int U>
void row_cols_t(std::size_t kc, const T* a, std::size_t as, const T* b, std::size_t ldb, T* c, T alpha, T beta) {
  using Y = Ymm<T>;
  using V = typename Y::V;
  constexpr std::size_t L = Y::kLanes;
  V acc[U];
  for (int u = 0; u < U; ++u) acc[u] = Y::zero();
  std::size_t p = 0;
  for (; p + L <= kc; p += L) {
    for (int u = 0; u < U; ++u) {
      V v[L];
      transpose_lanes(b + u * L * ldb + p, ldb, v);
      for (std::size_t q = 0; q < L; ++q) acc[u] = Y::fmadd(Y::broadcast(a + (p + q) * as), v[q], acc[u]);
    }
  }
  for (; p < kc; ++p) {
    const V av = Y::broadcast(a + p * as);
    for (int u = 0; u < U; ++u) acc[u] = Y::fmadd(av, gather_lanes(b + u * L * ldb + p, ldb), acc[u]);
  }
  for (int u = 0; u < U; ++u) Y::storeu(c + u * L, row_finish<T>(acc[u], alpha, beta, c + u * L));
}

// C[0, 0:n] = alpha * sum_{p < kc} op(A)(0, p) op(B)(p, 0:n) + beta * C[0, 0:n], one kc block; a: op(A)(0, 0),
// the next k step `as` elements on; b: op(B)(0, 0) of the block (b[p*ldb + j], or b[j*ldb + p] when trans_b).
template <typename T>
void row_avx2(std::size_t kc, const T* a, std::size_t as, const T* b, std::size_t ldb, bool trans_b,
              std::size_t n, T* c, T alpha, T beta) {
  constexpr std::size_t L = Ymm<T>::kLanes;
  // Independent chains per pass: 8 vectors (FMA latency x 2 pipes) not transposed. Transposed, 2 (16 rows of
  // B read side by side, as the packing does): 3 ran as fast on a B in L2 and 15-30% slower on one that is not
  // (1 x 512 x 1024 and up: the rows are streams the hardware prefetcher must follow).
  std::size_t j = 0;
  if (!trans_b) {
    for (; j + 8 * L <= n; j += 8 * L) row_cols_n<T, 8>(kc, a, as, b + j, ldb, c + j, alpha, beta);
    for (; j + 2 * L <= n; j += 2 * L) row_cols_n<T, 2>(kc, a, as, b + j, ldb, c + j, alpha, beta);
    for (; j + L <= n; j += L) row_cols_n<T, 1>(kc, a, as, b + j, ldb, c + j, alpha, beta);
  } else {
    for (; j + 2 * L <= n; j += 2 * L) row_cols_t<T, 2>(kc, a, as, b + j * ldb, ldb, c + j, alpha, beta);
    for (; j + L <= n; j += L) row_cols_t<T, 1>(kc, a, as, b + j * ldb, ldb, c + j, alpha, beta);
  }
  // The last n % kLanes columns: the same chain in scalar fma (one rounding each, as a vector lane).
  constexpr std::size_t kMaxTail = L - 1;
  T acc[kMaxTail] = {};
  const std::size_t rest = n - j;
  if (rest == 0) return;
  for (std::size_t p = 0; p < kc; ++p) {
    const T ap = a[p * as];
    for (std::size_t q = 0; q < rest; ++q) {
      const T bv = trans_b ? b[(j + q) * ldb + p] : b[p * ldb + j + q];
      acc[q] = std::fma(ap, bv, acc[q]);
    }
  }
  for (std::size_t q = 0; q < rest; ++q) {
    const T t = alpha * acc[q];
    c[j + q] = beta == T(0) ? t : std::fma(beta, c[j + q], t);
  }
}

}  // namespace
}  // namespace gemm
}  // namespace swishnet
