/**
 * Losses: crossEntropy from logits (log-sum-exp, fused with its gradient softmax - onehot), nllLoss on
 * log-probabilities, mseLoss. Reductions 'mean' (default), 'sum', 'none'. Class dimension 1 (PyTorch):
 * logits [N, C] or [N, C, d1, ...] with targets [N] / [N, d1, ...], or a single sample [C] with one target.
 */
import { Tensor } from '../autograd/tensor';
import { Function, type Context } from '../autograd/function';
import { allocLike, fmtShape, sameShape } from '../autograd/util';
import { checkTensor, sameDtype } from './util';
import { backend } from '../backend';
import { classOffset, crossEntropyForward as crossEntropyForwardJs } from '../backend/js/loss';

export type Reduction = 'mean' | 'sum' | 'none';
export type Targets = Int32Array | ArrayLike<number> | Tensor;

export interface ClassLossOptions {
  reduction?: Reduction;
  /** Targets equal to this are skipped (and not counted in the mean). Default -100, as PyTorch. */
  ignoreIndex?: number;
}

function checkReduction(r: unknown, where: string): Reduction {
  if (r === undefined) return 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') {
    throw new RangeError(`${where}: 'reduction' must be 'mean', 'sum' or 'none', got ${JSON.stringify(r)}`);
  }
  return r;
}

interface ClassLayout {
  n: number; // samples (N * d1 * ...)
  c: number;
  inner: number;
  outShape: number[]; // shape of the per-sample loss
}

function classLayout(x: Tensor, where: string): ClassLayout {
  if (x.ndim === 0) throw new RangeError(`${where}: 'input' must have a class dimension, got a 0-d tensor`);
  const c = x.ndim === 1 ? x.shape[0] : x.shape[1];
  if (c === 0) {
    throw new RangeError(`${where}: 'input' of shape ${fmtShape(x.shape)} has no classes (its class dimension is 0)`);
  }
  if (x.ndim === 1) return { n: 1, c, inner: 1, outShape: [] };
  let inner = 1;
  for (let i = 2; i < x.ndim; i++) inner *= x.shape[i];
  return { n: x.shape[0] * inner, c, inner, outShape: [x.shape[0], ...x.shape.slice(2)] };
}

function toTargets(t: unknown, lay: ClassLayout, ignore: number, where: string): Int32Array {
  let src: ArrayLike<number>;
  let shape: number[] | null = null;
  if (t instanceof Tensor) {
    src = checkTensor(t, where, 'targets').data;
    shape = t.shape;
  } else if (typeof t === 'number') src = [t];
  else if (Array.isArray(t) || (ArrayBuffer.isView(t) && !(t instanceof DataView))) src = t as ArrayLike<number>;
  else throw new TypeError(`${where}: 'targets' must be an Int32Array, an array of class indices or a Tensor`);
  if (src.length !== lay.n) {
    throw new RangeError(
      `${where}: 'targets' has ${src.length} entries${shape ? ` (shape ${fmtShape(shape)})` : ''}, expected ${lay.n} ` +
        `for input of per-sample shape ${fmtShape(lay.outShape)}`,
    );
  }
  if (shape && !sameShape(shape, lay.outShape) && !(lay.outShape.length === 0 && shape.length === 1)) {
    throw new RangeError(`${where}: 'targets' has shape ${fmtShape(shape)}, expected ${fmtShape(lay.outShape)}`);
  }
  const out = new Int32Array(lay.n);
  for (let i = 0; i < lay.n; i++) {
    const v = src[i] as number;
    if (typeof v !== 'number' || !Number.isInteger(v) || ((v < 0 || v >= lay.c) && v !== ignore)) {
      throw new RangeError(`${where}: 'targets'[${i}] = ${String(v)} is not a class index in [0, ${lay.c})`);
    }
    out[i] = v;
  }
  return out;
}

function reduceLoss(per: Float64Array, targets: Int32Array, ignore: number, reduction: Reduction, like: Tensor, outShape: number[]): { out: Tensor; count: number } {
  let count = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i] !== ignore) count++;
  if (reduction === 'none') {
    const d = allocLike(like.data, per.length);
    d.set(per);
    return { out: new Tensor(d, outShape), count };
  }
  let s = 0;
  for (let i = 0; i < per.length; i++) s += per[i];
  const d = allocLike(like.data, 1);
  d[0] = reduction === 'mean' ? s / count : s; // mean over zero samples is NaN (PyTorch)
  return { out: new Tensor(d, []), count };
}

