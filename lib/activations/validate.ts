/** Argument checks for the public activation API: named TypeError/RangeError before any kernel runs. */
import { types } from 'util';
import type { FloatArray } from '../backend/types';

export function isFloatArray(v: unknown): v is FloatArray {
  return v instanceof Float32Array || v instanceof Float64Array;
}

/** A short description of a value for error messages: 'Float32Array', 'Array', 'null', 'string', ... */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  if (typeof v === 'number') return `number ${v}`;
  return typeof v;
}

/**
 * describe() with the value of a string or boolean shown too (`string "NaN"`, `boolean true`), for messages about
 * a value the user typed (an activation parameter such as `swish:beta=NaN` on the command line).
 */
export function describeTyped(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  if (typeof v === 'bigint') return `${v}n (a BigInt)`;
  return describe(v);
}

export function dtypeOf(v: FloatArray): 'float32' | 'float64' {
  return v instanceof Float32Array ? 'float32' : 'float64';
}

// The %TypedArray%.prototype getters read a typed array's internal slots: a subclass can override `buffer`,
// `byteOffset`, `byteLength` and `length` with getters of its own that would hide an overlap from the checks
// below, or make a length check pass for an array the kernels then read past (js) or refuse (native).
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
function intrinsicGetter<R>(key: string): (this: ArrayBufferView) => R {
  return Object.getOwnPropertyDescriptor(typedArrayProto, key)!.get as (this: ArrayBufferView) => R;
}
export const bufferOf = intrinsicGetter<ArrayBufferLike>('buffer');
export const byteOffsetOf = intrinsicGetter<number>('byteOffset');
export const byteLengthOf = intrinsicGetter<number>('byteLength');
export const lengthOf = intrinsicGetter<number>('length');

/** %TypedArray%.prototype.set, which a subclass cannot override: copies `src` into `dst` from `offset` on. */
export const setInto = (typedArrayProto as { set: (this: ArrayBufferView, src: ArrayLike<number>, o?: number) => void })
  .set;

/**
 * Whether a and b may share memory although they are views of two buffer objects. Only SharedArrayBuffers can:
 * one memory is seen through a new SharedArrayBuffer object in every thread it is posted to (and back), and no API
 * tells whether two such objects hold the same memory. An ArrayBuffer's memory belongs to that one object, and
 * views of one object are judged by their offsets (viewsOverlap). Callers that write b while reading a then work
 * through a temporary.
 */
export function mayShareUnseen(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const ba = bufferOf.call(a);
  const bb = bufferOf.call(b);
  return ba !== bb && types.isSharedArrayBuffer(ba) && types.isSharedArrayBuffer(bb);
}

/**
 * Whether the first `aBytes` bytes of view a and the first `bBytes` bytes of view b share a byte of one buffer
 * (read through the intrinsic getters; an empty range shares none).
 */
export function viewsOverlap(a: ArrayBufferView, aBytes: number, b: ArrayBufferView, bBytes: number): boolean {
  if (aBytes === 0 || bBytes === 0 || bufferOf.call(a) !== bufferOf.call(b)) return false;
  const a0 = byteOffsetOf.call(a);
  const b0 = byteOffsetOf.call(b);
  return a0 < b0 + bBytes && b0 < a0 + aBytes;
}

/**
 * Whether typed array `v` sits on a detached ArrayBuffer (transferred by postMessage or structuredClone). Node 20
 * has no ArrayBuffer.prototype.detached; a view of a detached buffer has length 0 and constructing a view of the
 * buffer throws a TypeError. Callers only ask for arrays of length 0, so the common path costs nothing.
 */
