// swishnet — generic packing routines (layouts: see gemm_kernel.h) and the micro-kernels' edge-tile store.
//
// Written once, compiled by every kernel file inside its ISA region so the compiler vectorizes the copies
// for that ISA. Internal linkage (anonymous namespace) on purpose: each translation unit keeps its own copy,
// so an AVX2-compiled instance can never be linked into code that runs on a CPU without AVX2.
// A kernel file may replace any of these with hand-written versions for its hot cases.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstring>

namespace swishnet {
namespace gemm {
namespace {  // NOLINT(build/namespaces): see above

template <typename T, int MR>
void pack_a_generic(const T* a, std::size_t lda, bool trans, std::size_t i0, std::size_t mc, std::size_t p0,
                    std::size_t kc, T* out) {
  for (std::size_t ir = 0; ir < mc; ir += MR, out += MR * kc) {
    const std::size_t mr = mc - ir < static_cast<std::size_t>(MR) ? mc - ir : static_cast<std::size_t>(MR);
    if (!trans) {
      // op(A) rows are contiguous in memory: gather one value from each of mr rows per k step.
      const T* src = a + (i0 + ir) * lda + p0;
      if (mr == static_cast<std::size_t>(MR)) {
        for (std::size_t p = 0; p < kc; ++p)
          for (int r = 0; r < MR; ++r) out[p * MR + r] = src[r * lda + p];
      } else {
        for (std::size_t p = 0; p < kc; ++p) {
          for (std::size_t r = 0; r < mr; ++r) out[p * MR + r] = src[r * lda + p];
          for (std::size_t r = mr; r < static_cast<std::size_t>(MR); ++r) out[p * MR + r] = T(0);
        }
      }
    } else {
      // A is stored k x m: each k step is a contiguous run of mr values.
      const T* src = a + p0 * lda + i0 + ir;
      if (mr == static_cast<std::size_t>(MR)) {
        for (std::size_t p = 0; p < kc; ++p)
          for (int r = 0; r < MR; ++r) out[p * MR + r] = src[p * lda + r];
      } else {
        for (std::size_t p = 0; p < kc; ++p) {
          for (std::size_t r = 0; r < mr; ++r) out[p * MR + r] = src[p * lda + r];
          for (std::size_t r = mr; r < static_cast<std::size_t>(MR); ++r) out[p * MR + r] = T(0);
        }
      }
    }
  }
}

template <typename T, int NR>
void pack_b_generic(const T* b, std::size_t ldb, bool trans, std::size_t p0, std::size_t kc, std::size_t j0,
                    std::size_t nc, T* out) {
  for (std::size_t jr = 0; jr < nc; jr += NR, out += NR * kc) {
    const std::size_t nr = nc - jr < static_cast<std::size_t>(NR) ? nc - jr : static_cast<std::size_t>(NR);
    if (!trans) {
      // B rows are contiguous: each k step copies a run of nr values.
      const T* src = b + p0 * ldb + j0 + jr;
      if (nr == static_cast<std::size_t>(NR)) {
        for (std::size_t p = 0; p < kc; ++p)
          for (int c = 0; c < NR; ++c) out[p * NR + c] = src[p * ldb + c];
      } else {
        for (std::size_t p = 0; p < kc; ++p) {
          for (std::size_t c = 0; c < nr; ++c) out[p * NR + c] = src[p * ldb + c];
          for (std::size_t c = nr; c < static_cast<std::size_t>(NR); ++c) out[p * NR + c] = T(0);
        }
      }
    } else {
      // B is stored n x k: gather one value from each of nr rows per k step.
      const T* src = b + (j0 + jr) * ldb + p0;
      if (nr == static_cast<std::size_t>(NR)) {
        for (std::size_t p = 0; p < kc; ++p)
          for (int c = 0; c < NR; ++c) out[p * NR + c] = src[c * ldb + p];
      } else {
        for (std::size_t p = 0; p < kc; ++p) {
          for (std::size_t c = 0; c < nr; ++c) out[p * NR + c] = src[c * ldb + p];
          for (std::size_t c = nr; c < static_cast<std::size_t>(NR); ++c) out[p * NR + c] = T(0);
        }
      }
    }
  }
}

// The corner of an edge micro-tile: C[i][j] = t[i][j] (beta == 0: C is not read) or fma(beta, C[i][j], t[i][j])
// for i < mr, j < nr, where t (rows of ldt) holds alpha * acc as the micro-kernel spilled it: the same two
// roundings as the kernels' full-tile path.
inline float fma_edge(float a, float b, float c) { return std::fma(a, b, c); }  // (not __builtin_fma: MSVC)
inline double fma_edge(double a, double b, double c) { return std::fma(a, b, c); }
template <typename T>
void store_edge_tile(T* c, std::size_t ldc, const T* t, std::size_t ldt, std::size_t mr, std::size_t nr, T beta) {
  for (std::size_t i = 0; i < mr; ++i, c += ldc, t += ldt) {
    if (beta == T(0)) {
      std::memcpy(c, t, nr * sizeof(T));
    } else {
      for (std::size_t j = 0; j < nr; ++j) c[j] = fma_edge(beta, c[j], t[j]);
    }
  }
}

}  // namespace
}  // namespace gemm
}  // namespace swishnet
