// swishnet — builds an ActKernelTable from the op templates of act_ops.h. Kept apart from act_ops.h so that an
// ISA file can include it OUTSIDE its target region: filling the table then runs only baseline instructions
// and the getter is safe to call on any CPU of the architecture (the kernels themselves carry the target).
#pragma once
#include "activations/act_ops.h"

namespace swishnet {
namespace {

template <class V>
ActKernelTable<typename V::T> make_act_table(const char* isa) {
  ActKernelTable<typename V::T> t{};
  t.isa = isa;
  t.streams = V::kStream;
#define SWISHNET_SET_OP(ACT, OP)                                    \
  t.forward[static_cast<int>(Act::ACT)] = &act_forward<V, OP>; \
  t.backward[static_cast<int>(Act::ACT)] = &act_backward<V, OP>;
#define SWISHNET_SET_OP_PICK(ACT, OP1, OP)                                          \
  t.forward[static_cast<int>(Act::ACT)] = &act_forward_pick<V, OP1, OP>; \
  t.backward[static_cast<int>(Act::ACT)] = &act_backward_pick<V, OP1, OP>;
#define SWISHNET_SET_OP_PICK0(ACT, OP1, OP, OP0)                                         \
  t.forward[static_cast<int>(Act::ACT)] = &act_forward_pick<V, OP1, OP, OP0>; \
  t.backward[static_cast<int>(Act::ACT)] = &act_backward_pick<V, OP1, OP, OP0>;
  SWISHNET_SET_OP(Sigmoid, OpSigmoid)
  SWISHNET_SET_OP(Tanh, OpTanh)
  SWISHNET_SET_OP(Softsign, OpSoftsign)
  SWISHNET_SET_OP(Relu, OpRelu)
  SWISHNET_SET_OP_PICK(Softplus, OpSoftplus1, OpSoftplus)
  SWISHNET_SET_OP(LeakyRelu, OpLeakyRelu)
  SWISHNET_SET_OP(Elu, OpElu)
  SWISHNET_SET_OP(Selu, OpSelu)
  SWISHNET_SET_OP_PICK0(Swish, OpSwish1, OpSwish, OpSwish0)
  SWISHNET_SET_OP(Gelu, OpGelu)
  SWISHNET_SET_OP(GeluTanh, OpGeluTanh)
  SWISHNET_SET_OP(Mish, OpMish)
  SWISHNET_SET_OP(Hardswish, OpHardswish)
  SWISHNET_SET_OP(Hardsigmoid, OpHardsigmoid)
  SWISHNET_SET_OP(Relu6, OpRelu6)
  SWISHNET_SET_OP_PICK(Celu, OpCelu1, OpCelu)
#undef SWISHNET_SET_OP
#undef SWISHNET_SET_OP_PICK
#undef SWISHNET_SET_OP_PICK0
  static_assert(kActCount == 16, "update make_act_table when adding an op");
  t.prelu_forward = &prelu_forward<V>;
  t.prelu_backward = &prelu_backward<V>;
  t.swish_beta_grad = &swish_beta_grad<V>;
  return t;
}

}  // namespace
}  // namespace swishnet
