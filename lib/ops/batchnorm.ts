/**
 * Batch normalization over dimension 1 (channels) of [N, C] or [N, C, L] inputs (BatchNorm1d):
 *   training: y = (x - mean_B) / sqrt(var_B + eps) * weight + bias with the batch's biased variance, and the
 *             running stats move by momentum (running_var takes the unbiased variance), as PyTorch;
 *   eval:     the running stats replace the batch's.
 * Backward (training), with xhat = (x - mean) * invstd, gh = g * weight over the M = N * L values of a channel:
 *   dx = invstd / M * (M * gh - sum(gh) - xhat * sum(gh * xhat)),  dweight = sum(g * xhat),  dbias = sum(g).
 * Statistics accumulate in float64.
 */
import { Tensor } from '../autograd/tensor';
import { Function, type Context } from '../autograd/function';
import { allocLike, fmtShape } from '../autograd/util';
import { checkTensor, sameDtype } from './util';
import { checkOptionKeys } from '../util/errors';

function dims(x: Tensor): { n: number; c: number; l: number } {
  return { n: x.shape[0], c: x.shape[1], l: x.ndim === 3 ? x.shape[2] : 1 };
}

export class BatchNorm extends Function {
  static override forward(
    ctx: Context,
    x: Tensor,
    weight: Tensor | null,
    bias: Tensor | null,
    runningMean: Tensor | null,
    runningVar: Tensor | null,
    training: boolean,
    momentum: number,
    eps: number,
  ): Tensor {
    const { n, c, l } = dims(x);
    const m = n * l;
    const xd = x.data;
    const mean = new Float64Array(c);
    const invstd = new Float64Array(c);
    if (training) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let i = 0; i < n; i++) {
          const o = (i * c + ch) * l;
          for (let j = 0; j < l; j++) s += xd[o + j];
        }
        const mu = s / m;
        let v = 0;
        for (let i = 0; i < n; i++) {
          const o = (i * c + ch) * l;
          for (let j = 0; j < l; j++) {
            const d = xd[o + j] - mu;
            v += d * d;
          }
        }
        v /= m;
        mean[ch] = mu;
        invstd[ch] = 1 / Math.sqrt(v + eps);
        if (runningMean) runningMean.data[ch] = (1 - momentum) * runningMean.data[ch] + momentum * mu;
        if (runningVar) runningVar.data[ch] = (1 - momentum) * runningVar.data[ch] + (momentum * v * m) / (m - 1);
      }
      runningMean?.bumpVersion();
      runningVar?.bumpVersion();
    } else {
      for (let ch = 0; ch < c; ch++) {
        mean[ch] = runningMean!.data[ch];
        invstd[ch] = 1 / Math.sqrt(runningVar!.data[ch] + eps);
      }
    }
    const y = allocLike(xd);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        const w = weight ? weight.data[ch] : 1;
        const b = bias ? bias.data[ch] : 0;
        const mu = mean[ch];
        const is = invstd[ch];
        const o = (i * c + ch) * l;
        for (let j = 0; j < l; j++) y[o + j] = (xd[o + j] - mu) * is * w + b;
      }
    }
    ctx.saveForBackward(x, weight, new Tensor(mean), new Tensor(invstd));
    ctx.training = training;
    return new Tensor(y, x.shape);
  }

  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [x, weight, meanT, invstdT] = ctx.savedTensors;
    const [nx, nw, nb] = ctx.needsInputGrad;
    const { n, c, l } = dims(x);
    const m = n * l;
    const xd = x.data;
    const gd = g.data;
    const mean = meanT.data;
    const invstd = invstdT.data;
    const gx = nx ? allocLike(xd) : null;
    const gw = nw ? allocLike(weight!.data) : null;
    const gb = nb ? allocLike(weight ? weight.data : xd, c) : null;
    for (let ch = 0; ch < c; ch++) {
      const mu = mean[ch];
      const is = invstd[ch];
      let sg = 0; // sum g
      let sgx = 0; // sum g * xhat
      for (let i = 0; i < n; i++) {
        const o = (i * c + ch) * l;
        for (let j = 0; j < l; j++) {
          sg += gd[o + j];
          sgx += gd[o + j] * (xd[o + j] - mu) * is;
        }
      }
      if (gw) gw[ch] = sgx;
      if (gb) gb[ch] = sg;
      if (!gx) continue;
      const w = weight ? weight.data[ch] : 1;
      if (ctx.training) {
        // with gh = g * w: sum(gh) = w * sg, sum(gh * xhat) = w * sgx
        const k = (w * is) / m;
        for (let i = 0; i < n; i++) {
          const o = (i * c + ch) * l;
          for (let j = 0; j < l; j++) {
            const xh = (xd[o + j] - mu) * is;
            gx[o + j] = k * (m * gd[o + j] - sg - xh * sgx);
          }
        }
      } else {
        const k = w * is;
        for (let i = 0; i < n; i++) {
          const o = (i * c + ch) * l;
          for (let j = 0; j < l; j++) gx[o + j] = k * gd[o + j];
        }
      }
    }
    return [
      gx ? new Tensor(gx, x.shape) : null,
      gw ? new Tensor(gw, weight!.shape) : null,
      gb ? new Tensor(gb, [c]) : null,
      null,
      null,
      null,
      null,
      null,
    ];
  }
}

