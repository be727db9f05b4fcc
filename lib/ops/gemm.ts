/**
 * Public, validated GEMM on typed arrays:  C = alpha * op(A) op(B) + beta * C   (row-major).
 *
 *   gemm(a, b, c, { m, n, k, transA, transB, alpha, beta, lda, ldb, ldc }) -> c
 *   gemmAsync(a, b, c, { ... }) -> Promise<c>        (native: runs on a libuv worker thread)
 *
 * op(A) is m x k (A is stored k x m when transA), op(B) is k x n (stored n x k when transB), C is m x n.
 * lda/ldb/ldc are row strides of the arrays as stored and default to their row lengths. beta == 0 ignores
 * C's previous content (NaN included); k == 0 gives C = beta * C. Every argument is checked here, with an
 * error naming it, before anything reaches the backend.
 */
import { backend } from '../backend';
import type { FloatArray } from '../backend';
import { checkFloatArray, dtypeOf, mayShareUnseen, viewsOverlap } from '../activations/validate';

export interface GemmOptions {
  /** Rows of op(A) and C. */
  m: number;
  /** Columns of op(B) and C. */
  n: number;
  /** Columns of op(A), rows of op(B). */
  k: number;
  /** Use A transposed (A is stored k x m). Default false. */
  transA?: boolean;
  /** Use B transposed (B is stored n x k). Default false. */
  transB?: boolean;
  /** Default 1. */
  alpha?: number;
  /** Default 0. */
  beta?: number;
  /** Row stride of A as stored: default k (m when transA). */
  lda?: number;
  /** Row stride of B as stored: default n (k when transB). */
  ldb?: number;
  /** Row stride of C: default n. */
  ldc?: number;
}

const KNOWN_OPTIONS = new Set(['m', 'n', 'k', 'transA', 'transB', 'alpha', 'beta', 'lda', 'ldb', 'ldc']);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an Array';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'bigint') return `${v}n (a BigInt)`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  return typeof v;
}

/**
 * A Float32Array or Float64Array, not detached, whose `length` tells its element count (the length checks below
 * read it): the activations' check, which also refuses objects that only inherit from a typed array's prototype
 * (Object.create(Float32Array.prototype), a Proxy of a typed array) with a TypeError naming the argument.
 */
function checkArray(name: string, v: unknown): FloatArray {
  return checkFloatArray(v, `gemm: '${name}'`, `gemm: '${name}'`);
}

/** A dimension or leading dimension: a TypeError when no number (as for the other options), else a RangeError. */
function checkCount(name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`gemm: '${name}' must be a number, got ${describe(v)}`);
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`gemm: '${name}' must be a non-negative safe integer, got ${describe(v)}`);
  }
  return v;
}

function checkBool(name: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new TypeError(`gemm: '${name}' must be a boolean, got ${describe(v)}`);
  return v;
}

/** alpha / beta: a finite number; for float32 arrays one that float32 holds (the native kernels scale in float32). */
function checkScalar(name: string, v: unknown, dflt: number, f32: boolean): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`gemm: '${name}' must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new RangeError(`gemm: '${name}' must be finite, got ${v}`);
  if (f32 && (!Number.isFinite(Math.fround(v)) || (v !== 0 && Math.fround(v) === 0))) {
    throw new RangeError(`gemm: '${name}' must be 0 or within float32's range for float32 arrays, got ${v}`);
  }
  return v;
}

/** Leading dimension: default the row length; otherwise a safe integer >= the row length. */
function checkLd(name: string, v: unknown, rowLen: number, rowLenExpr: string): number {
  if (v === undefined) return rowLen;
  const ld = checkCount(name, v);
  if (ld < rowLen) {
    throw new RangeError(`gemm: '${name}' (${ld}) must be at least the row length ${rowLenExpr} = ${rowLen}`);
  }
  return ld;
}

/**
 * Elements spanned by `rows` rows of `rowLen` values at stride `ld`: (rows - 1) * ld + rowLen, or 0 when
 * nothing is accessed. Throws a RangeError when that exceeds Number.MAX_SAFE_INTEGER.
 */
function span(name: string, rows: number, rowLen: number, ld: number): number {
  if (rows === 0 || rowLen === 0) return 0;
  const need = (rows - 1) * ld + rowLen;
  if (!Number.isSafeInteger(need) || (rows - 1) * ld > Number.MAX_SAFE_INTEGER - rowLen) {
    throw new RangeError(
      `gemm: the shape of '${name}' (${rows} rows of ${rowLen}, stride ${ld}) overflows Number.MAX_SAFE_INTEGER`,
    );
  }
  return need;
}

