/**
 * Batching helpers for the training loop: shuffled index orders, contiguous batch ranges over an order, and
 * gathering rows of a row-major matrix into a (reusable) batch buffer.
 */
import { Rng } from '../util/random';
import { backend } from '../backend';
import type { FloatArray } from '../backend/types';
import { bufferOf, byteLengthOf, describeTyped, mayShareUnseen, setInto, viewsOverlap } from '../activations/validate';

export type IndexArray = Int32Array | Uint32Array | readonly number[];
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray;

function checkCount(fn: string, name: string, v: unknown, min: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TypeError(`${fn}: ${name} must be an integer, got ${describeTyped(v)}`);
  }
  if (v < min || v > 0x7fffffff) throw new RangeError(`${fn}: ${name} must be in [${min}, 2^31), got ${v}`);
}

/** A random permutation of 0..n-1 drawn from `rng` (Fisher-Yates). */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  checkCount('shuffledIndices', 'n', n, 0);
  if (!(rng instanceof Rng)) throw new TypeError('shuffledIndices: rng must be an Rng (lib/util/random)');
  return rng.permutation(n);
}

/** 0..n-1 in order. */
export function arange(n: number): Int32Array {
  checkCount('arange', 'n', n, 0);
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Number of batches of `batchSize` in n items (the last one partial unless dropLast). */
export function numBatches(n: number, batchSize: number, dropLast = false): number {
  checkCount('numBatches', 'n', n, 0);
  checkCount('numBatches', 'batchSize', batchSize, 1);
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

export interface BatchRange {
  /** 0-based batch number. */
  index: number;
  /** Positions [start, end) in the iteration order. */
  start: number;
  end: number;
  size: number;
}

/** Yields [start, end) ranges covering 0..n-1 in steps of batchSize; the last is partial unless dropLast. */
export function* batchRanges(n: number, batchSize: number, opts: { dropLast?: boolean } = {}): Generator<BatchRange> {
  const count = numBatches(n, batchSize, opts.dropLast ?? false);
  for (let b = 0; b < count; b++) {
    const start = b * batchSize;
    const end = Math.min(n, start + batchSize);
    yield { index: b, start, end, size: end - start };
  }
}

/**
 * Yields the indices of each batch as views into `order` (no copy), e.g. order = shuffledIndices(n, rng)
 * for a shuffled epoch.
 */
export function* batchIndices(
  order: Int32Array,
  batchSize: number,
  opts: { dropLast?: boolean } = {},
): Generator<Int32Array> {
  if (!(order instanceof Int32Array)) throw new TypeError('batchIndices: order must be an Int32Array');
  for (const r of batchRanges(order.length, batchSize, opts)) yield order.subarray(r.start, r.end);
}

/**
 * Gathers rows of the row-major matrix X (rows x features) into a new array of the same type, in the order of
 * `indices`. With `out` (at least indices.length * features long), writes there instead and returns the
 * view of the rows written (reuse one buffer per batch size in a training loop).
 */
export function takeRows<T extends NumericArray>(X: T, features: number, indices: IndexArray, out?: T): T {
  if (!ArrayBuffer.isView(X) || X instanceof DataView) throw new TypeError('takeRows: X must be a typed array');
  checkCount('takeRows', 'features', features, 1);
  if (X.length % features !== 0) {
    throw new RangeError(`takeRows: X has ${X.length} elements, not a multiple of features = ${features}`);
  }
  if (indices == null || typeof (indices as ArrayLike<number>).length !== 'number') {
    throw new TypeError('takeRows: indices must be an Int32Array, Uint32Array or number[]');
  }
  const rows = X.length / features;
  const m = indices.length;
  let dst: T;
  if (out !== undefined) {
    if (!ArrayBuffer.isView(out) || out.constructor !== X.constructor) {
      throw new TypeError(`takeRows: out must be a ${X.constructor.name} like X`);
    }
    if (out.length < m * features) {
      throw new RangeError(`takeRows: out has ${out.length} elements, ${m} rows of ${features} need ${m * features}`);
    }
    dst = (out.length === m * features ? out : out.subarray(0, m * features)) as T;
    // Any row of X may be read after rows of out are written.
    if (viewsOverlap(dst, byteLengthOf.call(dst), X, byteLengthOf.call(X))) {
      throw new RangeError('takeRows: out must not overlap X (they share memory): pass a separate array');
    }
  } else {
    dst = new (X.constructor as new (n: number) => T)(m * features);
  }
  // out over X through another SharedArrayBuffer object (the check above cannot see it): gather into a new array,
  // then copy, so that no row of X is read after out is written
  if (out !== undefined && mayShareUnseen(dst, X)) {
    const rows = takeRows(X, features, indices);
    setInto.call(dst, rows);
    return dst;
  }
  const kernel = (X instanceof Float32Array || X instanceof Float64Array) && indices instanceof Int32Array;
  // The loop at the end reads the indices as it writes out: when the two share memory it works on a copy (the
  // backends' takeRows kernels copy the indices themselves).
  if (
    !kernel &&
    ArrayBuffer.isView(indices) &&
    (bufferOf.call(indices) === bufferOf.call(dst) || mayShareUnseen(indices, dst))
  ) {
    indices = indices.slice();
  }
  for (let i = 0; i < m; i++) {
    const r = indices[i];
    if (!(r >= 0 && r < rows) || !Number.isInteger(r)) {
      throw new RangeError(`takeRows: indices[${i}] = ${r} is not a row of X (rows = ${rows})`);
    }
  }
  if (kernel) {
    // the training loop's gather kernel
    backend().takeRows(X, features, indices as Int32Array, 0, m, dst as unknown as FloatArray);
    return dst;
  }
  for (let i = 0; i < m; i++) {
    const r = indices[i];
    if (features === 1) dst[i] = X[r];
    else dst.set(X.subarray(r * features, (r + 1) * features) as never, i * features);
  }
  return dst;
}
