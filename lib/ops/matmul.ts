/**
 * Matrix products on the backend GEMM:
 *  - matmul(a, b): 2-D, batched (leading dimensions broadcast), 1-D operands as in NumPy;
 *  - LinearAct (linear / linearAct): y = act(x W^T + bias) with the bias and activation fused into the GEMM
 *    epilogue (the pre-activation is kept for backward); backward = the activation's derivative kernel, then
 *    dW = gᵀ x and dX = g W (skipped when x needs no gradient), db = column sums. This is nn.Linear's and
 *    nn.MLP's forward.
 */
import { Tensor } from '../autograd/tensor';
import { Function, type Context } from '../autograd/function';
import { markFreshGrad } from '../autograd/engine';
import { isAnomalyEnabled } from '../autograd/anomaly';
import { allocLike, fmtShape, sameShape, scratchLike, type FloatArray } from '../autograd/util';
import { backend } from '../backend';
import { ActOp } from '../backend/ops';
import { broadcastShapes } from './broadcast';
import { reshape } from './shape';
import { applyResolved, resolveActivation, type ActivationLike } from './activation';
import { checkTensor, sameDtype } from './util';

export class MatMul extends Function {
  /** a: [..., m, k], b: [..., k, n] (both at least 2-D; batch dimensions broadcast). */
  static override forward(ctx: Context, a: Tensor, b: Tensor): Tensor {
    const [na, nb] = ctx.needsInputGrad;
    ctx.saveForBackward(nb ? a : null, na ? b : null);
    ctx.aShape = a.shape;
    ctx.bShape = b.shape;
    const m = a.shape[a.ndim - 2];
    const k = a.shape[a.ndim - 1];
    const n = b.shape[b.ndim - 1];
    const be = backend();
    if (b.ndim === 2) {
      // fold every batch dimension of a into m: one GEMM
      const rows = numel(a.shape.slice(0, -1));
      const c = allocLike(a.data, rows * n);
      be.gemm(false, false, rows, n, k, 1, a.data, k, b.data, n, 0, c, n);
      return new Tensor(c, [...a.shape.slice(0, -1), n]);
    }
    const plan = batchPlan(a.shape, b.shape);
    const c = allocLike(a.data, plan.count * m * n);
    for (let i = 0; i < plan.count; i++) {
      const ao = plan.aIdx[i] * m * k;
      const bo = plan.bIdx[i] * k * n;
      be.gemm(false, false, m, n, k, 1, a.data.subarray(ao, ao + m * k), k, b.data.subarray(bo, bo + k * n), n, 0, c.subarray(i * m * n, (i + 1) * m * n), n);
    }
    return new Tensor(c, [...plan.shape, m, n]);
  }

  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [a, b] = ctx.savedTensors;
    const [na, nb] = ctx.needsInputGrad;
    const aShape: number[] = ctx.aShape;
    const bShape: number[] = ctx.bShape;
    const m = aShape[aShape.length - 2];
    const k = aShape[aShape.length - 1];
    const n = bShape[bShape.length - 1];
    const be = backend();
    let ga: FloatArray | null = null;
    let gb: FloatArray | null = null;
    if (bShape.length === 2) {
      const rows = numel(aShape.slice(0, -1));
      if (na) {
        ga = allocLike(g.data, rows * k); // dA = g Bᵀ
        be.gemm(false, true, rows, k, n, 1, g.data, n, b.data, n, 0, ga, k);
      }
      if (nb) {
        gb = allocLike(g.data, k * n); // dB = Aᵀ g
        be.gemm(true, false, k, n, rows, 1, a.data, k, g.data, n, 0, gb, n);
      }
    } else {
      const plan = batchPlan(aShape, bShape);
      if (na) ga = allocLike(g.data, numel(aShape));
      if (nb) gb = allocLike(g.data, numel(bShape));
      for (let i = 0; i < plan.count; i++) {
        const ao = plan.aIdx[i] * m * k;
        const bo = plan.bIdx[i] * k * n;
        const gv = g.data.subarray(i * m * n, (i + 1) * m * n);
        // beta = 1 accumulates over broadcast batches (the buffers start at zero)
        if (ga) be.gemm(false, true, m, k, n, 1, gv, n, b.data.subarray(bo, bo + k * n), n, 1, ga.subarray(ao, ao + m * k), k);
        if (gb) be.gemm(true, false, k, n, m, 1, a.data.subarray(ao, ao + m * k), k, gv, n, 1, gb.subarray(bo, bo + k * n), n);
      }
    }
    return [ga ? new Tensor(ga, aShape) : null, gb ? new Tensor(gb, bShape) : null];
  }
}

