// swishnet — SGD update kernel: one pass over w, g and the momentum buffer. The math follows the TypeScript
// backend exactly (arithmetic in the parameter's precision, no contraction into FMA), so both backends train
// bit-identically. The AVX2 variant is the same loop compiled for AVX2 (vectorized by the
// compiler); the ISA is enabled per function so the binary still runs on CPUs without AVX2.
#include "common/plain_loop.h"

#include "swishnet/optim.h"

namespace swishnet {
namespace {

// float64 parameters: double arithmetic. float32 parameters: float32 arithmetic with the scalars rounded to float
// first, as PyTorch's CPU kernels do (its opmath type for float is float): every product and sum is one float
// rounding, so the loop runs on 8 lanes with no conversions. fp-contract is off: no fused multiply-add (the js
// backend, the reference, has none; PyTorch's AVX2 add_(alpha) has one, so it differs in the last bit at times).
template <typename T>
SWISHNET_LOOP_BODY void sgd_impl(T* __restrict w, const T* __restrict g, T* __restrict buf, std::size_t n,
                                 const SgdParams& p) {
  const T lr = static_cast<T>(p.lr), m = static_cast<T>(p.momentum), damp = static_cast<T>(1.0 - p.dampening);
  const T wd = static_cast<T>(p.weight_decay);
  const T sgn = p.maximize ? T(-1) : T(1);
  const bool decay = p.weight_decay != 0.0;  // as PyTorch: no decay term at all when 0 (0 * inf would be NaN)
  if (p.momentum == 0.0) {
    if (!decay && !p.maximize) {
      for (std::size_t i = 0; i < n; i++) w[i] = w[i] - lr * g[i];
    } else {
      for (std::size_t i = 0; i < n; i++) {
        const T d = decay ? sgn * g[i] + wd * w[i] : sgn * g[i];
        w[i] = w[i] - lr * d;
      }
    }
    return;
  }
  if (!p.first && !p.nesterov && !decay && !p.maximize) {
    // The common case (momentum, no decay).
    for (std::size_t i = 0; i < n; i++) {
      const T b = m * buf[i] + damp * g[i];
      buf[i] = b;
      w[i] = w[i] - lr * b;
    }
    return;
  }
  for (std::size_t i = 0; i < n; i++) {
    const T d = decay ? sgn * g[i] + wd * w[i] : sgn * g[i];
    const T b = p.first ? d : m * buf[i] + damp * d;
    buf[i] = b;
    const T u = p.nesterov ? d + m * b : b;
    w[i] = w[i] - lr * u;
  }
}

template <typename T>
SWISHNET_AVX2_LOOP void sgd_avx2(T* w, const T* g, T* buf, std::size_t n, const SgdParams& p) {
  sgd_impl(w, g, buf, n, p);
}

template <typename T>
void sgd(Isa isa, T* w, const T* g, T* buf, std::size_t n, const SgdParams& p) {
  if (SWISHNET_HAVE_AVX2_LOOP && isa == Isa::Avx2) return sgd_avx2(w, g, buf, n, p);
  sgd_impl(w, g, buf, n, p);
}

}  // namespace

void sgd_step_f32(Isa isa, float* w, const float* g, float* buf, std::size_t n, const SgdParams& p) {
  sgd(isa, w, g, buf, n, p);
}

void sgd_step_f64(Isa isa, double* w, const double* g, double* buf, std::size_t n, const SgdParams& p) {
  sgd(isa, w, g, buf, n, p);
}

}  // namespace swishnet
