/** Elementwise arithmetic with NumPy broadcasting, and unary maths (exp, log, pow, neg), as Functions. */
import { Tensor } from '../autograd/tensor';
import { Function, type Context } from '../autograd/function';
import { alloc, allocLike, type DType } from '../autograd/util';
import {
  OP_ADD,
  OP_DIV,
  OP_MUL,
  OP_SUB,
  binaryBroadcast,
  broadcastShapes,
  sumToShape,
} from './broadcast';
import { asOperand, checkFinite, checkTensor } from './util';

// Math functions bound once: hot loops then avoid a global lookup per element (costly inside vm contexts
// such as jest's sandbox, cheap but not free elsewhere).
const { exp: mexp, log: mlog, pow: mpow, sqrt: msqrt } = Math;

type Operand = Tensor | number;

function binary(op: number, a: Tensor, b: Tensor, where: string): { data: ReturnType<typeof allocLike>; shape: number[] } {
  const shape = broadcastShapes(a.shape, b.shape, where);
  let n = 1;
  for (const d of shape) n *= d;
  const data = allocLike(a.data, n);
  binaryBroadcast(op, a.data, a.shape, b.data, b.shape, shape, data);
  return { data, shape };
}

/** Gradient of a broadcast operand: g (out shape) summed down to the operand's shape. */
function reduceGrad(g: Tensor, shape: number[]): Tensor {
  return new Tensor(sumToShape(g.data, g.shape, shape), shape);
}

function negate(x: Float32Array | Float64Array): Float32Array | Float64Array {
  const out = allocLike(x);
  for (let i = 0; i < x.length; i++) out[i] = -x[i];
  return out;
}

export class Add extends Function {
  static override forward(ctx: Context, a: Tensor, b: Tensor): Tensor {
    ctx.aShape = a.shape;
    ctx.bShape = b.shape;
    const r = binary(OP_ADD, a, b, 'add');
    return new Tensor(r.data, r.shape);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [na, nb] = ctx.needsInputGrad;
    return [na ? reduceGrad(g, ctx.aShape) : null, nb ? reduceGrad(g, ctx.bShape) : null];
  }
}

export class Sub extends Function {
  static override forward(ctx: Context, a: Tensor, b: Tensor): Tensor {
    ctx.aShape = a.shape;
    ctx.bShape = b.shape;
    const r = binary(OP_SUB, a, b, 'sub');
    return new Tensor(r.data, r.shape);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [na, nb] = ctx.needsInputGrad;
    let gb: Tensor | null = null;
    if (nb) {
      const r = sumToShape(g.data, g.shape, ctx.bShape);
      gb = new Tensor(negate(r), ctx.bShape);
    }
    return [na ? reduceGrad(g, ctx.aShape) : null, gb];
  }
}

export class Mul extends Function {
  static override forward(ctx: Context, a: Tensor, b: Tensor): Tensor {
    const [na, nb] = ctx.needsInputGrad;
    ctx.aShape = a.shape;
    ctx.bShape = b.shape;
    ctx.saveForBackward(nb ? a : null, na ? b : null); // each gradient needs the other operand
    const r = binary(OP_MUL, a, b, 'mul');
    return new Tensor(r.data, r.shape);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [a, b] = ctx.savedTensors;
    const [na, nb] = ctx.needsInputGrad;
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (na) {
      const t = allocLike(g.data);
      binaryBroadcast(OP_MUL, g.data, g.shape, b.data, b.shape, g.shape, t);
      ga = new Tensor(sumToShape(t, g.shape, ctx.aShape), ctx.aShape);
    }
    if (nb) {
      const t = allocLike(g.data);
      binaryBroadcast(OP_MUL, g.data, g.shape, a.data, a.shape, g.shape, t);
      gb = new Tensor(sumToShape(t, g.shape, ctx.bShape), ctx.bShape);
    }
    return [ga, gb];
  }
}

export class Div extends Function {
  static override forward(ctx: Context, a: Tensor, b: Tensor): Tensor {
    ctx.saveForBackward(a, b);
    const r = binary(OP_DIV, a, b, 'div');
    return new Tensor(r.data, r.shape);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [a, b] = ctx.savedTensors;
    const [na, nb] = ctx.needsInputGrad;
    const t = allocLike(g.data); // g / b, in the output shape
    binaryBroadcast(OP_DIV, g.data, g.shape, b.data, b.shape, g.shape, t);
    const ga = na ? new Tensor(sumToShape(t, g.shape, a.shape), a.shape) : null;
    let gb: Tensor | null = null;
    if (nb) {
      // d(a/b)/db = -a / b^2  =>  gb = -sum(g * ((a / b) / b)), as PyTorch forms it, in float64: (g / b) * a
      // overflowed to Inf * 0 = NaN for a = 0 and a tiny b, and a float32 temporary overflowed where the
      // gradient is finite
      const u = new Float64Array(g.data.length);
      binaryBroadcast(OP_DIV, a.data, a.shape, b.data, b.shape, g.shape, u);
      binaryBroadcast(OP_DIV, u, g.shape, b.data, b.shape, g.shape, u);
      binaryBroadcast(OP_MUL, u, g.shape, g.data, g.shape, g.shape, u);
      const s = sumToShape(u, g.shape, b.shape);
      const out = allocLike(b.data);
      for (let i = 0; i < out.length; i++) out[i] = -s[i];
      gb = new Tensor(out, b.shape);
    }
    return [ga, gb];
  }
}