function checkLength(name: string, arr: FloatArray, need: number, shape: string): void {
  if (arr.length < need) {
    throw new RangeError(`gemm: '${name}' has length ${arr.length} but ${shape} needs at least ${need} elements`);
  }
}

/**
 * True when the accessed byte ranges of x and y (first `nx` / `ny` elements) overlap in one buffer (read through
 * the intrinsic getters, which a subclass cannot override).
 */
function overlaps(x: FloatArray, nx: number, y: FloatArray, ny: number): boolean {
  return viewsOverlap(x, nx * x.BYTES_PER_ELEMENT, y, ny * y.BYTES_PER_ELEMENT);
}

interface GemmPlan {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  lda: number;
  ldb: number;
  ldc: number;
  /** c may overlap a or b through two SharedArrayBuffer objects: compute into a temporary (tempFor). */
  viaTemp: boolean;
}

/** Checks every argument of gemm/gemmAsync (errors name the argument) and returns the resolved call. */
function plan(a: unknown, b: unknown, c: unknown, options: unknown, fn: string): GemmPlan {
  try {
    return planGemm(a, b, c, options as GemmOptions);
  } catch (e) {
    if (fn !== 'gemm' && e instanceof Error && e.message.startsWith('gemm: ')) e.message = `${fn}: ${e.message.slice(6)}`;
    throw e;
  }
}

