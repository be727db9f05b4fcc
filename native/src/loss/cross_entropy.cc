// swishnet — cross-entropy forward (see swishnet/loss.h). libm's exp and log (correctly rounded in practice) in
// double; the row loop follows lib/backend/js/loss.ts step by step, so the two backends agree to an ulp or so of
// exp (V8's and libm's exp may differ in the last bit).
#include "swishnet/loss.h"

#include <cmath>
#include <limits>

namespace swishnet {
namespace {

template <typename T>
void ce_fwd(const T* x, std::size_t n, std::size_t c, const std::int32_t* t, std::int32_t ignore, double* e,
            double* sums, double* per) {
  for (std::size_t i = 0; i < n; i++) {
    const T* row = x + i * c;
    double m = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < c; k++) {
      const double v = static_cast<double>(row[k]);
      if (v > m || v != v) m = v;
    }
    // all -inf: m = 0 (no -inf - -inf); a +inf max stays, so every term and the loss are NaN (PyTorch's x - max)
    if (m == -std::numeric_limits<double>::infinity()) m = 0.0;
    double s = 0.0;
    double* er = e + i * c;
    for (std::size_t k = 0; k < c; k++) {
      const double ek = std::exp(static_cast<double>(row[k]) - m);
      er[k] = ek;
      s += ek;
    }
    sums[i] = s;
    const std::int32_t ti = t[i];
    per[i] = ti == ignore ? 0.0 : std::log(s) - (static_cast<double>(row[ti]) - m);
  }
}

}  // namespace

void cross_entropy_fwd_f32(const float* x, std::size_t n, std::size_t c, const std::int32_t* t, std::int32_t ignore,
                           double* e, double* sums, double* per) {
  ce_fwd(x, n, c, t, ignore, e, sums, per);
}
void cross_entropy_fwd_f64(const double* x, std::size_t n, std::size_t c, const std::int32_t* t, std::int32_t ignore,
                           double* e, double* sums, double* per) {
  ce_fwd(x, n, c, t, ignore, e, sums, per);
}

}  // namespace swishnet
