// swishnet — addon entry: per-instance data (ISA choice, kernel tables, thread pool) and info/setIsa/threads.
#include <napi.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "gemm/thread_pool.h"
#include "napi/util.h"

namespace swishnet {

AddonData::~AddonData() = default;

void AddonData::set_isa(Isa next) {
  isa = next;
  switch (next) {
    case Isa::Avx2:
      act_f32 = act_table_f32_avx2();
      act_f64 = act_table_f64_avx2();
      break;
    case Isa::Neon:
      act_f32 = act_table_f32_neon();
      act_f64 = act_table_f64_neon();
      break;
    default:
      act_f32 = act_table_f32_scalar();
      act_f64 = act_table_f64_scalar();
      break;
  }
  if (!act_f32 || !act_f64) {  // cannot happen when isa_supported(next); stay safe anyway
    isa = Isa::Scalar;
    act_f32 = act_table_f32_scalar();
    act_f64 = act_table_f64_scalar();
  }
}

namespace {

const char* compiler_name() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#elif defined(_MSC_VER)
  return "msvc";
#else
  return "unknown";
#endif
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonData* d = addon_data(info);
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", isa_name(d->isa));
  o.Set("bestIsa", isa_name(best_isa()));
  Napi::Array isas = Napi::Array::New(env);
  uint32_t k = 0;
  for (Isa i : {Isa::Scalar, Isa::Avx2, Isa::Neon})
    if (isa_supported(i)) isas.Set(k++, isa_name(i));
  o.Set("isas", isas);
  Napi::Array names = Napi::Array::New(env, kActCount);
  for (int i = 0; i < kActCount; i++) names.Set(static_cast<uint32_t>(i), kActNames[i]);
  o.Set("activations", names);
  o.Set("threads", d->pool ? d->pool->size() : 1);
  // Activation calls reading + writing at least this many bytes stream their output (swishnet/activations.h);
  // null where the active kernel family has no streaming stores.
  if (d->act_f32->streams)
    o.Set("streamMinBytes", static_cast<double>(act_stream_min_bytes()));
  else
    o.Set("streamMinBytes", env.Null());
  o.Set("compiler", compiler_name());
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_type(env, "setIsa(name): name must be a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  Isa isa;
  if (!parse_isa(name.c_str(), &isa)) throw_range(env, "unknown ISA '" + name + "' (scalar, avx2, neon)");
  if (!isa_supported(isa)) throw_range(env, "ISA '" + name + "' is not supported on this CPU/binary");
  addon_data(info)->set_isa(isa);
  return env.Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) throw_type(env, "setThreads(n): n is required");
  std::size_t n = get_size(info[0], "threads");
  if (n < 1 || n > 256) throw_range(env, "threads must be in [1, 256]");
  addon_data(info)->pool->set_size(static_cast<int>(n));
  return env.Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), addon_data(info)->pool->size());
}

int default_threads() {
  if (const char* s = std::getenv("SWISHNET_THREADS")) {
    int n = std::atoi(s);
    if (n >= 1 && n <= 256) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return static_cast<int>(std::max(1u, std::min(hc == 0 ? 1u : hc, 64u)));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* d = new AddonData();
  Isa isa = best_isa();
  if (const char* forced = std::getenv("SWISHNET_ISA")) {
    Isa f;
    if (parse_isa(forced, &f) && isa_supported(f)) isa = f;  // the TS layer reports bad values by name
  }
  d->set_isa(isa);
  d->pool = std::make_unique<ThreadPool>(default_threads());
  env.SetInstanceData<AddonData>(d);  // deleted (pool joined) when this environment is torn down

  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  init_activations(env, exports);
  init_gemm(env, exports);
  init_optim(env, exports);
  init_gemm_async(env, exports);
  init_train(env, exports);
  return exports;
}

}  // namespace

}  // namespace swishnet

// NODE_API_MODULE pastes its second argument into an identifier: it must be unqualified.
static Napi::Object SwishnetInit(Napi::Env env, Napi::Object exports) { return swishnet::Init(env, exports); }
NODE_API_MODULE(swishnet, SwishnetInit)
