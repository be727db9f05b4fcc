/** Argument checks shared by the ops (named TypeError/RangeError, thrown before any kernel runs). */
import { Tensor } from '../autograd/tensor';
import { alloc, fmtShape, numelOf, type FloatArray } from '../autograd/util';
import { describeTyped, isDetached } from '../activations/validate';

/**
 * `x` must be a Tensor whose data still holds the elements its shape needs. A tensor's data can lose them after
 * construction: its ArrayBuffer transferred (postMessage, structuredClone: the array then reads as empty), a
 * resizable ArrayBuffer shrunk under it, or `data` replaced by a shorter array. The js kernels would read
 * undefined (NaN) and the native ones refuse it with a message naming none of the op's arguments. The check is a
 * product over the few dimensions and one length compare.
 */
export function checkTensor(x: unknown, where: string, arg: string): Tensor {
  if (!(x instanceof Tensor)) {
    const what = x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
    throw new TypeError(`${where}: '${arg}' must be a Tensor, got ${what}`);
  }
  const data: unknown = x.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    // `data` is a public field: an Array (or other view) put there reads as float32 and reached the kernels
    throw new TypeError(`${where}: '${arg}'.data must be a Float32Array or Float64Array, got ${describeTyped(data)}`);
  }
  if (x.data.length !== numelOf(x.shape)) dataMismatch(x, where, arg);
  return x;
}

function dataMismatch(x: Tensor, where: string, arg: string): never {
  const held = x.data.length;
  if (held === 0 && isDetached(x.data)) {
    throw new TypeError(
      `${where}: '${arg}' is detached (its data's ArrayBuffer was transferred): it holds no data, ` +
        `its shape ${fmtShape(x.shape)} needs ${numelOf(x.shape)} elements`,
    );
  }
  throw new TypeError(
    `${where}: '${arg}' has shape ${fmtShape(x.shape)} (${numelOf(x.shape)} elements) but its data holds ${held}`,
  );
}

/** Turns a number into a 0-d tensor of `like`'s dtype; checks a tensor operand's dtype against `like`. */
export function asOperand(x: unknown, like: Tensor, where: string, arg: string): Tensor {
  if (typeof x === 'number') {
    const d = alloc(like.dtype, 1);
    d[0] = x;
    return new Tensor(d, []);
  }
  const t = checkTensor(x, where, arg);
  if (t.dtype !== like.dtype) {
    throw new TypeError(`${where}: '${arg}' is ${t.dtype} but the other operand is ${like.dtype}; convert with .to()`);
  }
  return t;
}

export function sameDtype(a: Tensor, b: Tensor, where: string, argA: string, argB: string): void {
  if (a.dtype !== b.dtype) {
    throw new TypeError(`${where}: '${argA}' is ${a.dtype} but '${argB}' is ${b.dtype}; convert with .to()`);
  }
}

export function checkFinite(v: unknown, where: string, arg: string): number {
  if (typeof v !== 'number') throw new TypeError(`${where}: '${arg}' must be a number, got ${typeof v}`);
  if (!Number.isFinite(v)) throw new RangeError(`${where}: '${arg}' must be finite, got ${v}`);
  return v;
}

export function checkRank(t: Tensor, min: number, where: string, arg: string): void {
  if (t.ndim < min) {
    throw new RangeError(`${where}: '${arg}' must have at least ${min} dimension(s), got shape ${fmtShape(t.shape)}`);
  }
}

export function wrap(data: FloatArray, shape: number[]): Tensor {
  return new Tensor(data, shape);
}
