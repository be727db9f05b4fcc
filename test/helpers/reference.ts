/**
 * Float64 reference values of every activation and its derivative, written for the tests independently of
 * lib/backend/js (different formulas where the math allows, and a different method for the normal cdf):
 *
 *  - Phi(x) (gelu) by the Maclaurin series of the normal cdf summed in double-double for |x| <= 5
 *    (terms reach ~1e6 at x = -6 while Phi is 1e-9: double-double keeps >16 digits), and for x < -5 by
 *    Phi(-y) = phi(y)/y * integral_0^inf e^-v exp(-v^2 / (2y^2)) dv (substituting t = y + v/y), the integral
 *    by 16-point Gauss-Laguerre quadrature whose nodes and weights are computed here (bisection on the
 *    Laguerre recurrence). The backend uses erfc Taylor pieces and a continued fraction instead.
 *  - Every exponent that is a product (beta x, x^2, the gelu_tanh cubic) is formed in double-double and
 *    the low part applied to first order, so references keep ~1e-16 relative accuracy deep in the tails.
 *  - +-Infinity is answered from an explicit table of limits, NaN by NaN, never by the formulas.
 *
 * Checked against mpmath (50 digits) while writing: every op within 4e-16 relative (forward) over
 * [-40, 40] and log-spaced |x| in [1e-30, 1e4], apart from results below 1e-300.
 */
import * as DDm from './dd';
import { type DD } from './dd';
// Globals are bound once per module: under jest's vm sandbox every global lookup (Math.*, Infinity,
// NaN) costs ~1 us, which made the test suite ~40x slower; in plain Node it makes no difference.
const { abs, cosh, exp, expm1, log1p, max, min, pow, sign, sqrt } = Math;
const INF = 1 / 0;
const NAN = 0 / 0;
const isFinite = (v: number): boolean => v - v === 0; // false for +-Inf and NaN

export const SELU_ALPHA = 1.6732632423543772848170429916717;
export const SELU_SCALE = 1.0507009873554804934193349852946;
/**
 * gelu_tanh's constants sqrt(2/pi) and 0.044715 (both exact in the op's definition) in double-double: built from
 * the rounded doubles, the cubic z is off by ~|z| 2^-53, a relative error of the left tail's e^z (1e-14 at -21).
 */
const GELU_K: DD = DDm.dd(0.7978845608028654, -4.98465440455546e-17);
const GELU_C: DD = DDm.dd(0.044715, 2.1960211427085595e-18);
const INV_SQRT_2PI: DD = DDm.dd(0.3989422804014327, -2.49232720227773e-17);

// ---- building blocks --------------------------------------------------------------------------------------

/** exp(z.hi + z.lo) with the low part to first order. */
function expDD(z: DD): number {
  const e = exp(z.hi);
  return e + e * z.lo;
}

/** The logistic function of a double-double argument. */
function logistic(z: DD): number {
  if (z.hi >= 0) return 1 / (1 + expDD(DDm.neg(z)));
  const e = expDD(z);
  return e / (1 + e);
}

/** phi(x) = e^(-x^2/2)/sqrt(2 pi) with x^2 exact in double-double. */
export function normPdf(x: number): number {
  if (!isFinite(x)) return x === x ? 0 : NAN;
  if (abs(x) > 1e150) return 0;
  const q = DDm.twoProd(x, x);
  return (INV_SQRT_2PI.hi + INV_SQRT_2PI.lo) * expDD(DDm.dd(-q.hi / 2, -q.lo / 2));
}

