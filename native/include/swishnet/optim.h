// swishnet — optimizer update kernels (elementwise over a parameter tensor).
#pragma once
#include <cstddef>
#include "swishnet/cpu.h"

namespace swishnet {

struct SgdParams {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  bool maximize = false;
  bool first = false;  // the momentum buffer is uninitialized: buf = d
};

// PyTorch's SGD, one parameter tensor:
//   d = (maximize ? -g : g) + weight_decay * w
//   momentum != 0: buf = first ? d : momentum * buf + (1 - dampening) * d;  u = nesterov ? d + momentum * buf : buf
//   momentum == 0: u = d (buf unused, may be nullptr)
//   w -= lr * u
// Arithmetic in T (float32: the scalars rounded to float first, each operation rounded, as PyTorch's CPU kernel),
// no fused multiply-add: bit-identical to the TypeScript backend.
void sgd_step_f32(Isa isa, float* w, const float* g, float* buf, std::size_t n, const SgdParams& p);
void sgd_step_f64(Isa isa, double* w, const double* g, double* buf, std::size_t n, const SgdParams& p);

}  // namespace swishnet
