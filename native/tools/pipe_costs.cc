// swishnet — what one AVX2 instruction costs next to FMAs on this CPU, in FMA slots (x86-64 with AVX2+FMA only).
//
//   pipe_costs            (built by the CMake development build: build-cmake/pipe_costs)
//
// A slot is the time of one vfmadd231ps in a loop of independent FMAs (8 accumulators: enough to cover the
// latency on every current core), i.e. half a cycle on a CPU with two FMA pipes. Each row times a loop of
// 16 FMAs plus k instructions of one kind and prints (time - time of the 16 FMAs alone) / k, in slots: 0 means
// the instruction runs on other pipes for free, 1 that it takes an FMA pipe for as long as an FMA does. This is
// the budget the activation kernels are written against (see the README: a kernel of F FMA-pipe operations per
// 8 floats cannot run faster than 16 / F Gelem/s per GHz).
#include <chrono>
#include <cstdio>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

namespace {

#define SWISHNET_FMA8                            \
  "vfmadd231ps %%ymm15, %%ymm14, %%ymm0\n"      \
  "vfmadd231ps %%ymm15, %%ymm14, %%ymm1\n"      \
  "vfmadd231ps %%ymm15, %%ymm14, %%ymm2\n"      \
  "vfmadd231ps %%ymm15, %%ymm14, %%ymm3\n"      \
  "vfmadd231ps %%ymm15, %%ymm14, %%ymm4\n"      \
  "vfmadd231ps %%ymm15, %%ymm14, %%ymm5\n"      \
  "vfmadd231ps %%ymm15, %%ymm14, %%ymm6\n"      \
  "vfmadd231ps %%ymm15, %%ymm14, %%ymm7\n"
#define SWISHNET_FMA16 SWISHNET_FMA8 SWISHNET_FMA8
// k copies of one instruction writing ymm8..ymm12 in turn from ymm14 / ymm15 (ymm13: a blend mask).
#define SWISHNET_X2(I) I(8) I(9)
#define SWISHNET_X4(I) I(8) I(9) I(10) I(11)
#define SWISHNET_X8(I) SWISHNET_X4(I) I(12) I(8) I(9) I(10)

// One timed loop: n iterations of BODY; seconds per iteration, best of 5.
#define SWISHNET_TIME(BODY)                                                                                \
  [] {                                                                                                     \
    double best = 1e30;                                                                                    \
    for (int rep = 0; rep < 5; ++rep) {                                                                    \
      long n = 20000000;                                                                                   \
      const auto t0 = std::chrono::steady_clock::now();                                                    \
      __asm__ volatile(                                                                                    \
          "vxorps %%ymm14, %%ymm14, %%ymm14\n"                                                             \
          "vxorps %%ymm15, %%ymm15, %%ymm15\n"                                                             \
          "vxorps %%ymm13, %%ymm13, %%ymm13\n"                                                             \
          "1:\n" BODY                                                                                      \
          "dec %0\n"                                                                                       \
          "jnz 1b\n"                                                                                       \
          : "+r"(n)                                                                                        \
          :                                                                                                \
          : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", \
            "xmm12", "xmm13", "xmm14", "xmm15", "cc");                                                     \
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();       \
      if (s < best) best = s;                                                                              \
    }                                                                                                      \
    return best / 20000000.0;                                                                              \
  }()

#define SWISHNET_MUL(R) "vmulps %%ymm15, %%ymm14, %%ymm" #R "\n"
#define SWISHNET_ADD(R) "vaddps %%ymm15, %%ymm14, %%ymm" #R "\n"
#define SWISHNET_MAX(R) "vmaxps %%ymm15, %%ymm14, %%ymm" #R "\n"
#define SWISHNET_DIV(R) "vdivps %%ymm15, %%ymm14, %%ymm" #R "\n"
#define SWISHNET_RCP(R) "vrcpps %%ymm15, %%ymm" #R "\n"
#define SWISHNET_PERMPS(R) "vpermps %%ymm15, %%ymm14, %%ymm" #R "\n"
#define SWISHNET_PERMILPS(R) "vpermilps %%ymm15, %%ymm14, %%ymm" #R "\n"
#define SWISHNET_BLENDV(R) "vblendvps %%ymm13, %%ymm15, %%ymm14, %%ymm" #R "\n"
#define SWISHNET_SLLD(R) "vpslld $3, %%ymm15, %%ymm" #R "\n"
#define SWISHNET_ADDD(R) "vpaddd %%ymm15, %%ymm14, %%ymm" #R "\n"
#define SWISHNET_AND(R) "vandps %%ymm15, %%ymm14, %%ymm" #R "\n"
#define SWISHNET_CMP(R) "vcmpltps %%ymm15, %%ymm14, %%ymm" #R "\n"
#define SWISHNET_CVTPS2PD(R) "vcvtps2pd %%xmm15, %%ymm" #R "\n"
#define SWISHNET_CVTPD2PS(R) "vcvtpd2ps %%ymm15, %%xmm" #R "\n"
#define SWISHNET_EXTRACT(R) "vextractf128 $1, %%ymm15, %%xmm" #R "\n"
#define SWISHNET_INSERT(R) "vinsertf128 $1, %%xmm15, %%ymm14, %%ymm" #R "\n"
#define SWISHNET_ROUND(R) "vroundps $0, %%ymm15, %%ymm" #R "\n"
#define SWISHNET_CVTDQ2PS(R) "vcvtdq2ps %%ymm15, %%ymm" #R "\n"

void row(const char* name, double t, double base, int k, double slot) {
  std::printf("%-34s %6.2f\n", name, (t - base) / k / slot);
}

}  // namespace

int main() {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    std::printf("pipe_costs: this CPU has no AVX2+FMA\n");
    return 0;
  }
  const double base = SWISHNET_TIME(SWISHNET_FMA16);
  const double slot = base / 16;
  std::printf("pipe_costs: one FMA slot = %.3f ns (16 independent vfmadd231ps per iteration)\n", slot * 1e9);
  std::printf("%-34s %6s\n", "instruction (ymm), next to FMAs", "slots");
  row("vmulps", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_MUL)), base, 8, slot);
  row("vaddps", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_ADD)), base, 8, slot);
  row("vmaxps", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_MAX)), base, 8, slot);
  row("vandps", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_AND)), base, 8, slot);
  row("vcmpltps", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_CMP)), base, 8, slot);
  row("vpaddd", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_ADDD)), base, 8, slot);
  row("vpslld", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_SLLD)), base, 8, slot);
  row("vblendvps", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_BLENDV)), base, 8, slot);
  row("vcvtps2pd (xmm -> ymm)", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_CVTPS2PD)), base, 8, slot);
  row("vcvtpd2ps (ymm -> xmm)", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_CVTPD2PS)), base, 8, slot);
  row("vextractf128", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_EXTRACT)), base, 8, slot);
  row("vinsertf128", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_INSERT)), base, 8, slot);
  row("vroundps", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_ROUND)), base, 8, slot);
  row("vcvtdq2ps", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_CVTDQ2PS)), base, 8, slot);
  row("vrcpps", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X4(SWISHNET_RCP)), base, 4, slot);
  row("vpermilps (in-lane table)", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_PERMILPS)), base, 8, slot);
  row("vpermps (8-entry table)", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X8(SWISHNET_PERMPS)), base, 8, slot);
  row("vdivps (1 per 16 FMAs)", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_DIV(8)), base, 1, slot);
  row("vdivps (2 per 16 FMAs)", SWISHNET_TIME(SWISHNET_FMA16 SWISHNET_X2(SWISHNET_DIV)), base, 2, slot);
  // The divider's own rate: 8 independent divisions and nothing else (the same with 1 / (1/3) as with 0 / 0).
  const double div_alone = SWISHNET_TIME(SWISHNET_X8(SWISHNET_DIV)) / 8;
  std::printf("%-34s %6.2f (%.2f ns)\n", "vdivps alone", div_alone / slot, div_alone * 1e9);
  return 0;
}

#else

int main() {
  std::printf("pipe_costs: x86-64 only\n");
  return 0;
}

#endif
