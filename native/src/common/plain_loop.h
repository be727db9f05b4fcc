// swishnet — for kernels written as plain C++ loops that must match the TypeScript backend bit for bit (SGD step,
// column sums): include FIRST in the .cc file.
// - Floating-point contraction is off for the rest of the translation unit: a*b + c stays two roundings, as in
//   JavaScript (no fused multiply-add behind the reference's back).
// - SWISHNET_AVX2_LOOP marks a function to be compiled for AVX2 (the compiler vectorizes the same loop wider);
//   SWISHNET_HAVE_AVX2_LOOP says whether this build has such functions (x86-64 with GCC or Clang). The ISA is
//   enabled per function, so the binary still runs on CPUs without AVX2; callers pick it with the runtime Isa.
//   The loop itself must be SWISHNET_LOOP_BODY (always inlined): a loop the compiler leaves out of line keeps the
//   default target, and the AVX2 wrapper is then a mere jump to the SSE code.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
#define SWISHNET_HAVE_AVX2_LOOP 1
#define SWISHNET_AVX2_LOOP __attribute__((target("avx2")))
#else
#define SWISHNET_HAVE_AVX2_LOOP 0
#define SWISHNET_AVX2_LOOP
#endif

#if defined(__GNUC__)
#define SWISHNET_LOOP_BODY inline __attribute__((always_inline))
#else
#define SWISHNET_LOOP_BODY inline
#endif
