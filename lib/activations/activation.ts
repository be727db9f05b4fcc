/** Activation objects: validate arguments, then call the active backend's kernels. */
import { backend } from '../backend';
import { ActOp } from '../backend/ops';
import type { FloatArray } from '../backend/types';
import type { Activation, ActivationJSON, ParamValue } from './types';
import { allocLike, checkFloatArray, checkLike, lengthOf, mayShareUnseen, setInto } from './validate';

/**
 * The output array: `out` checked against x, or a new one. An `out` of the wrong type (not a Float32Array or
 * Float64Array, or not x's) is a RangeError, as one of the wrong length is: the inputs' type errors are TypeErrors.
 */
function outFor<T extends FloatArray>(x: T, out: T | null | undefined): T {
  if (out === undefined || out === null) return allocLike(x) as T;
  try {
    return checkLike(out, 'out', x) as T;
  } catch (e) {
    if (e instanceof TypeError) throw new RangeError(e.message);
    throw e;
  }
}

/**
 * Runs `kernel` on `out`, or, where out may share memory with one of `inputs` through another SharedArrayBuffer
 * object (which the overlap checks cannot see), on a temporary copied into out afterwards: every input is then read
 * before out is written, as for separate arrays (a partial overlap would have the kernel read elements it has
 * already overwritten). The values are those of a call on separate arrays, on both backends.
 */
function intoOut(out: FloatArray, inputs: readonly (FloatArray | null)[], kernel: (out: FloatArray) => void): void {
  if (!inputs.some((a) => a !== null && mayShareUnseen(out, a))) return kernel(out);
  const t = allocLike(out);
  kernel(t);
  setInto.call(out, t);
}

/**
 * Shared argument handling. Subclasses implement the three kernel calls; every array reaching them has
 * been checked (typed array, x's dtype and length, no partial overlap).
 */
export abstract class BaseActivation implements Activation {
  readonly params: Readonly<Record<string, ParamValue>>;

  constructor(
    readonly name: string,
    params: Record<string, ParamValue>,
    readonly opId: number,
    readonly a: number,
    readonly b: number,
  ) {
    this.params = Object.freeze({ ...params });
  }

  protected abstract runForward(x: FloatArray, y: FloatArray): void;
  protected abstract runBackward(x: FloatArray, y: FloatArray | null, go: FloatArray | null, gi: FloatArray): void;

  forward<T extends FloatArray>(x: T, out?: T | null): T {
    checkFloatArray(x, 'x');
    const y = outFor(x, out);
    intoOut(y, [x], (o) => this.runForward(x, o));
    return y;
  }

  derivative<T extends FloatArray>(x: T, out?: T | null): T {
    checkFloatArray(x, 'x');
    const gi = outFor(x, out);
    intoOut(gi, [x], (o) => this.runBackward(x, null, null, o));
    return gi;
  }

