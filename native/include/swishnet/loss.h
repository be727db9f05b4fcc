// swishnet — the forward pass of cross-entropy from logits (log-softmax + negative log-likelihood), per sample.
#pragma once
#include <cstddef>
#include <cstdint>

namespace swishnet {

// For each of n rows of c logits x (row-major): M = the row's max (NaN if any logit is NaN; 0 if infinite),
// e[i*c + k] = exp(x_k - M), sums[i] = sum_k e, per[i] = log(sums[i]) - (x_t - M) for target t, or 0 where t is
// `ignore`. Double arithmetic, in the order of the TypeScript reference. Targets must be in [0, c) or `ignore`.
void cross_entropy_fwd_f32(const float* x, std::size_t n, std::size_t c, const std::int32_t* t, std::int32_t ignore,
                           double* e, double* sums, double* per);
void cross_entropy_fwd_f64(const double* x, std::size_t n, std::size_t c, const std::int32_t* t, std::int32_t ignore,
                           double* e, double* sums, double* per);

}  // namespace swishnet