function numel(s: number[]): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}

/** For each output batch index, which batch block of a and of b it reads (after broadcasting). */
function batchPlan(aShape: number[], bShape: number[]): { shape: number[]; count: number; aIdx: Int32Array; bIdx: Int32Array } {
  const ab = aShape.slice(0, -2);
  const bb = bShape.slice(0, -2);
  const shape = broadcastShapes(ab, bb, 'matmul');
  const count = numel(shape);
  const aIdx = new Int32Array(count);
  const bIdx = new Int32Array(count);
  const nd = shape.length;
  const stride = (s: number[]): number[] => {
    const st = new Array<number>(nd).fill(0);
    let acc = 1;
    for (let i = s.length - 1; i >= 0; i--) {
      const o = i + nd - s.length;
      st[o] = s[i] === 1 ? 0 : acc;
      acc *= s[i];
    }
    return st;
  };
  const sa = stride(ab);
  const sb = stride(bb);
  const idx = new Array<number>(nd).fill(0);
  for (let i = 0; i < count; i++) {
    let oa = 0;
    let ob = 0;
    for (let d = 0; d < nd; d++) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    aIdx[i] = oa;
    bIdx[i] = ob;
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { shape, count, aIdx, bIdx };
}

/** Matrix product with NumPy semantics: 2-D, batched with broadcast batch dimensions, 1-D vectors. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'matmul', 'input');
  checkTensor(b, 'matmul', 'other');
  sameDtype(a, b, 'matmul', 'input', 'other');
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both operands need at least 1 dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  const k = a.shape[a.ndim - 1];
  const kb = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  if (k !== kb) {
    throw new RangeError(`matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} are not aligned (${k} != ${kb})`);
  }
  if (a.ndim > 2 && b.ndim > 2) broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
  if (a.ndim === 1 || b.ndim === 1) {
    const a2 = a.ndim === 1 ? reshape(a, [1, k]) : a;
    const b2 = b.ndim === 1 ? reshape(b, [k, 1]) : b;
    const c = MatMul.apply(a2, b2);
    let s = c.shape.slice();
    if (b.ndim === 1) s = s.slice(0, -1);
    if (a.ndim === 1) s.splice(s.length - (b.ndim === 1 ? 1 : 2), 1);
    return reshape(c, s);
  }
  return MatMul.apply(a, b);
}

/**
 * The .grad buffer of a leaf parameter that a backward may add its gradient into directly (the engine would
 * add the returned gradient into it anyway): a leaf that requires grad, holds a .grad of its own shape and dtype,
 * and anomaly detection is off (that mode inspects every returned gradient).
 */
function accumulatesInPlace(t: Tensor): FloatArray | null {
  const gr = t.grad;
  if (gr === null || !t.isLeaf || !t.requiresGrad || isAnomalyEnabled()) return null;
  if (gr.dtype !== t.dtype || !sameShape(gr.shape, t.shape)) return null;
  gr.bumpVersion(); // written in place below
  return gr.data;
}

/**
 * Piecewise-linear activations whose derivative at the output equals the derivative at the input (f'(f(x)) =
 * f'(x), NaN included): relu and relu6 (the output lies in the same piece as the input), leaky_relu with a
 * positive slope (the output keeps the input's sign). Their backward runs from the saved output, so the fused
 * GEMM epilogue need not store the pre-activation.
 */
const FROM_OUTPUT = new Set<number>([ActOp.relu, ActOp.relu6]);
function derivativeFromOutput(op: number, a: number): boolean {
  return FROM_OUTPUT.has(op) || (op === ActOp.leaky_relu && a > 0);
}

export class LinearAct extends Function {
  /** x: [..., in], weight: [out, in], bias: [out] or null; op: kernel id or -1 for none. */
  static override forward(
    ctx: Context,
    x: Tensor,
    weight: Tensor,
    bias: Tensor | null,
    op: number,
    a: number,
    b: number,
  ): Tensor {
    const out = weight.shape[0];
    const inF = weight.shape[1];
    const rows = numel(x.shape.slice(0, -1));
    const y = allocLike(x.data, rows * out);
    const wantGrad = ctx.needsInputGrad.some(Boolean);
    const pre = op >= 0 && wantGrad && !derivativeFromOutput(op, a) ? allocLike(x.data, rows * out) : null;
    backend().gemm(false, true, rows, out, inF, 1, x.data, inF, weight.data, inF, 0, y, out, {
      bias: bias ? bias.data : null,
      act: op,
      a,
      b,
      preact: pre,
    });
    const result = new Tensor(y, [...x.shape.slice(0, -1), out]);
    if (wantGrad) {
      ctx.saveForBackward(x, weight, pre ? new Tensor(pre, result.shape) : null, op >= 0 ? result : null);
      ctx.op = op;
      ctx.a = a;
      ctx.b = b;
      ctx.rows = rows;
      ctx.bias = bias;
    }
    return result;
  }

  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [x, weight, pre, y] = ctx.savedTensors;
    const [nx, nw, nb] = ctx.needsInputGrad;
    const out = weight.shape[0];
    const inF = weight.shape[1];
    const rows: number = ctx.rows;
    const be = backend();
    let gp: FloatArray = g.data;
    if (ctx.op >= 0) {
      // the activation's gradient only feeds the GEMMs and the column sum below: a shared temporary will do
      gp = scratchLike(g.data, g.data.length);
      be.actBackward(ctx.op, pre ? pre.data : y.data, y.data, g.data, gp, ctx.a, ctx.b);
    }
    let gx: Tensor | null = null;
    let gw: Tensor | null = null;
    let gb: Tensor | null = null;
    if (nw) {
      // dW = gᵀ x [out, in]. A leaf weight that already holds a .grad of its shape (zeroGrad(false), or
      // gradient accumulation over several backward calls) gets dW added in place by the GEMM (beta = 1): no
      // temporary, no separate pass; it is what the engine would do with the returned gradient.
      const into = accumulatesInPlace(weight);
      if (into) be.gemm(true, false, out, inF, rows, 1, gp, out, x.data, inF, 1, into, inF);
      else {
        const d = allocLike(g.data, out * inF);
        be.gemm(true, false, out, inF, rows, 1, gp, out, x.data, inF, 0, d, inF);
        gw = markFreshGrad(new Tensor(d, weight.shape));
      }
    }
    if (nb) {
      const bias: Tensor = ctx.bias;
      const into = accumulatesInPlace(bias);
      if (into) be.colSum(gp, rows, out, into, true);
      else {
        const d = allocLike(g.data, out);
        be.colSum(gp, rows, out, d, false);
        gb = markFreshGrad(new Tensor(d, [out]));
      }
    }
    if (nx) {
      const d = allocLike(g.data, rows * inF); // dX = g W  [rows, in]
      be.gemm(false, false, rows, inF, out, 1, gp, out, weight.data, inF, 0, d, inF);
      gx = new Tensor(d, x.shape);
    }
    return [gx, gw, gb, null, null, null];
  }
}

