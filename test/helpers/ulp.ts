/**
 * ULP distance and the accuracy contract of the activation kernels, stated once here and used by every
 * conformance test (lib/backend/js and native, every ISA).
 *
 * float32 (kernels may compute in float32; the reference is float64 at the float32 input):
 *   forward      within 4 ulp of the correctly rounded reference; where the rounded reference is below the
 *                smallest normal (2^-126), within 1e-38 absolute instead (subnormals carry few bits).
 *   derivative   within 8 ulp, or 1e-7 absolute (forms such as y (1 - y) from a float32 y lose relative
 *                accuracy where f' is tiny: the error is a fraction of ulp(1) = 1.2e-7, not of f').
 *   backward     gi = f' go: within 9 ulp (8 for f', a half for the product), or 1e-7 |go| absolute.
 * float64:
 *   forward      |got - ref| <= 1e-14 |ref| + 4 eps |x f'(x)| + 1e-300. The middle term is the error of
 *                evaluating f at an input 4 ulp away from x: it is negligible except (a) near zeros of f
 *                other than x = 0 (hardswish at -3; there it is the tiny absolute floor) and (b) deep in
 *                exponential tails, where f = e^{-z} with z a product of x and a constant (gelu_tanh's
 *                cubic, beta x): an implementation that rounds the product, or builds it from the rounded
 *                double of sqrt(2/pi), is off by |z| eps relative (1e-13 at gelu_tanh(-20)). Both backends
 *                carry z's error (activations.test.ts holds gelu_tanh's tail to 1e-14 without this term);
 *                the sweeps keep the portable bound. 1e-300: subnormal results.
 *   derivative   |got - ref| <= 1e-14 |ref| + 1e-15: the derivatives with interior zeros (swish, gelu,
 *                gelu_tanh and mish near x = -1, hardswish at -1.5) are sums of O(1) terms that cancel
 *                there, and forms from the saved y (1 - y^2, y (1 - y), y + alpha) carry y's rounding
 *                error (eps |y| ~ 1.1e-16) as an absolute error: a few ulp of 1 is the honest floor.
 *   backward     the derivative bound with the floor scaled by |go|.
 * Everywhere: NaN in the reference means NaN out (NaN propagates), infinities must match exactly, and for
 * the ops where the sign of zero carries information (see SIGNED_ZERO_OPS) a zero result has the sign of
 * the exact value (swish(-1e4) = -0, tanh(-0) = -0).
 */
// Globals are bound once per module: under jest's vm sandbox every global lookup (Math.*, Infinity,
// NaN) costs ~1 us, which made the test suite ~40x slower; in plain Node it makes no difference.
const { abs, fround } = Math;
const isFinite = (v: number): boolean => v - v === 0; // false for +-Inf and NaN
const isNegZero = (v: number): boolean => v === 0 && 1 / v < 0;
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** Position of a float32 on a line where consecutive floats differ by 1 (+0 and -0 both 0). */
function key32(v: number): number {
  f32[0] = v;
  const b = i32[0];
  return b >= 0 ? b : -(b & 0x7fffffff);
}

/** Distance in float32 ulps between two float32 values (NaN or infinite handled by the caller). */
export function ulp32(a: number, b: number): number {
  return abs(key32(a) - key32(b));
}

export const EPS64 = 2.220446049250313e-16;
export const MIN_NORMAL32 = 1.1754943508222875e-38;

export const TOL = {
  f32: { forwardUlp: 4, subnormalAbs: 1e-38, derivUlp: 8, derivAbs: 1e-7, backwardUlp: 9 },
  f64: { rel: 1e-14, condEps: 4 * EPS64, forwardAbs: 1e-300, derivAbs: 1e-15 },
} as const;

/** Ops whose zero results must carry the sign of the exact value (odd, or x times a positive factor). */
export const SIGNED_ZERO_OPS = new Set(['tanh', 'softsign', 'swish', 'gelu', 'gelu_tanh', 'mish']);

export type Kind = 'forward' | 'derivative' | 'backward';

export interface CheckInput {
  dtype: 'float32' | 'float64';
  kind: Kind;
  /** Inputs as stored (float32 values for float32). */
  x: ArrayLike<number>;
  got: ArrayLike<number>;
  /** Float64 reference values (f, f' or f' go). */
  want: ArrayLike<number>;
  /** gradOut (backward only). */
  go?: ArrayLike<number> | null;
  /** |x f'(x)| per element (float64 forward only). */
  cond?: ArrayLike<number> | null;
  signedZero?: boolean;
}

export interface Mismatch {
  index: number;
  x: number;
  want: number;
  got: number;
  why: string;
}

function fmt(v: number): string {
  if (Object.is(v, -0)) return '-0';
  return Number.isFinite(v) ? v.toPrecision(17).replace(/\.?0+(e|$)/, '$1') : String(v);
}

/** Checks every element; returns the mismatches (all of them, the caller truncates for display). */
export function check(c: CheckInput): Mismatch[] {
  const bad: Mismatch[] = [];
  const n = c.x.length;
  for (let i = 0; i < n; i++) {
    const got = c.got[i];
    let want = c.want[i];
    if (c.dtype === 'float32') want = fround(want);
    const why = judge(c, i, got, want);
    if (why) bad.push({ index: i, x: c.x[i], want: c.want[i], got, why });
  }
  return bad;
}

function judge(c: CheckInput, i: number, got: number, want: number): string | null {
  if (want !== want) return got !== got ? null : 'expected NaN';
  if (got !== got) return 'got NaN';
  if (!isFinite(want) || !isFinite(got)) return got === want ? null : 'infinity mismatch';
  if (c.signedZero && got === 0 && (want === 0 || abs(want) < MIN_NORMAL32)) {
    if (isNegZero(got) !== (want < 0 || isNegZero(want))) return 'wrong sign of zero';
  }
  const diff = abs(got - want);
  const go = c.go ? abs(c.go[i]) : 1;
  if (c.dtype === 'float32') {
    const t = TOL.f32;
    const u = ulp32(got, want);
    if (c.kind === 'forward') {
      if (abs(want) < MIN_NORMAL32) return diff <= t.subnormalAbs ? null : `|err| ${fmt(diff)} > 1e-38 (subnormal)`;
      return u <= t.forwardUlp ? null : `${u} ulp > ${t.forwardUlp}`;
    }
    const maxUlp = c.kind === 'derivative' ? t.derivUlp : t.backwardUlp;
    if (u <= maxUlp || diff <= t.derivAbs * go) return null;
    return `${u} ulp > ${maxUlp} and |err| ${fmt(diff)} > ${fmt(t.derivAbs * go)}`;
  }
  const t = TOL.f64;
  let bound: number;
  if (c.kind === 'forward') bound = t.rel * abs(want) + t.condEps * (c.cond ? c.cond[i] : 0) + t.forwardAbs;
  else bound = t.rel * abs(want) + t.derivAbs * go;
  if (diff <= bound) return null;
  return `|err| ${fmt(diff)} > ${fmt(bound)} (rel ${(diff / abs(want)).toExponential(2)})`;
}

/** A readable report of the first mismatches (empty string when there are none). */
export function report(title: string, bad: Mismatch[], limit = 12): string {
  if (bad.length === 0) return '';
  const lines = bad
    .slice(0, limit)
    .map((m) => `  x=${fmt(m.x)}: expected ${fmt(m.want)}, got ${fmt(m.got)} (${m.why})`);
  return `${title}: ${bad.length} mismatch(es)\n${lines.join('\n')}${bad.length > limit ? '\n  ...' : ''}`;
}