export class Neg extends Function {
  static override forward(_ctx: Context, x: Tensor): Tensor {
    return new Tensor(negate(x.data), x.shape);
  }
  static override backward(_ctx: Context, g: Tensor): Tensor {
    return new Tensor(negate(g.data), g.shape);
  }
}

/** A tensor of t's shape holding f(t[i], u[i]) (u: a tensor as long, t itself by default): unary ops' two passes. */
function mapped(t: Tensor, f: (v: number, w: number) => number, u: Tensor = t): Tensor {
  const out = allocLike(t.data);
  const d = t.data;
  const e = u.data;
  for (let i = 0; i < d.length; i++) out[i] = f(d[i], e[i]);
  return new Tensor(out, t.shape);
}

export class Exp extends Function {
  static override forward(ctx: Context, x: Tensor): Tensor {
    const out = mapped(x, mexp);
    ctx.saveForBackward(out);
    return out;
  }
  static override backward(ctx: Context, g: Tensor): Tensor {
    return mapped(g, (gi, y) => gi * y, ctx.savedTensors[0]);
  }
}

export class Log extends Function {
  static override forward(ctx: Context, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return mapped(x, mlog);
  }
  static override backward(ctx: Context, g: Tensor): Tensor {
    return mapped(g, (gi, x) => gi / x, ctx.savedTensors[0]);
  }
}

export class Pow extends Function {
  static override forward(ctx: Context, x: Tensor, p: number): Tensor {
    ctx.saveForBackward(x);
    ctx.p = p;
    const y = allocLike(x.data);
    const d = x.data;
    if (p === 2) for (let i = 0; i < d.length; i++) y[i] = d[i] * d[i];
    else for (let i = 0; i < d.length; i++) y[i] = mpow(d[i], p);
    return new Tensor(y, x.shape);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [x] = ctx.savedTensors;
    const p: number = ctx.p;
    const gi = allocLike(g.data);
    const d = x.data;
    if (p === 0) return [new Tensor(gi, g.shape), null];
    if (p === 2) for (let i = 0; i < gi.length; i++) gi[i] = 2 * d[i] * g.data[i];
    else for (let i = 0; i < gi.length; i++) gi[i] = p * mpow(d[i], p - 1) * g.data[i];
    return [new Tensor(gi, g.shape), null];
  }
}

/** sqrt (not pow(x, 0.5), whose IEEE rules give sqrt(-Inf) = +Inf and sqrt(-0) = +0); d/dx = 0.5 / y. */
export class Sqrt extends Function {
  static override forward(ctx: Context, x: Tensor): Tensor {
    const out = mapped(x, msqrt);
    ctx.saveForBackward(out);
    return out;
  }
  static override backward(ctx: Context, g: Tensor): Tensor {
    return mapped(g, (gi, y) => gi / (2 * y), ctx.savedTensors[0]);
  }
}

export class Clone extends Function {
  static override forward(_ctx: Context, x: Tensor): Tensor {
    return new Tensor(x.data.slice(), x.shape);
  }
  static override backward(_ctx: Context, g: Tensor): Tensor {
    return g;
  }
}

export class Cast extends Function {
  static override forward(ctx: Context, x: Tensor, dtype: DType): Tensor {
    ctx.from = x.dtype;
    const y = alloc(dtype, x.numel);
    y.set(x.data);
    return new Tensor(y, x.shape);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const gi = alloc(ctx.from, g.numel);
    gi.set(g.data);
    return [new Tensor(gi, g.shape), null];
  }
}

// ---- public, validated API ----

function operands(a: Operand, b: Operand, where: string): [Tensor, Tensor] {
  if (a instanceof Tensor) return [checkTensor(a, where, 'input'), asOperand(b, a, where, 'other')];
  if (b instanceof Tensor) return [asOperand(a, b, where, 'input'), checkTensor(b, where, 'other')];
  throw new TypeError(`${where}: at least one operand must be a Tensor, got ${typeof a} and ${typeof b}`);
}

/** a + b with broadcasting (either may be a number). */
export function add(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b, 'add');
  return Add.apply(x, y);
}
/** a - b with broadcasting. */
export function sub(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b, 'sub');
  return Sub.apply(x, y);
}
/** a * b with broadcasting. */
export function mul(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b, 'mul');
  return Mul.apply(x, y);
}
/** a / b with broadcasting. */
export function div(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b, 'div');
  return Div.apply(x, y);
}
export function neg(x: Tensor): Tensor {
  return Neg.apply(checkTensor(x, 'neg', 'input'));
}
export function exp(x: Tensor): Tensor {
  return Exp.apply(checkTensor(x, 'exp', 'input'));
}
export function log(x: Tensor): Tensor {
  return Log.apply(checkTensor(x, 'log', 'input'));
}
/** x ** p for a number p. */
export function pow(x: Tensor, p: number): Tensor {
  checkTensor(x, 'pow', 'input');
  checkFinite(p, 'pow', 'exponent');
  return Pow.apply(x, p);
}
export function sqrt(x: Tensor): Tensor {
  return Sqrt.apply(checkTensor(x, 'sqrt', 'input'));
}
export function clone(x: Tensor): Tensor {
  return Clone.apply(checkTensor(x, 'clone', 'input'));
}
/** Differentiable dtype conversion; returns x itself when it already has that dtype. */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor(x, 'to', 'input');
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new TypeError(`to: 'dtype' must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }
  if (x.dtype === dtype) return x;
  return Cast.apply(x, dtype);
}
