// swishnet — the AVX2+FMA activation kernels (x86-64 only): the templates of act_ops.h over 8 floats / 4
// doubles. The ISA is enabled here, per function (pragma / attribute), not by build flags, so one binary runs
// everywhere and picks this family only when cpu_features() reports AVX2 and FMA. Tails use masked loads and
// stores, so every element goes through exactly the same arithmetic.
#include "swishnet/activations.h"

#if defined(__x86_64__) || defined(_M_X64)

// Standard and intrinsic headers come BEFORE the target region: only our own code is compiled for AVX2.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

// No implicit contraction of a*b + c (as in activations_scalar.cc): only the explicit fmadd() calls are fused, so
// GCC and clang builds, and the scalar, AVX2 and NEON families, round the same expressions the same way.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#pragma GCC optimize("fp-contract=off")
#endif

#include "activations/act_ops.h"

namespace swishnet {
namespace {

struct M32x8 {
  __m256 m;
};
struct M64x4 {
  __m256d m;
};

struct F32x8 {
  using T = float;
  using M = M32x8;
  static constexpr std::size_t N = 8;
  __m256 v;
  F32x8() = default;
  F32x8(__m256 a) : v(a) {}                       // NOLINT
  F32x8(float f) : v(_mm256_set1_ps(f)) {}        // NOLINT
  static __m256i tail_mask(std::size_t m) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(m)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static F32x8 load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, F32x8 a) { _mm256_storeu_ps(p, a.v); }
  static F32x8 load_part(const float* p, std::size_t m) { return _mm256_maskload_ps(p, tail_mask(m)); }
  static void store_part(float* p, F32x8 a, std::size_t m) { _mm256_maskstore_ps(p, tail_mask(m), a.v); }
  static constexpr bool kStream = true;
  static void stream(float* p, F32x8 a) { _mm256_stream_ps(p, a.v); }
  static void stream_fence() { _mm_sfence(); }
  static void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_NTA); }
};

struct F64x4 {
  using T = double;
  using M = M64x4;
  static constexpr std::size_t N = 4;
  __m256d v;
  F64x4() = default;
  F64x4(__m256d a) : v(a) {}                      // NOLINT
  F64x4(double f) : v(_mm256_set1_pd(f)) {}       // NOLINT
  static __m256i tail_mask(std::size_t m) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(m)), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static F64x4 load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, F64x4 a) { _mm256_storeu_pd(p, a.v); }
  static F64x4 load_part(const double* p, std::size_t m) { return _mm256_maskload_pd(p, tail_mask(m)); }
  static void store_part(double* p, F64x4 a, std::size_t m) { _mm256_maskstore_pd(p, tail_mask(m), a.v); }
  static constexpr bool kStream = true;
  static void stream(double* p, F64x4 a) { _mm256_stream_pd(p, a.v); }
  static void stream_fence() { _mm_sfence(); }
  static void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_NTA); }
};

// ---- float32 x 8
inline F32x8 operator+(F32x8 a, F32x8 b) { return _mm256_add_ps(a.v, b.v); }
inline F32x8 operator-(F32x8 a, F32x8 b) { return _mm256_sub_ps(a.v, b.v); }
inline F32x8 operator*(F32x8 a, F32x8 b) { return _mm256_mul_ps(a.v, b.v); }
inline F32x8 operator/(F32x8 a, F32x8 b) { return _mm256_div_ps(a.v, b.v); }
inline F32x8 operator-(F32x8 a) { return _mm256_xor_ps(a.v, _mm256_set1_ps(-0.0f)); }
inline F32x8 fmadd(F32x8 a, F32x8 b, F32x8 c) { return _mm256_fmadd_ps(a.v, b.v, c.v); }
inline F32x8 fma_exact(F32x8 a, F32x8 b, F32x8 c) { return _mm256_fmadd_ps(a.v, b.v, c.v); }
inline F32x8 fnma_exact(F32x8 a, F32x8 b, F32x8 c) { return _mm256_fnmadd_ps(a.v, b.v, c.v); }
inline F32x8 vmin(F32x8 a, F32x8 b) { return _mm256_min_ps(a.v, b.v); }
inline F32x8 vmax(F32x8 a, F32x8 b) { return _mm256_max_ps(a.v, b.v); }
inline F32x8 vand(F32x8 a, F32x8 b) { return _mm256_and_ps(a.v, b.v); }
inline F32x8 vor(F32x8 a, F32x8 b) { return _mm256_or_ps(a.v, b.v); }
inline F32x8 vabs(F32x8 a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v); }
inline F32x8 round_int(F32x8 a) { return _mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline F32x8 pow2i(F32x8 n) {
  __m256 t = _mm256_add_ps(n.v, _mm256_set1_ps(12583039.0f));  // 1.5 * 2^23 + 127
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
}
inline F32x8 shl_mant(F32x8 t) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t.v), 23)); }
inline M32x8 lt(F32x8 a, F32x8 b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ)}; }
inline M32x8 gt(F32x8 a, F32x8 b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_GT_OQ)}; }
inline M32x8 isnan(F32x8 a) { return {_mm256_cmp_ps(a.v, a.v, _CMP_UNORD_Q)}; }
// blendv through inline asm: GCC 12 folds the builtin into a generic vector select and then re-derives the mask
// with an extra vpcmpgtd (it does not know that a compare result is already all-ones / all-zeros).
// (MSVC has no inline asm on x64: the intrinsic there.)
inline F32x8 select(M32x8 m, F32x8 a, F32x8 b) {
#if defined(__GNUC__)
  __m256 r;
  __asm__("vblendvps %3, %2, %1, %0" : "=x"(r) : "x"(b.v), "x"(a.v), "x"(m.m));
  return r;
#else
  return _mm256_blendv_ps(b.v, a.v, m.m);
#endif
}
inline M32x8 m_and(M32x8 a, M32x8 b) { return {_mm256_and_ps(a.m, b.m)}; }
inline bool m_any(M32x8 a) { return _mm256_movemask_ps(a.m) != 0; }
inline M32x8 m_or(M32x8 a, M32x8 b) { return {_mm256_or_ps(a.m, b.m)}; }
// +-0 with the sign of v where m, v elsewhere: v & ~(m & ~signbit), two logic operations (no blend slot).
inline F32x8 flush_where(M32x8 m, F32x8 v) {
  return _mm256_andnot_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), m.m), v.v);
}
inline double hsum_double(F32x8 a) {
  __m256d s = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a.v)), _mm256_cvtps_pd(_mm256_extractf128_ps(a.v, 1)));
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

