// swishnet — the NEON activation kernels (arm64 only): the templates of act_ops.h over 4 floats / 2 doubles.
// Advanced SIMD and FMA are baseline on arm64, so no target attribute is needed. Tails go through a small
// zero-filled stack buffer, so every element sees exactly the same arithmetic.
#include "swishnet/activations.h"

#if defined(__aarch64__)

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

// No implicit contraction of a*b + c (as in activations_scalar.cc and activations_avx2.cc): only the explicit
// fmadd() calls are fused.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "activations/act_table.h"

namespace swishnet {
namespace {

// Masks are wrapped so that the templates find m_and / select by argument-dependent lookup.
struct M32x4 {
  uint32x4_t m;
};
struct M64x2 {
  uint64x2_t m;
};

struct F32x4 {
  using T = float;
  using M = M32x4;
  static constexpr std::size_t N = 4;
  float32x4_t v;
  F32x4() = default;
  F32x4(float32x4_t a) : v(a) {}            // NOLINT
  F32x4(float f) : v(vdupq_n_f32(f)) {}     // NOLINT
  static F32x4 load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, F32x4 a) { vst1q_f32(p, a.v); }
  static constexpr bool kStream = false;  // plain stores only (see act_simd_scalar.h)
  static F32x4 load_part(const float* p, std::size_t m) {
    float buf[N] = {0, 0, 0, 0};
    std::memcpy(buf, p, m * sizeof(float));
    return vld1q_f32(buf);
  }
  static void store_part(float* p, F32x4 a, std::size_t m) {
    float buf[N];
    vst1q_f32(buf, a.v);
    std::memcpy(p, buf, m * sizeof(float));
  }
};

struct F64x2 {
  using T = double;
  using M = M64x2;
  static constexpr std::size_t N = 2;
  float64x2_t v;
  F64x2() = default;
  F64x2(float64x2_t a) : v(a) {}            // NOLINT
  F64x2(double f) : v(vdupq_n_f64(f)) {}    // NOLINT
  static F64x2 load(const double* p) { return vld1q_f64(p); }
  static void store(double* p, F64x2 a) { vst1q_f64(p, a.v); }
  static constexpr bool kStream = false;
  static F64x2 load_part(const double* p, std::size_t m) {
    double buf[N] = {0, 0};
    std::memcpy(buf, p, m * sizeof(double));
    return vld1q_f64(buf);
  }
  static void store_part(double* p, F64x2 a, std::size_t m) {
    double buf[N];
    vst1q_f64(buf, a.v);
    std::memcpy(p, buf, m * sizeof(double));
  }
};

// SSE min/max semantics (second operand on NaN), as act_math.h expects: a > b ? a : b.
inline F32x4 operator+(F32x4 a, F32x4 b) { return vaddq_f32(a.v, b.v); }
inline F32x4 operator-(F32x4 a, F32x4 b) { return vsubq_f32(a.v, b.v); }
inline F32x4 operator*(F32x4 a, F32x4 b) { return vmulq_f32(a.v, b.v); }
inline F32x4 operator/(F32x4 a, F32x4 b) { return vdivq_f32(a.v, b.v); }
inline F32x4 operator-(F32x4 a) { return vnegq_f32(a.v); }
inline F32x4 fmadd(F32x4 a, F32x4 b, F32x4 c) { return vfmaq_f32(c.v, a.v, b.v); }
inline F32x4 fma_exact(F32x4 a, F32x4 b, F32x4 c) { return vfmaq_f32(c.v, a.v, b.v); }
inline F32x4 fnma_exact(F32x4 a, F32x4 b, F32x4 c) { return vfmsq_f32(c.v, a.v, b.v); }
inline F32x4 vmin(F32x4 a, F32x4 b) { return vbslq_f32(vcltq_f32(a.v, b.v), a.v, b.v); }
inline F32x4 vmax(F32x4 a, F32x4 b) { return vbslq_f32(vcgtq_f32(a.v, b.v), a.v, b.v); }
inline F32x4 vand(F32x4 a, F32x4 b) {
  return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a.v), vreinterpretq_u32_f32(b.v)));
}
inline F32x4 vor(F32x4 a, F32x4 b) {
  return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(a.v), vreinterpretq_u32_f32(b.v)));
}
inline F32x4 vabs(F32x4 a) { return vabsq_f32(a.v); }
inline F32x4 round_int(F32x4 a) { return vrndnq_f32(a.v); }
inline F32x4 pow2i(F32x4 n) {
  float32x4_t t = vaddq_f32(n.v, vdupq_n_f32(12583039.0f));  // 1.5 * 2^23 + 127
  return vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(t), 23));
}
inline F32x4 shl_mant(F32x4 t) { return vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(t.v), 23)); }
inline M32x4 lt(F32x4 a, F32x4 b) { return {vcltq_f32(a.v, b.v)}; }
inline M32x4 gt(F32x4 a, F32x4 b) { return {vcgtq_f32(a.v, b.v)}; }
inline M32x4 isnan(F32x4 a) { return {vmvnq_u32(vceqq_f32(a.v, a.v))}; }
inline F32x4 select(M32x4 m, F32x4 a, F32x4 b) { return vbslq_f32(m.m, a.v, b.v); }
inline M32x4 m_and(M32x4 a, M32x4 b) { return {vandq_u32(a.m, b.m)}; }
inline bool m_any(M32x4 a) { return vmaxvq_u32(a.m) != 0; }
inline M32x4 m_or(M32x4 a, M32x4 b) { return {vorrq_u32(a.m, b.m)}; }
// +-0 with the sign of v where m, v elsewhere: v & ~(m & ~signbit).
inline F32x4 flush_where(M32x4 m, F32x4 v) {
  uint32x4_t clear = vbicq_u32(m.m, vdupq_n_u32(0x80000000u));
  return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(v.v), clear));
}
inline double hsum_double(F32x4 a) {
  float64x2_t s = vaddq_f64(vcvt_f64_f32(vget_low_f32(a.v)), vcvt_high_f64_f32(a.v));
  return vaddvq_f64(s);
}

