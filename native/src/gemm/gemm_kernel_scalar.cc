// swishnet — portable GEMM micro-kernels (float32 and float64, 4x4), the reference for the SIMD ones.
//
// The math, once:
//   A packed micro-panel holds MR rows of op(A) for kc consecutive k (a[p*MR + i]), the B micro-panel NR
//   columns of op(B) (b[p*NR + j]). The kernel forms the MR x NR outer-product sum
//       acc[i][j] = sum_{p < kc} a[p*MR + i] * b[p*NR + j]          (in p order, one accumulator per C entry)
//   and then updates C once:  C[i][j] = alpha * acc[i][j] + beta * C[i][j],  where beta == 0 means "overwrite"
//   (C is not read, so NaN/Inf left in C do not leak into the result, as in BLAS).
//   The driver calls the kernel once per kc pass; passes after the first use beta = 1, so a long k is summed
//   in kc-sized partial sums. Rows/columns past mr/nr were zero-padded by packing and are simply not stored.
//   NaN and Inf in A or B propagate through the products as IEEE arithmetic says.
#include <cstddef>

#include "gemm/gemm_kernel.h"
#include "gemm/gemm_pack.h"

namespace swishnet {
namespace gemm {
namespace {

template <typename T, int MR, int NR>
void gemm_ukernel_scalar(std::size_t kc, const T* a, const T* b, T* c, std::size_t ldc, std::size_t mr,
                         std::size_t nr, T alpha, T beta) {
  T acc[MR][NR] = {};
  for (std::size_t p = 0; p < kc; ++p) {
    for (int i = 0; i < MR; ++i) {
      const T ai = a[p * MR + i];
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[p * NR + j];
    }
  }
  for (std::size_t i = 0; i < mr; ++i) {
    T* ci = c + i * ldc;
    for (std::size_t j = 0; j < nr; ++j) {
      const T v = alpha * acc[i][j];
      ci[j] = beta == T(0) ? v : v + beta * ci[j];
    }
  }
}

constexpr int kMrF32 = kBlockingF32Scalar.mr, kNrF32 = kBlockingF32Scalar.nr;
constexpr int kMrF64 = kBlockingF64Scalar.mr, kNrF64 = kBlockingF64Scalar.nr;

const KernelInfo<float> kSgemmScalar{"sgemm_4x4_scalar", kBlockingF32Scalar,
                                     gemm_ukernel_scalar<float, kMrF32, kNrF32>,
                                     pack_a_generic<float, kMrF32>, pack_b_generic<float, kNrF32>, nullptr};
const KernelInfo<double> kDgemmScalar{"dgemm_4x4_scalar", kBlockingF64Scalar,
                                      gemm_ukernel_scalar<double, kMrF64, kNrF64>,
                                      pack_a_generic<double, kMrF64>, pack_b_generic<double, kNrF64>, nullptr};

}  // namespace

const KernelInfo<float>* sgemm_kernel_scalar() { return &kSgemmScalar; }
const KernelInfo<double>* dgemm_kernel_scalar() { return &kDgemmScalar; }

}  // namespace gemm
}  // namespace swishnet