/** Phi(x) for |x| <= 5: 1/2 + phi-series x/sqrt(2pi) sum_n (-x^2/2)^n / (n! (2n + 1)), in double-double. */
function normCdfSeries(x: number): number {
  const h = DDm.twoProd(x, x);
  const r = DDm.dd(-h.hi / 2, -h.lo / 2); // -x^2/2, exact halving
  let term: DD = DDm.dd(1); // r^n / n!
  let sum: DD = DDm.dd(1);
  for (let n = 1; n < 400; n++) {
    term = DDm.divD(DDm.mul(term, r), n);
    const t = DDm.divD(term, 2 * n + 1);
    sum = DDm.add(sum, t);
    if (abs(t.hi) <= 1e-34 * abs(sum.hi)) break;
  }
  const v = DDm.mul(DDm.mulD(sum, x), INV_SQRT_2PI);
  return DDm.toNumber(DDm.addD(v, 0.5));
}

/**
 * Gauss-Laguerre nodes and weights (weight e^-v on [0, inf)). Roots of L_n by scanning and bisection; weights
 * 1/(v L_n'(v)^2) with L_n' from the differentiated recurrence (the textbook v/((n+1) L_{n+1}(v))^2 form is
 * ill-conditioned: L_{n+1} is small at the first roots of L_n). 16 points are the sweet spot here: the
 * integrand exp(-v^2/(2y^2)), y >= 5, is smooth enough for 1e-16, and larger n only adds weight rounding.
 */
function gaussLaguerre(n: number): { nodes: Float64Array; weights: Float64Array } {
  /** [L_n(v), L_n'(v)]: (k+1) L_{k+1} = (2k + 1 - v) L_k - k L_{k-1}, and its derivative. */
  const laguerre = (v: number): [number, number] => {
    let p0 = 1;
    let p1 = 1 - v;
    let d0 = 0;
    let d1 = -1;
    for (let k = 1; k < n; k++) {
      const p2 = ((2 * k + 1 - v) * p1 - k * p0) / (k + 1);
      const d2 = ((2 * k + 1 - v) * d1 - p1 - k * d0) / (k + 1);
      p0 = p1;
      p1 = p2;
      d0 = d1;
      d1 = d2;
    }
    return [p1, d1];
  };
  // All n roots lie in (0, 4n + 2 + 4 sqrt n); scan in sqrt(v), where they are nearly evenly spaced.
  const roots: number[] = [];
  const steps = 200 * n;
  const top = sqrt(4 * n + 2 + 4 * sqrt(n));
  let prevV = 0;
  let prevL = laguerre(0)[0];
  for (let i = 1; i <= steps; i++) {
    const s = (top * i) / steps;
    const v = s * s;
    const l = laguerre(v)[0];
    if (sign(l) !== sign(prevL)) {
      let lo = prevV;
      let hi = v;
      for (;;) {
        const mid = 0.5 * (lo + hi);
        if (mid === lo || mid === hi) break;
        if (sign(laguerre(mid)[0]) === sign(prevL)) lo = mid;
        else hi = mid;
      }
      roots.push(0.5 * (lo + hi));
    }
    prevV = v;
    prevL = l;
  }
  if (roots.length !== n) throw new Error(`gauss-laguerre: found ${roots.length} roots of L_${n}, expected ${n}`);
  const nodes = Float64Array.from(roots);
  const weights = nodes.map((v) => {
    const d = laguerre(v)[1];
    return 1 / (v * d * d);
  });
  return { nodes, weights };
}

const GL = gaussLaguerre(16);

/** Phi(-y) for y >= 5: phi(y)/y * sum_i w_i exp(-v_i^2 / (2 y^2)). */
function normCdfTail(y: number): number {
  if (y > 40) return 0;
  const c = 1 / (2 * y * y);
  let s = 0;
  for (let i = GL.nodes.length - 1; i >= 0; i--) {
    const v = GL.nodes[i];
    s += GL.weights[i] * exp(-v * v * c);
  }
  return (normPdf(y) / y) * s;
}

/** The standard normal cdf. */
export function normCdf(x: number): number {
  if (x !== x) return NAN;
  if (x === INF) return 1;
  if (x === -INF) return 0;
  if (abs(x) <= 5) return normCdfSeries(x);
  return x < 0 ? normCdfTail(-x) : 1 - normCdfTail(x);
}

