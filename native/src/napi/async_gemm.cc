// swishnet — gemmAsync: the same call as gemm (same arguments, same checks: unpack_gemm), run on a libuv
// worker thread so that a large product does not block the event loop. Returns a Promise that resolves
// (to undefined) once c holds the result.
//
// Memory safety: JS may detach, transfer or resize the typed arrays' buffers while the product runs (even a
// SharedArrayBuffer may be written by another thread). So the accessed regions of A, B, bias and (when beta
// != 0) C are copied into native buffers on the main thread at call time, the kernel runs on those copies,
// and the m x n result is copied back into c (rows only: the padding between rows is left alone) and preact
// on the main thread when the work completes. The copies
// cost O(mk + kn + mn) against the product's O(mnk). If c or preact was detached or shrunk meanwhile, the
// promise rejects with a TypeError and nothing is written. References keep c and preact alive until then.
#include <napi.h>

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "gemm/thread_pool.h"
#include "napi/gemm_call.h"
#include "napi/util.h"

namespace swishnet {
namespace {

// A heap copy of the first `count` elements of a view (64-byte aligned, like a typed array's store), or, with
// copy_contents false, room for them left unwritten: the kernel writes every element of C it reads back when
// beta == 0 (it never reads C then) and every element of preact, and write_back copies only those. Zeroing them
// here cost the main thread ~20 ms per 64 MB of C.
class Copy {
 public:
  void take(const FloatView& v, std::size_t count, bool copy_contents) {
    const std::size_t es = v.dtype == DType::F32 ? sizeof(float) : sizeof(double);
    bytes_ = count * es;
    if (bytes_ == 0) return;
    mem_.reset(static_cast<unsigned char*>(::operator new(bytes_, std::align_val_t(64))));
    if (copy_contents) std::memcpy(mem_.get(), v.data, bytes_);
  }
  void* data() const { return mem_.get(); }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Free {
    void operator()(unsigned char* p) const { ::operator delete(p, std::align_val_t(64)); }
  };
  std::unique_ptr<unsigned char, Free> mem_;
  std::size_t bytes_ = 0;
};

class GemmWorker : public Napi::AsyncWorker {
 public:
  GemmWorker(Napi::Env env, const Napi::CallbackInfo& info, const GemmCall& call, Isa isa, ThreadPool* pool)
      : Napi::AsyncWorker(env, "swishnet.gemmAsync"),
        deferred_(Napi::Promise::Deferred::New(env)),
        call_(call),
        isa_(isa),
        pool_(pool),
        c_len_(call.c.length),
        pre_len_(call.has_pre ? call.preact.length : 0) {
    // Snapshot the inputs (bad_alloc surfaces as a RangeError from the caller).
    a_.take(call.a, call.span_a, true);
    b_.take(call.b, call.span_b, true);
    c_.take(call.c, call.span_c, call.beta != 0.0);
    if (call.has_bias) bias_.take(call.bias, call.g.n, true);
    if (call.has_pre) pre_.take(call.preact, call.span_pre, false);
    call_.a.data = a_.data();
    call_.b.data = b_.data();
    call_.c.data = c_.data();
    if (call.has_bias) call_.bias.data = bias_.data();
    if (call.has_pre) call_.preact.data = pre_.data();
    c_ref_ = Napi::Persistent(info[11].As<Napi::Object>());
    if (call.has_pre) pre_ref_ = Napi::Persistent(info[17].As<Napi::Object>());
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      if (call_.g.m > 0 && call_.g.n > 0) run_gemm(isa_, pool_, call_);
    } catch (const std::bad_alloc&) {
      SetError("swishnet native: gemmAsync: out of memory");
    } catch (const std::exception& e) {
      SetError(std::string("swishnet native: gemmAsync: ") + e.what());
    }
  }

  // OnOK/OnError run on the main thread; while a worker_thread is being terminated, every N-API call that
  // could run JS fails. Nothing may then escape as a C++ exception (it would abort the process): the
  // promise is simply never settled, as no JS will ever observe it.
  void OnOK() override {
    Napi::Env env = Env();
    try {
      Napi::HandleScope scope(env);
      Napi::Value outcome;
      bool ok = true;
      try {
        // c: only the m rows of n elements (the padding between rows belongs to the caller); preact is dense.
        write_back(c_ref_.Value(), c_, c_len_, "c", call_.g.m, call_.g.n, call_.g.ldc);
        if (call_.has_pre) write_back(pre_ref_.Value(), pre_, pre_len_, "preact", call_.g.m, call_.g.n, call_.g.n);
      } catch (const Napi::Error& e) {
        ok = false;
        outcome = e.Value();
      }
      if (ok) deferred_.Resolve(env.Undefined());
      else deferred_.Reject(outcome);
    } catch (...) {
      swallow(env);
    }
  }

  void OnError(const Napi::Error& e) override {
    Napi::Env env = Env();
    try {
      Napi::HandleScope scope(env);
      deferred_.Reject(Napi::RangeError::New(env, e.Message()).Value());
    } catch (...) {
      swallow(env);
    }
  }

 private:
  // Clears an exception left pending by a failed call (if the environment still allows it).
  static void swallow(Napi::Env env) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }

  // Copies rows x cols elements (row stride ld) of the result into the typed array, if it still has the
  // storage it had at call time; throws a TypeError otherwise.
  void write_back(Napi::Object obj, const Copy& from, std::size_t len_at_call, const char* name, std::size_t rows,
                  std::size_t cols, std::size_t ld) {
    FloatView v;
    bool ok = true;
    try {
      get_float_view(obj, name, false, &v);
    } catch (const Napi::Error&) {
      ok = false;
    }
    const std::size_t es = v.dtype == DType::F32 ? sizeof(float) : sizeof(double);
    if (!ok || v.length != len_at_call || (from.bytes() > 0 && (v.data == nullptr || v.length * es < from.bytes())))
      throw_type(Env(), std::string("gemmAsync: '") + name + "' was detached or resized before the result arrived");
    if (from.bytes() == 0) return;
    auto* dst = static_cast<unsigned char*>(v.data);
    const auto* src = static_cast<const unsigned char*>(from.data());
    for (std::size_t i = 0; i < rows; i++) std::memcpy(dst + i * ld * es, src + i * ld * es, cols * es);
  }

  Napi::Promise::Deferred deferred_;
  GemmCall call_;
  Isa isa_;
  ThreadPool* pool_;  // owned by the addon instance; Node drains pending work before tearing it down
  std::size_t c_len_, pre_len_;
  Copy a_, b_, c_, bias_, pre_;
  Napi::ObjectReference c_ref_, pre_ref_;
};

Napi::Value GemmAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GemmCall call;
  unpack_gemm(info, &call);
  AddonData* d = addon_data(info);
  GemmWorker* w;
  try {
    w = new GemmWorker(env, info, call, d->isa, d->pool.get());
  } catch (const std::bad_alloc&) {
    throw_range(env, "gemmAsync: not enough memory for the operand copies");
  }
  Napi::Promise p = w->Promise();
  w->Queue();  // the worker deletes itself after OnOK/OnError
  return p;
}

}  // namespace

void init_gemm_async(Napi::Env env, Napi::Object exports) {
  exports.Set("gemmAsync", Napi::Function::New(env, GemmAsync, "gemmAsync"));
}

}  // namespace swishnet
