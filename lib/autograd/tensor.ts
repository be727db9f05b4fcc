/**
 * Tensor: a contiguous row-major Float32Array/Float64Array with a shape, plus the autograd fields (requiresGrad,
 * grad, gradFn). Methods are thin calls into lib/ops, where arguments are validated and each op is a Function.
 */
import type { Rng } from '../util/random';
import { _registerTensorClass, describeValue, type Node } from './function';
import { runBackward, type BackwardOptions } from './engine';
import { resolveRng } from './rng';
import { checkTrueLength, describeTyped, lengthOf } from '../activations/validate';
import { checkOptionKeys } from '../util/errors';
import {
  alloc,
  checkDtype,
  checkShape,
  dtypeOf,
  fmtShape,
  isFloatArray,
  numelOf,
  overflowsFloat32,
  bumpVersion,
  versionOf,
  sameShape,
  type DType,
  type FloatArray,
} from './util';
import * as ew from '../ops/elementwise';
import * as red from '../ops/reduce';
import * as shp from '../ops/shape';
import * as mm from '../ops/matmul';
import * as act from '../ops/activation';
import * as sm from '../ops/softmax';
import type { ActivationLike } from '../ops/activation';

export type TensorLike = Tensor | number;
export type NestedArray = number | NestedArray[];

/** Tensors constructed so far: Function.apply tells the outputs its forward created from older tensors. */
let created = 0;

export class Tensor {
  data: FloatArray;
  shape: number[];
  #grad: Tensor | null = null;
  #requiresGrad: boolean;
  #gradFn: Node | null = null;
  readonly #serial: number;

  /** Wraps `data` (not copied) with `shape` (default: 1-D). Use the `tensor()` factory for conversions. */
  constructor(data: FloatArray, shape?: readonly number[], requiresGrad = false) {
    if (!isFloatArray(data)) {
      throw new TypeError(`Tensor: 'data' must be a Float32Array or Float64Array (use tensor() to convert)`);
    }
    const n = checkTrueLength(data, "Tensor: 'data'"); // every op reads .length
    const s = shape === undefined ? [n] : checkShape(shape, 'Tensor');
    if (numelOf(s) !== n) {
      throw new RangeError(`Tensor: shape ${fmtShape(s)} needs ${numelOf(s)} elements, 'data' has ${data.length}`);
    }
    this.data = data;
    // a copy: the caller's array stays the caller's (not frozen: Object.freeze cost ~8 us per step of a small MLP)
    this.shape = [...s];
    this.#requiresGrad = requiresGrad === true;
    this.#serial = ++created;
  }

