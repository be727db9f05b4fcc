/**
 * GEMM conformance: the public `gemm` and backend().gemm (with its epilogue) against a float64 naive
 * reference written here. Runs under whichever backend is active (`npm test` runs it on native default
 * ISA, native SWISHNET_ISA=scalar and SWISHNET_BACKEND=js).
 *
 * Tolerance: per element, |got - ref| <= tol * mag, where mag = |alpha| * sum_p |a_ip||b_pj| + |beta c_ij|
 * + |bias_j| and tol = (k + 4) * u (u = 2^-24 for float32, 2^-53 for float64; doubled for float64 since
 * the reference itself rounds in double). That is the worst-case bound of any summation order, with or
 * without FMA; a missing or wrong term (~ mag / k) is well above it.
 */
import { ActOp, backend, type Backend, type FloatArray } from '../lib/backend';
import { gemm } from '../lib/ops/gemm';
import { Rng } from '../lib/util/random';

type DT = 'float32' | 'float64';
const DTYPES: DT[] = ['float32', 'float64'];
const ctor = (dt: DT): typeof Float32Array | typeof Float64Array => (dt === 'float32' ? Float32Array : Float64Array);
const unit = (dt: DT): number => (dt === 'float32' ? 2 ** -24 : 2 ** -53);
const tolFor = (dt: DT, k: number): number => (dt === 'float32' ? (k + 4) * 2 ** -24 + (k + 4) * 2 ** -53 : 2 * (k + 4) * 2 ** -53);

const rng = new Rng(20240611);
// Jest runs tests in a vm context, where every global lookup (Math included) is slow; hot loops use this.
const abs = Math.abs;

function randArray(dt: DT, len: number, lo = -1, hi = 1): FloatArray {
  const x = new (ctor(dt))(len);
  for (let i = 0; i < len; i++) x[i] = rng.uniform(lo, hi);
  return x;
}

/** Elements spanned by `rows` rows of `cols` at stride ld. */
const spanOf = (rows: number, cols: number, ld: number): number => (rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols);

/** A float32 or float64 array of len values of f(). */
function filled(dt: 'float32' | 'float64', len: number, f: () => number): FloatArray {
  return dt === 'float32' ? Float32Array.from({ length: len }, f) : Float64Array.from({ length: len }, f);
}

interface Ref {
  val: Float64Array; // m x n, dense
  mag: Float64Array; // m x n, |alpha| sum |a||b| + |beta c| + |bias|
}

/** The float64 reference: val = alpha op(A) op(B) + beta C0 + bias (beta == 0 ignores C0). */
function reference(
  tA: boolean,
  tB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: ArrayLike<number>,
  lda: number,
  b: ArrayLike<number>,
  ldb: number,
  beta: number,
  c0: ArrayLike<number>,
  ldc: number,
  bias: ArrayLike<number> | null = null,
): Ref {
  const val = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let sa = 0;
      for (let p = 0; p < k; p++) {
        const av = tA ? a[p * lda + i] : a[i * lda + p];
        const bv = tB ? b[j * ldb + p] : b[p * ldb + j];
        s += av * bv;
        sa += abs(av * bv);
      }
      let v = alpha * s;
      let g = abs(alpha) * sa;
      if (beta !== 0) {
        v += beta * c0[i * ldc + j];
        g += abs(beta * c0[i * ldc + j]);
      }
      if (bias) {
        v += bias[j];
        g += abs(bias[j]);
      }
      val[i * n + j] = v;
      mag[i * n + j] = g;
    }
  }
  return { val, mag };
}

/** Checks the m x n matrix in `got` (row stride ld) against `want` (dense); reports the worst element. */
function expectClose(got: ArrayLike<number>, ld: number, want: ArrayLike<number>, mag: ArrayLike<number>, m: number, n: number, tol: number, what: string): void {
  let bad = -1;
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const g = got[i * ld + j];
      const w = want[i * n + j];
      const err = abs(g - w);
      const allowed = tol * mag[i * n + j];
      if (!(err <= allowed)) {
        // NaN fails here too
        const ratio = allowed > 0 ? err / allowed : Infinity;
        if (bad < 0 || !(ratio <= worst)) {
          bad = i * n + j;
          worst = ratio;
        }
      }
    }
  }
  if (bad >= 0) {
    const i = Math.floor(bad / n);
    const j = bad % n;
    throw new Error(
      `${what}: C[${i}][${j}] = ${got[i * ld + j]}, reference ${want[bad]} (error ${abs(got[i * ld + j] - want[bad])}, ` +
        `allowed ${tol * mag[bad]}, ${worst.toPrecision(3)}x over)`,
    );
  }
}

/** Every element of buf outside C's m x n window (at offset off, stride ld) is exactly what it was. */
function expectOutsideUntouched(buf: FloatArray, before: FloatArray, off: number, m: number, n: number, ld: number, what: string): void {
  for (let idx = 0; idx < buf.length; idx++) {
    const r = idx - off;
    const inside = r >= 0 && m > 0 && n > 0 && Math.floor(r / ld) < m && r % ld < n;
    if (!inside && !Object.is(buf[idx], before[idx])) {
      throw new Error(`${what}: element ${idx} outside C changed from ${before[idx]} to ${buf[idx]}`);
    }
  }
}

/** Bit-for-bit equality of two typed arrays (fast; jest's toEqual is slow on large typed arrays). */
function sameBits(x: FloatArray, y: FloatArray): boolean {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}

