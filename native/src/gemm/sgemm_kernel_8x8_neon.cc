// swishnet — float32 GEMM micro-kernel, NEON (AArch64), 8 rows x 8 columns (16 q-register accumulators).
//
// Per k step: 2 loads of B (8 floats), 2 loads of A (8 floats), 16 FMAs by lane (gemm_ukernel_neon.h).
// Compiled only on AArch64, where Advanced SIMD is part of the base ISA (no target attribute needed).
#include "gemm/gemm_kernel.h"

#if defined(__aarch64__)
#include "gemm/gemm_blocking.h"
#include "gemm/gemm_pack.h"
#include "gemm/gemm_ukernel_neon.h"

namespace swishnet {
namespace gemm {
namespace {

constexpr int kMr = 8, kNr = 8;
static_assert(kBlockingF32Neon.mr == kMr && kBlockingF32Neon.nr == kNr, "block table and kernel disagree");

const KernelInfo<float> kSgemmNeon{"sgemm_8x8_neon", kBlockingF32Neon, ukernel_neon<float, kMr, kNr>,
                                   pack_a_generic<float, kMr>, pack_b_generic<float, kNr>, nullptr};

}  // namespace

const KernelInfo<float>* sgemm_kernel_neon() { return &kSgemmNeon; }

}  // namespace gemm
}  // namespace swishnet

#else  // not AArch64

namespace swishnet {
namespace gemm {
const KernelInfo<float>* sgemm_kernel_neon() { return nullptr; }
}  // namespace gemm
}  // namespace swishnet

#endif
