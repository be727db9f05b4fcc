/**
 * Cross-backend conformance of the activation kernels, through the public API (lib/activations), against
 * the float64 reference of test/helpers/reference.ts with the tolerances of test/helpers/ulp.ts.
 * `npm test` runs this file on the native backend (default ISA and SWISHNET_ISA=scalar) and on the js one.
 */
import { backend, getJsBackend, getNativeBackend } from '../lib/backend';
import { ACT_OPS, ActOp, type ActOpName } from '../lib/backend/ops';
import type { FloatArray } from '../lib/backend/types';
import * as activations from '../lib/activations';
import { EDGE_VALUES, sweep, uniform } from './helpers/edge';
import { refDerivative, refForward } from './helpers/reference';
import { check, report, SIGNED_ZERO_OPS, ulp32, type Kind } from './helpers/ulp';

interface Case {
  /** Public name and params given to activations.get. */
  name: string;
  params?: Record<string, unknown>;
  /** What it must resolve to: kernel op and its a, b. */
  op: ActOpName;
  a?: number;
  b?: number;
  /** Run the 1M-element float32 sweep (default-parameter cases); the others use SMALL_N elements. */
  full?: boolean;
}

const CASES: Case[] = [
  { name: 'sigmoid', op: 'sigmoid', full: true },
  { name: 'tanh', op: 'tanh', full: true },
  { name: 'softsign', op: 'softsign', full: true },
  { name: 'relu', op: 'relu', full: true },
  { name: 'softplus', op: 'softplus', a: 1, b: 20, full: true },
  { name: 'softplus', params: { beta: 2, threshold: 10 }, op: 'softplus', a: 2, b: 10 },
  { name: 'softrelu', params: { beta: 0.5 }, op: 'softplus', a: 0.5, b: 20 },
  { name: 'leaky_relu', op: 'leaky_relu', a: 0.01, full: true },
  { name: 'leaky_relu', params: { alpha: 0.2 }, op: 'leaky_relu', a: 0.2 },
  { name: 'prelu', op: 'leaky_relu', a: 0.25 },
  { name: 'elu', op: 'elu', a: 1, full: true },
  { name: 'elu', params: { alpha: 0.5 }, op: 'elu', a: 0.5 },
  { name: 'selu', op: 'selu', full: true },
  { name: 'swish', op: 'swish', a: 1, full: true },
  { name: 'swish', params: { beta: 1.5 }, op: 'swish', a: 1.5 },
  { name: 'swish', params: { beta: -0.75 }, op: 'swish', a: -0.75 },
  { name: 'silu', op: 'swish', a: 1 },
  { name: 'gelu', op: 'gelu', full: true },
  { name: 'gelu', params: { approximate: 'tanh' }, op: 'gelu_tanh', full: true },
  { name: 'mish', op: 'mish', full: true },
  { name: 'hardswish', op: 'hardswish', full: true },
  { name: 'hardsigmoid', op: 'hardsigmoid', full: true },
  { name: 'relu6', op: 'relu6', full: true },
  { name: 'celu', op: 'celu', a: 1, full: true },
  { name: 'celu', params: { alpha: 1.5 }, op: 'celu', a: 1.5 },
];

const BIG_N = 1 << 20; // float32 sweep, default-parameter cases
const SMALL_N = 1 << 17; // float64 sweeps and parameter variants
const DTYPES = ['float32', 'float64'] as const;
type DType = (typeof DTYPES)[number];

