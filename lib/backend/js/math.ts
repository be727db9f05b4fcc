/**
 * Float64 building blocks for the TypeScript reference kernels (./activations.ts).
 *
 * JavaScript has exp, expm1, log1p and tanh (V8 ports of fdlibm, under 1 ulp) but no erf, and no fused
 * multiply-add. This file adds:
 *   - error-free products (Dekker), used where an op feeds a product such as beta*x or x/sqrt(2) into exp():
 *     exp(z) has relative condition number |z|, so the rounding error of z (eps/2 relative) would cost
 *     |z| * eps/2 of relative accuracy (1e-13 for gelu at x = -38). Carrying z as hi + lo removes that.
 *   - exp(-x^2) without the rounding error of x^2;
 *   - erf / erfc good to a few ulp over the whole line, and the normal cdf Phi for gelu.
 *
 * erf / erfc method (coefficients are derived here at load time, nothing is tabulated):
 *   |x| < 0.5         erf by its Maclaurin series  erf x = 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)).
 *                     At |x| < 0.5 the terms fall by more than 12x each, so the alternating sum is benign;
 *                     16 terms reach 1e-19 relative. erfc = 1 - erf there (erfc >= 0.47: no cancellation).
 *   0.5 <= x < 4      erfc by a Taylor polynomial about the nearest of 14 centers c = 0.625, 0.875, ..., 3.875
 *                     (|h| = |x - c| <= 1/8). The derivatives of erfc are Hermite polynomials times a
 *                     Gaussian: d^n/dx^n erfc(x) = (-1)^n 2/sqrt(pi) H_{n-1}(x) e^(-x^2), n >= 1, with
 *                     H_0 = 1, H_1 = 2x, H_{n+1} = 2x H_n - 2n H_{n-1}. The value erfc(c) itself comes from
 *                     the continued fraction below run to 4000 levels (converged far below an ulp even at
 *                     c = 0.625). The terms fall roughly like (2ch)^n / n!, so 26 terms reach ~1e-19.
 *   x >= 4            erfc by Laplace's continued fraction
 *                       erfc x = e^(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
 *                     evaluated bottom-up (stable) with 24 levels for x < 6, 16 below 10 and 10 beyond
 *                     (each count leaves the truncation error under 1e-17 relative; measured).
 *   x < -0.5          erfc x = 2 - erfc(-x) (>= 1.5, no cancellation); erf of |x| >= 0.5 is 1 - erfc(|x|).
 * erfc underflows to 0 for x > 27.3; NaN propagates; erf(+-Inf) = +-1, erfc(-Inf) = 2, erfc(Inf) = 0.
 */
// Globals are bound once per module: under jest's vm sandbox every global lookup (Math.*, Infinity,
// NaN) costs ~1 us, which made the test suite ~40x slower; in plain Node it makes no difference.
const { abs, exp, floor, log1p } = Math;
const NAN = 0 / 0;

/** 2^27 + 1, Veltkamp's splitting constant: a double times it, minus ..., splits into two 26-bit halves. */
const SPLIT = 134217729;
export const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/sqrt(pi)
const ONE_OVER_SQRT_PI = 0.5641895835477563; // 1/sqrt(pi)
export const ONE_OVER_SQRT_2PI = 0.3989422804014327; // 1/sqrt(2 pi)
const SQRT1_2 = 0.7071067811865476; // 1/sqrt(2), rounded
const SQRT1_2_LO = -4.833646656726457e-17; // 1/sqrt(2) - SQRT1_2

/**
 * The rounding error of p = fl(a * b): a * b = p + mulError(a, b, p) exactly (Dekker's product, no FMA needed).
 * Returns 0 when |a| or |b| is too large to split (>= 1e290) or the product is huge or has overflowed
 * (|p| >= 1e300, as the native kernels), where the callers' results saturate anyway: ah * bh - Infinity was NaN.
 */
