// swishnet — row kernels of the training loop: gathering a mini-batch of rows by index, and column sums (the
// bias gradient of a linear layer).
#pragma once
#include <cstddef>
#include <cstdint>

#include "swishnet/cpu.h"

namespace swishnet {

// dst[r, :] = src[idx[r], :] for r in [0, count); rows of `features` elements. The caller has checked every
// idx[r] against the number of rows of src.
void take_rows_f32(const float* src, std::size_t features, const std::int32_t* idx, std::size_t count, float* dst);
void take_rows_f64(const double* src, std::size_t features, const std::int32_t* idx, std::size_t count, double* dst);

// dst[j] = sum over r (in row order, accumulated in double) of src[r, j], rounded once to T; with `accumulate`,
// dst[j] += that rounded sum instead (one more rounding). Matches the TypeScript backend bit for bit.
void col_sum_f32(Isa isa, const float* src, std::size_t rows, std::size_t cols, float* dst, bool accumulate);
void col_sum_f64(Isa isa, const double* src, std::size_t rows, std::size_t cols, double* dst, bool accumulate);

}  // namespace swishnet
