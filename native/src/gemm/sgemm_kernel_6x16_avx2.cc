// swishnet — float32 GEMM kernel, AVX2+FMA, 6 rows x 16 columns: the micro-kernel of gemm_ukernel_avx2.h
// (shared with dgemm) and AVX2 packing into this kernel's 6-row / 16-column panels (the generic packing is 2-4x
// slower on the transposing cases, which cost ~10% of a 128x128x784 product).
#include <cstddef>

#include "gemm/gemm_kernel.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "gemm/gemm_blocking.h"

// gemm_pack.h's standard headers first, outside the AVX2 region: an inline function of theirs instantiated in it
// (std::fma at -O0) would be an AVX2 copy that the linker may pick for every other file's callers
#include <cmath>
#include <cstring>

SWISHNET_GEMM_AVX2_BEGIN
#include "gemm/gemm_pack.h"
#include "gemm/gemm_ukernel_avx2.h"
#include "gemm/gemm_row_avx2.h"

namespace swishnet {
namespace gemm {
namespace {

constexpr int kMr = 6, kNr = 16;
static_assert(kUkernelNr<float> == kNr, "micro-kernel width");
static_assert(kBlockingF32Avx2.mr == kMr && kBlockingF32Avx2.nr == kNr, "block table and kernel disagree");

// ---------------------------------------------------------------------------------------------- packing
// The two packings that transpose (A not transposed: 6 rows -> k-major groups of 6; B transposed: 16 rows ->
// k-major groups of 16) are shuffle-bound; doing them 8 k steps at a time with in-register 4x4 transposes is
// about 4x faster than the generic element-by-element copy. Edge panels and k tails use the generic code.

// out[p*6 + r] = src[r*lda + p] for r < 6, p < kc.
void pack_a_rows6(const float* src, std::size_t lda, std::size_t kc, float* out) {
  const float* r0 = src;
  const float* r1 = src + lda;
  const float* r2 = src + 2 * lda;
  const float* r3 = src + 3 * lda;
  const float* r4 = src + 4 * lda;
  const float* r5 = src + 5 * lda;
  std::size_t p = 0;
  for (; p + 8 <= kc; p += 8, out += 48) {
    const __m256 x0 = _mm256_loadu_ps(r0 + p), x1 = _mm256_loadu_ps(r1 + p);
    const __m256 x2 = _mm256_loadu_ps(r2 + p), x3 = _mm256_loadu_ps(r3 + p);
    const __m256 x4 = _mm256_loadu_ps(r4 + p), x5 = _mm256_loadu_ps(r5 + p);
    // Rows 0-3: in-lane 4x4 transposes; u_q = (rows 0-3 at k step q | at k step q+4).
    const __m256 t0 = _mm256_unpacklo_ps(x0, x1), t1 = _mm256_unpackhi_ps(x0, x1);
    const __m256 t2 = _mm256_unpacklo_ps(x2, x3), t3 = _mm256_unpackhi_ps(x2, x3);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    // Rows 4-5: v0 = (r4[0] r5[0] r4[1] r5[1] | k steps 4, 5), v1 = (k steps 2, 3 | 6, 7).
    const __m256 v0 = _mm256_unpacklo_ps(x4, x5), v1 = _mm256_unpackhi_ps(x4, x5);
    const __m128 v0l = _mm256_castps256_ps128(v0), v0h = _mm256_extractf128_ps(v0, 1);
    const __m128 v1l = _mm256_castps256_ps128(v1), v1h = _mm256_extractf128_ps(v1, 1);
    _mm_storeu_ps(out + 0, _mm256_castps256_ps128(u0));
    _mm_storel_pi(reinterpret_cast<__m64*>(out + 4), v0l);
    _mm_storeu_ps(out + 6, _mm256_castps256_ps128(u1));
    _mm_storeh_pi(reinterpret_cast<__m64*>(out + 10), v0l);
    _mm_storeu_ps(out + 12, _mm256_castps256_ps128(u2));
    _mm_storel_pi(reinterpret_cast<__m64*>(out + 16), v1l);
    _mm_storeu_ps(out + 18, _mm256_castps256_ps128(u3));
    _mm_storeh_pi(reinterpret_cast<__m64*>(out + 22), v1l);
    _mm_storeu_ps(out + 24, _mm256_extractf128_ps(u0, 1));
    _mm_storel_pi(reinterpret_cast<__m64*>(out + 28), v0h);
    _mm_storeu_ps(out + 30, _mm256_extractf128_ps(u1, 1));
    _mm_storeh_pi(reinterpret_cast<__m64*>(out + 34), v0h);
    _mm_storeu_ps(out + 36, _mm256_extractf128_ps(u2, 1));
    _mm_storel_pi(reinterpret_cast<__m64*>(out + 40), v1h);
    _mm_storeu_ps(out + 42, _mm256_extractf128_ps(u3, 1));
    _mm_storeh_pi(reinterpret_cast<__m64*>(out + 46), v1h);
  }
  for (; p < kc; ++p, out += 6) {
    out[0] = r0[p];
    out[1] = r1[p];
    out[2] = r2[p];
    out[3] = r3[p];
    out[4] = r4[p];
    out[5] = r5[p];
  }
}

// A stored k x m: out_q[p*6 + r] = src[p*lda + 6q + r] for panels q < npanels, r < 6, p < kc. The k loop is
// outermost so each stored row of A is read once, front to back, for all panels.
void pack_a_cols6(const float* src, std::size_t lda, std::size_t kc, std::size_t npanels, float* out) {
  const __m128 zero = _mm_setzero_ps();
  for (std::size_t p = 0; p < kc; ++p, src += lda) {
    float* o = out + p * 6;
    for (std::size_t q = 0; q < npanels; ++q, o += 6 * kc) {
      _mm_storeu_ps(o, _mm_loadu_ps(src + 6 * q));
      const __m128 tail = _mm_loadl_pi(zero, reinterpret_cast<const __m64*>(src + 6 * q + 4));
      _mm_storel_pi(reinterpret_cast<__m64*>(o + 4), tail);
    }
  }
}

void sgemm_pack_a_6_avx2(const float* a, std::size_t lda, bool trans, std::size_t i0, std::size_t mc,
                         std::size_t p0, std::size_t kc, float* out) {
  std::size_t ir = 0;
  if (!trans) {
    for (; ir + kMr <= mc; ir += kMr, out += kMr * kc) pack_a_rows6(a + (i0 + ir) * lda + p0, lda, kc, out);
  } else {
    const std::size_t full = mc / kMr;
    pack_a_cols6(a + p0 * lda + i0, lda, kc, full, out);
    ir = full * kMr;
    out += full * kMr * kc;
  }
  if (ir < mc) pack_a_generic<float, kMr>(a, lda, trans, i0 + ir, mc - ir, p0, kc, out);
}

// 4x4 transposes inside each 128-bit lane: x_i = (row i | row i+4) at 4 k steps  ->  y_q = (rows 0-3 | rows 4-7)
// at k step q.
inline void transpose_lanes4(__m256 x0, __m256 x1, __m256 x2, __m256 x3, __m256& y0, __m256& y1, __m256& y2,
                             __m256& y3) {
  const __m256 t0 = _mm256_unpacklo_ps(x0, x1), t1 = _mm256_unpackhi_ps(x0, x1);
  const __m256 t2 = _mm256_unpacklo_ps(x2, x3), t3 = _mm256_unpackhi_ps(x2, x3);
  y0 = _mm256_shuffle_ps(t0, t2, 0x44);
  y1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  y2 = _mm256_shuffle_ps(t1, t3, 0x44);
  y3 = _mm256_shuffle_ps(t1, t3, 0xEE);
}

inline __m256 load_pair(const float* lo, const float* hi) {
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(lo)), _mm_loadu_ps(hi), 1);
}

// out[p*16 + c] = src[c*ldb + p] for c < 16, p < kc (B stored n x k).
void pack_b_rows16_trans(const float* src, std::size_t ldb, std::size_t kc, float* out) {
  std::size_t p = 0;
  for (; p + 4 <= kc; p += 4, out += 64) {
    for (int h = 0; h < 2; ++h) {  // columns 8h .. 8h+7 of the panel
      const float* s = src + static_cast<std::size_t>(8 * h) * ldb + p;
      const __m256 x0 = load_pair(s, s + 4 * ldb);
      const __m256 x1 = load_pair(s + ldb, s + 5 * ldb);
      const __m256 x2 = load_pair(s + 2 * ldb, s + 6 * ldb);
      const __m256 x3 = load_pair(s + 3 * ldb, s + 7 * ldb);
      __m256 y0, y1, y2, y3;
      transpose_lanes4(x0, x1, x2, x3, y0, y1, y2, y3);
      _mm256_storeu_ps(out + 8 * h, y0);
      _mm256_storeu_ps(out + 16 + 8 * h, y1);
      _mm256_storeu_ps(out + 32 + 8 * h, y2);
      _mm256_storeu_ps(out + 48 + 8 * h, y3);
    }
  }
  for (; p < kc; ++p, out += 16)
    for (int c = 0; c < 16; ++c) out[c] = src[static_cast<std::size_t>(c) * ldb + p];
}

void sgemm_pack_b_16_avx2(const float* b, std::size_t ldb, bool trans, std::size_t p0, std::size_t kc,
                          std::size_t j0, std::size_t nc, float* out) {
  std::size_t jr = 0;
  if (!trans) {
    // B rows are contiguous: k outermost, so each row of B is read once, front to back, for all panels.
    const std::size_t full = nc / kNr;
    const float* src = b + p0 * ldb + j0;
    for (std::size_t p = 0; p < kc; ++p, src += ldb) {
      float* o = out + p * kNr;
      for (std::size_t q = 0; q < full; ++q, o += kNr * kc) {
        _mm256_storeu_ps(o, _mm256_loadu_ps(src + kNr * q));
        _mm256_storeu_ps(o + 8, _mm256_loadu_ps(src + kNr * q + 8));
      }
    }
    jr = full * kNr;
    out += full * kNr * kc;
    if (jr < nc) pack_b_generic<float, kNr>(b, ldb, false, p0, kc, j0 + jr, nc - jr, out);
    return;
  }
  for (; jr + kNr <= nc; jr += kNr, out += kNr * kc) pack_b_rows16_trans(b + (j0 + jr) * ldb + p0, ldb, kc, out);
  if (jr < nc) pack_b_generic<float, kNr>(b, ldb, true, p0, kc, j0 + jr, nc - jr, out);
}

// Constant data only (no code).
const KernelInfo<float> kSgemmAvx2{"sgemm_6x16_avx2", kBlockingF32Avx2, ukernel_6x2v_avx2<float>,
                                   sgemm_pack_a_6_avx2, sgemm_pack_b_16_avx2, row_avx2<float>};

}  // namespace
}  // namespace gemm
}  // namespace swishnet
SWISHNET_GEMM_AVX2_END

namespace swishnet {
namespace gemm {
const KernelInfo<float>* sgemm_kernel_avx2() { return &kSgemmAvx2; }
}  // namespace gemm
}  // namespace swishnet

#else  // not x86-64 with GCC/Clang

namespace swishnet {
namespace gemm {
const KernelInfo<float>* sgemm_kernel_avx2() { return nullptr; }
}  // namespace gemm
}  // namespace swishnet

#endif