function checkLinear(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, where: string): void {
  checkTensor(x, where, 'input');
  checkTensor(weight, where, 'weight');
  sameDtype(x, weight, where, 'input', 'weight');
  if (weight.ndim !== 2) throw new RangeError(`${where}: 'weight' must be 2-D [out, in], got ${fmtShape(weight.shape)}`);
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new RangeError(
      `${where}: input of shape ${fmtShape(x.shape)} does not match weight of shape ${fmtShape(weight.shape)} ` +
        `(last input dimension must be ${weight.shape[1]})`,
    );
  }
  if (bias !== null && bias !== undefined) {
    checkTensor(bias, where, 'bias');
    sameDtype(x, bias, where, 'input', 'bias');
    if (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]) {
      throw new RangeError(`${where}: 'bias' must have shape [${weight.shape[0]}], got ${fmtShape(bias.shape)}`);
    }
  }
}

/** y = x Wᵀ + bias (nn.Linear), bias fused into the GEMM. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkLinear(x, weight, bias, 'linear');
  return LinearAct.apply(x, weight, bias ?? null, -1, 0, 0);
}

/**
 * y = act(x Wᵀ + bias) with bias and activation fused into the GEMM epilogue when the activation is a kernel op;
 * other activations (per-channel PReLU, user activations) run as a separate op after the fused linear.
 */
export function linearAct(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, act: ActivationLike | null): Tensor {
  checkLinear(x, weight, bias, 'linearAct');
  if (act === null || act === undefined) return LinearAct.apply(x, weight, bias ?? null, -1, 0, 0);
  const r = resolveActivation(act);
  const perChannel = r.name === 'prelu' && r.params.alpha !== null && typeof r.params.alpha === 'object';
  if (typeof r.opId === 'number' && r.opId >= 0 && !perChannel) {
    return LinearAct.apply(x, weight, bias ?? null, r.opId, r.a, r.b);
  }
  return applyResolved(LinearAct.apply(x, weight, bias ?? null, -1, 0, 0), r);
}