/** '' when got[i * ld + j] === f(src[i * n + j]) for the whole m x n window, else the first mismatch. */
function firstMismatch(got: FloatArray, ld: number, src: FloatArray, m: number, n: number, f: (x: number) => number): string {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (got[i * ld + j] !== f(src[i * n + j])) return `C[${i}][${j}] = ${got[i * ld + j]}, expected ${f(src[i * n + j])}`;
    }
  }
  return '';
}

interface Case {
  dt: DT;
  tA: boolean;
  tB: boolean;
  m: number;
  n: number;
  k: number;
  alpha?: number;
  beta?: number;
  /** Extra elements per row beyond the row length (undefined: use the default ld option). */
  padA?: number;
  padB?: number;
  padC?: number;
  /** Element offsets of the views into larger buffers. */
  offA?: number;
  offB?: number;
  offC?: number;
  /** What C holds before the call when beta == 0. */
  cFill?: 'nan' | 'random';
}

/** Runs the public gemm on one case and checks it against the reference, and that nothing else changed. */
function runCase(cs: Case): void {
  const { dt, tA, tB, m, n, k } = cs;
  const alpha = cs.alpha ?? 1;
  const beta = cs.beta ?? 0;
  const aRows = tA ? k : m;
  const aCols = tA ? m : k;
  const bRows = tB ? n : k;
  const bCols = tB ? k : n;
  const lda = aCols + (cs.padA ?? 0);
  const ldb = bCols + (cs.padB ?? 0);
  const ldc = n + (cs.padC ?? 0);
  const offA = cs.offA ?? 0;
  const offB = cs.offB ?? 0;
  const offC = cs.offC ?? 0;
  const needA = spanOf(aRows, aCols, lda);
  const needB = spanOf(bRows, bCols, ldb);
  const needC = spanOf(m, n, ldc);
  const aBuf = randArray(dt, offA + needA + 3);
  const bBuf = randArray(dt, offB + needB + 3);
  const cBuf = randArray(dt, offC + needC + 3, -2, 2);
  if (beta === 0 && (cs.cFill ?? 'nan') === 'nan') {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cBuf[offC + i * ldc + j] = NaN;
  }
  const a = aBuf.subarray(offA, offA + needA);
  const b = bBuf.subarray(offB, offB + needB);
  const c = cBuf.subarray(offC, offC + needC);
  const aBefore = aBuf.slice();
  const bBefore = bBuf.slice();
  const cBefore = cBuf.slice();

  const opts: Parameters<typeof gemm>[3] = { m, n, k, transA: tA, transB: tB, alpha, beta };
  if (cs.padA !== undefined) opts.lda = lda;
  if (cs.padB !== undefined) opts.ldb = ldb;
  if (cs.padC !== undefined) opts.ldc = ldc;
  const ret = gemm(a, b, c, opts);
  expect(ret).toBe(c);

  const ref = reference(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cBefore.subarray(offC), ldc);
  const what = `${backend().name}/${backend().isa} ${dt} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta}`;
  expectClose(c, ldc, ref.val, ref.mag, m, n, tolFor(dt, k), what);
  expectOutsideUntouched(cBuf, cBefore, offC, m, n, ldc, what);
  expect(sameBits(aBuf, aBefore)).toBe(true);
  expect(sameBits(bBuf, bBefore)).toBe(true);
}

const TRANS: Array<[boolean, boolean]> = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];
const tn = (t: [boolean, boolean]): string => `${t[0] ? 'T' : 'N'}${t[1] ? 'T' : 'N'}`;