inline F64x2 operator+(F64x2 a, F64x2 b) { return vaddq_f64(a.v, b.v); }
inline F64x2 operator-(F64x2 a, F64x2 b) { return vsubq_f64(a.v, b.v); }
inline F64x2 operator*(F64x2 a, F64x2 b) { return vmulq_f64(a.v, b.v); }
inline F64x2 operator/(F64x2 a, F64x2 b) { return vdivq_f64(a.v, b.v); }
inline F64x2 operator-(F64x2 a) { return vnegq_f64(a.v); }
inline F64x2 fmadd(F64x2 a, F64x2 b, F64x2 c) { return vfmaq_f64(c.v, a.v, b.v); }
inline F64x2 fma_exact(F64x2 a, F64x2 b, F64x2 c) { return vfmaq_f64(c.v, a.v, b.v); }
[[maybe_unused]] inline F64x2 fnma_exact(F64x2 a, F64x2 b, F64x2 c) { return vfmsq_f64(c.v, a.v, b.v); }
inline F64x2 vmin(F64x2 a, F64x2 b) { return vbslq_f64(vcltq_f64(a.v, b.v), a.v, b.v); }
inline F64x2 vmax(F64x2 a, F64x2 b) { return vbslq_f64(vcgtq_f64(a.v, b.v), a.v, b.v); }
inline F64x2 vand(F64x2 a, F64x2 b) {
  return vreinterpretq_f64_u64(vandq_u64(vreinterpretq_u64_f64(a.v), vreinterpretq_u64_f64(b.v)));
}
inline F64x2 vor(F64x2 a, F64x2 b) {
  return vreinterpretq_f64_u64(vorrq_u64(vreinterpretq_u64_f64(a.v), vreinterpretq_u64_f64(b.v)));
}
inline F64x2 vabs(F64x2 a) { return vabsq_f64(a.v); }
inline F64x2 round_int(F64x2 a) { return vrndnq_f64(a.v); }
inline F64x2 pow2i(F64x2 n) {
  float64x2_t t = vaddq_f64(n.v, vdupq_n_f64(6755399441056767.0));  // 1.5 * 2^52 + 1023
  return vreinterpretq_f64_u64(vshlq_n_u64(vreinterpretq_u64_f64(t), 52));
}
[[maybe_unused]] inline F64x2 shl_mant(F64x2 t) { return vreinterpretq_f64_u64(vshlq_n_u64(vreinterpretq_u64_f64(t.v), 52)); }
inline M64x2 lt(F64x2 a, F64x2 b) { return {vcltq_f64(a.v, b.v)}; }
inline M64x2 gt(F64x2 a, F64x2 b) { return {vcgtq_f64(a.v, b.v)}; }
inline M64x2 isnan(F64x2 a) {
  return {vreinterpretq_u64_u32(vmvnq_u32(vreinterpretq_u32_u64(vceqq_f64(a.v, a.v))))};
}
inline F64x2 select(M64x2 m, F64x2 a, F64x2 b) { return vbslq_f64(m.m, a.v, b.v); }
inline M64x2 m_and(M64x2 a, M64x2 b) { return {vandq_u64(a.m, b.m)}; }
inline F64x2 flush_where(M64x2 m, F64x2 v) {
  uint64x2_t clear = vbicq_u64(m.m, vdupq_n_u64(0x8000000000000000ull));
  return vreinterpretq_f64_u64(vbicq_u64(vreinterpretq_u64_f64(v.v), clear));
}
inline double hsum_double(F64x2 a) { return vaddvq_f64(a.v); }

}  // namespace

const ActKernelTable<float>* act_table_f32_neon() {
  static const ActKernelTable<float> table = make_act_table<F32x4>("neon");
  return &table;
}
const ActKernelTable<double>* act_table_f64_neon() {
  static const ActKernelTable<double> table = make_act_table<F64x2>("neon");
  return &table;
}

}  // namespace swishnet

#else  // not arm64

namespace swishnet {
const ActKernelTable<float>* act_table_f32_neon() { return nullptr; }
const ActKernelTable<double>* act_table_f64_neon() { return nullptr; }
}  // namespace swishnet

#endif
