// swishnet — activation kernel interface shared by every ISA and by the N-API glue.
//
// The op numbering is part of the TS <-> C++ contract: lib/backend/ops.ts lists the same names in the
// same order, and a test compares it with `binding.info().activations`.
#pragma once
#include <cstddef>
#include <cstdint>

namespace swishnet {

enum class Act : int {
  Sigmoid = 0,
  Tanh,
  Softsign,
  Relu,
  Softplus,     // a = beta, b = threshold
  LeakyRelu,    // a = alpha  (also the scalar-alpha PReLU)
  Elu,          // a = alpha
  Selu,
  Swish,        // a = beta   (silu = swish with beta 1)
  Gelu,         // exact, erf form
  GeluTanh,     // tanh approximation
  Mish,
  Hardswish,
  Hardsigmoid,
  Relu6,
  Celu,         // a = alpha
  Count
};

constexpr int kActCount = static_cast<int>(Act::Count);
extern const char* const kActNames[kActCount];  // "sigmoid", "tanh", ... (lib/backend/ops.ts order)

struct ActParams {
  double a = 0.0;
  double b = 0.0;
};

// y[i] = f(x[i]) for i < n. y may alias x.
template <typename T>
using ActForwardFn = void (*)(const T* x, T* y, std::size_t n, ActParams p);

// gi[i] = f'(x[i]) * go[i]  (go == nullptr means go[i] = 1, i.e. the plain derivative).
// y is the saved forward output, or nullptr (kernels that prefer y recompute it when absent).
// gi may alias x, y or go.
template <typename T>
using ActBackwardFn = void (*)(const T* x, const T* y, const T* go, T* gi, std::size_t n, ActParams p);

// PReLU with one alpha per channel. Element i belongs to channel (i / inner) % channels.
template <typename T>
using PreluForwardFn = void (*)(const T* x, T* y, std::size_t n, const T* alpha, std::size_t channels,
                                std::size_t inner);
// gi[i] = (x > 0 ? 1 : alpha[c]) * go[i] (gi may be nullptr: no input gradient wanted);
// gsum[c] += sum over !(x[i] > 0) of x[i] * go[i], in double (gsum may be nullptr; the caller rounds to T once, at
// the end, and may sum fixed pieces of a long array on several threads). go == nullptr means ones.
template <typename T>
using PreluBackwardFn = void (*)(const T* x, const T* go, T* gi, std::size_t n, const T* alpha,
                                 std::size_t channels, std::size_t inner, double* gsum);
// Returns sum_i go[i] * d swish_beta(x[i]) / d beta = sum go * x^2 * s * (1 - s), s = sigmoid(beta x).
// go == nullptr means ones. Accumulates in double.
template <typename T>
using SwishBetaGradFn = double (*)(const T* x, const T* go, std::size_t n, double beta);

template <typename T>
struct ActKernelTable {
  const char* isa;  // "scalar", "avx2", "neon"
  bool streams;     // large calls write their output with non-temporal stores (see act_stream_min_bytes)
  ActForwardFn<T> forward[kActCount];
  ActBackwardFn<T> backward[kActCount];
  PreluForwardFn<T> prelu_forward;
  PreluBackwardFn<T> prelu_backward;
  SwishBetaGradFn<T> swish_beta_grad;
};

// Streaming output (the 16 activations' kernels of a table with `streams`, i.e. AVX2): a forward or backward call
// whose footprint (the bytes it reads plus the bytes it writes) is at least act_stream_min_bytes() writes its
// output with non-temporal stores.
// Its arrays then no longer fit the last-level cache together, so a plain store would first read each output line
// from memory (read for ownership) only to evict it again. The values are those of plain stores. Default
// (act_stream_default_bytes): the largest cache CPUID reports for this core, or 32 MiB where it reports none.
std::size_t act_stream_min_bytes();
std::size_t act_stream_default_bytes();
void set_act_stream_min_bytes(std::size_t bytes);  // for tests (thread-safe; process-wide)

// Every ISA compiled into this binary provides its tables (nullptr entries are not allowed; an ISA that is
// not compiled on this architecture returns nullptr from its getter).
const ActKernelTable<float>* act_table_f32_scalar();
const ActKernelTable<double>* act_table_f64_scalar();
const ActKernelTable<float>* act_table_f32_avx2();   // nullptr unless x86-64
const ActKernelTable<double>* act_table_f64_avx2();  // nullptr unless x86-64
const ActKernelTable<float>* act_table_f32_neon();   // nullptr unless arm64
const ActKernelTable<double>* act_table_f64_neon();  // nullptr unless arm64

}  // namespace swishnet