/** Scale of sample i's gradient. */
function sampleScale(g: Tensor, reduction: Reduction, count: number, i: number): number {
  if (reduction === 'none') return g.data[i];
  return reduction === 'mean' ? g.data[0] / count : g.data[0];
}

export class CrossEntropy extends Function {
  static override forward(ctx: Context, x: Tensor, targets: Int32Array, reduction: Reduction, ignore: number, lay: ClassLayout): Tensor {
    const { n, c, inner } = lay;
    const xd = x.data;
    // e = exp(x - rowMax) is kept for backward (softmax = e / sum): backward needs no exp of its own.
    const e = new Float64Array(n * c);
    const sums = new Float64Array(n);
    const per = new Float64Array(n);
    if (inner === 1) backend().crossEntropyForward(xd, n, c, targets, ignore, e, sums, per); // ignore is int32
    else crossEntropyForwardJs(xd, n, c, targets, ignore, e, sums, per, inner);
    const { out, count } = reduceLoss(per, targets, ignore, reduction, x, lay.outShape);
    ctx.saveForBackward(x, new Tensor(e, [n * c]), new Tensor(sums, [n]));
    Object.assign(ctx, { targets, reduction, ignore, lay, count });
    return out;
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [x, eT, sumsT] = ctx.savedTensors;
    const { targets, reduction, ignore, lay, count } = ctx as any;
    const { n, c, inner } = lay as ClassLayout;
    const e = eT.data;
    const sums = sumsT.data;
    const gi = allocLike(x.data);
    for (let i = 0; i < n; i++) {
      const t = targets[i];
      if (t === ignore) continue;
      const sc = sampleScale(g, reduction, count, i);
      const b = classOffset(i, c, inner);
      const r = sc / sums[i];
      const eo = i * c;
      for (let k = 0; k < c; k++) gi[b + k * inner] = e[eo + k] * r; // softmax * g
      gi[b + t * inner] -= sc; // - onehot * g
    }
    return [new Tensor(gi, x.shape), null, null, null, null];
  }
}

export class NllLoss extends Function {
  static override forward(ctx: Context, x: Tensor, targets: Int32Array, reduction: Reduction, ignore: number, lay: ClassLayout): Tensor {
    const { n, c, inner } = lay;
    const per = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = targets[i];
      per[i] = t === ignore ? 0 : -x.data[classOffset(i, c, inner) + t * inner];
    }
    const { out, count } = reduceLoss(per, targets, ignore, reduction, x, lay.outShape);
    Object.assign(ctx, { targets, reduction, ignore, lay, count, shape: x.shape, dtype: x.dtype });
    return out;
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const { targets, reduction, ignore, lay, count, shape } = ctx as any;
    const { n, c, inner } = lay as ClassLayout;
    const gi = allocLike(g.data, n * c);
    for (let i = 0; i < n; i++) {
      const t = targets[i];
      if (t !== ignore) gi[classOffset(i, c, inner) + t * inner] = -sampleScale(g, reduction, count, i);
    }
    return [new Tensor(gi, shape), null, null, null, null];
  }
}

/**
 * Checks a loss's options object: an object (or undefined) whose keys are all known. PyTorch options swishnet does
 * not have (labelSmoothing, weight) and misspelt ones would otherwise be ignored, training another objective.
 */
export function checkLossOptions(opts: unknown, known: readonly string[], where: string): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${where}: 'options' must be an object`);
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new TypeError(`${where}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
}

/** The options of a class-target loss, checked (also by the loss modules' constructors), with their defaults. */
export function checkClassLossOptions(opts: unknown, where: string): { reduction: Reduction; ignore: number } {
  checkLossOptions(opts, ['reduction', 'ignoreIndex'], where);
  const o = opts as ClassLossOptions | undefined;
  const reduction = checkReduction(o?.reduction, where);
  const ignore = o?.ignoreIndex ?? -100;
  if (typeof ignore !== 'number' || !Number.isInteger(ignore)) throw new TypeError(`${where}: 'ignoreIndex' must be an integer`);
  // targets are held in an Int32Array: a wider ignoreIndex would wrap there onto a real class
  if ((ignore | 0) !== ignore) {
    throw new RangeError(`${where}: 'ignoreIndex' must be a 32-bit integer in [-2^31, 2^31), got ${ignore}`);
  }
  return { reduction, ignore };
}