describe(`gemm on the ${backend().name} backend (${backend().isa})`, () => {
  describe.each(DTYPES)('%s', (dt) => {
    // m x n x k: tiny, exact tiles, one-off edges in every dimension, odd mid-size, larger odd shapes.
    const SHAPES: Array<[number, number, number]> = [
      [1, 1, 1],
      [1, 7, 3],
      [7, 1, 5],
      [2, 3, 1],
      [4, 4, 4],
      [5, 9, 13],
      [8, 16, 32],
      [17, 13, 31],
      [31, 33, 65],
      [63, 65, 129],
      [129, 65, 785],
      [6, 150, 2000], // several packed blocks of op(B) in the js backend (block = 1 MiB of doubles)
      [3, 9, 40000], // long k: one-panel blocks
    ];
    for (const tr of TRANS) {
      test(`shapes ${tn(tr)}`, () => {
        for (const [m, n, k] of SHAPES) runCase({ dt, tA: tr[0], tB: tr[1], m, n, k });
      });
    }

    test('alpha and beta: beta = 0 ignores NaN in C, beta = 1, alpha = -0.5, negative and fractional beta', () => {
      for (const tr of TRANS) {
        runCase({ dt, tA: tr[0], tB: tr[1], m: 19, n: 23, k: 37, beta: 0, cFill: 'nan' });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 19, n: 23, k: 37, beta: 1 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 19, n: 23, k: 37, alpha: -0.5, beta: 0 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 19, n: 23, k: 37, alpha: -0.5, beta: 0.75 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 21, n: 6, k: 10, alpha: 2.5, beta: -2 });
      }
    });

    test("the MLP's shapes (m x k x n): forward 128x784x128 (B^T), 784x128x128 (A^T), 128x128x64, 128x64x10, backward", () => {
      runCase({ dt, tA: false, tB: true, m: 128, k: 784, n: 128 }); // x W^T
      runCase({ dt, tA: true, tB: false, m: 784, k: 128, n: 128 }); // x^T dy
      runCase({ dt, tA: false, tB: false, m: 128, k: 128, n: 64 });
      runCase({ dt, tA: false, tB: true, m: 128, k: 64, n: 10 });
      runCase({ dt, tA: false, tB: false, m: 128, k: 10, n: 64 }); // dy W
      runCase({ dt, tA: true, tB: false, m: 10, k: 128, n: 64, beta: 1 }); // dW^T += dy^T x
    });

    test('leading dimensions larger than the rows', () => {
      for (const tr of TRANS) {
        runCase({ dt, tA: tr[0], tB: tr[1], m: 13, n: 11, k: 9, padA: 3, padB: 5, padC: 2 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 33, n: 5, k: 70, padA: 1, padB: 0, padC: 7, beta: 0.5 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 1, n: 9, k: 4, padA: 100, padB: 2, padC: 100 });
        // at most 4 x 4: the one-tile path reads A and B in place, through their strides
        runCase({ dt, tA: tr[0], tB: tr[1], m: 3, n: 4, k: 6, padA: 2, padB: 3, padC: 1 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 4, n: 2, k: 5, padA: 7, padB: 1, beta: 0.5 });
      }
    });

    test('subarray views with offsets (unaligned starts)', () => {
      for (const tr of TRANS) {
        runCase({ dt, tA: tr[0], tB: tr[1], m: 10, n: 7, k: 12, offA: 1, offB: 3, offC: 5 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 9, n: 18, k: 5, offA: 7, offB: 2, offC: 1, padC: 3, beta: 1 });
      }
    });

    test('operands on SharedArrayBuffers (computed via a temporary): beta scales the old C, padding is kept', () => {
      const shared = (len: number): FloatArray => {
        const sab = new SharedArrayBuffer(len * ctor(dt).BYTES_PER_ELEMENT) as unknown as ArrayBuffer;
        const x = new (ctor(dt))(sab);
        x.set(randArray(dt, len));
        return x;
      };
      for (const tr of TRANS) {
        const [m, n, k, ldc] = [6, 5, 7, 8];
        const a = shared(m * k);
        const b = shared(k * n);
        const c = shared(spanOf(m, n, ldc) + 2);
        const before = c.slice();
        const what = `SharedArrayBuffer ${dt} ${tn(tr)}`;
        gemm(a, b, c, { m, n, k, transA: tr[0], transB: tr[1], alpha: 0.5, beta: -1.25, ldc });
        const ref = reference(tr[0], tr[1], m, n, k, 0.5, a, tr[0] ? m : k, b, tr[1] ? k : n, -1.25, before, ldc);
        expectClose(c, ldc, ref.val, ref.mag, m, n, tolFor(dt, k), what);
        expectOutsideUntouched(c, before, 0, m, n, ldc, what);
      }
    });

    test('k = 0 gives C = beta * C; m = 0 or n = 0 touch nothing', () => {
      for (const tr of TRANS) {
        runCase({ dt, tA: tr[0], tB: tr[1], m: 5, n: 6, k: 0, beta: 0 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 5, n: 6, k: 0, beta: -1.5 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 5, n: 6, k: 0, beta: 1, padC: 2 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 0, n: 6, k: 4 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 5, n: 0, k: 4 });
        runCase({ dt, tA: tr[0], tB: tr[1], m: 0, n: 0, k: 0 });
      }
      const C = ctor(dt);
      const c = C.from([NaN, NaN, 7]);
      gemm(new C(0), new C(0), c, { m: 1, n: 2, k: 0 });
      expect(Array.from(c)).toEqual([0, 0, 7]);
      // Empty arrays are fine when nothing is read or written.
      expect(gemm(new C(0), new C(0), new C(0), { m: 0, n: 0, k: 3 })).toHaveLength(0);
    });

    test('alpha = 0 does not read A or B (BLAS): C = beta * C even with NaN and Inf there', () => {
      const C = ctor(dt);
      const a = C.from([NaN, 1, Infinity, 3, 4, 5]); // 2 x 3
      const b = C.from([1, NaN, 3, -Infinity, 5, 6]); // 3 x 2
      const c = C.from([1, -2, 3, 4]);
      gemm(a, b, c, { m: 2, n: 2, k: 3, alpha: 0, beta: 0.5 });
      expect(Array.from(c)).toEqual([0.5, -1, 1.5, 2]);
      const c0 = C.from([NaN, NaN, NaN, NaN]);
      gemm(a, b, c0, { m: 2, n: 2, k: 3, alpha: 0, beta: 0 });
      expect(Array.from(c0)).toEqual([0, 0, 0, 0]);
      // with the epilogue: bias still added, activation still applied
      const c1 = C.from([1, -2, 3, 4]);
      const bias = C.from([-10, 0.25]);
      backend().gemm(false, false, 2, 2, 3, 0, a, 3, b, 2, 1, c1, 2, { bias, act: ActOp.relu, a: 0, b: 0, preact: null });
      expect(Array.from(c1)).toEqual([0, 0, 0, 4.25]);
    });

    test('NaN and Inf in A propagate to their row of C only', () => {
      const C = ctor(dt);
      const m = 6;
      const n = 5;
      const k = 7;
      const a = randArray(dt, m * k);
      const b = randArray(dt, k * n);
      a[2 * k + 3] = NaN;
      a[4 * k + 0] = Infinity; // Inf times values of both signs along k: +-Inf, and NaN only where b is 0
      const c = new C(m * n);
      gemm(a, b, c, { m, n, k });
      for (let j = 0; j < n; j++) {
        expect(c[2 * n + j]).toBeNaN();
        expect(Number.isFinite(c[4 * n + j])).toBe(false);
        for (const i of [0, 1, 3, 5]) expect(Number.isFinite(c[i * n + j])).toBe(true);
      }
    });

    test('repeated calls give bit-identical results', () => {
      const m = 70;
      const n = 45;
      const k = 150;
      const a = randArray(dt, m * k);
      const b = randArray(dt, n * k);
      const c1 = new (ctor(dt))(m * n);
      const c2 = new (ctor(dt))(m * n);
      gemm(a, b, c1, { m, n, k, transB: true });
      gemm(randArray(dt, 99 * 77), randArray(dt, 77 * 55), new (ctor(dt))(99 * 55), { m: 99, n: 55, k: 77 });
      gemm(a, b, c2, { m, n, k, transB: true });
      expect(sameBits(c1, c2)).toBe(true);
    });
  });

  describe.each(DTYPES)('epilogue (backend().gemm) %s', (dt) => {
    /**
     * Runs backend().gemm with an epilogue and checks preact against the reference pre-activation and C
     * against f(reference) (or f(preact) exactly, for relu).
     */
    function runEpilogue(opts: {
      tA: boolean;
      tB: boolean;
      m: number;
      n: number;
      k: number;
      alpha?: number;
      beta?: number;
      padC?: number;
      bias: boolean;
      act: number;
      preact: boolean;
      f?: (x: number) => number;
      fTol?: number;
    }): void {
      const { tA, tB, m, n, k } = opts;
      const alpha = opts.alpha ?? 1;
      const beta = opts.beta ?? 0;
      const lda = tA ? m : k;
      const ldb = tB ? k : n;
      const ldc = n + (opts.padC ?? 0);
      const a = randArray(dt, m * k);
      const b = randArray(dt, k * n);
      const cBuf = randArray(dt, spanOf(m, n, ldc) + 2, -2, 2);
      if (beta === 0) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cBuf[i * ldc + j] = NaN;
      const c = cBuf.subarray(0, spanOf(m, n, ldc));
      const cBefore = cBuf.slice();
      const bias = opts.bias ? randArray(dt, n, -0.5, 0.5) : null;
      const preact = opts.preact ? new (ctor(dt))(m * n).fill(12345) : null;
      const biasBefore = bias?.slice();

      backend().gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, { bias, act: opts.act, a: 0, b: 0, preact });

      const ref = reference(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cBefore, ldc, bias);
      const tol = tolFor(dt, k);
      const what = `${backend().name}/${backend().isa} ${dt} epilogue act=${opts.act} bias=${opts.bias} preact=${opts.preact} m=${m} n=${n} k=${k}`;
      if (preact) expectClose(preact, n, ref.val, ref.mag, m, n, tol, `${what} (preact)`);
      if (opts.act < 0) {
        expectClose(c, ldc, ref.val, ref.mag, m, n, tol, what);
        if (preact) expect(firstMismatch(c, ldc, preact, m, n, (x) => x)).toBe('');
      } else {
        const f = opts.f!;
        // f is 1-Lipschitz for the activations tested here: the pre-activation error carries over, plus the
        // activation kernel's own error (fTol, relative to |f| + its absolute floor).
        const want = ref.val.map(f);
        const mag = ref.mag.map((g, idx) => g + ((opts.fTol ?? 0) / tol) * (abs(want[idx]) + 1e-30));
        expectClose(c, ldc, want, mag, m, n, tol, what);
        if (preact && opts.act === ActOp.relu) {
          // relu is exact: C must be relu(preact) bit for bit (up to the sign of zero).
          expect(firstMismatch(c, ldc, preact, m, n, f)).toBe('');
        }
      }
      expectOutsideUntouched(cBuf, cBefore, 0, m, n, ldc, what);
      if (bias) expect(sameBits(bias, biasBefore!)).toBe(true);
    }

    const relu = (x: number): number => (x > 0 ? x : 0);

    test('bias only (act = -1), every transpose, with and without preact', () => {
      for (const tr of TRANS) {
        runEpilogue({ tA: tr[0], tB: tr[1], m: 37, n: 29, k: 41, bias: true, act: -1, preact: false });
        runEpilogue({ tA: tr[0], tB: tr[1], m: 5, n: 3, k: 8, bias: true, act: -1, preact: true });
      }
    });

    test('bias + relu + preact, Linear forward shapes, beta != 0 and row padding', () => {
      runEpilogue({ tA: false, tB: true, m: 128, n: 128, k: 784, bias: true, act: ActOp.relu, preact: true, f: relu });
      runEpilogue({ tA: false, tB: true, m: 128, n: 10, k: 64, bias: true, act: ActOp.relu, preact: true, f: relu });
      runEpilogue({ tA: false, tB: false, m: 33, n: 17, k: 9, bias: true, act: ActOp.relu, preact: false, f: relu });
      runEpilogue({ tA: true, tB: true, m: 7, n: 21, k: 13, bias: false, act: ActOp.relu, preact: true, f: relu });
      runEpilogue({ tA: false, tB: false, m: 9, n: 14, k: 30, beta: 1, alpha: -0.5, bias: true, act: ActOp.relu, preact: true, f: relu });
      runEpilogue({ tA: true, tB: false, m: 11, n: 6, k: 5, padC: 3, bias: true, act: ActOp.relu, preact: true, f: relu });
      runEpilogue({ tA: false, tB: false, m: 4, n: 5, k: 0, beta: 0, bias: true, act: ActOp.relu, preact: true, f: relu });
    });

    test('a smooth activation in the epilogue (tanh) matches tanh of the reference', () => {
      const fTol = dt === 'float32' ? 8 * unit('float32') : 1e-13;
      runEpilogue({ tA: false, tB: true, m: 45, n: 27, k: 100, bias: true, act: ActOp.tanh, preact: true, f: Math.tanh, fTol });
      runEpilogue({ tA: false, tB: false, m: 6, n: 9, k: 3, padC: 2, bias: false, act: ActOp.tanh, preact: false, f: Math.tanh, fTol });
    });
  });

  const nb: Backend | null = backend().name === 'native' ? backend() : null;
  (nb ? describe : describe.skip)('native threads', () => {
    test.each([1, 2])('%i thread(s): correct and bit-identical across repeated calls', (threads) => {
      const be = nb!;
      const prev = be.getThreads();
      try {
        be.setThreads(threads);
        expect(be.getThreads()).toBe(threads);
        for (const dt of DTYPES) {
          for (const [m, n, k, tA, tB] of [
            [256, 256, 256, false, false],
            [200, 333, 129, false, true],
            [784, 128, 128, true, false],
          ] as Array<[number, number, number, boolean, boolean]>) {
            const a = randArray(dt, m * k);
            const b = randArray(dt, k * n);
            const bias = randArray(dt, n);
            const lda = tA ? m : k;
            const ldb = tB ? k : n;
            const results: FloatArray[] = [];
            for (let rep = 0; rep < 3; rep++) {
              const c = new (ctor(dt))(m * n).fill(NaN);
              be.gemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n, { bias, act: ActOp.relu, a: 0, b: 0 });
              results.push(c);
            }
            const ref = reference(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, [], n, bias);
            const want = ref.val.map((x) => (x > 0 ? x : 0));
            expectClose(results[0], n, want, ref.mag, m, n, tolFor(dt, k), `native ${threads} threads ${dt} m=${m} n=${n} k=${k}`);
            for (let rep = 1; rep < results.length; rep++) {
              expect(sameBits(results[rep], results[0])).toBe(true);
            }
          }
        }
      } finally {
        be.setThreads(prev);
      }
    });
  });
});

