// swishnet — float64 GEMM micro-kernel, NEON (AArch64), 6 rows x 8 columns (24 q-register accumulators).
//
// Per k step: 4 loads of B (8 doubles), 3 loads of A (6 doubles), 24 FMAs by lane: 31 of the 32 vector
// registers (gemm_ukernel_neon.h). Compiled only on AArch64.
#include "gemm/gemm_kernel.h"

#if defined(__aarch64__)
#include "gemm/gemm_blocking.h"
#include "gemm/gemm_pack.h"
#include "gemm/gemm_ukernel_neon.h"

namespace swishnet {
namespace gemm {
namespace {

constexpr int kMr = 6, kNr = 8;
static_assert(kBlockingF64Neon.mr == kMr && kBlockingF64Neon.nr == kNr, "block table and kernel disagree");

const KernelInfo<double> kDgemmNeon{"dgemm_6x8_neon", kBlockingF64Neon, ukernel_neon<double, kMr, kNr>,
                                    pack_a_generic<double, kMr>, pack_b_generic<double, kNr>, nullptr};

}  // namespace

const KernelInfo<double>* dgemm_kernel_neon() { return &kDgemmNeon; }

}  // namespace gemm
}  // namespace swishnet

#else  // not AArch64

namespace swishnet {
namespace gemm {
const KernelInfo<double>* dgemm_kernel_neon() { return nullptr; }
}  // namespace gemm
}  // namespace swishnet

#endif
