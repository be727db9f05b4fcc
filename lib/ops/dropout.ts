/**
 * Inverted dropout: in training each element is zeroed with probability p and the rest are scaled by 1/(1-p),
 * from a seeded Rng (one 32-bit draw per element); in eval it is the identity.
 */
import { Tensor } from '../autograd/tensor';
import { Function, type Context } from '../autograd/function';
import { allocLike } from '../autograd/util';
import { resolveRng } from '../autograd/rng';
import { Purpose, type Rng } from '../util/random';
import { checkTensor } from './util';
import { describeTyped } from '../activations/validate';
import { checkOptionKeys } from '../util/errors';

export class Dropout extends Function {
  static override forward(ctx: Context, x: Tensor, mask: Tensor): Tensor {
    const y = allocLike(x.data);
    const m = mask.data;
    const d = x.data;
    for (let i = 0; i < d.length; i++) y[i] = d[i] * m[i];
    ctx.saveForBackward(mask);
    return new Tensor(y, x.shape);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [mask] = ctx.savedTensors;
    const gi = allocLike(g.data);
    for (let i = 0; i < gi.length; i++) gi[i] = g.data[i] * mask.data[i];
    return [new Tensor(gi, g.shape), null];
  }
}

export interface DropoutOptions {
  /** Apply dropout (true) or pass x through (false, eval). Default true, as F.dropout. */
  training?: boolean;
  rng?: Rng;
  seed?: number;
}

/** Draws the keep-mask: 0 with probability p, else 1/(1-p). */
export function dropoutMask(like: Tensor, p: number, rng: Rng): Tensor {
  const mask = allocLike(like.data);
  if (p >= 1) return new Tensor(mask, like.shape);
  const scale = 1 / (1 - p);
  const threshold = p * 4294967296; // u < p  <=>  uint32 < p * 2^32
  for (let i = 0; i < mask.length; i++) mask[i] = rng.nextUint32() < threshold ? 0 : scale;
  return new Tensor(mask, like.shape);
}

export function dropout(x: Tensor, p = 0.5, opts: DropoutOptions = {}): Tensor {
  checkTensor(x, 'dropout', 'input');
  if (typeof p !== 'number') {
    throw new TypeError(`dropout: 'p' must be a number, got ${describeTyped(p)}`);
  }
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: 'p' must be in [0, 1], got ${p}`);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`dropout: 'options' must be an object`);
  checkOptionKeys(opts, ['training', 'rng', 'seed'], 'dropout'); // { trainig: false } still dropped
  const training = opts.training ?? true;
  if (typeof training !== 'boolean') throw new TypeError(`dropout: 'training' must be a boolean`);
  if (!training || p === 0) return x;
  const rng = resolveRng(opts, 'dropout', Purpose.dropout);
  return Dropout.apply(x, dropoutMask(x, p, rng));
}
