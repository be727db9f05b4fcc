/**
 * Reductions over axes: sum, mean (differentiable) and argmax. Accumulation is in float64.
 * `axis` undefined or null reduces every axis; an array reduces the axes it lists, so [] reduces none (NumPy's
 * axis=(); PyTorch reads dim=[] as every dimension: pass undefined for that).
 */
import { Tensor } from '../autograd/tensor';
import { Function, type Context } from '../autograd/function';
import { fmtShape, normDim } from '../autograd/util';
import { broadcastTo, sumToShape } from './broadcast';
import { checkTensor } from './util';

interface Axes {
  /** the input shape with reduced dimensions set to 1 */
  keepShape: number[];
  outShape: number[];
  count: number;
}

function resolveAxes(x: Tensor, axis: unknown, keepdim: unknown, where: string): Axes {
  if (typeof keepdim !== 'boolean') throw new TypeError(`${where}: 'keepdim' must be a boolean`);
  const nd = x.ndim;
  let dims: number[];
  if (axis === undefined || axis === null) dims = x.shape.map((_, i) => i);
  else if (typeof axis === 'number') dims = [normDim(axis, nd, where, 'axis')];
  else if (Array.isArray(axis)) dims = axis.map((a) => normDim(a, nd, where, 'axis'));
  else throw new TypeError(`${where}: 'axis' must be a number, an array of numbers or undefined`);
  if (nd === 0) dims = []; // a 0-d tensor: axis 0 / -1 means the tensor itself
  const seen = new Set<number>();
  for (const d of dims) {
    if (seen.has(d)) throw new RangeError(`${where}: axis ${d} appears twice in ${JSON.stringify(axis)}`);
    seen.add(d);
  }
  const keepShape = x.shape.slice();
  const outShape: number[] = [];
  let count = 1;
  for (let i = 0; i < nd; i++) {
    if (seen.has(i)) {
      count *= x.shape[i];
      keepShape[i] = 1;
      if (keepdim) outShape.push(1);
    } else outShape.push(x.shape[i]);
  }
  return { keepShape, outShape, count };
}

export class Sum extends Function {
  static override forward(ctx: Context, x: Tensor, ax: Axes, scale: number): Tensor {
    ctx.inShape = x.shape;
    ctx.keepShape = ax.keepShape;
    ctx.scale = scale;
    const s = sumToShape(x.data, x.shape, ax.keepShape);
    const data = s === x.data ? x.data.slice() : s;
    if (scale !== 1) for (let i = 0; i < data.length; i++) data[i] *= scale;
    return new Tensor(data, ax.outShape);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const gi = broadcastTo(g.data, ctx.keepShape, ctx.inShape);
    const scale: number = ctx.scale;
    if (scale !== 1) for (let i = 0; i < gi.length; i++) gi[i] *= scale;
    return [new Tensor(gi, ctx.inShape), null, null];
  }
}

/** Sum over `axis` (all axes when undefined or null; none for []); keepdim keeps reduced axes as size 1. */
export function sum(x: Tensor, axis?: number | number[] | null, keepdim = false): Tensor {
  checkTensor(x, 'sum', 'input');
  const ax = resolveAxes(x, axis, keepdim, 'sum');
  return Sum.apply(x, ax, 1);
}

/** Mean over `axis` (all axes when undefined or null; none for []). A mean over zero elements is NaN, as in PyTorch. */
export function mean(x: Tensor, axis?: number | number[] | null, keepdim = false): Tensor {
  checkTensor(x, 'mean', 'input');
  const ax = resolveAxes(x, axis, keepdim, 'mean');
  return Sum.apply(x, ax, 1 / ax.count);
}

/** Index of the first largest element along `dim` (NaN counts as largest). Not differentiable. */
export function argmax(x: Tensor, dim = -1): Int32Array {
  checkTensor(x, 'argmax', 'input');
  const d = normDim(dim, x.ndim, 'argmax'); // also for a 0-d tensor (dim 0 or -1, as PyTorch)
  if (x.ndim === 0) return new Int32Array(1);
  const n = x.shape[d];
  if (n === 0) throw new RangeError(`argmax: dimension ${d} of shape ${fmtShape(x.shape)} is empty`);
  let inner = 1;
  for (let i = d + 1; i < x.ndim; i++) inner *= x.shape[i];
  const outer = x.numel / (n * inner);
  const out = new Int32Array(outer * inner);
  const v = x.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * n * inner + j;
      let best = v[base];
      let bi = 0;
      if (best === best) {
        for (let k = 1; k < n; k++) {
          const e = v[base + k * inner];
          if (e > best || e !== e) {
            best = e;
            bi = k;
            if (e !== e) break;
          }
        }
      }
      out[o * inner + j] = bi;
    }
  }
  return out;
}
