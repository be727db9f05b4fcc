// swishnet — CPU feature detection (once, cached in a function-local static: thread-safe, immutable after).
#include "swishnet/cpu.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace swishnet {
namespace {

#if defined(__x86_64__) || defined(_M_X64)
void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
#if defined(_MSC_VER) && !defined(__clang__)
  int regs[4];
  __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(sub));
  for (int i = 0; i < 4; ++i) r[i] = static_cast<unsigned>(regs[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

std::uint64_t xgetbv0() {
#if defined(_MSC_VER) && !defined(__clang__)
  return _xgetbv(0);
#else
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
#endif
}

// AVX2 and FMA3 in CPUID, and the OS saves the YMM state (OSXSAVE set, XCR0 has SSE and AVX state).
bool detect_avx2_fma() {
  unsigned r[4];
  cpuid(0, 0, r);
  const unsigned max_leaf = r[0];
  if (max_leaf < 7) return false;
  cpuid(1, 0, r);
  const unsigned ecx1 = r[2];
  const bool fma = (ecx1 >> 12) & 1u, osxsave = (ecx1 >> 27) & 1u, avx = (ecx1 >> 28) & 1u;
  if (!(fma && osxsave && avx)) return false;
  if ((xgetbv0() & 0x6u) != 0x6u) return false;
  cpuid(7, 0, r);
  return (r[1] >> 5) & 1u;  // EBX bit 5: AVX2
}

// The largest data or unified cache in CPUID's deterministic cache parameters (Intel leaf 4, AMD 0x8000001D, same
// layout): ways x partitions x line size x sets. Not sysconf: in a VM glibc may report the whole host's L3.
unsigned long long detect_llc_bytes() {
  unsigned r[4];
  cpuid(0, 0, r);
  const unsigned max_leaf = r[0];
  const bool amd = r[1] == 0x68747541u;  // "Auth"enticAMD
  unsigned leaf = 4;
  if (amd) {
    cpuid(0x80000000u, 0, r);
    if (r[0] < 0x8000001Du) return 0;
    cpuid(0x80000001u, 0, r);
    if (!((r[2] >> 22) & 1u)) return 0;  // ECX bit 22: TopologyExtensions (leaf 0x8000001D valid)
    leaf = 0x8000001Du;
  } else if (max_leaf < 4) {
    return 0;
  }
  unsigned long long best = 0;
  for (unsigned sub = 0; sub < 16; ++sub) {
    cpuid(leaf, sub, r);
    const unsigned type = r[0] & 0x1fu;  // 0: no more caches, 1 data, 2 instruction, 3 unified
    if (type == 0) break;
    if (type == 2) continue;
    const unsigned long long ways = ((r[1] >> 22) & 0x3ffu) + 1, parts = ((r[1] >> 12) & 0x3ffu) + 1,
                             line = (r[1] & 0xfffu) + 1, sets = static_cast<unsigned long long>(r[2]) + 1;
    const unsigned long long bytes = ways * parts * line * sets;
    if (bytes > best) best = bytes;
  }
  return best;
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(_M_X64)
  f.avx2_fma = detect_avx2_fma();
  f.llc_bytes = detect_llc_bytes();
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
  f.neon = true;  // Advanced SIMD is mandatory on arm64
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return true;
    case Isa::Avx2:
#if defined(__x86_64__) || defined(_M_X64)
      return cpu_features().avx2_fma;
#else
      return false;
#endif
    case Isa::Neon:
#if defined(__aarch64__)
      return cpu_features().neon;
#else
      return false;
#endif
  }
  return false;
}

Isa best_isa() {
  if (isa_supported(Isa::Avx2)) return Isa::Avx2;
  if (isa_supported(Isa::Neon)) return Isa::Neon;
  return Isa::Scalar;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return "scalar";
    case Isa::Avx2:
      return "avx2";
    case Isa::Neon:
      return "neon";
  }
  return "unknown";
}

bool parse_isa(const char* name, Isa* out) {
  if (name == nullptr || out == nullptr) return false;
  static const Isa all[] = {Isa::Scalar, Isa::Avx2, Isa::Neon};
  for (Isa isa : all) {
    if (std::strcmp(name, isa_name(isa)) == 0) {
      *out = isa;
      return true;
    }
  }
  return false;
}

}  // namespace swishnet