describe('gemm argument validation', () => {
  const f32 = (n: number): Float32Array => new Float32Array(n);
  const f64 = (n: number): Float64Array => new Float64Array(n);
  const ok = { m: 2, n: 3, k: 4 };

  test('a, b, c must be Float32Array or Float64Array', () => {
    expect(() => gemm([1, 2] as never, f32(12), f32(6), ok)).toThrow(TypeError);
    expect(() => gemm([1, 2] as never, f32(12), f32(6), ok)).toThrow(/'a'/);
    expect(() => gemm(f32(8), new Int32Array(12) as never, f32(6), ok)).toThrow(/'b'.*Int32Array/);
    expect(() => gemm(f32(8), f32(12), null as never, ok)).toThrow(/'c'.*null/);
    expect(() => gemm(f32(8), f32(12), new Uint8Array(6) as never, ok)).toThrow(TypeError);
  });

  test('a subclass that overrides length is refused before the kernel (it would pass the length checks)', () => {
    class Long extends Float32Array {
      override get length(): number {
        return 1000;
      }
    }
    const c = f32(6);
    for (const [args, name, holds] of [
      [[new Long(2), f32(12), c], 'a', 2],
      [[f32(8), new Long(3), c], 'b', 3],
      [[f32(8), f32(12), new Long(1)], 'c', 1],
    ] as [[Float32Array, Float32Array, Float32Array], string, number][]) {
      const msg = `gemm: '${name}' has a 'length' of 1000 but holds ${holds} elements (class Long overrides it)`;
      expect(() => gemm(...args, ok)).toThrow(new TypeError(`${msg}: pass a plain Float32Array or Float64Array`));
    }
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test('mixed dtypes', () => {
    expect(() => gemm(f32(8), f64(12) as never, f32(6), ok)).toThrow(TypeError);
    expect(() => gemm(f32(8), f32(12), f64(6) as never, ok)).toThrow(/one dtype.*Float64Array/);
  });

  test('objects that only inherit from a typed array (Object.create, a Proxy) are a TypeError naming them', () => {
    // V8's "Method get TypedArray.prototype.length called on incompatible receiver" before
    const msg = (name: string): TypeError =>
      new TypeError(
        `gemm: '${name}' must be a Float32Array or Float64Array, got an object that only inherits from one`,
      );
    for (const fake of [Object.create(Float32Array.prototype), new Proxy(f32(12), {})]) {
      for (const [args, name] of [
        [[fake, f32(12), f32(6)], 'a'],
        [[f32(8), fake, f32(6)], 'b'],
        [[f32(8), f32(12), fake], 'c'],
      ] as [[Float32Array, Float32Array, Float32Array], string][]) {
        expect(() => gemm(...args, ok)).toThrow(TypeError);
        expect(() => gemm(...args, ok)).toThrow(msg(name));
      }
    }
  });

  test('a Float32Array subclass goes with plain Float32Arrays (dtypes are compared, not classes)', () => {
    class Sub extends Float32Array {}
    const a = Float32Array.from({ length: 8 }, (_, i) => i - 3);
    const b = Float32Array.from({ length: 12 }, (_, i) => (i % 5) - 2);
    const want = new Float32Array(6);
    gemm(a, b, want, ok);
    const c = new Sub(6);
    expect(gemm(Sub.from(a), b, c, ok)).toBe(c);
    expect(Array.from(c)).toEqual(Array.from(want));
    const c2 = new Float32Array(6);
    gemm(a, new Sub(b), c2, ok);
    expect(Array.from(c2)).toEqual(Array.from(want));
    expect(() => gemm(new Sub(8), f32(12), f64(6) as never, ok)).toThrow(/one dtype/);
  });

  test('options', () => {
    expect(() => gemm(f32(8), f32(12), f32(6), undefined as never)).toThrow(TypeError);
    expect(() => gemm(f32(8), f32(12), f32(6), { ...ok, transa: true } as never)).toThrow(/unknown option 'transa'/);
    expect(() => gemm(f32(8), f32(12), f32(6), { ...ok, transA: 1 } as never)).toThrow(/'transA'.*boolean/);
    expect(() => gemm(f32(8), f32(12), f32(6), { ...ok, transB: 'yes' } as never)).toThrow(TypeError);
  });

  test.each(['m', 'n', 'k'])('%s must be a non-negative safe integer', (name) => {
    // a number out of range is a RangeError, a value of another type (a missing one too) a TypeError
    for (const [bad, Err] of [[-1, RangeError], [1.5, RangeError], [NaN, RangeError], [Infinity, RangeError],
      [2 ** 53, RangeError], ['2', TypeError], [undefined, TypeError], [null, TypeError]] as const) {
      const opts = { ...ok, [name]: bad } as never;
      expect(() => gemm(f32(100), f32(100), f32(100), opts)).toThrow(Err);
      expect(() => gemm(f32(100), f32(100), f32(100), opts)).toThrow(new RegExp(`'${name}'`));
    }
  });

  test('alpha and beta must be finite numbers', () => {
    for (const name of ['alpha', 'beta']) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        expect(() => gemm(f32(8), f32(12), f32(6), { ...ok, [name]: bad })).toThrow(RangeError);
        expect(() => gemm(f32(8), f32(12), f32(6), { ...ok, [name]: bad })).toThrow(new RegExp(`'${name}'.*finite`));
      }
      expect(() => gemm(f32(8), f32(12), f32(6), { ...ok, [name]: '1' } as never)).toThrow(TypeError);
    }
  });

  test('float32: alpha and beta must be 0 or within float32 range (the native kernels scale in float32)', () => {
    const f64 = (n: number): Float64Array => new Float64Array(n).fill(1);
    for (const name of ['alpha', 'beta']) {
      for (const bad of [1e39, -1e39, 1e-46, -1e-46]) {
        expect(() => gemm(f32(8), f32(12), f32(6), { ...ok, [name]: bad })).toThrow(
          new RangeError(`gemm: '${name}' must be 0 or within float32's range for float32 arrays, got ${bad}`),
        );
        expect(() => gemm(f64(8), f64(12), f64(6), { ...ok, [name]: bad })).not.toThrow();
      }
    }
    // at the edges of float32's range both backends give the float32 product
    const one = (n: number): Float32Array => new Float32Array(n).fill(1);
    const c = one(6);
    gemm(one(8), one(12), c, { ...ok, alpha: 1e-38, beta: 1e-44 });
    for (const v of c) expect(Math.abs(v - 4e-38)).toBeLessThan(1e-44);
  });

  test('leading dimensions smaller than the stored row length', () => {
    expect(() => gemm(f32(100), f32(100), f32(100), { ...ok, lda: 3 })).toThrow(/'lda' \(3\).*k = 4/);
    expect(() => gemm(f32(100), f32(100), f32(100), { ...ok, transA: true, lda: 1 })).toThrow(/'lda'.*m = 2/);
    expect(() => gemm(f32(100), f32(100), f32(100), { ...ok, ldb: 2 })).toThrow(/'ldb'.*n = 3/);
    expect(() => gemm(f32(100), f32(100), f32(100), { ...ok, transB: true, ldb: 3 })).toThrow(/'ldb'.*k = 4/);
    expect(() => gemm(f32(100), f32(100), f32(100), { ...ok, ldc: 2 })).toThrow(RangeError);
    expect(() => gemm(f32(100), f32(100), f32(100), { ...ok, ldc: 3.5 })).toThrow(/'ldc'/);
    expect(() => gemm(f32(100), f32(100), f32(100), { ...ok, lda: -4 })).toThrow(RangeError);
    // Exactly the row length, and larger, are fine.
    expect(() => gemm(f32(100), f32(100), f32(100), { ...ok, lda: 4, ldb: 3, ldc: 3 })).not.toThrow();
  });

  test('arrays too short for the shape name the array and the needed length', () => {
    expect(() => gemm(f32(7), f32(12), f32(6), ok)).toThrow(/'a' has length 7 .*at least 8/);
    expect(() => gemm(f32(8), f32(11), f32(6), ok)).toThrow(/'b' has length 11 .*at least 12/);
    expect(() => gemm(f32(8), f32(12), f32(5), ok)).toThrow(/'c' has length 5 .*at least 6/);
    // With strides: the last row needs only its row length, not a full stride.
    expect(() => gemm(f32(13), f32(12), f32(6), { ...ok, lda: 10 })).toThrow(/'a' has length 13 .*at least 14/);
    expect(() => gemm(f32(14), f32(12), f32(6), { ...ok, lda: 10 })).not.toThrow();
    expect(() => gemm(f64(8), f64(12), f64(7), { ...ok, ldc: 5 })).toThrow(/'c' has length 7 .*at least 8/);
    expect(() => gemm(f64(8), f64(12), f64(8), { ...ok, ldc: 5 })).not.toThrow();
    // transposed storage: A is k x m (4 rows of 2), B is n x k (3 rows of 4).
    expect(() => gemm(f64(100), f64(11), f64(6), { ...ok, transB: true, ldb: 4 })).toThrow(/'b' has length 11 .*at least 12/);
    expect(() => gemm(f64(9), f64(12), f64(6), { ...ok, transA: true, lda: 3 })).toThrow(/'a' has length 9 .*at least 11/);
    expect(() => gemm(f64(11), f64(12), f64(6), { ...ok, transA: true, lda: 3 })).not.toThrow();
  });

  test('shapes overflowing Number.MAX_SAFE_INTEGER', () => {
    const big = 2 ** 40;
    expect(() => gemm(f32(8), f32(12), f32(6), { m: big, n: big, k: 1 })).toThrow(RangeError);
    expect(() => gemm(f32(8), f32(12), f32(6), { m: big, n: big, k: 1 })).toThrow(/MAX_SAFE_INTEGER/);
    expect(() => gemm(f32(8), f32(12), f32(6), { m: 3, n: 2, k: 1, lda: 2 ** 52 })).toThrow(/'a'.*MAX_SAFE_INTEGER/);
  });

  test('c overlapping a or b is refused; disjoint views of one buffer are fine', () => {
    const buf = new Float32Array(64);
    expect(() => gemm(buf.subarray(0, 8), buf.subarray(8, 20), buf.subarray(0, 6), ok)).toThrow(/'c' must not overlap 'a'/);
    expect(() => gemm(buf.subarray(0, 8), buf.subarray(8, 20), buf.subarray(19, 25), ok)).toThrow(/'c' must not overlap 'b'/);
    expect(() => gemm(buf.subarray(0, 8), buf.subarray(8, 20), buf.subarray(7, 13), ok)).toThrow(RangeError);
    const c = buf.subarray(20, 26);
    expect(() => gemm(buf.subarray(0, 8), buf.subarray(8, 20), c, ok)).not.toThrow();
    // Views built separately on one ArrayBuffer: overlap is judged by bytes, not by view identity.
    const ab = new ArrayBuffer(256);
    expect(() => gemm(new Float32Array(ab, 0, 8), f32(12), new Float32Array(ab, 16, 6), ok)).toThrow(/overlap 'a'/);
    expect(() => gemm(new Float32Array(ab, 0, 8), f32(12), new Float32Array(ab, 32, 6), ok)).not.toThrow();
  });

  test('nothing is written when validation fails', () => {
    const c = new Float32Array(6).fill(3);
    expect(() => gemm(f32(8), f32(11), c, ok)).toThrow();
    expect(() => gemm(f32(8), f32(12), c, { ...ok, alpha: NaN })).toThrow();
    expect(Array.from(c)).toEqual([3, 3, 3, 3, 3, 3]);
  });
});

