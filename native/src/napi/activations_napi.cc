// swishnet — N-API glue for the activation kernels: unpack, check lengths, call the instance's table.
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gemm/thread_pool.h"
#include "napi/util.h"

namespace swishnet {
namespace {

int get_op(const Napi::Value& v) {
  double d = get_number(v, "op");
  if (!(d >= 0 && d < kActCount) || d != static_cast<int>(d)) throw_range(v.Env(), "op out of range");
  return static_cast<int>(d);
}

void need_len(Napi::Env env, const FloatView& v, std::size_t n, const char* name) {
  if (v.length != n) throw_range(env, std::string(name) + " must have the same length as x");
}

// Large calls are split over the addon's thread pool (the GEMM threads; setThreads() sets their number), as
// PyTorch splits elementwise ops above a grain size. Every element goes through the same operations wherever a
// chunk starts (the vector loop, its unrolled form and the masked tail compute each lane alike), so the result
// does not depend on the number of threads; chunk boundaries fall on multiples of kActGrain elements anyway
// (whole vectors; two threads share at most the one cache line that straddles a boundary of an array that is not
// 64-byte aligned). Below the threshold a split costs more than it saves: cheap ops (a compare and a select) run
// at memory speed and need a larger n to gain from a second core than the ops that evaluate an exp, erf or
// division per element.
constexpr std::size_t kActGrain = 64;

bool act_is_cheap(int op) {
  switch (static_cast<Act>(op)) {
    case Act::Relu:
    case Act::LeakyRelu:
    case Act::Hardswish:
    case Act::Hardsigmoid:
    case Act::Relu6:
      return true;
    default:
      return false;
  }
}

std::size_t act_split_min(bool cheap) { return cheap ? (std::size_t(1) << 16) : (std::size_t(1) << 15); }

// fn(begin, end) over [0, n) in chunks that start on multiples of `unit` elements, over the pool when n >= min_n.
template <class F>
void split_elementwise(const Napi::CallbackInfo& info, std::size_t n, std::size_t min_n, F&& fn,
                       std::size_t unit = kActGrain) {
  const std::size_t blocks = n / unit + (n % unit != 0);
  parallel_for_if(addon_data(info)->pool.get(), blocks, n >= min_n && blocks > 1, [&](std::size_t b0, std::size_t b1) {
    fn(b0 * unit, std::min(n, b1 * unit));
  });
}

// PReLU's channel of element i is (i / inner) % channels: a chunk that starts on a multiple of channels * inner
// sees the channels in the same order as the whole array (any start will do with one channel).
std::size_t prelu_unit(std::size_t channels, std::size_t inner) {
  if (channels == 1) return kActGrain;
  return inner > SIZE_MAX / channels ? SIZE_MAX : channels * inner;
}

// actForward(op, x, y, a, b)
Napi::Value ActForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5) throw_type(env, "actForward(op, x, y, a, b): 5 arguments");
  int op = get_op(info[0]);
  FloatView x, y;
  get_float_view(info[1], "x", false, &x);
  get_float_view(info[2], "y", false, &y);
  same_dtype(env, x, y, "y");
  need_len(env, y, x.length, "y");
  check_same_or_disjoint(env, y, "y", x, "x");
  const ActParams p = get_act_params(info[3], info[4], op, "a", "b");
  AddonData* d = addon_data(info);
  split_elementwise(info, x.length, act_split_min(act_is_cheap(op)), [&](std::size_t b, std::size_t e) {
    if (x.dtype == DType::F32)
      d->act_f32->forward[op](x.as<float>() + b, y.as<float>() + b, e - b, p);
    else
      d->act_f64->forward[op](x.as<double>() + b, y.as<double>() + b, e - b, p);
  });
  return env.Undefined();
}

