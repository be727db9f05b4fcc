// swishnet — activation names in enum order (the same list as lib/backend/ops.ts), and the streaming-output
// threshold of the activation kernels (see swishnet/activations.h).
#include <atomic>

#include "swishnet/activations.h"
#include "swishnet/cpu.h"

namespace swishnet {

const char* const kActNames[kActCount] = {
    "sigmoid", "tanh",  "softsign", "relu",      "softplus",  "leaky_relu",  "elu",   "selu",
    "swish",   "gelu",  "gelu_tanh", "mish",     "hardswish", "hardsigmoid", "relu6", "celu",
};

namespace {
std::atomic<std::size_t>& stream_min() {
  static std::atomic<std::size_t> v{act_stream_default_bytes()};
  return v;
}
}  // namespace

std::size_t act_stream_default_bytes() {
  static const std::size_t d = [] {
    const unsigned long long llc = cpu_features().llc_bytes;
    return llc != 0 ? static_cast<std::size_t>(llc) : std::size_t(32) << 20;
  }();
  return d;
}
std::size_t act_stream_min_bytes() { return stream_min().load(std::memory_order_relaxed); }
void set_act_stream_min_bytes(std::size_t bytes) { stream_min().store(bytes, std::memory_order_relaxed); }

}  // namespace swishnet
