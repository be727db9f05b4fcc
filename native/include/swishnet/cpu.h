// swishnet — CPU feature detection and ISA choice.
#pragma once

namespace swishnet {

enum class Isa : int { Scalar = 0, Avx2 = 1, Neon = 2 };

struct CpuFeatures {
  bool avx2_fma = false;  // AVX2 and FMA3, with OS support for YMM state
  bool neon = false;      // Advanced SIMD (always on arm64)
  // Size of the largest data cache this core sees (CPUID's deterministic cache parameters: leaf 4 on Intel,
  // 0x8000001D on AMD), 0 where unknown.
  unsigned long long llc_bytes = 0;
};

// Detected once (thread-safe static init) and cached.
const CpuFeatures& cpu_features();
// The best ISA this CPU supports and this binary was compiled with.
Isa best_isa();
// Whether `isa` can run here (compiled in and supported by the CPU).
bool isa_supported(Isa isa);
const char* isa_name(Isa isa);
// Parses "scalar" | "avx2" | "neon"; returns false on an unknown name.
bool parse_isa(const char* name, Isa* out);

}  // namespace swishnet