/** tanh by expm1 (not Math.tanh): sign(x) t / (t + 2), t = expm1(2|x|). */
function tanhRef(x: number): number {
  const ax = abs(x);
  if (ax > 20) return x > 0 ? 1 : -1; // 1 - tanh(20) = 8.5e-18 < eps/2
  const t = expm1(2 * ax);
  const r = t / (t + 2);
  return x < 0 || (x === 0 && 1 / x < 0) ? -r : r;
}

/** The gelu_tanh sigmoid argument z = 2K x (1 + C x^2) in double-double. */
function geluTanhZ(x: number): DD {
  const w = DDm.addD(DDm.mul(DDm.twoProd(x, x), GELU_C), 1);
  return DDm.mul(DDm.mulD(GELU_K, 2 * x), w);
}

// ---- the ops ------------------------------------------------------------------------------------------------

export interface RefOp {
  forward(x: number, a: number, b: number): number;
  derivative(x: number, a: number, b: number): number;
  /** [f(-Inf), f'(-Inf), f(+Inf), f'(+Inf)] for parameters a, b. */
  limits(a: number, b: number): [number, number, number, number];
}

const hardPiece = (x: number, lo: number, hi: number, below: number, above: number, mid: (x: number) => number): number =>
  x < lo ? below : x > hi ? above : mid(x);

