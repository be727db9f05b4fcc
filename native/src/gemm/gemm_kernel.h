// swishnet — GEMM micro-kernel interface (private to native/src/gemm, the tests and the benchmark).
//
// The driver (gemm_driver.cc) owns the five loops; a KernelInfo supplies what is ISA-specific: the
// register-blocked micro-kernel and the packing routines (generic source in gemm_pack.h, compiled per ISA).
//
// Packed layouts (mr, nr from the kernel's Blocking):
//   A block (mc x kc) -> ceil(mc/mr) micro-panels; panel q holds rows q*mr .. q*mr+mr-1 as kc groups of mr
//                        values (p-major: a[p*mr + r]); rows past mc are zero.
//   B block (kc x nc) -> ceil(nc/nr) micro-panels; panel q holds columns q*nr .. as kc groups of nr values
//                        (b[p*nr + c]); columns past nc are zero.
#pragma once
#include <cstddef>

#include "gemm/gemm_blocking.h"

namespace swishnet {
namespace gemm {

// C[0:mr, 0:nr] = alpha * (A_panel^T B_panel)[0:mr, 0:nr] + beta * C     (row stride ldc)
// a: one packed A micro-panel (kc x MR), b: one packed B micro-panel (kc x NR), 1 <= mr <= MR, 1 <= nr <= NR.
// beta == 0: C is written without being read (NaN or garbage in C is ignored). Only C[0:mr, 0:nr] is touched.
template <typename T>
using UkernelFn = void (*)(std::size_t kc, const T* a, const T* b, T* c, std::size_t ldc, std::size_t mr,
                           std::size_t nr, T alpha, T beta);

// Packs op(A)[i0 : i0+mc, p0 : p0+kc] (op(A)(i, p) = trans ? a[p*lda + i] : a[i*lda + p]).
template <typename T>
using PackAFn = void (*)(const T* a, std::size_t lda, bool trans, std::size_t i0, std::size_t mc, std::size_t p0,
                         std::size_t kc, T* out);
// Packs op(B)[p0 : p0+kc, j0 : j0+nc] (op(B)(p, j) = trans ? b[j*ldb + p] : b[p*ldb + j]).
template <typename T>
using PackBFn = void (*)(const T* b, std::size_t ldb, bool trans, std::size_t p0, std::size_t kc, std::size_t j0,
                         std::size_t nc, T* out);

// One row of C, one kc block, op(A) and op(B) read in place (no packing), with the micro-kernel's bits:
// C[0, 0:n] = alpha * sum_{p < kc} a[p*as] * op(B)(p, 0:n) + beta * C[0, 0:n] (beta == 0: C not read), where
// op(B)(p, j) = trans_b ? b[j*ldb + p] : b[p*ldb + j]. nullptr where a family has none (the driver then packs).
template <typename T>
using RowFn = void (*)(std::size_t kc, const T* a, std::size_t as, const T* b, std::size_t ldb, bool trans_b,
                       std::size_t n, T* c, T alpha, T beta);

template <typename T>
struct KernelInfo {
  const char* name;  // e.g. "sgemm_6x16_avx2"
  Blocking blk;
  UkernelFn<T> ukernel;
  PackAFn<T> pack_a;
  PackBFn<T> pack_b;
  RowFn<T> row;
};

// Every kernel compiled into this binary; a getter returns nullptr where its ISA is not compiled.
const KernelInfo<float>* sgemm_kernel_scalar();
const KernelInfo<double>* dgemm_kernel_scalar();
const KernelInfo<float>* sgemm_kernel_avx2();   // x86-64 only
const KernelInfo<double>* dgemm_kernel_avx2();  // x86-64 only
const KernelInfo<float>* sgemm_kernel_neon();   // aarch64 only
const KernelInfo<double>* dgemm_kernel_neon();  // aarch64 only

}  // namespace gemm
}  // namespace swishnet

// ISA regions: everything between BEGIN and END is compiled for the ISA (GCC and Clang), so the same build flags
// serve every file. Include every standard and intrinsics header BEFORE the region; keep the region's functions
// internal (anonymous namespace) so no inline or template copy compiled for the ISA can be picked by the linker
// for code that runs on other CPUs.
#if defined(__clang__)
#define SWISHNET_GEMM_AVX2_BEGIN \
  _Pragma("clang attribute push(__attribute__((target(\"avx2,fma\"))), apply_to = function)")
#define SWISHNET_GEMM_AVX2_END _Pragma("clang attribute pop")
#elif defined(__GNUC__)
#define SWISHNET_GEMM_AVX2_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma\")")
#define SWISHNET_GEMM_AVX2_END _Pragma("GCC pop_options")
#endif
