// swishnet — row gather and column sums (see swishnet/rows.h). The column sum keeps one double accumulator per
// column and walks the rows in order, so the additions happen in exactly the order of the TypeScript loop; the
// compiler vectorizes across columns (the AVX2 variant is the same loop compiled for AVX2, enabled per function).
#include "common/plain_loop.h"

#include "swishnet/rows.h"

#include <cstring>

namespace swishnet {
namespace {

template <typename T>
inline void take_rows_impl(const T* src, std::size_t features, const std::int32_t* idx, std::size_t count, T* dst) {
  const std::size_t bytes = features * sizeof(T);
  for (std::size_t r = 0; r < count; r++) {
    std::memcpy(dst + r * features, src + static_cast<std::size_t>(idx[r]) * features, bytes);
  }
}

constexpr std::size_t kColBlock = 256;  // accumulators on the stack: 2 KiB

template <typename T>
SWISHNET_LOOP_BODY void col_sum_impl(const T* __restrict src, std::size_t rows, std::size_t cols, T* __restrict dst,
                                     bool accumulate) {
  double acc[kColBlock];
  for (std::size_t j0 = 0; j0 < cols; j0 += kColBlock) {
    const std::size_t w = cols - j0 < kColBlock ? cols - j0 : kColBlock;
    for (std::size_t j = 0; j < w; j++) acc[j] = 0.0;
    for (std::size_t r = 0; r < rows; r++) {
      const T* row = src + r * cols + j0;
      for (std::size_t j = 0; j < w; j++) acc[j] += static_cast<double>(row[j]);
    }
    T* out = dst + j0;
    if (accumulate) {
      for (std::size_t j = 0; j < w; j++) out[j] = static_cast<T>(static_cast<double>(out[j]) + static_cast<double>(static_cast<T>(acc[j])));
    } else {
      for (std::size_t j = 0; j < w; j++) out[j] = static_cast<T>(acc[j]);
    }
  }
}

template <typename T>
SWISHNET_AVX2_LOOP void col_sum_avx2(const T* src, std::size_t rows, std::size_t cols, T* dst, bool accumulate) {
  col_sum_impl(src, rows, cols, dst, accumulate);
}

template <typename T>
void col_sum(Isa isa, const T* src, std::size_t rows, std::size_t cols, T* dst, bool accumulate) {
  if (SWISHNET_HAVE_AVX2_LOOP && isa == Isa::Avx2) return col_sum_avx2(src, rows, cols, dst, accumulate);
  col_sum_impl(src, rows, cols, dst, accumulate);
}

}  // namespace

void take_rows_f32(const float* src, std::size_t features, const std::int32_t* idx, std::size_t count, float* dst) {
  take_rows_impl(src, features, idx, count, dst);
}
void take_rows_f64(const double* src, std::size_t features, const std::int32_t* idx, std::size_t count, double* dst) {
  take_rows_impl(src, features, idx, count, dst);
}

void col_sum_f32(Isa isa, const float* src, std::size_t rows, std::size_t cols, float* dst, bool accumulate) {
  col_sum(isa, src, rows, cols, dst, accumulate);
}
void col_sum_f64(Isa isa, const double* src, std::size_t rows, std::size_t cols, double* dst, bool accumulate) {
  col_sum(isa, src, rows, cols, dst, accumulate);
}

}  // namespace swishnet
