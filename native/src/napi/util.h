// swishnet — N-API argument unpacking shared by the glue files. No logic beyond checking and unpacking:
// the TypeScript layer validates first; these checks are the last line of defence (they throw JS errors,
// never abort).
#pragma once
#include <napi.h>

#include <cfloat>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

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
  // A view of a detached buffer reads as empty: say so rather than run on no data (asked only for length 0, the
  // normal path pays nothing).
  bool detached = false;
  if (out->length == 0 && napi_is_detached_arraybuffer(env, ab, &detached) == napi_ok && detached)
    throw_type(env, std::string(name) + " is detached (its ArrayBuffer was transferred)");
  return true;
}

// An Int32Array (row indices, class labels).
inline Napi::Int32Array get_int32_array(const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_type(v.Env(), std::string(name) + " must be an Int32Array");
  return v.As<Napi::Int32Array>();
}

// Elements [from, from + count) of an Int32Array of indices, copied: a kernel that checks indices and then uses
// them must read them once, since its output may share memory with them, or another thread may write them (a
// SharedArrayBuffer), between the check and the use.
inline std::vector<std::int32_t> copy_int32(Napi::Env env, const Napi::Int32Array& a, std::size_t from,
                                            std::size_t count, const char* name) {
  std::vector<std::int32_t> out(count);
  if (count == 0) return out;
  if (a.Data() == nullptr) throw_type(env, std::string(name) + " is detached");
  std::memcpy(out.data(), a.Data() + from, count * sizeof(std::int32_t));
  return out;
}

inline double get_number(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throw_type(v.Env(), std::string(name) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

// A non-negative integer below 2^53 that fits size_t.
inline std::size_t get_size(const Napi::Value& v, const char* name) {
  double d = get_number(v, name);
  // Every double from 2^53 up is an integer: "must be a non-negative integer" would mislead there.
  if (d > 9007199254740991.0 && d <= DBL_MAX)
    throw_range(v.Env(), std::string(name) + " is too large (above 2^53 - 1)");
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

inline std::size_t elem_size(DType t) { return t == DType::F32 ? 4 : 8; }
inline std::size_t byte_length(const FloatView& v) { return v.length * elem_size(v.dtype); }

// Whether [a, a + a_bytes) and [b, b + b_bytes) share a byte (an empty range shares none).
inline bool bytes_overlap(const void* a, std::size_t a_bytes, const void* b, std::size_t b_bytes) {
  if (a_bytes == 0 || b_bytes == 0) return false;
  const auto a0 = reinterpret_cast<std::uintptr_t>(a), b0 = reinterpret_cast<std::uintptr_t>(b);
  return a0 < b0 + b_bytes && b0 < a0 + a_bytes;
}

// Aliasing is judged here on the data pointers, never on the JS buffer objects: two SharedArrayBuffer objects (one
// received through postMessage) or a typed array subclass with a `buffer` getter of its own can hide that two
// arrays share memory from the TypeScript checks.
//
// `out`, written by an elementwise kernel that reads `in` (both `bytes` long from their pointers), must be the same
// elements (in place: every element is read before it is written) or share no byte with `in`; a partial overlap
// makes the kernel read elements it has already overwritten, or not yet, depending on the vector width and the
// thread split.
inline void check_same_or_disjoint(Napi::Env env, const void* out, std::size_t out_bytes, const char* out_name,
                                   const void* in, std::size_t in_bytes, const char* in_name) {
  if (out == in && out_bytes == in_bytes) return;
  if (!bytes_overlap(out, out_bytes, in, in_bytes)) return;
  const auto shift = static_cast<long long>(reinterpret_cast<std::uintptr_t>(out)) -
                     static_cast<long long>(reinterpret_cast<std::uintptr_t>(in));
  throw_range(env, std::string(out_name) + " partially overlaps " + in_name + " (shifted by " + std::to_string(shift) +
                       " bytes, " + std::to_string(out_bytes) + " and " + std::to_string(in_bytes) +
                       " bytes long): pass the same array to work in place, or a separate one");
}
inline void check_same_or_disjoint(Napi::Env env, const FloatView& out, const char* out_name, const FloatView& in,
                                   const char* in_name) {
  check_same_or_disjoint(env, out.data, byte_length(out), out_name, in.data, byte_length(in), in_name);
}

// `out` must share no byte with `other`: kernels that gather rows, sum columns or update several arrays in one pass
// (declared __restrict there) have no in-place form.
inline void check_disjoint(Napi::Env env, const void* out, std::size_t out_bytes, const char* out_name,
                           const void* other, std::size_t other_bytes, const char* other_name) {
  if (bytes_overlap(out, out_bytes, other, other_bytes))
    throw_range(env, std::string(out_name) + " must not overlap " + other_name + " (they share memory)");
}
inline void check_disjoint(Napi::Env env, const FloatView& out, const char* out_name, const FloatView& other,
                           const char* other_name) {
  check_disjoint(env, out.data, byte_length(out), out_name, other.data, byte_length(other), other_name);
}

// An activation's parameters (a, b) for op `op` (-1: none), checked where the kernels assume a domain (the
// TypeScript layer checks them first): softplus' beta > 0 and celu's alpha in [1e-20, 1e20], as their exp arguments
// (z = beta x and x / alpha) are taken to be <= 0 on the negative side, and exp-sized at the input clamp. A NaN
// or infinite parameter of the other ops is let through: a learned one (swish beta, a scalar PReLU alpha) that has
// diverged must give NaN outputs, which training reports as divergence, not an error from here.
inline ActParams get_act_params(const Napi::Value& a, const Napi::Value& b, int op, const char* an, const char* bn) {
  const ActParams p{get_number(a, an), get_number(b, bn)};
  Napi::Env env = a.Env();
  if (op == static_cast<int>(Act::Softplus) && !(p.a > 0))
    throw_range(env, std::string(an) + ": softplus beta must be > 0");
  if (op == static_cast<int>(Act::Celu) && !(p.a >= 1e-20 && p.a <= 1e20))
    throw_range(env, std::string(an) + ": celu alpha must be in [1e-20, 1e20]");
  return p;
}

void init_activations(Napi::Env env, Napi::Object exports);
void init_gemm(Napi::Env env, Napi::Object exports);
void init_optim(Napi::Env env, Napi::Object exports);
void init_gemm_async(Napi::Env env, Napi::Object exports);
void init_train(Napi::Env env, Napi::Object exports);

}  // namespace swishnet
