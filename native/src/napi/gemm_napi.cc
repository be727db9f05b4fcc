// swishnet — N-API glue for GEMM: unpack, check shapes against buffer lengths (overflow-safe), call sgemm/dgemm.
#include <napi.h>

#include <new>
#include <stdexcept>
#include <string>

#include <cmath>

#include "gemm/thread_pool.h"
#include "napi/gemm_call.h"
#include "napi/util.h"
#include "swishnet/gemm.h"

namespace swishnet {
namespace {

constexpr std::size_t kMaxElems = std::size_t(1) << 53;

bool mul_ok(std::size_t a, std::size_t b, std::size_t* out) {
  if (a != 0 && b > kMaxElems / a) return false;
  *out = a * b;
  return true;
}

// Elements needed to hold a rows x cols matrix with row stride ld.
void check_matrix(Napi::Env env, const FloatView& v, std::size_t rows, std::size_t cols, std::size_t ld,
                  const char* name) {
  if (rows == 0 || cols == 0) return;
  if (ld < cols) throw_range(env, std::string("leading dimension of ") + name + " is smaller than its row length");
  std::size_t span;
  if (!mul_ok(rows - 1, ld, &span) || span + cols > kMaxElems) throw_range(env, std::string(name) + ": shape too large");
  if (v.length < span + cols) throw_range(env, std::string(name) + " is too short for its shape");
}

// Whether the first na elements of a and the first nb elements of b share any byte.
bool overlaps(const FloatView& a, std::size_t na, const FloatView& b, std::size_t nb, std::size_t esize) {
  return bytes_overlap(a.data, na * esize, b.data, nb * esize);
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  GemmCall call;
  unpack_gemm(info, &call);
  AddonData* d = addon_data(info);
  // The kernels allocate packing buffers and check their arguments: their C++ exceptions become JS errors
  // (a std::bad_alloc must never end the process).
  try {
    run_gemm(d->isa, d->pool.get(), call);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(info.Env(), "swishnet native: out of memory in gemm");
  } catch (const std::invalid_argument& e) {
    throw Napi::RangeError::New(info.Env(), std::string("swishnet native: gemm: ") + e.what());
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("swishnet native: gemm failed: ") + e.what());
  }
  return info.Env().Undefined();
}

std::size_t span_of(std::size_t rows, std::size_t cols, std::size_t ld) {
  return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;  // bounded by check_matrix
}

}  // namespace

// gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias|null, act, pa, pb, preact|null)
void unpack_gemm(const Napi::CallbackInfo& info, GemmCall* out) {
  Napi::Env env = info.Env();
  if (info.Length() < 18) throw_type(env, "gemm: 18 arguments expected");
  GemmCall& q = *out;
  GemmArgs& g = q.g;
  g.trans_a = get_bool(info[0], "transA");
  g.trans_b = get_bool(info[1], "transB");
  g.m = get_size(info[2], "m");
  g.n = get_size(info[3], "n");
  g.k = get_size(info[4], "k");
  q.alpha = get_number(info[5], "alpha");
  get_float_view(info[6], "a", false, &q.a);
  g.lda = get_size(info[7], "lda");
  get_float_view(info[8], "b", false, &q.b);
  g.ldb = get_size(info[9], "ldb");
  q.beta = get_number(info[10], "beta");
  get_float_view(info[11], "c", false, &q.c);
  g.ldc = get_size(info[12], "ldc");
  q.has_bias = get_float_view(info[13], "bias", true, &q.bias);
  double actd = get_number(info[14], "act");
  if (!(actd >= -1 && actd < kActCount) || actd != static_cast<int>(actd)) throw_range(env, "act out of range");
  q.act = static_cast<int>(actd);
  q.p = get_act_params(info[15], info[16], q.act, "pa", "pb");
  q.has_pre = get_float_view(info[17], "preact", true, &q.preact);

  const FloatView &a = q.a, &b = q.b, &c = q.c, &bias = q.bias, &preact = q.preact;
  same_dtype(env, a, b, "b", "a");
  same_dtype(env, a, c, "c", "a");
  check_matrix(env, a, g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda, "a");
  check_matrix(env, b, g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb, "b");
  check_matrix(env, c, g.m, g.n, g.ldc, "c");
  std::size_t mn;
  if (!mul_ok(g.m, g.n, &mn)) throw_range(env, "m*n too large");
  if (q.has_bias) {
    same_dtype(env, a, bias, "bias", "a");
    if (bias.length < g.n) throw_range(env, "bias must have n elements");
  }
  if (q.has_pre) {
    same_dtype(env, a, preact, "preact", "a");
    if (preact.length < mn) throw_range(env, "preact must have m*n elements");
  }
  if (!std::isfinite(q.alpha) || !std::isfinite(q.beta)) throw_range(env, "alpha and beta must be finite");
  // Overlap is judged on the elements actually accessed (A and B are not read when k == 0).
  const bool used = g.m > 0 && g.n > 0 && g.k > 0;
  q.span_a = used ? span_of(g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda) : 0;
  q.span_b = used ? span_of(g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb) : 0;
  q.span_c = span_of(g.m, g.n, g.ldc);
  q.span_pre = q.has_pre ? mn : 0;
  const std::size_t es = elem_size(a.dtype);
  // The TypeScript layer refuses an overlap in one buffer object and computes into a temporary when c and a or
  // b are on two SharedArrayBuffer objects (which may hold one memory): this is for raw backend calls.
  if (overlaps(c, q.span_c, a, q.span_a, es)) throw_range(env, "gemm: 'c' must not overlap 'a' (the same memory)");
  if (overlaps(c, q.span_c, b, q.span_b, es)) throw_range(env, "gemm: 'c' must not overlap 'b' (the same memory)");
  if (q.has_pre && (overlaps(preact, q.span_pre, c, q.span_c, es) || overlaps(preact, q.span_pre, a, q.span_a, es) ||
                    overlaps(preact, q.span_pre, b, q.span_b, es)))
    throw_range(env, "preact must not overlap a, b or c");
  // The epilogue reads bias[0..n) for every tile of c (and preact) it writes.
  if (q.has_bias && g.m > 0 && (overlaps(bias, g.n, c, q.span_c, es) || overlaps(bias, g.n, preact, q.span_pre, es)))
    throw_range(env, "bias must not overlap c or preact");
}

void run_gemm(Isa isa, ThreadPool* pool, const GemmCall& q) {
  if (q.g.m == 0 || q.g.n == 0) return;  // nothing to write (m may still be huge: never loop over it)
  const bool use_ep = q.has_bias || q.act >= 0 || q.has_pre;
  if (q.a.dtype == DType::F32) {
    GemmEpilogue<float> ep;
    ep.bias = q.has_bias ? q.bias.as<float>() : nullptr;
    ep.act = q.act;
    ep.params = q.p;
    ep.preact = q.has_pre ? q.preact.as<float>() : nullptr;
    sgemm(isa, pool, q.g, static_cast<float>(q.alpha), q.a.as<float>(), q.b.as<float>(), static_cast<float>(q.beta),
          q.c.as<float>(), use_ep ? &ep : nullptr);
  } else {
    GemmEpilogue<double> ep;
    ep.bias = q.has_bias ? q.bias.as<double>() : nullptr;
    ep.act = q.act;
    ep.params = q.p;
    ep.preact = q.has_pre ? q.preact.as<double>() : nullptr;
    dgemm(isa, pool, q.g, q.alpha, q.a.as<double>(), q.b.as<double>(), q.beta, q.c.as<double>(),
          use_ep ? &ep : nullptr);
  }
}

void init_gemm(Napi::Env env, Napi::Object exports) { exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm")); }

}  // namespace swishnet