export function mulError(a: number, b: number, p: number): number {
  if (!(abs(a) < 1e290 && abs(b) < 1e290 && abs(p) < 1e300)) return 0;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * e^(-k x^2) for k = 1 or 1/2 (any power of two), accurate to ~2 ulp. x = s + r with s the top 26 bits of x,
 * so s*s is exact and x^2 = s^2 + r (x + s); the second factor is close to 1.
 */
export function expNegSquare(x: number, k: number): number {
  const ax = abs(x);
  if (!(ax < 1e150)) return ax === ax ? 0 : NAN; // huge: underflow (also avoids overflow in the split)
  const t = SPLIT * ax;
  const s = t - (t - ax);
  const r = ax - s;
  return exp(-k * (s * s)) * exp(-k * r * (ax + s));
}

// ---- erf / erfc -------------------------------------------------------------------------------------------

/** Maclaurin coefficients of erf(x)/x in powers of x^2: 2/sqrt(pi) (-1)^n / (n! (2n+1)). */
const ERF_SERIES: Float64Array = (() => {
  const c = new Float64Array(16);
  let fact = 1;
  for (let n = 0; n < c.length; n++) {
    if (n > 0) fact *= n;
    c[n] = ((n % 2 === 0 ? 1 : -1) * TWO_OVER_SQRT_PI) / (fact * (2 * n + 1));
  }
  return c;
})();

/** Continued fraction part K(x) = 1/(x + (1/2)/(x + 1/(x + ...))) with `levels` levels, bottom-up. */
function erfcFraction(x: number, levels: number): number {
  let f = x;
  for (let k = levels; k >= 1; k--) f = x + (0.5 * k) / f;
  return 1 / f;
}

const TAYLOR_FIRST = 0.625;
const TAYLOR_STEP = 0.25;
const TAYLOR_CENTERS = 14; // 0.625 .. 3.875, covering [0.5, 4)
const TAYLOR_TERMS = 26;

/** TAYLOR_CENTERS rows of TAYLOR_TERMS Taylor coefficients of erfc about each center. */
const ERFC_TAYLOR: Float64Array = (() => {
  const table = new Float64Array(TAYLOR_CENTERS * TAYLOR_TERMS);
  for (let j = 0; j < TAYLOR_CENTERS; j++) {
    const c = TAYLOR_FIRST + TAYLOR_STEP * j;
    const g = TWO_OVER_SQRT_PI * exp(-c * c); // c*c is exact (c has 5 significant bits)
    const row = j * TAYLOR_TERMS;
    table[row] = ONE_OVER_SQRT_PI * exp(-c * c) * erfcFraction(c, 4000);
    // a_n = (-1)^n g H_{n-1}(c) / n!
    let hPrev = 0; // H_{n-2}
    let h = 1; // H_{n-1}
    let fact = 1;
    for (let n = 1; n < TAYLOR_TERMS; n++) {
      fact *= n;
      table[row + n] = ((n % 2 === 0 ? 1 : -1) * g * h) / fact;
      const next = 2 * c * h - 2 * (n - 1) * hPrev; // H_n
      hPrev = h;
      h = next;
    }
  }
  return table;
})();

/** erf(x) for |x| < 0.5. */
function erfSmall(x: number): number {
  const z = x * x;
  let s = ERF_SERIES[ERF_SERIES.length - 1];
  for (let n = ERF_SERIES.length - 2; n >= 0; n--) s = s * z + ERF_SERIES[n];
  return x * s;
}

/** erfc(x) for x >= 0.5 (x may be +Infinity; not NaN). */
function erfcPositive(x: number): number {
  if (x < 4) {
    const j = floor((x - 0.5) / TAYLOR_STEP);
    const h = x - (TAYLOR_FIRST + TAYLOR_STEP * j); // exact (Sterbenz)
    const row = j * TAYLOR_TERMS;
    let s = ERFC_TAYLOR[row + TAYLOR_TERMS - 1];
    for (let n = TAYLOR_TERMS - 2; n >= 0; n--) s = s * h + ERFC_TAYLOR[row + n];
    return s;
  }
  if (x > 27.3) return 0; // erfc(27.3) < 2^-1074
  const levels = x < 6 ? 24 : x < 10 ? 16 : 10;
  return ONE_OVER_SQRT_PI * expNegSquare(x, 1) * erfcFraction(x, levels);
}

/** The error function, to a few ulp. */
export function erf(x: number): number {
  if (abs(x) < 0.5) return erfSmall(x);
  if (x !== x) return NAN;
  return x > 0 ? 1 - erfcPositive(x) : erfcPositive(-x) - 1;
}

/** The complementary error function 1 - erf(x), to a few ulp relative (also deep in the right tail). */
export function erfc(x: number): number {
  if (abs(x) < 0.5) return 1 - erfSmall(x);
  if (x !== x) return NAN;
  return x > 0 ? erfcPositive(x) : 2 - erfcPositive(-x);
}

/**
 * Phi(x), the standard normal cdf = erfc(-x/sqrt2)/2. The argument -x/sqrt2 is carried as hi + lo and the
 * low part applied through erfc's derivative (erfc(t + d) = erfc(t) - d 2/sqrt(pi) e^(-t^2)), so the left
 * tail keeps full relative accuracy (a plain double argument would lose t^2 eps: 8e-14 at x = -38).
 */
export function normCdf(x: number): number {
  if (x !== x) return NAN;
  if (x > 40) return 1; // 1 - Phi(40) < 2^-1074
  if (x < -40) return 0;
  const t = -x * SQRT1_2;
  const dt = mulError(-x, SQRT1_2, t) + -x * SQRT1_2_LO;
  return 0.5 * (erfc(t) - dt * TWO_OVER_SQRT_PI * expNegSquare(t, 1));
}

/** phi(x) = e^(-x^2/2) / sqrt(2 pi), the standard normal density. */
export function normPdf(x: number): number {
  return ONE_OVER_SQRT_2PI * expNegSquare(x, 0.5);
}

// ---- logistic family --------------------------------------------------------------------------------------

/** sigmoid(z) = 1/(1 + e^-z), computed without overflow and without cancellation on either side. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + exp(-z));
  const e = exp(z); // NaN falls through here and propagates
  return e / (1 + e);
}

/**
 * sigmoid(z + dz) for a small correction dz (|dz| <= ~1e-15 |z|): sigmoid' = s (1 - s), so
 * s(z + dz) = s(z) (1 + dz sigmoid(-z)). Used where z = beta * x carries its rounding error dz.
 */
export function sigmoidHiLo(z: number, dz: number): number {
  const s = sigmoid(z);
  return dz === 0 ? s : s + s * (dz * sigmoid(-z));
}

/** softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow, no cancellation. */
export function softplus(z: number): number {
  return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); // NaN propagates (second branch)
}

/** softplus(z + dz) for a small correction dz: softplus' = sigmoid. */
export function softplusHiLo(z: number, dz: number): number {
  const v = softplus(z);
  return dz === 0 ? v : v + dz * sigmoid(z);
}

/** sech^2(x) = 1 - tanh^2(x) = 4 e^-2|x| / (1 + e^-2|x|)^2, accurate also where tanh(x) rounds to +-1. */
export function sech2(x: number): number {
  const e = exp(-2 * abs(x));
  const d = 1 + e;
  return (4 * e) / (d * d);
}
