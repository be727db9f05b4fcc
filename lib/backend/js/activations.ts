/**
 * Activation kernels of the TypeScript backend: the readable reference for the native ones.
 *
 * Every value is computed in float64 (JS numbers) and rounded once when stored, so float32 results are
 * correctly rounded up to the rare double-rounding case (<= 1 ulp) and float64 results are within a few ulp.
 * Semantics are PyTorch's (lib/backend/ops.ts lists ops and parameters); the rules shared by all ops:
 *   - NaN propagates: a NaN input gives NaN in the output, in the derivative, and in any parameter gradient
 *     it contributes to (even for the piecewise-linear ops, whose formulas alone would hide it).
 *   - +-Infinity gives the limit of the function (and of its derivative) instead of an IEEE accident such as
 *     Inf * 0: swish(-Inf) = -0, mish(-Inf) = -0, hardswish(-Inf) = -0, gelu'(+Inf) = 1.
 *   - Saturation is explicit and finite input never gives NaN/Inf where the true value is finite:
 *     softplus(1e4) = 1e4, sigmoid(-1e4) = 0, swish(-1e4) = -0, tanh(+-1e4) = +-1, softsign(+-Inf) = +-1.
 *   - Where an exponential is fed a product (beta * x, x / sqrt2, the gelu_tanh cubic), the product is
 *     carried with its rounding error (see ./math.ts), so float64 keeps its relative accuracy in the tails.
 *   - Derivatives are taken from x even when the saved output y is passed: in float64 that is never less
 *     accurate (the native kernels may prefer y where it is cheaper; both meet the same tolerances).
 * Outputs may alias inputs: each element is read before it is written.
 */
import type { BackendArgs, FloatArray } from '../types';
import { ActOp, SELU_ALPHA, SELU_SCALE } from '../ops';
import { mulError, normCdf, normPdf, sech2, sigmoid, sigmoidHiLo, softplus, softplusHiLo } from './math';
// Globals are bound once per module: under jest's vm sandbox every global lookup (Math.*, Infinity,
// NaN) costs ~1 us, which made the test suite ~40x slower; in plain Node it makes no difference.
const { abs, exp, expm1, tanh } = Math;
const INF = 1 / 0;
const NAN = 0 / 0;

/**
 * gelu_tanh constants: sqrt(2/pi) and the cubic coefficient 0.044715, both meant exactly (as in PyTorch's
 * formula). The sigmoid argument z = x (C1 + C2 x^2) uses C1 = 2 sqrt(2/pi) and C2 = 0.044715 C1 as hi + lo
 * pairs (the native kernel's constants): built from the rounded doubles, z is off by ~|z| 2^-53, a relative
 * error of the left tail's e^z (1.2e-14 at x = -21).
 */
const GELU_TANH_C1 = 1.5957691216057308; // 2 sqrt(2/pi), rounded
const GELU_TANH_C1_LO = -9.96930880911092e-17; // 2 sqrt(2/pi) - GELU_TANH_C1
const GELU_TANH_C2 = 0.07135481627260025; // 0.044715 * 2 sqrt(2/pi), rounded
const GELU_TANH_C2_LO = -6.175149918155315e-19; // 0.044715 * 2 sqrt(2/pi) - GELU_TANH_C2
const SELU_SCALE_ALPHA = SELU_SCALE * SELU_ALPHA;

type Scalar = (x: number, a: number, b: number) => number;

// ---- forward ----------------------------------------------------------------------------------------------

function sigmoidF(x: number): number {
  return sigmoid(x);
}
function tanhF(x: number): number {
  return tanh(x);
}
function softsignF(x: number): number {
  if (x === INF) return 1; // Inf / Inf would be NaN
  if (x === -INF) return -1;
  return x / (1 + abs(x));
}
/** x < 0 ? 0 : x: -0 stays -0 (PyTorch's clamp_min on the CPU, and the native max(0, x)); NaN propagates. */
function reluF(x: number): number {
  return x < 0 ? 0 : x;
}
/** softplus(a = beta, b = threshold): beta x > threshold ? x : log1p(exp(beta x)) / beta. */
function softplusF(x: number, beta: number, threshold: number): number {
  const z = beta * x;
  if (z > threshold) return x;
  return softplusHiLo(z, mulError(beta, x, z)) / beta;
}
function leakyReluF(x: number, alpha: number): number {
  return x > 0 ? x : alpha * x;
}
/** x < 0 ? alpha expm1(x) : x: +-0 stay themselves (as the native select), also for a negative alpha. */
function eluF(x: number, alpha: number): number {
  return x < 0 ? alpha * expm1(x) : x;
}
function seluF(x: number): number {
  return x > 0 ? SELU_SCALE * x : SELU_SCALE_ALPHA * expm1(x);
}
/** swish(a = beta) = x sigmoid(beta x). */
function swishF(x: number, beta: number): number {
  if (beta === 0) return 0.5 * x;
  const z = beta * x;
  const s = sigmoidHiLo(z, mulError(beta, x, z));
  if (s === 0) return x < 0 ? -0 : 0; // the exact value underflows; also x = +-Inf where s = 0
  return x * s;
}
/** gelu = x Phi(x) (exact erf form: 0.5 x (1 + erf(x / sqrt2))). Phi(40) = 1 and Phi(-40) = 0 in float64. */
function geluF(x: number): number {
  if (x > 40) return x;
  if (x < -40) return -0;
  return x * normCdf(x);
}

