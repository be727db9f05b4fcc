/** Shape ops: reshape/flatten (share data, no copy), transpose/permute (copy into the new layout). */
import { Tensor } from '../autograd/tensor';
import { Function, type Context } from '../autograd/function';
import { allocLike, fmtShape, normDim, numelOf, stridesOf, type FloatArray } from '../autograd/util';
import { checkTensor } from './util';

export class Reshape extends Function {
  static override forward(ctx: Context, x: Tensor, shape: number[]): Tensor {
    ctx.inShape = x.shape;
    return new Tensor(x.data, shape);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    return [new Tensor(g.data, ctx.inShape), null];
  }
}

/** Reshapes without copying; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: number[]): Tensor {
  checkTensor(x, 'reshape', 'input');
  if (!Array.isArray(shape)) throw new TypeError(`reshape: 'shape' must be an array of integers`);
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < -1) {
      throw new RangeError(`reshape: 'shape' must hold non-negative integers (or one -1), got ${fmtShape(shape)}`);
    }
    if (d === -1) {
      if (infer >= 0) throw new RangeError(`reshape: only one dimension can be -1, got ${fmtShape(shape)}`);
      infer = i;
    } else known *= d;
  }
  const s = shape.slice();
  if (infer >= 0) {
    if (known === 0 || x.numel % known !== 0) {
      throw new RangeError(`reshape: cannot reshape a tensor of shape ${fmtShape(x.shape)} into ${fmtShape(shape)}`);
    }
    s[infer] = x.numel / known;
  }
  if (numelOf(s) !== x.numel) {
    throw new RangeError(`reshape: cannot reshape a tensor of shape ${fmtShape(x.shape)} into ${fmtShape(shape)}`);
  }
  return Reshape.apply(x, s);
}

/** Merges dimensions startDim..endDim into one (default: all, as torch.flatten; nn.Flatten starts at 1). */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor(x, 'flatten', 'input');
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim(startDim, x.ndim, 'flatten', 'startDim');
  const e = normDim(endDim, x.ndim, 'flatten', 'endDim');
  if (s > e) throw new RangeError(`flatten: 'startDim' (${startDim}) must not come after 'endDim' (${endDim})`);
  let m = 1;
  for (let i = s; i <= e; i++) m *= x.shape[i];
  return reshape(x, [...x.shape.slice(0, s), m, ...x.shape.slice(e + 1)]);
}

/** out = x with dimensions permuted: out.shape[i] = x.shape[perm[i]]. */
function permuteData(x: FloatArray, shape: number[], perm: number[]): FloatArray {
  const out = allocLike(x);
  const nd = shape.length;
  const inStrides = stridesOf(shape);
  if (nd === 2 && perm[0] === 1) {
    const [r, c] = shape;
    const B = 32; // blocked 2-D transpose
    for (let i0 = 0; i0 < r; i0 += B) {
      const i1 = Math.min(r, i0 + B);
      for (let j0 = 0; j0 < c; j0 += B) {
        const j1 = Math.min(c, j0 + B);
        for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * r + i] = x[i * c + j];
      }
    }
    return out;
  }
  const outShape = perm.map((p) => shape[p]);
  const st = perm.map((p) => inStrides[p]); // input stride of each output dimension
  const n = nd === 0 ? 1 : outShape[nd - 1];
  const sInner = nd === 0 ? 0 : st[nd - 1];
  const idx = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o += n) {
    for (let j = 0; j < n; j++) out[o + j] = x[src + j * sInner];
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      src += st[d];
      if (idx[d] < outShape[d]) break;
      src -= st[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}

export class Permute extends Function {
  static override forward(ctx: Context, x: Tensor, perm: number[]): Tensor {
    ctx.perm = perm;
    return new Tensor(permuteData(x.data, x.shape, perm), perm.map((p) => x.shape[p]));
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const perm: number[] = ctx.perm;
    const inv = new Array<number>(perm.length);
    for (let i = 0; i < perm.length; i++) inv[perm[i]] = i;
    return [new Tensor(permuteData(g.data, g.shape, inv), inv.map((p) => g.shape[p])), null];
  }
}

/** Reorders dimensions (a copy): out.shape[i] = x.shape[dims[i]]. */
export function permute(x: Tensor, dims: number[]): Tensor {
  checkTensor(x, 'permute', 'input');
  if (!Array.isArray(dims) || dims.length !== x.ndim) {
    throw new RangeError(`permute: 'dims' must list each of the ${x.ndim} dimensions once`);
  }
  const p = dims.map((d) => normDim(d, x.ndim, 'permute', 'dims'));
  if (new Set(p).size !== p.length) throw new RangeError(`permute: 'dims' ${JSON.stringify(dims)} repeats a dimension`);
  if (p.every((d, i) => d === i)) return Reshape.apply(x, x.shape.slice());
  return Permute.apply(x, p);
}

/** Swaps two dimensions (a copy). */
export function transpose(x: Tensor, d0 = 0, d1 = 1): Tensor {
  checkTensor(x, 'transpose', 'input');
  if (x.ndim < 2) throw new RangeError(`transpose: needs at least 2 dimensions, got shape ${fmtShape(x.shape)}`);
  const a = normDim(d0, x.ndim, 'transpose', 'd0');
  const b = normDim(d1, x.ndim, 'transpose', 'd1');
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}
