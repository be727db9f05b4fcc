// swishnet — N-API glue for the optimizer kernels.
#include <napi.h>

#include "gemm/thread_pool.h"
#include "napi/util.h"
#include "swishnet/optim.h"

namespace swishnet {
namespace {

// sgdStep(w, g, buf|null, lr, momentum, dampening, weightDecay, nesterov, maximize, first)
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 10) throw_type(env, "sgdStep: 10 arguments expected");
  FloatView w, g, buf;
  get_float_view(info[0], "param", false, &w);
  get_float_view(info[1], "grad", false, &g);
  bool has_buf = get_float_view(info[2], "momentumBuffer", true, &buf);
  SgdParams p;
  p.lr = get_number(info[3], "lr");
  p.momentum = get_number(info[4], "momentum");
  p.dampening = get_number(info[5], "dampening");
  p.weight_decay = get_number(info[6], "weightDecay");
  p.nesterov = get_bool(info[7], "nesterov");
  p.maximize = get_bool(info[8], "maximize");
  p.first = get_bool(info[9], "first");
  same_dtype(env, w, g, "grad", "the parameter");
  if (g.length != w.length) throw_range(env, "grad must have the parameter's length");
  if (p.momentum != 0.0) {
    if (!has_buf) throw_type(env, "momentumBuffer is required when momentum != 0");
    same_dtype(env, w, buf, "momentumBuffer", "the parameter");
    if (buf.length != w.length) throw_range(env, "momentumBuffer must have the parameter's length");
  }
  // sgd_impl declares the three arrays __restrict (a compiler may reorder the loads and stores of one element):
  // no overlap at all, not even in place.
  check_disjoint(env, g, "grad", w, "param");
  if (p.momentum != 0.0) {
    check_disjoint(env, buf, "momentumBuffer", w, "param");
    check_disjoint(env, buf, "momentumBuffer", g, "grad");
  }
  AddonData* d = addon_data(info);
  const Isa isa = d->isa;
  auto update = [&](std::size_t b, std::size_t e) {
    if (w.dtype == DType::F32)
      sgd_step_f32(isa, w.as<float>() + b, g.as<float>() + b, has_buf ? buf.as<float>() + b : nullptr, e - b, p);
    else
      sgd_step_f64(isa, w.as<double>() + b, g.as<double>() + b, has_buf ? buf.as<double>() + b : nullptr, e - b, p);
  };
  // Elementwise: any split gives the same bits. Large tensors are shared out over the GEMM thread pool.
  parallel_for_if(d->pool.get(), w.length, w.length >= (std::size_t(1) << 15), update);
  return env.Undefined();
}

}  // namespace

void init_optim(Napi::Env env, Napi::Object exports) {
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep, "sgdStep"));
}

}  // namespace swishnet