describe(`float32 accumulation on the ${backend().name} backend (README: GEMM)`, () => {
  // Documented, not a bug: native sums float32 products in float32 (as BLAS sgemm), js in double.
  test('a partial sum beyond float32\'s range: Infinity on native, the finite result on js; float64 agrees', () => {
    const a = Float32Array.from([2e38, 2e38, -2e38]);
    const b = Float32Array.from([1, 1, 1]);
    const c = new Float32Array(1);
    gemm(a, b, c, { m: 1, n: 1, k: 3 });
    const exact = Math.fround(2e38); // the float32 nearest 2e38, which every input and the result are
    expect(c[0]).toBe(backend().name === 'native' ? Infinity : exact);
    // the same sum in another order never leaves float32's range: both give it
    gemm(Float32Array.from([2e38, -2e38, 2e38]), b, c, { m: 1, n: 1, k: 3 });
    expect(c[0]).toBe(exact);
    const c64 = new Float64Array(1);
    gemm(Float64Array.from(a), Float64Array.from(b), c64, { m: 1, n: 1, k: 3 });
    expect(c64[0]).toBe(exact);
  });
});

(backend().name === 'js' ? describe : describe.skip)('TypeScript GEMM: one tile is summed in place, with the packed path\'s bits', () => {
  test('a product of at most 4 x 4 equals those rows and columns of a packed product; a long dot product', () => {
    const r = new Rng(8);
    for (const dt of ['float32', 'float64'] as const) {
      const Ctor = dt === 'float32' ? Float32Array : Float64Array;
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const k = 37;
        const A = filled(dt, 6 * k, () => r.normal()); // 6 x k (or k x 6)
        const B = filled(dt, k * 6, () => r.normal()); // k x 6 (or 6 x k)
        const C0 = filled(dt, 36, () => r.normal());
        const bias = filled(dt, 6, () => r.normal());
        const big = C0.slice();
        // 6 x 6 goes through the packed kernel; its top-left 3 x 4 block is a one-tile product of the same sums
        backend().gemm(tA, tB, 6, 6, k, 0.7, A, tA ? 6 : k, B, tB ? k : 6, -0.3, big, 6, { bias });
        const small = C0.slice();
        backend().gemm(tA, tB, 3, 4, k, 0.7, A, tA ? 6 : k, B, tB ? k : 6, -0.3, small, 6, { bias });
        for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) expect(small[i * 6 + j]).toBe(big[i * 6 + j]);
        for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) if (i >= 3 || j >= 4) expect(small[i * 6 + j]).toBe(C0[i * 6 + j]);
      }
      const n = 1 << 20;
      const x = filled(dt, n, () => r.normal());
      const y = filled(dt, n, () => r.normal());
      let s = 0;
      for (let p = 0; p < n; p++) s += x[p] * y[p];
      const c = new Ctor(1);
      backend().gemm(false, false, 1, 1, n, 1, x, n, y, 1, 0, c, 1);
      expect(c[0]).toBe(dt === 'float32' ? Math.fround(s) : s);
    }
  });
});