/**
 * z = 2 sqrt(2/pi) (x + c x^3) = x (C1 + C2 x^2) as hi + lo (error-free products, sums, the constants' low
 * parts), for |x| <= 40. 0.5 x (1 + tanh(z/2)) = x sigmoid(z): the sigmoid form has no cancellation for x < 0.
 * The result goes to a scratch pair (synchronous use only) so the hot loop allocates nothing.
 */
const geluTanhZ = { hi: 0, lo: 0 };
function geluTanhArg(x: number): void {
  const q = x * x;
  const qe = mulError(x, x, q);
  const m = GELU_TANH_C2 * q;
  const me = mulError(GELU_TANH_C2, q, m) + GELU_TANH_C2 * qe + GELU_TANH_C2_LO * q;
  const w = GELU_TANH_C1 + m;
  const bv = w - m; // two-sum error of C1 + m
  const we = GELU_TANH_C1 - bv + (m - (w - bv)) + me + GELU_TANH_C1_LO;
  const z = x * w;
  geluTanhZ.hi = z;
  geluTanhZ.lo = mulError(x, w, z) + x * we;
}
function geluTanhF(x: number): number {
  if (x > 40) return x; // z > 4600: sigmoid(z) = 1
  if (x < -40) return -0;
  geluTanhArg(x);
  const s = sigmoidHiLo(geluTanhZ.hi, geluTanhZ.lo);
  return s === 0 ? (x < 0 ? -0 : 0) : x * s;
}
/** mish = x tanh(softplus(x)). */
function mishF(x: number): number {
  if (x === -INF) return -0; // -Inf * tanh(0)
  return x * tanh(softplus(x));
}
/** hardswish = x relu6(x + 3) / 6: -0 for x <= -3 (x times 0, as PyTorch and the native kernels give it). */
function hardswishF(x: number): number {
  if (x <= -3) return -0;
  if (x >= 3) return x;
  return (x * (x + 3)) / 6; // NaN lands here and propagates
}
/** hardsigmoid = relu6(x + 3) / 6. */
function hardsigmoidF(x: number): number {
  if (x <= -3) return 0;
  if (x >= 3) return 1;
  return (x + 3) / 6;
}
/** min(max(x, 0), 6), -0 kept (as relu). */
function relu6F(x: number): number {
  if (x < 0) return 0;
  if (x >= 6) return 6;
  return x;
}
/** celu(a = alpha) = max(0, x) + min(0, alpha expm1(x / alpha)), i.e. x > 0 ? x : alpha expm1(x / alpha). */
function celuF(x: number, alpha: number): number {
  return x > 0 ? x : alpha * expm1(x / alpha);
}

// ---- derivatives (of f with respect to x) -----------------------------------------------------------------