/** mseLoss's options, checked (also by nn.MSELoss's constructor): its reduction. */
export function checkMseOptions(opts: unknown, where: string): Reduction {
  checkLossOptions(opts, ['reduction'], where);
  return checkReduction((opts as { reduction?: unknown } | undefined)?.reduction, where);
}

function classLossArgs(x: Tensor, targets: unknown, opts: ClassLossOptions | undefined, where: string) {
  checkTensor(x, where, 'input');
  const { reduction, ignore } = checkClassLossOptions(opts, where);
  const lay = classLayout(x, where);
  const t = toTargets(targets, lay, ignore, where);
  return { reduction, ignore, lay, t };
}

/**
 * Cross-entropy of class-index targets from unnormalized logits (PyTorch's F.cross_entropy), stable through
 * log-sum-exp. The gradient is (softmax(x) - onehot(target)) scaled by the reduction.
 */
export function crossEntropy(logits: Tensor, targets: Targets, opts?: ClassLossOptions): Tensor {
  const { reduction, ignore, lay, t } = classLossArgs(logits, targets, opts, 'crossEntropy');
  return CrossEntropy.apply(logits, t, reduction, ignore, lay);
}

/** Negative log-likelihood of class-index targets from log-probabilities (e.g. logSoftmax output). */
export function nllLoss(logProbs: Tensor, targets: Targets, opts?: ClassLossOptions): Tensor {
  const { reduction, ignore, lay, t } = classLossArgs(logProbs, targets, opts, 'nllLoss');
  return NllLoss.apply(logProbs, t, reduction, ignore, lay);
}

export class MseLoss extends Function {
  static override forward(ctx: Context, x: Tensor, y: Tensor, reduction: Reduction): Tensor {
    const n = x.numel;
    const diff = allocLike(x.data);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const d = x.data[i] - y.data[i];
      diff[i] = d;
      s += d * d;
    }
    ctx.saveForBackward(new Tensor(diff, x.shape));
    ctx.reduction = reduction;
    if (reduction === 'none') {
      const out = allocLike(x.data);
      for (let i = 0; i < n; i++) out[i] = diff[i] * diff[i];
      return new Tensor(out, x.shape);
    }
    const out = allocLike(x.data, 1);
    out[0] = reduction === 'mean' ? s / n : s;
    return new Tensor(out, []);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [diff] = ctx.savedTensors;
    const [nx, ny] = ctx.needsInputGrad;
    const n = diff.numel;
    const gx = allocLike(diff.data);
    const r: Reduction = ctx.reduction;
    if (r === 'none') for (let i = 0; i < n; i++) gx[i] = 2 * diff.data[i] * g.data[i];
    else {
      const sc = (2 * g.data[0]) / (r === 'mean' ? n : 1);
      for (let i = 0; i < n; i++) gx[i] = sc * diff.data[i];
    }
    let gy: Tensor | null = null;
    if (ny) {
      const d = allocLike(gx);
      for (let i = 0; i < n; i++) d[i] = -gx[i];
      gy = new Tensor(d, diff.shape);
    }
    return [nx ? new Tensor(gx, diff.shape) : null, gy, null];
  }
}

/** Mean squared error between input and target (same shape). */
export function mseLoss(input: Tensor, target: Tensor, opts?: { reduction?: Reduction }): Tensor {
  checkTensor(input, 'mseLoss', 'input');
  checkTensor(target, 'mseLoss', 'target');
  sameDtype(input, target, 'mseLoss', 'input', 'target');
  const reduction = checkMseOptions(opts, 'mseLoss');
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(`mseLoss: 'input' has shape ${fmtShape(input.shape)} but 'target' has ${fmtShape(target.shape)}`);
  }
  return MseLoss.apply(input, target, reduction);
}