  /** @internal how many tensors have been constructed so far (Function.apply compares it with _serial). */
  static _createdCount(): number {
    return created;
  }
  /** @internal this tensor's position in construction order, from 1. */
  get _serial(): number {
    return this.#serial;
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }
  /**
   * Gradient accumulated by backward() (leaves, and non-leaves after retainGrad()). May be set to null or to a
   * Tensor of this tensor's shape and dtype.
   */
  get grad(): Tensor | null {
    return this.#grad;
  }
  set grad(g: Tensor | null) {
    if (g !== null) {
      if (!(g instanceof Tensor)) throw new TypeError(`Tensor.grad: must be a Tensor or null, got ${describeValue(g)}`);
      if (!sameShape(g.shape, this.shape)) {
        throw new RangeError(
          `Tensor.grad: assigned grad has shape ${fmtShape(g.shape)}, the tensor has shape ${fmtShape(this.shape)}`,
        );
      }
      if (g.dtype !== this.dtype) {
        throw new TypeError(`Tensor.grad: assigned grad is ${g.dtype}, the tensor is ${this.dtype}`);
      }
    }
    this.#grad = g;
  }
  get numel(): number {
    return this.data.length;
  }
  get ndim(): number {
    return this.shape.length;
  }
  /** The node that produced this tensor (null for leaves). */
  get gradFn(): Node | null {
    return this.#gradFn;
  }
  get isLeaf(): boolean {
    return this.#gradFn === null;
  }
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }
  set requiresGrad(v: boolean) {
    if (typeof v !== 'boolean') throw new TypeError(`requiresGrad must be a boolean, got ${typeof v}`);
    if (!v && this.#gradFn !== null) {
      throw new Error('requiresGrad can only be turned off on leaf tensors; use detach() for a non-leaf');
    }
    this.#requiresGrad = v;
  }
  /** Sets requiresGrad (default true) and returns this, like PyTorch's requires_grad_(). */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }
  /** @internal used by Function.apply */
  _setGradFn(node: Node): void {
    this.#gradFn = node;
    this.#requiresGrad = true;
  }
  /**
   * How many times this tensor's data was modified in place (PyTorch's _version): by an optimizer step, nn.init,
   * loadStateDict / setWeights, or bumpVersion(). Tensors on the same array (detach, reshape) share the count.
   */
  get version(): number {
    return versionOf(this.data);
  }
  /**
   * Counts an in-place write of this.data made by hand (a custom optimizer): a graph that saved this tensor for
   * backward then refuses to backpropagate with the changed values instead of mixing them silently.
   */
  bumpVersion(): this {
    bumpVersion(this.data);
    return this;
  }
  /** @internal a new tensor object on the same data, with no autograd history. */
  alias(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** Keep .grad on this non-leaf tensor during backward (leaves always keep it). */
  retainGrad(): this {
    if (!this.#requiresGrad) throw new Error("retainGrad() on a tensor that doesn't require grad");
    if (this.#gradFn !== null) this.#gradFn.retained = this;
    return this;
  }

  /**
   * Computes the gradient of this tensor with respect to the graph leaves. `gradient` (same shape) may be left out
   * for a single-element tensor (it is then 1).
   */
  backward(gradient?: Tensor | null, opts: BackwardOptions = {}): void {
    if (!this.#requiresGrad) {
      throw new Error("backward(): this tensor does not require grad and has no gradFn (nothing to differentiate)");
    }
    if (opts === null || typeof opts !== 'object') throw new TypeError(`backward: 'opts' must be an object`);
    let g: Tensor;
    if (gradient === undefined || gradient === null) {
      if (this.numel !== 1) {
        throw new RangeError(
          `backward(): 'gradient' can be left out only for a single-element tensor; this one has shape ${fmtShape(this.shape)}`,
        );
      }
      g = new Tensor(alloc(this.dtype, 1).fill(1), this.shape);
    } else {
      if (!(gradient instanceof Tensor)) {
        const asOptions = gradient !== null && typeof gradient === 'object';
        const hint = asOptions ? ' (options go second: backward(null, { retainGraph: true }))' : '';
        throw new TypeError(`backward: 'gradient' must be a Tensor${hint}`);
      }
      if (gradient.numel !== this.numel || gradient.ndim !== this.ndim || gradient.shape.some((d, i) => d !== this.shape[i])) {
        throw new RangeError(
          `backward: 'gradient' has shape ${fmtShape(gradient.shape)}, expected ${fmtShape(this.shape)}`,
        );
      }
      if (gradient.dtype !== this.dtype) {
        throw new TypeError(`backward: 'gradient' is ${gradient.dtype}, expected ${this.dtype}`);
      }
      g = gradient;
    }
    runBackward(this, g, opts);
  }

  /** Sets .grad to null (PyTorch's default set_to_none). */
  zeroGrad(): void {
    this.grad = null;
  }

  // ---- elementwise (NumPy broadcasting) ----
  add(other: TensorLike): Tensor {
    return ew.add(this, other);
  }
  sub(other: TensorLike): Tensor {
    return ew.sub(this, other);
  }
  mul(other: TensorLike): Tensor {
    return ew.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return ew.div(this, other);
  }
  neg(): Tensor {
    return ew.neg(this);
  }
  exp(): Tensor {
    return ew.exp(this);
  }
  log(): Tensor {
    return ew.log(this);
  }
  pow(p: number): Tensor {
    return ew.pow(this, p);
  }
  sqrt(): Tensor {
    return ew.sqrt(this);
  }
  square(): Tensor {
    return ew.pow(this, 2);
  }

  // ---- activations ----
  sigmoid(): Tensor {
    return act.activation(this, 'sigmoid');
  }
  tanh(): Tensor {
    return act.activation(this, 'tanh');
  }
  relu(): Tensor {
    return act.activation(this, 'relu');
  }
  /** Any registered activation by name or spec ('swish', { name: 'leaky_relu', alpha: 0.05 }). */
  activation(nameOrSpec: ActivationLike, params?: Record<string, unknown>): Tensor {
    return act.activation(this, nameOrSpec, params);
  }
  softmax(dim = -1): Tensor {
    return sm.softmax(this, dim);
  }
  logSoftmax(dim = -1): Tensor {
    return sm.logSoftmax(this, dim);
  }

  // ---- reductions ----
  sum(axis?: number | number[] | null, keepdim = false): Tensor {
    return red.sum(this, axis, keepdim);
  }
  mean(axis?: number | number[] | null, keepdim = false): Tensor {
    return red.mean(this, axis, keepdim);
  }
  /**
   * Index of the largest element along `dim`, the last by default (not differentiable); shape = this shape without
   * `dim`. PyTorch's argmax() without a dim flattens the tensor first; this one never does.
   */
  argmax(dim = -1): Int32Array {
    return red.argmax(this, dim);
  }

  // ---- shape ----
  matmul(other: Tensor): Tensor {
    return mm.matmul(this, other);
  }
  /** Shares data with this tensor; one dimension may be -1. */
  reshape(...shape: (number | number[])[]): Tensor {
    const s = shape.length === 1 && Array.isArray(shape[0]) ? (shape[0] as number[]) : (shape as number[]);
    return shp.reshape(this, s);
  }
  view(...shape: (number | number[])[]): Tensor {
    return this.reshape(...shape);
  }
  /** Dimensions startDim..endDim merged into one (default: all of them, as torch.Tensor.flatten). */
  flatten(startDim = 0, endDim = -1): Tensor {
    return shp.flatten(this, startDim, endDim);
  }
  transpose(d0 = 0, d1 = 1): Tensor {
    return shp.transpose(this, d0, d1);
  }
  /** 2-D transpose. */
  t(): Tensor {
    if (this.ndim !== 2) throw new RangeError(`t() expects a 2-D tensor, got shape ${fmtShape(this.shape)}`);
    return shp.transpose(this, 0, 1);
  }

  // ---- copies and conversions ----
  /** A tensor on the same data with no history (requiresGrad false). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }
  /** A differentiable copy. */
  clone(): Tensor {
    return ew.clone(this);
  }
  /** A differentiable dtype conversion (returns this when the dtype already matches). */
  to(dtype: DType): Tensor {
    // no default here: to() / to(null) would quietly mean float32
    if (dtype === undefined || dtype === null) throw new TypeError(`to: 'dtype' must be 'float32' or 'float64', got ${dtype}`);
    return ew.cast(this, checkDtype(dtype, 'to'));
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  /** The value of a single-element tensor. */
  item(): number {
    if (this.numel !== 1) {
      throw new RangeError(`item() needs a single-element tensor, this one has shape ${fmtShape(this.shape)}`);
    }
    return this.data[0];
  }
  /** Nested arrays of numbers (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const { data, shape } = this;
    if (shape.length === 0) return data[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = shape[dim];
      const out = new Array<NestedArray>(n);
      if (dim === shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = data[offset + i];
        return out;
      }
      let stride = 1;
      for (let d = dim + 1; d < shape.length; d++) stride *= shape[d];
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * stride);
      return out;
    };
    return build(0, 0);
  }

  toString(): string {
    // String(v), not JSON: NaN and Infinity print as themselves (JSON writes null), which matters when debugging
    const show = (a: NestedArray): string => (Array.isArray(a) ? `[${a.map(show).join(',')}]` : String(a));
    const body = this.numel <= 64 ? show(this.toArray()) : `<${this.numel} elements>`;
    const fn = this.#gradFn ? `, gradFn=${this.#gradFn.name}` : this.#requiresGrad ? ', requiresGrad=true' : '';
    return `tensor(${body}, shape=${fmtShape(this.shape)}, dtype=${this.dtype}${fn})`;
  }
  /** console.log / util.inspect show toString() (the class's fields alone hide dtype, requiresGrad and gradFn). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

_registerTensorClass(Tensor);

// ---------------------------------------------------------------------------------------------------------------
// Factories

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export interface FromDataOptions extends TensorOptions {
  /** Shape for flat data (default: inferred from nesting, or 1-D). */
  shape?: number[];
  /** Share a typed array of the right dtype instead of copying it (default false: copy, as torch.tensor). */
  copy?: boolean;
}

function flattenNested(data: NestedArray[], where: string): { shape: number[]; flat: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] as NestedArray;
    if (probe === undefined) break;
  }
  const flat: number[] = [];
  const walk = (v: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') throw new TypeError(`${where}: 'data' must hold numbers, found ${typeof v}`);
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new RangeError(`${where}: 'data' is ragged: expected a length-${shape[dim]} array at depth ${dim}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1);
  };
  walk(data, 0);
  return { shape, flat };
}

const TENSOR_OPTS = ['dtype', 'requiresGrad'] as const;
const RANDOM_OPTS = [...TENSOR_OPTS, 'rng', 'seed'] as const;

/**
 * TypeError unless `opts` is undefined or an object, RangeError for a key not in `known` (a misspelled
 * { requires_grad } or { dtpye } was ignored). An array there is a shape given where the options go.
 */
function checkOpts(opts: unknown, where: string, known: readonly string[]): void {
  if (opts === undefined) return;
  if (Array.isArray(opts)) {
    const hint = known.includes('shape') ? ': a shape goes in the options, { shape: [2, 3] }' : '';
    throw new TypeError(`${where}: 'options' must be an object, got an array${hint}`);
  }
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError(`${where}: 'options' must be an object, got ${describeTyped(opts)}`);
  }
  checkOptionKeys(opts, known, where);
}

function finish(data: FloatArray, shape: number[], opts: TensorOptions | undefined, where: string): Tensor {
  if (opts?.requiresGrad !== undefined && typeof opts.requiresGrad !== 'boolean') {
    throw new TypeError(`${where}: 'requiresGrad' must be a boolean`);
  }
  return new Tensor(data, shape, opts?.requiresGrad === true);
}

/**
 * Creates a tensor from a number, nested arrays, or a typed array (copied unless { copy: false } and the dtype
 * matches). The dtype defaults to float32, or to the typed array's own float dtype.
 */
export function tensor(
  data: NestedArray | ArrayLike<number> | FloatArray | Tensor,
  opts: FromDataOptions = {},
): Tensor {
  const where = 'tensor';
  checkOpts(opts, where, [...TENSOR_OPTS, 'shape', 'copy']);
  let fromShape: number[] | null = null; // a Tensor keeps its shape (torch.tensor / as_tensor)
  if (data instanceof Tensor) {
    fromShape = data.shape;
    data = data.data;
  }
  let dtype: DType;
  if (opts.dtype !== undefined) dtype = checkDtype(opts.dtype, where);
  else dtype = data instanceof Float64Array ? 'float64' : 'float32';
  let shape: number[];
  let out: FloatArray;
  if (typeof data === 'number') {
    shape = [];
    out = alloc(dtype, 1);
    out[0] = data;
  } else if (Array.isArray(data)) {
    const f = flattenNested(data as NestedArray[], where);
    shape = f.shape;
    out = dtype === 'float64' ? Float64Array.from(f.flat) : Float32Array.from(f.flat);
  } else if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const ta = data as unknown as ArrayLike<number>;
    if (typeof (ta as any)[0] === 'bigint') throw new TypeError(`${where}: BigInt arrays are not supported`);
    shape = fromShape ? [...fromShape] : [lengthOf.call(data as ArrayBufferView)];
    if (opts.copy === false && dtypeOf(ta as FloatArray) === dtype && isFloatArray(ta)) out = ta;
    else out = dtype === 'float64' ? new Float64Array(ta) : new Float32Array(ta);
  } else {
    throw new TypeError(`${where}: 'data' must be a number, a (nested) array of numbers or a typed array`);
  }
  if (opts.shape !== undefined) {
    const s = checkShape(opts.shape, where, 'shape');
    if (numelOf(s) !== out.length) {
      throw new RangeError(`${where}: shape ${fmtShape(s)} needs ${numelOf(s)} elements, 'data' has ${out.length}`);
    }
    shape = s;
  }
  return finish(out, shape, opts, where);
}

function filled(shape: number | number[], value: number, opts: TensorOptions | undefined, where: string): Tensor {
  checkOpts(opts, where, TENSOR_OPTS);
  const s = checkShape(shape, where);
  const data = alloc(checkDtype(opts?.dtype, where), numelOf(s));
  if (value !== 0) data.fill(value);
  return finish(data, s, opts, where);
}

export function zeros(shape: number | number[], opts?: TensorOptions): Tensor {
  return filled(shape, 0, opts, 'zeros');
}
export function ones(shape: number | number[], opts?: TensorOptions): Tensor {
  return filled(shape, 1, opts, 'ones');
}
export function full(shape: number | number[], value: number, opts?: TensorOptions): Tensor {
  if (typeof value !== 'number') throw new TypeError(`full: 'value' must be a number, got ${typeof value}`);
  return filled(shape, value, opts, 'full');
}
export function zerosLike(t: Tensor, opts?: TensorOptions): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`zerosLike: 't' must be a Tensor`);
  checkOpts(opts, 'zerosLike', TENSOR_OPTS);
  return zeros(t.shape, { ...opts, dtype: opts?.dtype ?? t.dtype });
}
export function onesLike(t: Tensor, opts?: TensorOptions): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`onesLike: 't' must be a Tensor`);
  checkOpts(opts, 'onesLike', TENSOR_OPTS);
  return ones(t.shape, { ...opts, dtype: opts?.dtype ?? t.dtype });
}

export interface RandomOptions extends TensorOptions {
  rng?: Rng;
  seed?: number;
}

/** Standard normal samples (seeded through `rng` or `seed`, else the default stream). */
export function randn(shape: number | number[], opts?: RandomOptions): Tensor {
  checkOpts(opts, 'randn', RANDOM_OPTS);
  const s = checkShape(shape, 'randn');
  const rng = resolveRng(opts, 'randn');
  const data = alloc(checkDtype(opts?.dtype, 'randn'), numelOf(s));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return finish(data, s, opts, 'randn');
}

/** Uniform samples in [0, 1) (or [low, high) with opts.low/high). */
export function rand(shape: number | number[], opts?: RandomOptions & { low?: number; high?: number }): Tensor {
  checkOpts(opts, 'rand', [...RANDOM_OPTS, 'low', 'high']);
  const s = checkShape(shape, 'rand');
  const rng = resolveRng(opts, 'rand');
  const lo = opts?.low ?? 0;
  const hi = opts?.high ?? 1;
  if (typeof lo !== 'number' || !Number.isFinite(lo) || typeof hi !== 'number' || !Number.isFinite(hi) || hi < lo) {
    throw new RangeError(`rand: 'low'/'high' must be finite numbers with low <= high, got ${lo}, ${hi}`);
  }
  if (!Number.isFinite(hi - lo)) throw new RangeError(`rand: 'high' - 'low' (${hi} - ${lo}) overflows`);
  const dtype = checkDtype(opts?.dtype, 'rand');
  if (dtype === 'float32' && (overflowsFloat32(lo) || overflowsFloat32(hi))) {
    throw new RangeError(`rand: 'low'/'high' (${lo}, ${hi}) are outside the float32 range`);
  }
  const data = alloc(dtype, numelOf(s));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(lo, hi);
  return finish(data, s, opts, 'rand');
}

/** arange(end) or arange(start, end, step = 1): values start, start+step, ... < end (1-D). */
export function arange(start: number, end?: number, step: number = 1, opts?: TensorOptions): Tensor {
  checkOpts(opts, 'arange', TENSOR_OPTS);
  if (end === undefined) {
    end = start;
    start = 0;
  }
  for (const [name, v] of [
    ['start', start],
    ['end', end],
    ['step', step],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`arange: '${name}' must be a finite number`);
  }
  if (step === 0) throw new RangeError(`arange: 'step' must not be 0`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  checkShape([n], 'arange', 'length'); // a named RangeError, not the typed array's own, for a huge length
  const data = alloc(checkDtype(opts?.dtype, 'arange'), n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return finish(data, [n], opts, 'arange');
}

/** True when x is a Tensor. */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