/** sigmoid' = s (1 - s) = e / (1 + e)^2 with e = exp(-|x|): no cancellation on either side. */
function sigmoidD(x: number): number {
  const e = exp(-abs(x));
  const d = 1 + e;
  return e / (d * d);
}
function tanhD(x: number): number {
  return sech2(x);
}
function softsignD(x: number): number {
  const d = 1 + abs(x);
  return 1 / (d * d);
}
/** Grad 0 at x <= 0 (PyTorch). */
function reluD(x: number): number {
  return x > 0 ? 1 : x <= 0 ? 0 : NAN;
}
function softplusD(x: number, beta: number, threshold: number): number {
  const z = beta * x;
  if (z > threshold) return 1;
  return sigmoidHiLo(z, mulError(beta, x, z));
}
function leakyReluD(x: number, alpha: number): number {
  return x > 0 ? 1 : x <= 0 ? alpha : NAN;
}
function eluD(x: number, alpha: number): number {
  return x > 0 ? 1 : alpha * exp(x);
}
function seluD(x: number): number {
  return x > 0 ? SELU_SCALE : SELU_SCALE_ALPHA * exp(x);
}
/** swish' = s + beta x s (1 - s) = s (1 + z sigmoid(-z)), z = beta x, s = sigmoid(z). */
function swishD(x: number, beta: number): number {
  if (beta === 0) return x === x ? 0.5 : NAN;
  const z = beta * x;
  if (z === INF) return 1;
  if (z === -INF) return -0; // the limit from below (swish' < 0 for z < -1.28), as the native kernels give it
  const dz = mulError(beta, x, z);
  const s = sigmoidHiLo(z, dz);
  return s * (1 + z * sigmoidHiLo(-z, -dz));
}
/** gelu' = Phi(x) + x phi(x). */
function geluD(x: number): number {
  if (x > 40) return 1;
  if (x < -40) return -0; // x phi(x) underflows from below
  return normCdf(x) + x * normPdf(x);
}
/** d/dx [x sigmoid(z)] = s + x z' s (1 - s), z' = C1 + 3 C2 x^2. */
function geluTanhD(x: number): number {
  if (x > 40) return 1;
  if (x < -40) return -0; // the derivative underflows from below, as on the native kernels
  geluTanhArg(x);
  const z = geluTanhZ.hi;
  const dz = geluTanhZ.lo;
  const s = sigmoidHiLo(z, dz);
  const p = s * sigmoidHiLo(-z, -dz);
  if (p === 0) return s === 0 ? -0 : s; // s = 0: z -> -Inf, x < 0
  return s + x * (GELU_TANH_C1 + 3 * GELU_TANH_C2 * (x * x)) * p;
}
/** mish' = tanh(sp) + x sigmoid(x) sech^2(sp), sp = softplus(x). */
function mishD(x: number): number {
  if (x === INF) return 1;
  if (x === -INF) return 0;
  const sp = softplus(x);
  return tanh(sp) + x * sigmoid(x) * sech2(sp);
}
/** PyTorch: x < -3 -> 0, x <= 3 -> x/3 + 1/2, else 1 (so -1/2 at x = -3 and 3/2 at x = 3). */
function hardswishD(x: number): number {
  if (x < -3) return 0;
  if (x <= 3) return x / 3 + 0.5;
  return x > 3 ? 1 : NAN;
}
function hardsigmoidD(x: number): number {
  return x > -3 && x < 3 ? 1 / 6 : x === x ? 0 : NAN;
}
function relu6D(x: number): number {
  return x > 0 && x < 6 ? 1 : x === x ? 0 : NAN;
}
function celuD(x: number, alpha: number): number {
  if (x > 0) return 1;
  // exp(x / alpha) with the quotient's rounding error dq = (x - q alpha) / alpha carried (x - p is exact, p being
  // within a factor 2 of x): exp of the rounded q alone is |q| 2^-53 off, 5.7e-14 at q = -512
  const q = x / alpha;
  const e = exp(q);
  if (e === 0) return 0; // also x = -Infinity, where the residual is NaN
  const p = q * alpha;
  return e + e * ((x - p - mulError(q, alpha, p)) / alpha);
}

/** Indexed by ActOp (lib/backend/ops.ts order). */
const FORWARD: readonly Scalar[] = buildTable({
  sigmoid: sigmoidF,
  tanh: tanhF,
  softsign: softsignF,
  relu: reluF,
  softplus: softplusF,
  leaky_relu: leakyReluF,
  elu: eluF,
  selu: seluF,
  swish: swishF,
  gelu: geluF,
  gelu_tanh: geluTanhF,
  mish: mishF,
  hardswish: hardswishF,
  hardsigmoid: hardsigmoidF,
  relu6: relu6F,
  celu: celuF,
});
const DERIVATIVE: readonly Scalar[] = buildTable({
  sigmoid: sigmoidD,
  tanh: tanhD,
  softsign: softsignD,
  relu: reluD,
  softplus: softplusD,
  leaky_relu: leakyReluD,
  elu: eluD,
  selu: seluD,
  swish: swishD,
  gelu: geluD,
  gelu_tanh: geluTanhD,
  mish: mishD,
  hardswish: hardswishD,
  hardsigmoid: hardsigmoidD,
  relu6: relu6D,
  celu: celuD,
});

function buildTable(fns: { [K in keyof typeof ActOp]: Scalar }): Scalar[] {
  const table: Scalar[] = [];
  for (const name of Object.keys(ActOp) as (keyof typeof ActOp)[]) table[ActOp[name]] = fns[name];
  return table;
}