// ---- float64 x 4
inline F64x4 operator+(F64x4 a, F64x4 b) { return _mm256_add_pd(a.v, b.v); }
inline F64x4 operator-(F64x4 a, F64x4 b) { return _mm256_sub_pd(a.v, b.v); }
inline F64x4 operator*(F64x4 a, F64x4 b) { return _mm256_mul_pd(a.v, b.v); }
inline F64x4 operator/(F64x4 a, F64x4 b) { return _mm256_div_pd(a.v, b.v); }
inline F64x4 operator-(F64x4 a) { return _mm256_xor_pd(a.v, _mm256_set1_pd(-0.0)); }
inline F64x4 fmadd(F64x4 a, F64x4 b, F64x4 c) { return _mm256_fmadd_pd(a.v, b.v, c.v); }
inline F64x4 fma_exact(F64x4 a, F64x4 b, F64x4 c) { return _mm256_fmadd_pd(a.v, b.v, c.v); }
[[maybe_unused]] inline F64x4 fnma_exact(F64x4 a, F64x4 b, F64x4 c) { return _mm256_fnmadd_pd(a.v, b.v, c.v); }
inline F64x4 vmin(F64x4 a, F64x4 b) { return _mm256_min_pd(a.v, b.v); }
inline F64x4 vmax(F64x4 a, F64x4 b) { return _mm256_max_pd(a.v, b.v); }
inline F64x4 vand(F64x4 a, F64x4 b) { return _mm256_and_pd(a.v, b.v); }
inline F64x4 vor(F64x4 a, F64x4 b) { return _mm256_or_pd(a.v, b.v); }
inline F64x4 vabs(F64x4 a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a.v); }
inline F64x4 round_int(F64x4 a) { return _mm256_round_pd(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline F64x4 pow2i(F64x4 n) {
  __m256d t = _mm256_add_pd(n.v, _mm256_set1_pd(6755399441056767.0));  // 1.5 * 2^52 + 1023
  return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(t), 52));
}
[[maybe_unused]] inline F64x4 shl_mant(F64x4 t) { return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(t.v), 52)); }
inline M64x4 lt(F64x4 a, F64x4 b) { return {_mm256_cmp_pd(a.v, b.v, _CMP_LT_OQ)}; }
inline M64x4 gt(F64x4 a, F64x4 b) { return {_mm256_cmp_pd(a.v, b.v, _CMP_GT_OQ)}; }
inline M64x4 isnan(F64x4 a) { return {_mm256_cmp_pd(a.v, a.v, _CMP_UNORD_Q)}; }
inline F64x4 select(M64x4 m, F64x4 a, F64x4 b) {
#if defined(__GNUC__)
  __m256d r;
  __asm__("vblendvpd %3, %2, %1, %0" : "=x"(r) : "x"(b.v), "x"(a.v), "x"(m.m));
  return r;
#else
  return _mm256_blendv_pd(b.v, a.v, m.m);
#endif
}
inline M64x4 m_and(M64x4 a, M64x4 b) { return {_mm256_and_pd(a.m, b.m)}; }
inline F64x4 flush_where(M64x4 m, F64x4 v) {
  return _mm256_andnot_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), m.m), v.v);
}
inline double hsum_double(F64x4 a) {
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(a.v), _mm256_extractf128_pd(a.v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

}  // namespace
}  // namespace swishnet

#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

// Outside the target region: filling the tables runs no AVX2 instruction, so these getters are safe to call on
// any x86-64 CPU (dispatch checks cpu_features() before calling through them).
#include "activations/act_table.h"

namespace swishnet {
const ActKernelTable<float>* act_table_f32_avx2() {
  static const ActKernelTable<float> table = make_act_table<F32x8>("avx2");
  return &table;
}
const ActKernelTable<double>* act_table_f64_avx2() {
  static const ActKernelTable<double> table = make_act_table<F64x4>("avx2");
  return &table;
}
}  // namespace swishnet

#else  // not x86-64

namespace swishnet {
const ActKernelTable<float>* act_table_f32_avx2() { return nullptr; }
const ActKernelTable<double>* act_table_f64_avx2() { return nullptr; }
}  // namespace swishnet

#endif

