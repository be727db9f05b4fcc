/**
 * softmax / logSoftmax along a dimension, computed stably: with M = max_j x_j and S = sum_j exp(x_j - M),
 * logSoftmax = (x - M) - log S, softmax = exp(x - M) / S. A row of -Infinity gives NaN,
 * as in PyTorch. Accumulation in float64.
 */
import { Tensor } from '../autograd/tensor';
import { Function, type Context } from '../autograd/function';
import { allocLike, normDim, type FloatArray } from '../autograd/util';
import { checkTensor } from './util';

// Math functions bound once: hot loops then avoid a global lookup per element (costly inside vm contexts
// such as jest's sandbox, cheap but not free elsewhere).
const { exp, log } = Math;

function layout(shape: number[], dim: number): { outer: number; n: number; inner: number } {
  let inner = 1;
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i];
  const n = shape.length === 0 ? 1 : shape[dim];
  let outer = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i];
  return { outer, n, inner };
}

/** y = x - logsumexp(x) along the dimension (log = true) or exp of that (log = false). */
function forwardRows(x: FloatArray, y: FloatArray, outer: number, n: number, inner: number, wantLog: boolean): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * n * inner + j;
      let m = -Infinity;
      for (let k = 0; k < n; k++) {
        const v = x[base + k * inner];
        if (v > m || v !== v) m = v;
      }
      if (m === -Infinity) m = 0; // all -inf: NaN below; a +inf max stays: x - m is NaN, the whole row NaN (PyTorch)
      let s = 0;
      for (let k = 0; k < n; k++) s += exp(x[base + k * inner] - m);
      // (x - m) first: exact when x is near m, so large logits keep full relative accuracy
      if (wantLog) {
        const ls = log(s);
        for (let k = 0; k < n; k++) y[base + k * inner] = x[base + k * inner] - m - ls;
      } else {
        const r = 1 / s;
        for (let k = 0; k < n; k++) y[base + k * inner] = exp(x[base + k * inner] - m) * r;
      }
    }
  }
}

/** Forward of both classes: y = (log-)softmax(x) along dim, saved for the backward. */
function forwardSaved(ctx: Context, x: Tensor, dim: number, wantLog: boolean): Tensor {
  const { outer, n, inner } = layout(x.shape, dim);
  const y = allocLike(x.data);
  forwardRows(x.data, y, outer, n, inner, wantLog);
  const out = new Tensor(y, x.shape);
  ctx.saveForBackward(out);
  ctx.dim = dim;
  return out;
}

/**
 * Backward of both classes from the saved output y:
 * log-softmax d/dx_i = g_i - softmax_i * sum_j g_j (softmax_i = exp(y_i));
 * softmax d/dx_i = y_i * (g_i - sum_j g_j y_j).
 */
function backwardSaved(ctx: Context, g: Tensor, wantLog: boolean): (Tensor | null)[] {
  const [y] = ctx.savedTensors;
  const { outer, n, inner } = layout(y.shape, ctx.dim);
  const gi = allocLike(g.data);
  const gd = g.data;
  const yd = y.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * n * inner + j;
      let s = 0;
      if (wantLog) {
        for (let k = 0; k < n; k++) s += gd[base + k * inner];
        for (let k = 0; k < n; k++) gi[base + k * inner] = gd[base + k * inner] - exp(yd[base + k * inner]) * s;
      } else {
        for (let k = 0; k < n; k++) s += gd[base + k * inner] * yd[base + k * inner];
        for (let k = 0; k < n; k++) gi[base + k * inner] = yd[base + k * inner] * (gd[base + k * inner] - s);
      }
    }
  }
  return [new Tensor(gi, y.shape), null];
}

export class LogSoftmax extends Function {
  static override forward(ctx: Context, x: Tensor, dim: number): Tensor {
    return forwardSaved(ctx, x, dim, true);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    return backwardSaved(ctx, g, true);
  }
}

export class Softmax extends Function {
  static override forward(ctx: Context, x: Tensor, dim: number): Tensor {
    return forwardSaved(ctx, x, dim, false);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    return backwardSaved(ctx, g, false);
  }
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  checkTensor(x, 'logSoftmax', 'input');
  return LogSoftmax.apply(x, x.ndim === 0 ? 0 : normDim(dim, x.ndim, 'logSoftmax'));
}

export function softmax(x: Tensor, dim = -1): Tensor {
  checkTensor(x, 'softmax', 'input');
  return Softmax.apply(x, x.ndim === 0 ? 0 : normDim(dim, x.ndim, 'softmax'));
}
