// swishnet — N-API argument unpacking shared by the glue files. No logic beyond checking and unpacking:
// the TypeScript layer validates first; these checks are the last line of defence (they throw JS errors,
// never abort).
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "swishnet/activations.h"
#include "swishnet/cpu.h"

namespace swishnet {
class ThreadPool;

// Per addon instance (one per Node environment: main thread and each worker_thread).
struct AddonData {
  Isa isa = Isa::Scalar;
  const ActKernelTable<float>* act_f32 = nullptr;
  const ActKernelTable<double>* act_f64 = nullptr;
  std::unique_ptr<ThreadPool> pool;
  ~AddonData();
  void set_isa(Isa next);
};

inline AddonData* addon_data(const Napi::CallbackInfo& info) { return info.Env().GetInstanceData<AddonData>(); }

enum class DType { F32, F64 };

struct FloatView {
  DType dtype = DType::F32;
  void* data = nullptr;
  std::size_t length = 0;  // elements
  template <typename T>
  T* as() const { return static_cast<T*>(data); }
};

[[noreturn]] inline void throw_type(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, "swishnet native: " + msg);
}
[[noreturn]] inline void throw_range(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, "swishnet native: " + msg);
}

// A Float32Array or Float64Array (required), or null/undefined when `optional`.
inline bool get_float_view(const Napi::Value& v, const char* name, bool optional, FloatView* out) {
  Napi::Env env = v.Env();
  if (optional && (v.IsNull() || v.IsUndefined())) return false;
  if (!v.IsTypedArray()) throw_type(env, std::string(name) + " must be a Float32Array or Float64Array");
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  napi_typedarray_type t = ta.TypedArrayType();
  if (t != napi_float32_array && t != napi_float64_array)
    throw_type(env, std::string(name) + " must be a Float32Array or Float64Array");
  out->dtype = t == napi_float32_array ? DType::F32 : DType::F64;
  out->length = ta.ElementLength();
  void* base = nullptr;
  std::size_t byte_len = 0;
  napi_value ab = nullptr;
  std::size_t offset = 0;
  napi_status st = napi_get_typedarray_info(env, ta, nullptr, nullptr, &base, &ab, &offset);
  if (st != napi_ok) throw_type(env, std::string(name) + ": cannot read typed array");
  (void)byte_len;
  // napi_get_typedarray_info returns the data pointer already adjusted by the byte offset.
  out->data = base;
  if (out->length > 0 && out->data == nullptr) throw_type(env, std::string(name) + " is detached");
  return true;
}

// An Int32Array (row indices, class labels).
inline Napi::Int32Array get_int32_array(const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_type(v.Env(), std::string(name) + " must be an Int32Array");
  return v.As<Napi::Int32Array>();
}

inline double get_number(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throw_type(v.Env(), std::string(name) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

// A non-negative integer below 2^53 that fits size_t.
inline std::size_t get_size(const Napi::Value& v, const char* name) {
  double d = get_number(v, name);
  if (!(d >= 0) || d > 9007199254740991.0 || d != static_cast<double>(static_cast<std::uint64_t>(d)))
    throw_range(v.Env(), std::string(name) + " must be a non-negative integer");
  return static_cast<std::size_t>(d);
}

inline bool get_bool(const Napi::Value& v, const char* name) {
  if (!v.IsBoolean()) throw_type(v.Env(), std::string(name) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

// b (argument `name`) must have the dtype of a (argument `ref`).
inline void same_dtype(Napi::Env env, const FloatView& a, const FloatView& b, const char* name, const char* ref = "x") {
  if (a.dtype != b.dtype) throw_type(env, std::string(name) + " must have the same dtype as " + ref);
}

void init_activations(Napi::Env env, Napi::Object exports);
void init_gemm(Napi::Env env, Napi::Object exports);
void init_optim(Napi::Env env, Napi::Object exports);
void init_gemm_async(Napi::Env env, Napi::Object exports);
void init_train(Napi::Env env, Napi::Object exports);

}  // namespace swishnet
