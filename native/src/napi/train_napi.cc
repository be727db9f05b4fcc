// swishnet — N-API glue for the training-loop kernels (takeRows, colSum, crossEntropyForward): unpack, check,
// call. Large row gathers are split over the GEMM thread pool.
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "napi/util.h"
#include "gemm/thread_pool.h"
#include "swishnet/loss.h"
#include "swishnet/rows.h"

namespace swishnet {
namespace {

// takeRows(src, features, idx: Int32Array, from, to, dst): dst rows 0..to-from-1 = src rows idx[from..to-1].
Napi::Value TakeRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6) throw_type(env, "takeRows: 6 arguments expected");
  FloatView src, dst;
  get_float_view(info[0], "src", false, &src);
  const std::size_t features = get_size(info[1], "features");
  Napi::Int32Array idx = get_int32_array(info[2], "idx");
  const std::size_t from = get_size(info[3], "from");
  const std::size_t to = get_size(info[4], "to");
  get_float_view(info[5], "dst", false, &dst);
  same_dtype(env, src, dst, "dst", "src");
  if (features == 0) throw_range(env, "features must be positive");
  if (src.length % features != 0) throw_range(env, "src length must be a multiple of features");
  if (from > to || to > idx.ElementLength()) throw_range(env, "need 0 <= from <= to <= idx.length");
  const std::size_t count = to - from;
  if (count > dst.length / features) throw_range(env, "dst is too short for (to - from) rows");
  const std::size_t src_rows = src.length / features;
  const std::size_t es = elem_size(src.dtype);
  // Any row of src may be read while the gathered rows are written.
  check_disjoint(env, dst.data, count * features * es, "dst", src.data, src.length * es, "src");
  // Checked and used from one copy (copy_int32): read twice from idx, a value could change between the check and
  // the gather and send it outside src.
  const std::vector<std::int32_t> ix_copy = copy_int32(env, idx, from, count, "idx");
  const std::int32_t* ix = ix_copy.data();
  for (std::size_t r = 0; r < count; r++) {
    if (ix[r] < 0 || static_cast<std::size_t>(ix[r]) >= src_rows)
      throw_range(env, "idx[" + std::to_string(from + r) + "] = " + std::to_string(ix[r]) + " is not a row of src (" +
                           std::to_string(src_rows) + " rows)");
  }
  auto gather = [&](std::size_t b, std::size_t e) {
    if (src.dtype == DType::F32)
      take_rows_f32(src.as<float>(), features, ix + b, e - b, dst.as<float>() + b * features);
    else
      take_rows_f64(src.as<double>(), features, ix + b, e - b, dst.as<double>() + b * features);
  };
  // Rows scattered over a large array are memory-latency bound: two threads fetch nearly twice as fast.
  const std::size_t bytes = count * features * (src.dtype == DType::F32 ? 4 : 8);
  parallel_for_if(addon_data(info)->pool.get(), count, bytes >= (std::size_t(1) << 17), gather);
  return env.Undefined();
}

// colSum(src, rows, cols, dst, accumulate): dst[j] (+)= sum_r src[r * cols + j].
Napi::Value ColSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5) throw_type(env, "colSum: 5 arguments expected");
  FloatView src, dst;
  get_float_view(info[0], "src", false, &src);
  const std::size_t rows = get_size(info[1], "rows");
  const std::size_t cols = get_size(info[2], "cols");
  get_float_view(info[3], "dst", false, &dst);
  const bool accumulate = get_bool(info[4], "accumulate");
  same_dtype(env, src, dst, "dst", "src");
  if (cols != 0 && rows > src.length / cols) throw_range(env, "src is shorter than rows * cols");
  if (dst.length != cols) throw_range(env, "dst length must be cols");
  // col_sum_impl declares src and dst __restrict (and dst would be summed after being written, block by block).
  const std::size_t es = elem_size(src.dtype);
  check_disjoint(env, dst.data, cols * es, "dst", src.data, rows * cols * es, "src");
  Isa isa = addon_data(info)->isa;
  if (src.dtype == DType::F32)
    col_sum_f32(isa, src.as<float>(), rows, cols, dst.as<float>(), accumulate);
  else
    col_sum_f64(isa, src.as<double>(), rows, cols, dst.as<double>(), accumulate);
  return env.Undefined();
}

// crossEntropyForward(x, n, c, targets: Int32Array, ignore, e: Float64Array, sums: Float64Array, per: Float64Array)
Napi::Value CrossEntropyForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8) throw_type(env, "crossEntropyForward: 8 arguments expected");
  FloatView x;
  get_float_view(info[0], "x", false, &x);
  const std::size_t n = get_size(info[1], "n");
  const std::size_t c = get_size(info[2], "c");
  Napi::Int32Array t = get_int32_array(info[3], "targets");
  const double ign = get_number(info[4], "ignore");
  if (!(ign >= -2147483648.0 && ign <= 2147483647.0) || ign != std::floor(ign)) throw_range(env, "ignore must be an int32");
  const std::int32_t ignore = static_cast<std::int32_t>(ign);
  if (c == 0 || n > x.length / c || x.length != n * c) throw_range(env, "x must hold n * c logits (c >= 1)");
  if (t.ElementLength() != n) throw_range(env, "targets must hold n labels");
  double* out[3];
  const char* names[3] = {"e", "sums", "per"};
  const std::size_t lens[3] = {n * c, n, n};  // no overflow: n * c == x.length
  for (int j = 0; j < 3; j++) {
    FloatView v;
    get_float_view(info[5 + j], names[j], false, &v);
    if (v.dtype != DType::F64) throw_type(env, std::string(names[j]) + " must be a Float64Array");
    if (v.length != lens[j]) throw_range(env, std::string(names[j]) + " has the wrong length");
    out[j] = v.as<double>();
  }
  // The outputs are written row by row while x is still being read.
  const void* x_data = x.data;
  const std::size_t x_bytes = n * c * elem_size(x.dtype);
  for (int j = 0; j < 3; j++) {
    check_disjoint(env, out[j], lens[j] * sizeof(double), names[j], x_data, x_bytes, "x");
    for (int k = 0; k < j; k++)
      check_disjoint(env, out[j], lens[j] * sizeof(double), names[j], out[k], lens[k] * sizeof(double), names[k]);
  }
  // Checked and used from one copy (copy_int32): the kernel reads targets[i] after writing e's rows.
  const std::vector<std::int32_t> t_copy = copy_int32(env, t, 0, n, "targets");
  const std::int32_t* td = t_copy.data();
  for (std::size_t i = 0; i < n; i++) {
    if (td[i] != ignore && (td[i] < 0 || static_cast<std::size_t>(td[i]) >= c))
      throw_range(env, "targets[" + std::to_string(i) + "] = " + std::to_string(td[i]) + " is not a class in [0, c)");
  }
  if (x.dtype == DType::F32)
    cross_entropy_fwd_f32(x.as<float>(), n, c, td, ignore, out[0], out[1], out[2]);
  else
    cross_entropy_fwd_f64(x.as<double>(), n, c, td, ignore, out[0], out[1], out[2]);
  return env.Undefined();
}

}  // namespace

void init_train(Napi::Env env, Napi::Object exports) {
  exports.Set("crossEntropyForward", Napi::Function::New(env, CrossEntropyForward, "crossEntropyForward"));
  exports.Set("takeRows", Napi::Function::New(env, TakeRows, "takeRows"));
  exports.Set("colSum", Napi::Function::New(env, ColSum, "colSum"));
}

}  // namespace swishnet