function make(dtype: DType, values: ArrayLike<number>): FloatArray {
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

const inputs: Record<DType, { big: FloatArray; small: FloatArray; edge: FloatArray }> = {
  float32: { big: make('float32', sweep(BIG_N, 1)), small: make('float32', sweep(SMALL_N, 3)), edge: make('float32', EDGE_VALUES) },
  float64: { big: make('float64', sweep(SMALL_N, 2)), small: make('float64', sweep(SMALL_N, 4)), edge: make('float64', EDGE_VALUES) },
};

// Hot loops avoid globals (Math, Number, Object): under jest's vm sandbox each lookup costs ~1 us.
const { abs } = Math;
const isFinite = (v: number): boolean => v - v === 0;
/** Same value, NaN equal to NaN, +0 different from -0. */
const same = (p: ArrayLike<number>, q: ArrayLike<number>): boolean => {
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) {
    const u = p[i];
    const v = q[i];
    if (u === v ? u === 0 && 1 / u !== 1 / v : u === u || v === v) return false;
  }
  return true;
};

function label(c: Case): string {
  return c.params ? `${c.name} ${JSON.stringify(c.params)}` : c.name;
}

/** Reference f and f' at each (stored) input. */
function references(c: Case, x: FloatArray): { f: Float64Array; d: Float64Array; cond: Float64Array } {
  const n = x.length;
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const cond = new Float64Array(n);
  const a = c.a ?? 0;
  const b = c.b ?? 0;
  for (let i = 0; i < n; i++) {
    f[i] = refForward(c.op, x[i], a, b);
    d[i] = refDerivative(c.op, x[i], a, b);
    cond[i] = isFinite(x[i]) ? abs(x[i] * d[i]) : 0;
  }
  return { f, d, cond };
}

function times(d: Float64Array, go: ArrayLike<number>): Float64Array {
  return d.map((v, i) => v * go[i]);
}

/** Runs every check of one case on one input set; returns the reports of failed checks. */
function conformance(c: Case, dtype: DType, x: FloatArray, setName: string): string[] {
  const act = activations.get(c.name, c.params);
  const ref = references(c, x);
  const go = make(dtype, uniform(x.length, 11));
  const signedZero = SIGNED_ZERO_OPS.has(c.op);
  const out: string[] = [];
  const run = (kind: Kind, what: string, got: FloatArray, want: ArrayLike<number>, g?: FloatArray): void => {
    const bad = check({ dtype, kind, x, got, want, go: g, cond: ref.cond, signedZero: signedZero && kind === 'forward' });
    const r = report(`${label(c)} ${dtype} ${what} on ${setName} [${backend().name}/${backend().isa}]`, bad);
    if (r) out.push(r);
  };
  const y = act.forward(x);
  run('forward', 'forward', y, ref.f);
  run('derivative', 'derivative', act.derivative(x), ref.d);
  const wantB = times(ref.d, go);
  run('backward', 'backward (no y)', act.backward(x, go), wantB, go);
  run('backward', 'backward (with y)', act.backward(x, go, null, { y }), wantB, go);
  return out;
}

const be = backend();