function lookup(table: readonly Scalar[], op: number): Scalar {
  const f = Number.isInteger(op) ? table[op] : undefined;
  if (!f) throw new RangeError(`unknown activation op id ${op} (valid: 0..${table.length - 1})`);
  return f;
}

/** The float64 value of activation `op` at x (the scalar the kernels map over arrays). */
export function actScalar(op: number, x: number, a: number, b: number): number {
  return lookup(FORWARD, op)(x, a, b);
}

/** The float64 derivative of activation `op` at x. */
export function actDerivativeScalar(op: number, x: number, a: number, b: number): number {
  return lookup(DERIVATIVE, op)(x, a, b);
}

// ---- kernels (the Backend interface, lib/backend/types.ts) -------------------------------------------------

/**
 * A float32 leaky_relu (and scalar prelu) multiplies by alpha as a float32, as the native kernels and PyTorch do:
 * x fround(alpha) is exact in float64, so the stored result is the float32 product, bit for bit the native one
 * (and the per-channel prelu's, whose alphas are a Float32Array). Other ops keep their parameters in float64.
 */
function paramFor(op: number, x: FloatArray, a: number): number {
  return op === ActOp.leaky_relu && x instanceof Float32Array ? Math.fround(a) : a;
}

/** y[i] = f(x[i]) for i < x.length; y may alias x. */
export function actForward(op: number, x: FloatArray, y: FloatArray, a: number, b: number): void {
  const f = lookup(FORWARD, op);
  a = paramFor(op, x, a);
  const n = x.length;
  for (let i = 0; i < n; i++) y[i] = f(x[i], a, b);
}

/** gi[i] = f'(x[i]) * go[i] (go === null: ones). y (the saved output) is accepted and not needed. */
export function actBackward(
  op: number,
  x: FloatArray,
  _y: FloatArray | null,
  go: FloatArray | null,
  gi: FloatArray,
  a: number,
  b: number,
): void {
  const d = lookup(DERIVATIVE, op);
  a = paramFor(op, x, a);
  const n = x.length;
  if (go === null) {
    for (let i = 0; i < n; i++) gi[i] = d(x[i], a, b);
  } else {
    for (let i = 0; i < n; i++) gi[i] = d(x[i], a, b) * go[i];
  }
}

/** PReLU: y[i] = x > 0 ? x : alpha[c] x with c = floor(i / inner) % channels. y may alias x. */
export function preluForward(x: FloatArray, y: FloatArray, alpha: FloatArray, channels: number, inner: number): void {
  const n = x.length;
  let c = 0;
  let k = 0; // position inside the current channel block
  for (let i = 0; i < n; i++) {
    const v = x[i];
    y[i] = v > 0 ? v : alpha[c] * v; // NaN: alpha * NaN = NaN
    if (++k === inner) {
      k = 0;
      if (++c === channels) c = 0;
    }
  }
}

/**
 * PReLU backward: gi[i] = (x > 0 ? 1 : alpha[c]) go[i] (gi may be null); galpha[c] += sum over x <= 0 of
 * x go (galpha may be null; accumulated in float64 per call, then added). go === null means ones.
 * A NaN x gives a NaN gi and makes its channel's galpha NaN.
 */
export function preluBackward(...[x, go, gi, alpha, channels, inner, galpha]: BackendArgs<'preluBackward'>): void {
  const n = x.length;
  const acc = galpha ? new Float64Array(channels) : null;
  let c = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const g = go === null ? 1 : go[i];
    if (v > 0) {
      if (gi) gi[i] = g;
    } else {
      if (gi) gi[i] = v <= 0 ? alpha[c] * g : NAN;
      if (acc) acc[c] += v * g; // NaN x also lands here
    }
    if (++k === inner) {
      k = 0;
      if (++c === channels) c = 0;
    }
  }
  if (galpha && acc) for (let j = 0; j < channels; j++) galpha[j] += acc[j];
}

/**
 * sum_i go[i] d/d beta [x sigmoid(beta x)] = sum go x^2 s (1 - s), s = sigmoid(beta x); float64 accumulation.
 * The term is written (x s)(x (1 - s)) with 1 - s = sigmoid(-beta x), and taken as 0 where s or 1 - s
 * underflows (its exact value does, also at x = +-Inf).
 */
export function swishBetaGrad(x: FloatArray, go: FloatArray | null, beta: number): number {
  let sum = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const z = beta * v;
    const dz = mulError(beta, v, z);
    const s = sigmoidHiLo(z, dz);
    const sm = sigmoidHiLo(-z, -dz);
    const term = s === 0 || sm === 0 ? 0 : v * s * (v * sm);
    sum += go === null ? term : term * go[i];
  }
  return sum;
}
