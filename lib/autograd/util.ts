/** Small helpers shared by autograd and the ops: dtypes, shapes, allocation, argument checks. */
import type { DType, FloatArray } from '../backend/types';
import { describeTyped } from '../activations/validate';

export type { DType, FloatArray };

/**
 * In-place modification counts, per data array (PyTorch's tensor version counter). Tensors on one array (detach,
 * reshape, alias) share it. The optimizers, nn.init, loadStateDict and setWeights count their writes; a Context
 * records the counts of what it saved, and backward refuses a tensor written since (its gradient would mix old
 * and new values).
 */
const versions = new WeakMap<FloatArray, number>();
export function versionOf(a: FloatArray): number {
  return versions.get(a) ?? 0;
}
export function bumpVersion(a: FloatArray): void {
  versions.set(a, (versions.get(a) ?? 0) + 1);
}

export function isFloatArray(x: unknown): x is FloatArray {
  return x instanceof Float32Array || x instanceof Float64Array;
}

export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

/** Whether finite v would be stored as +-Infinity in a float32 array (past float32's range after rounding). */
export function overflowsFloat32(v: number): boolean {
  return Number.isFinite(v) && !Number.isFinite(Math.fround(v));
}

export function alloc(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** A zeroed array of the same type and length as `a`. */
export function allocLike(a: FloatArray, n: number = a.length): FloatArray {
  return a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

const scratch32: { buf: Float32Array } = { buf: new Float32Array(0) };
const scratch64: { buf: Float64Array } = { buf: new Float64Array(0) };

/**
 * A temporary of n elements of `a`'s type, NOT zeroed, shared by every caller: only for a buffer that is fully
 * written, then read and dropped within one synchronous call (never stored, returned or handed to async work).
 * Saves an allocation and its garbage collection in hot backward passes.
 */
export function scratchLike(a: FloatArray, n: number): FloatArray {
  if (n > 1 << 20) return allocLike(a, n); // large temporaries are not kept alive between calls
  const s = a instanceof Float64Array ? scratch64 : scratch32;
  if (s.buf.length < n) (s as { buf: FloatArray }).buf = a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
  return s.buf.length === n ? s.buf : s.buf.subarray(0, n);
}

export function checkDtype(dtype: unknown, where: string, arg = 'dtype'): DType {
  if (dtype === undefined || dtype === null) return 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new TypeError(`${where}: '${arg}' must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }
  return dtype;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** The flat index i of a row-major tensor of this shape as one index per dimension. */
export function multiIndex(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** The index of the first NaN or +-Infinity in d, or -1. */
export function firstNonFinite(d: ArrayLike<number>): number {
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) return i; // NaN and +-Infinity (v - v is NaN), without a call per element
  }
  return -1;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A shape's entry in a message: 3, 2.5, 2n (JSON.stringify throws on a BigInt), "3", null, an object's JSON. */
function shapeEntry(e: unknown): string {
  if (typeof e === 'number') return String(e);
  if (typeof e === 'bigint') return `${e}n`;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return Object.prototype.toString.call(e); // a cyclic object
  }
}

/** Validates a shape argument (an array of non-negative safe integers, or a single integer). */
export function checkShape(shape: unknown, where: string, arg = 'shape'): number[] {
  if (typeof shape === 'number') shape = [shape];
  if (!Array.isArray(shape)) {
    throw new TypeError(`${where}: '${arg}' must be an array of non-negative integers, got ${typeof shape}`);
  }
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      const shown = shape.map(shapeEntry);
      const Err = typeof d === 'number' ? RangeError : TypeError; // a wrong type is a TypeError, as elsewhere
      throw new Err(`${where}: '${arg}' must hold non-negative integers, got [${shown.join(', ')}]`);
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n) || n > 2 ** 32) {
    throw new RangeError(`${where}: '${arg}' ${fmtShape(shape)} has too many elements`);
  }
  return shape.slice();
}

/** Normalizes a possibly negative dimension index for a tensor of rank ndim. */
export function normDim(dim: unknown, ndim: number, where: string, arg = 'dim'): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim)) {
    throw new TypeError(`${where}: '${arg}' must be an integer, got ${describeTyped(dim)}`);
  }
  const r = Math.max(ndim, 1);
  if (dim < -r || dim >= r) {
    throw new RangeError(`${where}: '${arg}' = ${dim} is out of range for a tensor with ${ndim} dimension(s)`);
  }
  return dim < 0 ? dim + r : dim;
}

/** Row-major strides. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