/** Reference ops keyed by the kernel op names of lib/backend/ops.ts. */
export const REFERENCE: { [name: string]: RefOp } = {
  sigmoid: {
    forward: (x) => logistic(DDm.dd(x)),
    derivative: (x) => logistic(DDm.dd(x)) * logistic(DDm.dd(-x)),
    limits: () => [0, 0, 1, 0],
  },
  tanh: {
    forward: tanhRef,
    derivative: (x) => {
      const c = cosh(x);
      return 1 / c / c;
    },
    limits: () => [-1, 0, 1, 0],
  },
  softsign: {
    forward: (x) => x / (1 + abs(x)),
    derivative: (x) => pow(1 + abs(x), -2),
    limits: () => [-1, 0, 1, 0],
  },
  relu: {
    forward: (x) => (x > 0 ? x : 0),
    derivative: (x) => (x > 0 ? 1 : 0),
    limits: () => [0, 0, INF, 1],
  },
  softplus: {
    forward: (x, beta, threshold) => {
      const z = DDm.twoProd(beta, x);
      if (z.hi > threshold) return x;
      if (z.hi > 0) return DDm.toNumber(DDm.addD(z, log1p(expDD(DDm.neg(z))))) / beta;
      return log1p(expDD(z)) / beta;
    },
    derivative: (x, beta, threshold) => {
      const z = DDm.twoProd(beta, x);
      return z.hi > threshold ? 1 : logistic(z);
    },
    limits: () => [0, 0, INF, 1],
  },
  leaky_relu: {
    forward: (x, alpha) => (x > 0 ? x : x * alpha),
    derivative: (x, alpha) => (x > 0 ? 1 : alpha),
    limits: (alpha) => [-INF * sign(alpha) || 0, alpha, INF, 1],
  },
  elu: {
    forward: (x, alpha) => (x > 0 ? x : alpha * expm1(x)),
    derivative: (x, alpha) => (x > 0 ? 1 : alpha * exp(x)),
    limits: (alpha) => [-alpha, 0, INF, 1],
  },
  selu: {
    forward: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * expm1(x)),
    derivative: (x) => SELU_SCALE * (x > 0 ? 1 : SELU_ALPHA * exp(x)),
    limits: () => [-SELU_SCALE * SELU_ALPHA, 0, INF, SELU_SCALE],
  },
  swish: {
    forward: (x, beta) => x * logistic(DDm.twoProd(beta, x)),
    derivative: (x, beta) => {
      const z = DDm.twoProd(beta, x);
      const s = logistic(z);
      return s + beta * x * s * logistic(DDm.neg(z));
    },
    limits: (beta) =>
      beta > 0 ? [-0, 0, INF, 1] : beta < 0 ? [-INF, 1, 0, 0] : [-INF, 0.5, INF, 0.5],
  },
  gelu: {
    forward: (x) => x * normCdf(x),
    derivative: (x) => normCdf(x) + x * normPdf(x),
    limits: () => [-0, 0, INF, 1],
  },
  gelu_tanh: {
    forward: (x) => {
      if (abs(x) > 1e100) return x > 0 ? x : -0;
      return x * logistic(geluTanhZ(x));
    },
    derivative: (x) => {
      if (abs(x) > 1e100) return x > 0 ? 1 : 0;
      const z = geluTanhZ(x);
      const p = logistic(z) * logistic(DDm.neg(z));
      return logistic(z) + (p === 0 ? 0 : x * 2 * GELU_K.hi * (1 + 3 * GELU_C.hi * x * x) * p);
    },
    limits: () => [-0, 0, INF, 1],
  },
  mish: {
    // tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2); mish' = n/(n+2) + 4 x e^x (1 + e^x) / (n+2)^2.
    forward: (x) => {
      if (x > 40) return x;
      const e = exp(x);
      const n = e * (e + 2);
      return (x * n) / (n + 2);
    },
    derivative: (x) => {
      if (x > 40) return 1;
      const e = exp(x);
      const n = e * (e + 2);
      const d = n + 2;
      return n / d + (4 * x * e * (1 + e)) / (d * d);
    },
    limits: () => [-0, 0, INF, 1],
  },
  hardswish: {
    forward: (x) => hardPiece(x, -3, 3, 0, x, (v) => (v * (v + 3)) / 6),
    // PyTorch's grad: x < -3 -> 0; x <= 3 -> x/3 + 1/2 (-1/2 at -3, 3/2 at 3); else 1.
    derivative: (x) => (x < -3 ? 0 : x <= 3 ? (2 * x + 3) / 6 : 1),
    limits: () => [0, 0, INF, 1],
  },
  hardsigmoid: {
    forward: (x) => hardPiece(x, -3, 3, 0, 1, (v) => v / 6 + 0.5),
    derivative: (x) => (-3 < x && x < 3 ? 1 / 6 : 0),
    limits: () => [0, 0, 1, 0],
  },
  relu6: {
    forward: (x) => min(6, max(0, x)),
    derivative: (x) => (0 < x && x < 6 ? 1 : 0),
    limits: () => [0, 0, 6, 0],
  },
  celu: {
    forward: (x, alpha) => max(0, x) + min(0, alpha * expm1(x / alpha)),
    derivative: (x, alpha) => (x > 0 ? 1 : exp(x / alpha)),
    limits: (alpha) => [-alpha, 0, INF, 1],
  },
};

/** f(x) with NaN -> NaN and +-Inf -> the limit. */
export function refForward(op: string, x: number, a: number, b: number): number {
  const r = REFERENCE[op];
  if (x !== x) return NAN;
  if (x === INF) return r.limits(a, b)[2];
  if (x === -INF) return r.limits(a, b)[0];
  return r.forward(x, a, b);
}

/** f'(x) with NaN -> NaN and +-Inf -> the limit. */
export function refDerivative(op: string, x: number, a: number, b: number): number {
  const r = REFERENCE[op];
  if (x !== x) return NAN;
  if (x === INF) return r.limits(a, b)[3];
  if (x === -INF) return r.limits(a, b)[1];
  return r.derivative(x, a, b);
}

/** d/d beta of swish: x^2 s (1 - s), s = sigmoid(beta x). */
export function refSwishBetaGrad(x: number, beta: number): number {
  if (x !== x) return NAN;
  if (!isFinite(x)) return beta === 0 ? INF : 0;
  const z = DDm.twoProd(beta, x);
  const p = logistic(z) * logistic(DDm.neg(z));
  return p === 0 ? 0 : x * x * p;
}
