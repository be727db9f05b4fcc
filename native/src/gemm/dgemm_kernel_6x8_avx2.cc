// swishnet — float64 GEMM kernel, AVX2+FMA, 6 rows x 8 columns: the micro-kernel of gemm_ukernel_avx2.h (shared
// with sgemm) and the generic packing.
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

constexpr int kMr = 6, kNr = 8;
static_assert(kUkernelNr<double> == kNr, "micro-kernel width");
static_assert(kBlockingF64Avx2.mr == kMr && kBlockingF64Avx2.nr == kNr, "block table and kernel disagree");

// Constant data only (no code): the pack templates are instantiated here, inside the AVX2 region.
const KernelInfo<double> kDgemmAvx2{"dgemm_6x8_avx2", kBlockingF64Avx2, ukernel_6x2v_avx2<double>,
                                   pack_a_generic<double, kMr>, pack_b_generic<double, kNr>, row_avx2<double>};

}  // namespace
}  // namespace gemm
}  // namespace swishnet
SWISHNET_GEMM_AVX2_END

namespace swishnet {
namespace gemm {
const KernelInfo<double>* dgemm_kernel_avx2() { return &kDgemmAvx2; }
}  // namespace gemm
}  // namespace swishnet

#else  // not x86-64 with GCC/Clang

namespace swishnet {
namespace gemm {
const KernelInfo<double>* dgemm_kernel_avx2() { return nullptr; }
}  // namespace gemm
}  // namespace swishnet

#endif