export function isDetached(v: ArrayBufferView): boolean {
  try {
    new Uint8Array(bufferOf.call(v), 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * Whether typed array `v` is out of its buffer's bounds: a fixed-length view of a resizable ArrayBuffer that was
 * shrunk below its end reads as length 0, as a detached one does. `%TypedArray%.prototype.at` validates the view
 * (a TypeError for an out-of-bounds or detached one) and reads nothing of an empty one. Asked for length 0 only.
 */
function isOutOfBounds(v: ArrayBufferView): boolean {
  try {
    typedArrayAt.call(v, 0);
    return false;
  } catch {
    return true;
  }
}
const typedArrayAt = (Object.getPrototypeOf(Float32Array.prototype) as { at: (i: number) => unknown }).at;

/**
 * `v` must be a Float32Array or Float64Array, not detached (that would read as an empty array), whose `length`
 * is its element count: a subclass may override the property, and the kernels (the js ones read `length`, the
 * native ones the element count) would then disagree on what the array holds. Messages start with `name`; the
 * detached one with `shown` (default: name in quotes; a caller whose name already holds quotes passes it again).
 */
export function checkFloatArray(v: unknown, name: string, shown = `'${name}'`): FloatArray {
  if (!isFloatArray(v)) throw new TypeError(`${name} must be a Float32Array or Float64Array, got ${describe(v)}`);
  let n: number;
  try {
    n = lengthOf.call(v);
  } catch {
    // an object whose prototype chain holds Float32Array.prototype, but no typed array
    throw new TypeError(`${name} must be a Float32Array or Float64Array, got an object that only inherits from one`);
  }
  if (n === 0 && isDetached(v)) {
    throw new TypeError(`${shown} is detached (its ArrayBuffer was transferred): it holds no data`);
  }
  if (n === 0 && isOutOfBounds(v)) {
    const why = "is out of its ArrayBuffer's bounds (a resizable ArrayBuffer shrunk under it)";
    throw new TypeError(`${shown} ${why}: it holds no data`);
  }
  checkTrueLength(v, name);
  return v;
}

/**
 * The element count of typed array `v`, which its `length` must report: a subclass may override the property,
 * and code that reads `length` (the js kernels, length checks) would then disagree with the native kernels (the
 * element count) on what the array holds. A TypeError naming `name` otherwise.
 */
export function checkTrueLength(v: ArrayBufferView & { length: number }, name: string): number {
  const n = lengthOf.call(v);
  if (v.length !== n) {
    throw new TypeError(
      `${name} has a 'length' of ${String(v.length)} but holds ${n} elements (class ${describe(v)} overrides it): ` +
        'pass a plain Float32Array or Float64Array',
    );
  }
  return n;
}

/**
 * `v` must be a typed array of x's dtype and length, and must either be x itself (the same memory) or not
 * overlap x at all: a partial overlap would make a kernel read elements it has already overwritten.
 */
export function checkLike(v: unknown, name: string, x: FloatArray, xName = 'x'): FloatArray {
  const a = checkFloatArray(v, name);
  if (a.constructor !== x.constructor) {
    throw new TypeError(
      `${name} is a ${a.constructor.name} but ${xName} is a ${x.constructor.name}: all arrays of one call share one dtype`,
    );
  }
  const n = lengthOf.call(a);
  const xn = lengthOf.call(x);
  if (n !== xn) throw new RangeError(`${name} has length ${n} but ${xName} has length ${xn}; they must match`);
  checkNoPartialOverlap(a, name, x, xName);
  return a;
}

/**
 * a and b must be the same elements or share no byte. Two SharedArrayBuffer objects can hold the same memory (one
 * received through postMessage) and escape this check: the native backend checks the data pointers again.
 */
export function checkNoPartialOverlap(a: FloatArray, aName: string, b: FloatArray, bName: string): void {
  const aBytes = byteLengthOf.call(a);
  const bBytes = byteLengthOf.call(b);
  if (!viewsOverlap(a, aBytes, b, bBytes)) return;
  const shift = byteOffsetOf.call(a) - byteOffsetOf.call(b);
  if (shift === 0 && aBytes === bBytes) return; // the same elements: in place
  throw new RangeError(
    `${aName} partially overlaps ${bName} (same buffer, shifted by ${shift} bytes): ` +
      `pass the same array to work in place, or a separate one`,
  );
}

/** A new zeroed array of v's dtype. */
export function allocLike(v: FloatArray, length = lengthOf.call(v)): FloatArray {
  return v instanceof Float32Array ? new Float32Array(length) : new Float64Array(length);
}