// actBackward(op, x, y|null, go|null, gi, a, b)
Napi::Value ActBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7) throw_type(env, "actBackward(op, x, y, go, gi, a, b): 7 arguments");
  int op = get_op(info[0]);
  FloatView x, y, go, gi;
  get_float_view(info[1], "x", false, &x);
  bool has_y = get_float_view(info[2], "y", true, &y);
  bool has_go = get_float_view(info[3], "gradOut", true, &go);
  get_float_view(info[4], "gradIn", false, &gi);
  if (has_y) same_dtype(env, x, y, "y"), need_len(env, y, x.length, "y");
  if (has_go) same_dtype(env, x, go, "gradOut"), need_len(env, go, x.length, "gradOut");
  same_dtype(env, x, gi, "gradIn");
  need_len(env, gi, x.length, "gradIn");
  // x, y and gradOut are only read (they may overlap one another); gradIn is written over them.
  check_same_or_disjoint(env, gi, "gradIn", x, "x");
  if (has_y) check_same_or_disjoint(env, gi, "gradIn", y, "y");
  if (has_go) check_same_or_disjoint(env, gi, "gradIn", go, "gradOut");
  const ActParams p = get_act_params(info[5], info[6], op, "a", "b");
  AddonData* d = addon_data(info);
  split_elementwise(info, x.length, act_split_min(act_is_cheap(op)), [&](std::size_t b, std::size_t e) {
    if (x.dtype == DType::F32)
      d->act_f32->backward[op](x.as<float>() + b, has_y ? y.as<float>() + b : nullptr,
                               has_go ? go.as<float>() + b : nullptr, gi.as<float>() + b, e - b, p);
    else
      d->act_f64->backward[op](x.as<double>() + b, has_y ? y.as<double>() + b : nullptr,
                               has_go ? go.as<double>() + b : nullptr, gi.as<double>() + b, e - b, p);
  });
  return env.Undefined();
}

void check_channels(Napi::Env env, std::size_t n, const FloatView& alpha, std::size_t channels, std::size_t inner) {
  if (channels < 1 || inner < 1) throw_range(env, "channels and inner must be >= 1");
  if (alpha.length != channels) throw_range(env, "alpha must have one element per channel");
  (void)n;
}

// The pieces the alpha gradient is summed in: whole channel units, at least 2^16 elements (a thread's worth of
// work, as act_split_min) and 16 channels' worth (the rows of partial sums then hold at most n / 16 + channels
// doubles).
std::size_t prelu_sum_piece(std::size_t unit, std::size_t channels) {
  const std::size_t by_channels = channels > SIZE_MAX / 16 ? SIZE_MAX : 16 * channels;
  const std::size_t want = std::max<std::size_t>(std::size_t(1) << 16, by_channels);
  if (unit >= want) return unit;
  return want / unit * unit + (want % unit ? unit : 0);
}

// preluForward(x, y, alpha, channels, inner)
Napi::Value PreluForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5) throw_type(env, "preluForward(x, y, alpha, channels, inner): 5 arguments");
  FloatView x, y, alpha;
  get_float_view(info[0], "x", false, &x);
  get_float_view(info[1], "y", false, &y);
  get_float_view(info[2], "alpha", false, &alpha);
  same_dtype(env, x, y, "y");
  same_dtype(env, x, alpha, "alpha");
  need_len(env, y, x.length, "y");
  std::size_t channels = get_size(info[3], "channels"), inner = get_size(info[4], "inner");
  check_channels(env, x.length, alpha, channels, inner);
  check_same_or_disjoint(env, y, "y", x, "x");
  check_same_or_disjoint(env, y, "y", alpha, "alpha");  // alpha[c] is read at each run of channel c
  AddonData* d = addon_data(info);
  split_elementwise(
      info, x.length, act_split_min(true),
      [&](std::size_t b, std::size_t e) {
        if (x.dtype == DType::F32)
          d->act_f32->prelu_forward(x.as<float>() + b, y.as<float>() + b, e - b, alpha.as<float>(), channels, inner);
        else
          d->act_f64->prelu_forward(x.as<double>() + b, y.as<double>() + b, e - b, alpha.as<double>(), channels,
                                    inner);
      },
      prelu_unit(channels, inner));
  return env.Undefined();
}