describe(`activation kernels vs float64 reference [backend=${be.name}, isa=${be.isa}]`, () => {
  test('the cases resolve to the expected kernel ops and parameters', () => {
    for (const c of CASES) {
      const act = activations.get(c.name, c.params);
      expect([label(c), act.opId, act.a, act.b]).toEqual([label(c), ActOp[c.op], c.a ?? 0, c.b ?? 0]);
    }
    // every kernel op is exercised
    expect(new Set(CASES.map((c) => c.op))).toEqual(new Set(ACT_OPS));
  });

  for (const dtype of DTYPES) {
    describe(dtype, () => {
      for (const c of CASES) {
        test(`${label(c)}: edge values and ${dtype === 'float32' && c.full ? '1M' : '128k'}-element sweep`, () => {
          const set = inputs[dtype];
          const reports = [
            ...conformance(c, dtype, set.edge, 'edge values'),
            ...conformance(c, dtype, dtype === 'float32' && !c.full ? set.small : set.big, 'sweep'),
          ];
          expect(reports.join('\n\n')).toBe('');
        });
      }

      if (dtype === 'float32') {
        test('float32 softplus with beta < 1 keeps its normal results where exp(beta x) itself underflows', () => {
          // softplus = exp(z) / beta there (z = beta x with the double beta given, as the kernels take it): the kernel
          // gave 0 from z = -87.3 on, where the result is still normal (1.66e-38 at beta 0.5, 8.1e-19 at beta 1e-20)
          const reports: string[] = [];
          for (const beta of [0.5, 0.01, 1e-6, 1e-20]) {
            const act = activations.get('softplus', { beta });
            const zs = [-79.9, -80.1, -85, -87.2, -87.4, -87.7, -88, -90, -100, -120];
            const x = Float32Array.from(zs, (z) => z / beta);
            const got = act.forward(x);
            x.forEach((xi, i) => {
              const want = Math.log1p(Math.exp(beta * xi)) / beta;
              const ok = want < 1.1754943508222875e-38 ? Math.abs(got[i] - want) <= 1e-38 : ulp32(got[i], want) <= 4;
              if (!ok) reports.push(`softplus(beta ${beta})(${xi}) = ${got[i]}, want ${want}`);
            });
          }
          expect(reports).toEqual([]);
        });
      }

      if (dtype === 'float64') {
        test('float64 derivatives keep their relative accuracy in exponential tails (no absolute floor)', () => {
          // The derivative bound of the sweeps has a 1e-15 absolute floor (cancelling sums, forms from y): here,
          // where f' is an exp-sized value with nothing cancelling, it must be 1e-14 relative down to the
          // subnormal range (elu' once stopped at 4e-18 below x = -40, tanh' at 1.7e-17 beyond |x| = 20).
          const xs = [-25, -30, -41, -50, -100, -300, -700, -740, -800];
          // celu's exp argument is x / alpha: multiples of 1.5 keep it exact for both alphas tested (1, 1.5), so
          // the reference (which divides in double) is exact too, while a kernel that multiplies by a rounded
          // 1/alpha is off by |z| 2^-53 relative (1.1e-14 at z = -200, 3e-14 at z = -534).
          const celuXs = [-25.5, -30, -42, -51, -99, -300, -699, -741, -801, -1110];
          const mishXs = [-25, -30, -41, -50, -100, -300, -700, -705, -708.5, -709, -709.5, -710, -711, -712];
          const reports: string[] = [];
          for (const c of CASES) {
            if (!['elu', 'selu', 'celu', 'tanh', 'sigmoid', 'softplus', 'mish'].includes(c.op)) continue;
            const act = activations.get(c.name, c.params);
            // mish: down to -712, where the reference's own e^x (subnormal below -708) still has ~15 digits; its
            // kernel once stayed near 1e-305 from -709 on (4x off at -710)
            const x = Float64Array.from(
              c.op === 'tanh' ? [...xs, ...xs.map((v) => -v)] : c.op === 'celu' ? celuXs : c.op === 'mish' ? mishXs : xs,
            );
            const got = act.derivative(x);
            x.forEach((xi, i) => {
              const want = refDerivative(c.op, xi, c.a ?? 0, c.b ?? 0);
              if (!(Math.abs(got[i] - want) <= 1e-14 * Math.abs(want) + 1e-320)) {
                reports.push(`${label(c)}: f'(${xi}) = ${got[i]}, want ${want}`);
              }
            });
          }
          expect(reports).toEqual([]);
        });

        test('float64 tails with a beta or alpha that is no power of two (z = beta x, x / alpha rounded)', () => {
          // References from mpmath at 50 digits (the double inputs taken exactly): a float64 reference would round
          // z as the kernels once did, which left exp(z) |z| 2^-53 off (5.7e-14 at z = -699: native softplus with
          // beta 3 or 0.3, js celu' with alpha 0.3).
          const softplus: [number, number, number, number][] = [
            [3.0, -232.91485919561973, 1.1533588156626126976e-304, 3.4600764469878380929e-304],
            [0.3, -1740.972896295149, 4.9476861627634874662e-227, 1.4843058488290461849e-227],
            [0.3, -300.1, 2.6506143175972199356e-39, 7.9518429527916595125e-40],
            [0.7, -1000.3, 1.1417283538191520362e-304, 7.9920984767340637465e-305],
            [3.0, -30.7, 3.3446983966457491012e-41, 1.0034095189937247303e-40],
          ];
          const celu: [number, number, number][] = [
            [0.3, -153.7330950003073, 2.8089921025799938437e-223],
            [1.5, -797.38, 1.3640931037293346957e-231],
            [0.7, -350.9, 1.9696108535887441659e-218],
            [0.3, -60.01, 1.3385270020608982628e-87],
          ];
          const reports: string[] = [];
          const check = (what: string, got: number, want: number): void => {
            if (!(Math.abs(got - want) <= 1e-14 * Math.abs(want))) reports.push(`${what} = ${got}, want ${want}`);
          };
          for (const [beta, x, f, d] of softplus) {
            const act = activations.get('softplus', { beta, threshold: 40 });
            const xs = Float64Array.of(x);
            check(`softplus(beta ${beta})(${x})`, act.forward(xs)[0], f);
            check(`softplus(beta ${beta})'(${x})`, act.derivative(xs)[0], d);
          }
          for (const [alpha, x, d] of celu) {
            check(`celu(alpha ${alpha})'(${x})`, activations.get('celu', { alpha }).derivative(Float64Array.of(x))[0], d);
          }
          expect(reports).toEqual([]);
        });

        test('float64 gelu keeps 1e-14 relative in its left tail (x / sqrt2 carried with its rounding error)', () => {
          // [x, f(x), f'(x)] by mpmath (60 digits) of x Phi(x) and Phi(x) + x phi(x), x taken exactly. Phi(x) =
          // erfc(-x / sqrt2) / 2 has relative condition ~t^2 in t = -x / sqrt2: a kernel that rounds t and drops the
          // error is off by ~t^2 2^-53 relative (x^2 / 2: 2e-14 at x = -21, 7e-14 at x = -37).
          const pts: [number, number, number][] = [
            [-6.3, -9.3758377971025695e-10, -5.9000802011205393e-9],
            [-9.7, -1.4622683737458986e-21, -1.4180956962350368e-20],
            [-13.1, -2.156637682105645e-38, -2.8250088612719514e-37],
            [-17.9, -1.0554011799300906e-70, -1.8891318700645759e-69],
            [-21.3, -1.2089999625348579e-99, -2.5751451698137541e-98],
            [-26.7, -6.2835689199332197e-156, -1.6777063450435922e-154],
            [-31.1, -3.7452367992890209e-211, -1.1647661671893656e-209],
            [-34.9, -1.2973085565834909e-265, -4.5276007836279351e-264],
            [-37.3, -3.0606495771591782e-303, -1.1416211169449908e-301],
          ];
          const act = activations.get('gelu');
          const x = Float64Array.from(pts, (p) => p[0]);
          const y = act.forward(x);
          const d = act.derivative(x);
          const reports: string[] = [];
          const near = (got: number, want: number, tol: number): boolean =>
            Math.abs(got - want) <= tol * Math.abs(want);
          pts.forEach(([xi, f, fp], i) => {
            if (!near(y[i], f, 1e-14)) reports.push(`f(${xi}) = ${y[i]}, want ${f}`);
            if (!near(d[i], fp, 1e-14)) reports.push(`f'(${xi}) = ${d[i]}, want ${fp}`);
            const rf = refForward('gelu', xi, 0, 0);
            if (!near(rf, f, 2e-15)) reports.push(`reference f(${xi}) = ${rf}, want ${f}`);
          });
          expect(reports).toEqual([]);
        });

        test('float64 gelu_tanh keeps 1e-14 relative in its left tail (sqrt(2/pi) and 0.044715 taken exactly)', () => {
          // [x, f(x), f'(x)] by mpmath (60 digits) of 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), both constants
          // exact. The sweep's forward bound allows 4 eps |x f'| for the op's constants, which a kernel that builds the
          // cubic from their rounded doubles needs (|z| 2^-53 relative: the js one was 1.2e-14 off at x = -21.17);
          // here neither backend nor the reference gets that allowance.
          const pts: [number, number, number][] = [
            [-6.0, -8.439646700762297e-11, -7.709973930953696e-10],
            [-8.5, -1.0174447308598297e-24, -1.7239866867738058e-23],
            [-10.0, -1.204092348209806e-37, -2.7576380638540315e-36],
            [-12.25, -4.289968154941597e-65, -1.443024431165986e-63],
            [-15.0, -1.5584769937274055e-114, -7.744633769500767e-113],
            [-17.5, -1.0795931441802337e-177, -7.243623446947284e-176],
            [-19.0, -3.6102852236777353e-225, -2.8456413831822847e-223],
            [-20.5, -1.3502940601643467e-280, -1.2356213261882888e-278],
            [-21.174058019339782, -2.9301598345701313e-308, -2.857560829419659e-306],
          ];
          const act = activations.get('gelu', { approximate: 'tanh' });
          const x = Float64Array.from(pts, (p) => p[0]);
          const y = act.forward(x);
          const d = act.derivative(x);
          const reports: string[] = [];
          const near = (got: number, want: number, tol: number): boolean =>
            Math.abs(got - want) <= tol * Math.abs(want);
          pts.forEach(([xi, f, fp], i) => {
            if (!near(y[i], f, 1e-14)) reports.push(`f(${xi}) = ${y[i]}, want ${f}`);
            if (!near(d[i], fp, 1e-14)) reports.push(`f'(${xi}) = ${d[i]}, want ${fp}`);
            const rf = refForward('gelu_tanh', xi, 0, 0);
            const rd = refDerivative('gelu_tanh', xi, 0, 0);
            if (!near(rf, f, 2e-15)) reports.push(`reference f(${xi}) = ${rf}, want ${f}`);
            if (!near(rd, fp, 2e-15)) reports.push(`reference f'(${xi}) = ${rd}, want ${fp}`);
          });
          expect(reports).toEqual([]);
        });
      }

      test('tails: lengths 0..67 at unaligned offsets, nothing written outside the output', () => {
        const pool = [...EDGE_VALUES, ...sweep(256, 5)];
        const reports: string[] = [];
        const CANARY = 12345.5;
        for (const c of CASES) {
          const act = activations.get(c.name, c.params);
          for (let n = 0; n <= 67; n++) {
            const off = n % 7;
            const xs = Array.from({ length: n }, (_, i) => pool[(n * 31 + i) % pool.length]);
            const x = make(dtype, [...new Array(off).fill(0), ...xs]).subarray(off);
            const go = make(dtype, uniform(n, n + 100));
            const ref = references(c, x);
            const signedZero = SIGNED_ZERO_OPS.has(c.op);
            const calls: [Kind, string, (o: FloatArray) => void, ArrayLike<number>][] = [
              ['forward', 'forward', (o) => act.forward(x, o), ref.f],
              ['derivative', 'derivative', (o) => act.derivative(x, o), ref.d],
              ['backward', 'backward', (o) => act.backward(x, go, o), times(ref.d, go)],
            ];
            for (const [kind, what, call, want] of calls) {
              const buf = make(dtype, new Array(n + off + 5).fill(CANARY));
              const o = buf.subarray(off, off + n);
              call(o);
              const bad = check({
                dtype,
                kind,
                x,
                got: o,
                want,
                go: kind === 'backward' ? go : null,
                cond: ref.cond,
                signedZero: signedZero && kind === 'forward',
              });
              const r = report(`${label(c)} ${dtype} ${what} n=${n}`, bad);
              if (r) reports.push(r);
              const touched = [...buf.subarray(0, off), ...buf.subarray(off + n)].filter((v) => v !== CANARY);
              if (touched.length) reports.push(`${label(c)} ${dtype} ${what} n=${n}: wrote outside the output`);
            }
          }
        }
        expect(reports.join('\n\n')).toBe('');
      });

      test('long calls at every output offset (the aligning head of the native loops) give the same values', () => {
        // Several 512-element chunks of the two- and three-stage loops; the native kernels first run the elements up
        // to the next vector-aligned output address (0-7 of them here) through the single-vector loop.
        const n = 4 * 512 + 45;
        const x = make(dtype, [...EDGE_VALUES, ...sweep(n - EDGE_VALUES.length, 8)]);
        const go = make(dtype, uniform(n, 9));
        const CANARY = 12345.5;
        const failures: string[] = [];
        for (const c of CASES) {
          const act = activations.get(c.name, c.params);
          const calls: [string, (o?: FloatArray) => FloatArray][] = [
            ['forward', (o) => act.forward(x, o)],
            ['derivative', (o) => act.derivative(x, o)],
            ['backward', (o) => act.backward(x, go, o)],
          ];
          for (const [what, call] of calls) {
            const want = call();
            for (let off = 0; off < 8; off++) {
              const buf = make(dtype, new Array(n + off + 5).fill(CANARY));
              const o = buf.subarray(off, off + n);
              call(o);
              const differ = o.findIndex((v, i) => !Object.is(v, want[i]));
              if (differ >= 0) {
                failures.push(`${label(c)} ${dtype} ${what} offset ${off}: x=${x[differ]} gives ${o[differ]}, ` +
                  `not ${want[differ]}`);
              }
              const touched = [...buf.subarray(0, off), ...buf.subarray(off + n)].filter((v) => v !== CANARY);
              if (touched.length) failures.push(`${label(c)} ${dtype} ${what} offset ${off}: wrote outside the output`);
            }
          }
        }
        expect(failures).toEqual([]);
      });

      test('in place (out === x, out === gradOut, out === y) equals out of place', () => {
        const x0 = make(dtype, [...EDGE_VALUES, ...sweep(4099, 6)]);
        const go0 = make(dtype, uniform(x0.length, 7));
        const failures: string[] = [];
        for (const c of CASES) {
          const act = activations.get(c.name, c.params);
          const y0 = act.forward(x0);
          const d0 = act.derivative(x0);
          const b0 = act.backward(x0, go0, null, { y: y0 });
          const bNoY = act.backward(x0, go0);

          let x = x0.slice();
          if (act.forward(x, x) !== x || !same(x, y0)) failures.push(`${label(c)}: forward(x, x)`);
          x = x0.slice();
          if (act.derivative(x, x) !== x || !same(x, d0)) failures.push(`${label(c)}: derivative(x, x)`);
          let go = go0.slice();
          if (act.backward(x0, go, go) !== go || !same(go, bNoY)) failures.push(`${label(c)}: backward out === gradOut`);
          go = go0.slice();
          let y = y0.slice();
          if (!same(act.backward(x0, go, go, { y }), b0)) failures.push(`${label(c)}: backward with y, out === gradOut`);
          x = x0.slice();
          y = y0.slice();
          if (!same(act.backward(x, go0, x, { y }), b0)) failures.push(`${label(c)}: backward with y, out === x`);
          y = y0.slice();
          if (!same(act.backward(x0, go0, y, { y }), b0)) failures.push(`${label(c)}: backward with y, out === y`);
          // inputs untouched by out-of-place calls
          if (!same(x0, make(dtype, [...EDGE_VALUES, ...sweep(4099, 6)]))) failures.push(`${label(c)}: modified x`);
        }
        expect(failures).toEqual([]);
      });

      test('saturated tails are exact: where the true value rounds to 0, every op gives +-0 (sigmoid(-1e4) = 0)', () => {
        // The kernels clamp their exp arguments; beyond a clamp the result must be the limit, not the value at the
        // clamp held for every larger |x| (sigmoid(-1e4) once gave 8e-39, gelu(-1e4) -6e-39, tanh'(50) 3e-38).
        const far = dtype === 'float32' ? [100, 1e4, 1e30, 3.4e38, Infinity] : [800, 1e4, 1e100, 1e300, Infinity];
        const xs = make(dtype, [...far, ...far.map((v) => -v)]);
        const tiny = dtype === 'float32' ? 2 ** -150 : 2 ** -1075; // at most half the smallest subnormal: rounds to 0
        const failures: string[] = [];
        for (const c of CASES) {
          const act = activations.get(c.name, c.params);
          const ref = references(c, xs);
          const got: [string, FloatArray, Float64Array][] = [
            ['forward', act.forward(xs), ref.f],
            ['derivative', act.derivative(xs), ref.d],
            ['backward', act.backward(xs, make(dtype, xs.map(() => 1))), ref.d],
          ];
          for (const [what, g, want] of got) {
            // native float32 gelu_tanh holds its clamp's -6e-39 below x = -10.13 (within 1e-38; a flush cost 6-7%)
            const bound = dtype === 'float32' && c.op === 'gelu_tanh' && what === 'forward' ? 1e-38 : 0;
            for (let i = 0; i < xs.length; i++) {
              if (abs(want[i]) <= tiny && abs(g[i]) > bound) failures.push(`${label(c)} ${what}(${xs[i]}) = ${g[i]}, want 0`);
            }
          }
        }
        expect(failures).toEqual([]);
      });
    });
  }

  // Every zero result has the same sign on both backends: relu(-0), relu6(-0) and hardswish(x <= -3) were -0 on
  // native and +0 on js; elu, selu and celu(-0) the other way round; swish' and gelu' at -Infinity too; elu(+-0)
  // with a negative alpha (js took alpha expm1(x) at x = 0, native x itself).
  (be.name === 'native' ? test : test.skip)('zero results carry the same sign on every kernel family and js', () => {
    const cases: Case[] = [
      ...CASES,
      { name: 'elu', params: { alpha: -1 }, op: 'elu', a: -1 },
      { name: 'leaky_relu', params: { alpha: -0.1 }, op: 'leaky_relu', a: -0.1 },
    ];
    const nb = getNativeBackend()!;
    const js = getJsBackend();
    const isas = nb.info().isas;
    const before = nb.isa;
    const xs = [...EDGE_VALUES, -5, -3, -1e-40, 1e-40, -5e-324, 5e-324, -1e300, 1e300];
    const failures: string[] = [];
    try {
      for (const isa of isas) {
        nb.setIsa(isa);
        for (const dtype of DTYPES) {
          const x = make(dtype, xs);
          for (const c of cases) {
            const op = ActOp[c.op];
            for (const what of ['forward', 'derivative'] as const) {
              const run = (b: typeof js | typeof nb): FloatArray => {
                const out = make(dtype, xs.map(() => 7));
                if (what === 'forward') b.actForward(op, x, out, c.a ?? 0, c.b ?? 0);
                else b.actBackward(op, x, null, null, out, c.a ?? 0, c.b ?? 0);
                return out;
              };
              const [n, j] = [run(nb), run(js)];
              for (let i = 0; i < xs.length; i++) {
                // both zero (a zero against a subnormal is the accuracy checks' business: within 1e-38)
                if (n[i] === 0 && j[i] === 0 && !Object.is(n[i], j[i])) {
                  const sign = (v: number): string => (Object.is(v, -0) ? '-0' : '+0');
                  failures.push(`${isa} ${dtype} ${label(c)} ${what}(${x[i]}): native ${sign(n[i])}, js ${sign(j[i])}`);
                }
              }
            }
          }
        }
      }
    } finally {
      nb.setIsa(before);
    }
    expect(failures).toEqual([]);
  });

  (be.name === 'native' ? test : test.skip)('the native binding lists its activation kernels in ops.ts order', () => {
    const nb = getNativeBackend();
    expect(nb).not.toBeNull();
    expect(nb!.info().activations).toEqual([...ACT_OPS]);
  });
});