  backward<T extends FloatArray>(x: T, gradOut: T, out?: T | null, options?: { y?: T | null }): T {
    checkFloatArray(x, 'x');
    checkLike(gradOut, 'gradOut', x);
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TypeError(`options must be an object like { y }, got ${options === null ? 'null' : typeof options}`);
    }
    const y = options?.y ?? null;
    if (y !== null) checkLike(y, 'y', x); // y and gradOut are only read: they may overlap each other
    const gi = outFor(x, out);
    checkLike(gi, 'out', gradOut, 'gradOut');
    if (y !== null) checkLike(gi, 'out', y, 'y');
    intoOut(gi, [x, y, gradOut], (o) => this.runBackward(x, y, gradOut, o));
    return gi;
  }

  toJSON(): ActivationJSON {
    const json: ActivationJSON = { name: this.name };
    for (const [k, v] of Object.entries(this.params)) if (k !== 'name') json[k] = Array.isArray(v) ? [...v] : v;
    return json;
  }

  toString(): string {
    const p = Object.entries(this.params)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`)
      .join(', ');
    return `${this.name}(${p})`;
  }
}

/** An activation that is one op of the kernel table (lib/backend/ops.ts) with parameters a, b. */
export class KernelActivation extends BaseActivation {
  protected runForward(x: FloatArray, y: FloatArray): void {
    backend().actForward(this.opId, x, y, this.a, this.b);
  }
  protected runBackward(x: FloatArray, y: FloatArray | null, go: FloatArray | null, gi: FloatArray): void {
    backend().actBackward(this.opId, x, y, go, gi, this.a, this.b);
  }
}

/** swish(beta) = x sigmoid(beta x), with d/d beta. */
export class SwishActivation extends KernelActivation {
  constructor(params: Record<string, ParamValue>) {
    super('swish', params, ActOp.swish, params.beta as number, 0);
  }
  /** sum_i gradOut[i] d swish(x[i]) / d beta (gradOut omitted: ones). */
  paramGrad(x: FloatArray, gradOut?: FloatArray | null): number {
    checkFloatArray(x, 'x');
    const go = gradOut === undefined || gradOut === null ? null : checkLike(gradOut, 'gradOut', x);
    return backend().swishBetaGrad(x, go, this.a);
  }
}

/**
 * PReLU: x > 0 ? x : alpha x, with alpha a scalar or one value per channel; element i is in channel
 * floor(i / inner) % channels. A scalar alpha runs as the leaky_relu kernel op (opId, a = alpha); one alpha
 * per channel runs on the PReLU kernels (opId -1).
 */
export class PreluActivation extends BaseActivation {
  readonly channels: number;
  readonly inner: number;
  private readonly alpha32: Float32Array;
  private readonly alpha64: Float64Array;

  constructor(params: Record<string, ParamValue>) {
    const alpha = params.alpha as number | readonly number[];
    const perChannel = typeof alpha !== 'number';
    super('prelu', params, perChannel ? -1 : ActOp.leaky_relu, perChannel ? 0 : alpha, 0);
    const values = typeof alpha === 'number' ? [alpha] : alpha;
    this.channels = values.length;
    this.inner = params.inner as number;
    // channels * inner elements make one period of the layout, an array index: the native kernels take it as a
    // size and refuse one beyond 2^53 - 1, which the js ones would accept
    if (this.inner > Math.floor(Number.MAX_SAFE_INTEGER / this.channels)) {
      throw new RangeError(
        `prelu: parameter 'inner' must keep channels * inner <= 2^53 - 1 (Number.MAX_SAFE_INTEGER), got ` +
          `inner ${this.inner} with ${this.channels} alpha values`,
      );
    }
    this.alpha64 = Float64Array.from(values);
    this.alpha32 = Float32Array.from(values);
  }

  private alphaFor(x: FloatArray): FloatArray {
    return x instanceof Float32Array ? this.alpha32 : this.alpha64;
  }

  private checkLayout(x: FloatArray): void {
    const block = this.channels * this.inner;
    const n = lengthOf.call(x);
    if (this.channels > 1 && n % block !== 0) {
      throw new RangeError(
        `x has length ${n}, not a multiple of channels * inner = ${this.channels} * ${this.inner} = ${block} ` +
          `(prelu with ${this.channels} alpha values)`,
      );
    }
  }

  protected runForward(x: FloatArray, y: FloatArray): void {
    if (this.opId >= 0) return backend().actForward(this.opId, x, y, this.a, 0);
    this.checkLayout(x);
    backend().preluForward(x, y, this.alphaFor(x), this.channels, this.inner);
  }
  protected runBackward(x: FloatArray, y: FloatArray | null, go: FloatArray | null, gi: FloatArray): void {
    if (this.opId >= 0) return backend().actBackward(this.opId, x, y, go, gi, this.a, 0);
    this.checkLayout(x);
    backend().preluBackward(x, go, gi, this.alphaFor(x), this.channels, this.inner, null);
  }

  /** d/d alpha: a number for a scalar alpha, else one value per channel (x's dtype). */
  paramGrad(x: FloatArray, gradOut?: FloatArray | null): number | FloatArray {
    checkFloatArray(x, 'x');
    const go = gradOut === undefined || gradOut === null ? null : checkLike(gradOut, 'gradOut', x);
    this.checkLayout(x);
    const galpha = allocLike(x, this.channels);
    backend().preluBackward(x, go, null, this.alphaFor(x), this.channels, this.inner, galpha);
    return typeof this.params.alpha === 'number' ? galpha[0] : galpha;
  }
}