describe(`a row of C has the same bits whatever rows are computed with it (${backend().name})`, () => {
  // what the classifier's chunked validation pass and predict rely on ("exactly as a batch-by-batch pass"); on
  // the native AVX2 kernels a product of one or two rows is summed by the row kernel, not by packed tiles
  const r = new Rng(21);
  const fill = (Ctor: typeof Float32Array | typeof Float64Array, len: number): FloatArray => {
    const x = new Ctor(len);
    for (let i = 0; i < len; i++) x[i] = r.normal();
    return x;
  };
  test('each row of an m x n product equals that row computed alone, for narrow and wide n', () => {
    for (const dt of ['float32', 'float64'] as const) {
      const Ctor = dt === 'float32' ? Float32Array : Float64Array;
      for (const [m, n, k] of [[13, 2, 1000], [7, 1, 4099], [9, 3, 300], [3, 17, 65], [2, 2, 513]] as const) {
        const A = fill(Ctor, m * k);
        const B = fill(Ctor, k * n);
        const bias = fill(Ctor, n);
        const all = new Ctor(m * n);
        backend().gemm(false, false, m, n, k, 1, A, k, B, n, 0, all, n, { bias });
        for (let i = 0; i < m; i++) {
          const row = new Ctor(n);
          backend().gemm(false, false, 1, n, k, 1, A.subarray(i * k, (i + 1) * k), k, B, n, 0, row, n, { bias });
          expect(Array.from(row)).toEqual(Array.from(all.subarray(i * n, (i + 1) * n)));
        }
      }
    }
  });
  test('one and two rows match their rows in a 7-row product: transposes, kc blocks, column tails, alpha, beta', () => {
    for (const dt of ['float32', 'float64'] as const) {
      const Ctor = dt === 'float32' ? Float32Array : Float64Array;
      // n: below one vector, whole vectors, the 3-vector (transposed) and 8-vector passes plus every kind of
      // tail; k: below one transpose block, odd, and over the 384-deep kc blocks (785 = 3 blocks)
      for (const [n, k] of [[1, 3], [7, 9], [8, 8], [13, 17], [24, 33], [67, 785], [130, 400]] as const) {
        for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
          for (const [alpha, beta] of [[1, 0], [-0.75, 1], [2, -0.5]] as const) {
            const mAll = 7;
            // padded leading dimensions: the row kernel must step by lda/ldb, not by k/n
            const lda = (tA ? mAll : k) + 3;
            const ldb = (tB ? k : n) + 5;
            const A = fill(Ctor, (tA ? k : mAll) * lda);
            const B = fill(Ctor, (tB ? n : k) * ldb);
            const C0 = fill(Ctor, mAll * n);
            const all = Ctor.from(C0);
            backend().gemm(tA, tB, mAll, n, k, alpha, A, lda, B, ldb, beta, all, n);
            for (const [i0, m] of [[0, 1], [3, 2], [6, 1]] as const) {
              // rows i0 .. i0+m of op(A): shift the start of A (by rows, or by columns when A is transposed)
              const Asub = A.subarray(tA ? i0 : i0 * lda);
              const part = Ctor.from(C0.subarray(i0 * n, (i0 + m) * n));
              backend().gemm(tA, tB, m, n, k, alpha, Asub, lda, B, ldb, beta, part, n);
              const what = `${dt} n=${n} k=${k} tA=${tA} tB=${tB} alpha=${alpha} beta=${beta} rows ${i0}+${m}`;
              expect([what, Array.from(part)]).toEqual([what, Array.from(all.subarray(i0 * n, (i0 + m) * n))]);
            }
          }
        }
      }
    }
  });
  test('the fused epilogue on one row gives its row of the batched product (bias, preact, tanh)', () => {
    for (const dt of ['float32', 'float64'] as const) {
      const Ctor = dt === 'float32' ? Float32Array : Float64Array;
      const [m, n, k] = [5, 41, 700];
      const A = fill(Ctor, m * k);
      const W = fill(Ctor, n * k);
      const bias = fill(Ctor, n);
      const all = new Ctor(m * n);
      const pre = new Ctor(m * n);
      backend().gemm(false, true, m, n, k, 1, A, k, W, k, 0, all, n, { bias, act: ActOp.tanh, a: 0, b: 0, preact: pre });
      for (let i = 0; i < m; i++) {
        const row = new Ctor(n);
        const rowPre = new Ctor(n);
        const Ai = A.subarray(i * k, (i + 1) * k);
        backend().gemm(false, true, 1, n, k, 1, Ai, k, W, k, 0, row, n, { bias, act: ActOp.tanh, a: 0, b: 0, preact: rowPre });
        expect(Array.from(rowPre)).toEqual(Array.from(pre.subarray(i * n, (i + 1) * n)));
        expect(Array.from(row)).toEqual(Array.from(all.subarray(i * n, (i + 1) * n)));
      }
    }
  });
});