function planGemm(a: unknown, b: unknown, c: unknown, options: GemmOptions): GemmPlan {
  checkArray('a', a);
  checkArray('b', b);
  checkArray('c', c);
  const A = a as FloatArray;
  const B = b as FloatArray;
  const C = c as FloatArray;
  // dtypes, not constructors: a subclass of Float32Array is a Float32Array to the kernels
  const dtype = dtypeOf(A);
  if (dtypeOf(B) !== dtype || dtypeOf(C) !== dtype) {
    throw new TypeError(
      `gemm: 'a', 'b' and 'c' must share one dtype, got a: ${A.constructor.name}, b: ${B.constructor.name}, ` +
        `c: ${C.constructor.name}`,
    );
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`gemm: 'options' must be an object { m, n, k, ... }, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new TypeError(`gemm: unknown option '${key}' (known: ${[...KNOWN_OPTIONS].join(', ')})`);
    }
  }
  const m = checkCount('m', options.m);
  const n = checkCount('n', options.n);
  const k = checkCount('k', options.k);
  const transA = checkBool('transA', options.transA);
  const transB = checkBool('transB', options.transB);
  const alpha = checkScalar('alpha', options.alpha, 1, dtype === 'float32');
  const beta = checkScalar('beta', options.beta, 0, dtype === 'float32');

  // Stored shapes: A is m x k (k x m when transA), B is k x n (n x k when transB), C is m x n.
  const aRows = transA ? k : m;
  const aCols = transA ? m : k;
  const bRows = transB ? n : k;
  const bCols = transB ? k : n;
  const lda = checkLd('lda', options.lda, aCols, transA ? 'm' : 'k');
  const ldb = checkLd('ldb', options.ldb, bCols, transB ? 'k' : 'n');
  const ldc = checkLd('ldc', options.ldc, n, 'n');

  // A and B are only read when the product is non-empty; C is touched whenever m * n > 0.
  const used = m > 0 && n > 0 && k > 0;
  const needA = used ? span('a', aRows, aCols, lda) : 0;
  const needB = used ? span('b', bRows, bCols, ldb) : 0;
  const needC = span('c', m, n, ldc);
  if (m > 0 && n > 0 && k > 0 && m * n > Number.MAX_SAFE_INTEGER / k) {
    throw new RangeError(`gemm: m * n * k (${m} * ${n} * ${k}) overflows Number.MAX_SAFE_INTEGER`);
  }
  const stored = (rows: string, cols: string, ld: number): string => `a ${rows} x ${cols} matrix with row stride ${ld}`;
  checkLength('a', A, needA, stored(transA ? 'k' : 'm', transA ? 'm' : 'k', lda) + ` (m=${m}, k=${k})`);
  checkLength('b', B, needB, stored(transB ? 'n' : 'k', transB ? 'k' : 'n', ldb) + ` (k=${k}, n=${n})`);
  checkLength('c', C, needC, stored('m', 'n', ldc) + ` (m=${m}, n=${n})`);

  // Spans, not the elements read and written: an operand inside the padding between c's rows is refused too.
  const within = '(same buffer, within the span from c[0] to its last element)';
  if (overlaps(C, needC, A, needA)) throw new RangeError(`gemm: 'c' must not overlap 'a' ${within}`);
  if (overlaps(C, needC, B, needB)) throw new RangeError(`gemm: 'c' must not overlap 'b' ${within}`);
  const viaTemp = hiddenOverlap(C, needC, A, needA) || hiddenOverlap(C, needC, B, needB);
  return { transA, transB, m, n, k, alpha, beta, lda, ldb, ldc, viaTemp };
}

/** Whether the accessed part of x may share memory with y's unseen (mayShareUnseen; empty parts share none). */
function hiddenOverlap(x: FloatArray, nx: number, y: FloatArray, ny: number): boolean {
  return nx > 0 && ny > 0 && mayShareUnseen(x, y);
}

/**
 * For a c that may overlap a or b unseen (hiddenOverlap): a dense m x n temporary that the backend computes into
 * instead (holding c's values when beta != 0), so that no element of a or b is read after c is written. Both
 * backends then give the product of a and b as they were at the call, as for separate arrays.
 */
function tempFor(c: FloatArray, p: GemmPlan): FloatArray {
  const t = c instanceof Float64Array ? new Float64Array(p.m * p.n) : new Float32Array(p.m * p.n);
  if (p.beta !== 0) for (let i = 0; i < p.m; i++) t.set(c.subarray(i * p.ldc, i * p.ldc + p.n), i * p.n);
  return t;
}

/** Copies the temporary's rows into c (its padding between rows is left alone). */
function copyBack(t: FloatArray, c: FloatArray, p: GemmPlan): void {
  for (let i = 0; i < p.m; i++) c.set(t.subarray(i * p.n, (i + 1) * p.n), i * p.ldc);
}

/**
 * C = alpha * op(A) op(B) + beta * C, in place; returns c. All three arrays are Float32Array or all are
 * Float64Array. The backend (native or TypeScript, see backendInfo()) does the work. c must not overlap a or b
 * (a RangeError); where c and a or b are views of two SharedArrayBuffer objects, which may hold one memory, c
 * gets the product through a temporary (the operands' values at the call, on both backends).
 */
export function gemm<T extends FloatArray>(a: T, b: T, c: T, options: GemmOptions): T {
  const p = plan(a, b, c, options, 'gemm');
  if (p.m === 0 || p.n === 0) return c;
  if (p.viaTemp) {
    const t = tempFor(c, p);
    backend().gemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, a, p.lda, b, p.ldb, p.beta, t, p.n, null);
    copyBack(t, c, p);
    return c;
  }
  backend().gemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, a, p.lda, b, p.ldb, p.beta, c, p.ldc, null);
  return c;
}

/**
 * gemm off the main thread: the same arguments and checks as gemm (a bad argument rejects with the same
 * TypeError/RangeError). On the native backend the product runs on a libuv worker thread, so a large one
 * does not block the event loop: a, b (and c when beta != 0) are copied when gemmAsync is called, and c is
 * written just before the promise resolves to it (changes to a, b or c meanwhile do not affect the result;
 * c must not be detached or resized before then). The TypeScript backend computes synchronously and returns
 * a resolved promise.
 */
export function gemmAsync<T extends FloatArray>(a: T, b: T, c: T, options: GemmOptions): Promise<T> {
  let p: GemmPlan;
  try {
    p = plan(a, b, c, options, 'gemmAsync');
  } catch (e) {
    return Promise.reject(e);
  }
  if (p.m === 0 || p.n === 0) return Promise.resolve(c);
  const be = backend();
  // c on a SharedArrayBuffer cannot be detached or shrunk before the copy back (those buffers only grow)
  const out = p.viaTemp ? tempFor(c, p) : c;
  const ldc = p.viaTemp ? p.n : p.ldc;
  const done = (): T => {
    if (out !== c) copyBack(out, c, p);
    return c;
  };
  if (typeof be.gemmAsync === 'function') {
    const run = be.gemmAsync(p.transA, p.transB, p.m, p.n, p.k, p.alpha, a, p.lda, b, p.ldb, p.beta, out, ldc, null);
    return run.then(done);
  }
  try {
    be.gemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, a, p.lda, b, p.ldb, p.beta, out, ldc, null);
    return Promise.resolve(done());
  } catch (e) {
    return Promise.reject(e);
  }
}