// preluBackward(x, go|null, gi|null, alpha, channels, inner, galpha|null)
Napi::Value PreluBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7) throw_type(env, "preluBackward(x, go, gi, alpha, channels, inner, galpha): 7 arguments");
  FloatView x, go, gi, alpha, galpha;
  get_float_view(info[0], "x", false, &x);
  bool has_go = get_float_view(info[1], "gradOut", true, &go);
  bool has_gi = get_float_view(info[2], "gradIn", true, &gi);
  get_float_view(info[3], "alpha", false, &alpha);
  std::size_t channels = get_size(info[4], "channels"), inner = get_size(info[5], "inner");
  bool has_ga = get_float_view(info[6], "gradAlpha", true, &galpha);
  if (has_go) same_dtype(env, x, go, "gradOut"), need_len(env, go, x.length, "gradOut");
  if (has_gi) same_dtype(env, x, gi, "gradIn"), need_len(env, gi, x.length, "gradIn");
  same_dtype(env, x, alpha, "alpha");
  check_channels(env, x.length, alpha, channels, inner);
  if (has_ga) {
    same_dtype(env, x, galpha, "gradAlpha");
    if (galpha.length != channels) throw_range(env, "gradAlpha must have one element per channel");
  }
  if (has_gi) {
    check_same_or_disjoint(env, gi, "gradIn", x, "x");
    if (has_go) check_same_or_disjoint(env, gi, "gradIn", go, "gradOut");
    check_same_or_disjoint(env, gi, "gradIn", alpha, "alpha");
  }
  if (has_ga) {
    // gradAlpha is added to after every read of x, gradOut and alpha (in place is fine there), but gradIn is
    // written before it: sharing memory, one output would overwrite the other.
    check_same_or_disjoint(env, galpha, "gradAlpha", x, "x");
    if (has_go) check_same_or_disjoint(env, galpha, "gradAlpha", go, "gradOut");
    check_same_or_disjoint(env, galpha, "gradAlpha", alpha, "alpha");
    if (has_gi) check_disjoint(env, galpha, "gradAlpha", gi, "gradIn");
  }
  AddonData* d = addon_data(info);
  const std::size_t n = x.length, unit = prelu_unit(channels, inner);
  auto kernel = [&](std::size_t b, std::size_t e, double* gsum) {
    if (x.dtype == DType::F32)
      d->act_f32->prelu_backward(x.as<float>() + b, has_go ? go.as<float>() + b : nullptr,
                                 has_gi ? gi.as<float>() + b : nullptr, e - b, alpha.as<float>(), channels, inner,
                                 gsum);
    else
      d->act_f64->prelu_backward(x.as<double>() + b, has_go ? go.as<double>() + b : nullptr,
                                 has_gi ? gi.as<double>() + b : nullptr, e - b, alpha.as<double>(), channels, inner,
                                 gsum);
  };
  if (!has_ga) {  // the input gradient alone is elementwise
    split_elementwise(info, n, act_split_min(true), [&](std::size_t b, std::size_t e) { kernel(b, e, nullptr); }, unit);
    return env.Undefined();
  }
  // The alpha gradient is a sum. Its bits must not depend on the number of threads, so the array is cut into
  // fixed pieces whatever the split: each piece sums into its own row of doubles (on whichever thread runs it),
  // and the rows are added in piece order at the end, then rounded once into galpha.
  const std::size_t piece = prelu_sum_piece(unit, channels);
  const std::size_t pieces = n == 0 ? 0 : (n - 1) / piece + 1;
  std::vector<double> rows(pieces * channels, 0.0);
  parallel_for_if(d->pool.get(), pieces, pieces > 1, [&](std::size_t k0, std::size_t k1) {  // pieces >= 2^16
    for (std::size_t k = k0; k < k1; ++k) {
      const std::size_t b = k * piece, e = n - b > piece ? b + piece : n;
      kernel(b, e, rows.data() + k * channels);
    }
  });
  for (std::size_t c = 0; c < channels; ++c) {
    double sum = 0.0;
    for (std::size_t k = 0; k < pieces; ++k) sum += rows[k * channels + c];
    if (x.dtype == DType::F32)
      galpha.as<float>()[c] = static_cast<float>(double(galpha.as<float>()[c]) + sum);
    else
      galpha.as<double>()[c] += sum;
  }
  return env.Undefined();
}

// swishBetaGrad(x, go|null, beta) -> number
Napi::Value SwishBetaGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) throw_type(env, "swishBetaGrad(x, go, beta): 3 arguments");
  FloatView x, go;
  get_float_view(info[0], "x", false, &x);
  bool has_go = get_float_view(info[1], "gradOut", true, &go);
  if (has_go) same_dtype(env, x, go, "gradOut"), need_len(env, go, x.length, "gradOut");
  double beta = get_number(info[2], "beta");
  AddonData* d = addon_data(info);
  double r = x.dtype == DType::F32
                 ? d->act_f32->swish_beta_grad(x.as<float>(), has_go ? go.as<float>() : nullptr, x.length, beta)
                 : d->act_f64->swish_beta_grad(x.as<double>(), has_go ? go.as<double>() : nullptr, x.length, beta);
  return Napi::Number::New(env, r);
}

}  // namespace

void init_activations(Napi::Env env, Napi::Object exports) {
  exports.Set("actForward", Napi::Function::New(env, ActForward, "actForward"));
  exports.Set("actBackward", Napi::Function::New(env, ActBackward, "actBackward"));
  exports.Set("preluForward", Napi::Function::New(env, PreluForward, "preluForward"));
  exports.Set("preluBackward", Napi::Function::New(env, PreluBackward, "preluBackward"));
  exports.Set("swishBetaGrad", Napi::Function::New(env, SwishBetaGrad, "swishBetaGrad"));
}

}  // namespace swishnet