export interface BatchNormOptions {
  /** Default true (F.batch_norm's is False). */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Functional batch norm (F.batch_norm). x: [N, C] or [N, C, L]; weight/bias/runningMean/runningVar: [C] or null.
 * In training the running stats (when given) are updated in place; in eval they are required. Unlike
 * F.batch_norm, whose `training` defaults to False, `training` defaults to true here (batch statistics). momentum
 * (0.1) must be a number: the cumulative average of momentum null needs a batch count, which nn.BatchNorm1d
 * keeps (BatchNorm1d({ momentum: null })).
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  opts: BatchNormOptions = {},
): Tensor {
  const where = 'batchNorm';
  checkTensor(x, where, 'input');
  if (x.ndim !== 2 && x.ndim !== 3) {
    throw new RangeError(`${where}: 'input' must be [N, C] or [N, C, L], got shape ${fmtShape(x.shape)}`);
  }
  const c = x.shape[1];
  const named: [string, Tensor | null][] = [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
    ['weight', weight],
    ['bias', bias],
  ];
  for (const [name, t] of named) {
    if (t === null || t === undefined) continue;
    checkTensor(t, where, name);
    sameDtype(x, t, where, 'input', name);
    if (t.ndim !== 1 || t.shape[0] !== c) {
      throw new RangeError(`${where}: '${name}' must have shape [${c}] for input ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
    }
  }
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${where}: 'options' must be an object`);
  checkOptionKeys(opts, ['training', 'momentum', 'eps'], where); // { trainig: false } trained and moved the stats
  const training = opts.training ?? true;
  const momentum: unknown = opts.momentum === undefined ? 0.1 : opts.momentum;
  const eps = opts.eps ?? 1e-5;
  if (typeof training !== 'boolean') throw new TypeError(`${where}: 'training' must be a boolean`);
  if (momentum === null) {
    throw new TypeError(
      `${where}: 'momentum' null (a cumulative moving average) is not supported by the functional batchNorm, ` +
        'which keeps no batch count: use nn.BatchNorm1d({ momentum: null }) or pass 1 / n for batch n',
    );
  }
  if (typeof momentum !== 'number') throw new TypeError(`${where}: 'momentum' must be a number, got ${typeof momentum}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new RangeError(`${where}: 'momentum' must be in [0, 1], got ${momentum}`);
  if (typeof eps !== 'number') throw new TypeError(`${where}: 'eps' must be a number, got ${typeof eps}`);
  if (!(eps > 0) || !Number.isFinite(eps)) {
    throw new RangeError(`${where}: 'eps' must be a positive finite number, got ${eps}`);
  }
  if (training && x.shape[0] * (x.ndim === 3 ? x.shape[2] : 1) < 2) {
    throw new RangeError(`${where}: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
  }
  if (!training && (!runningMean || !runningVar)) {
    throw new RangeError(`${where}: eval mode needs 'runningMean' and 'runningVar'`);
  }
  return BatchNorm.apply(x, weight ?? null, bias ?? null, runningMean ?? null, runningVar ?? null, training, momentum, eps);
}
