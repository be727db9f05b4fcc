/**
 * Activations as Functions, on the backend's fused forward/derivative kernels:
 *  - Activation(x, op, a, b): any of the 16 kernel ops (ids in lib/backend/ops.ts); backward = actBackward with
 *    the saved input and output (each kernel picks the better form, e.g. sigmoid from y);
 *  - PReLU(x, alpha): one learnable alpha per channel (channel = dimension 1), with the alpha gradient;
 *  - SwishBeta(x, beta): swish with a learnable beta tensor (d/d beta from the backend's swishBetaGrad).
 * Names and parameters resolve through the activation registry (lib/activations).
 */
import { Tensor } from '../autograd/tensor';
import { Function, type Context } from '../autograd/function';
import { allocLike, fmtShape } from '../autograd/util';
import { backend } from '../backend';
import { ActOp } from '../backend/ops';
import { resolveActivation, type ActivationLike, type ResolvedActivation } from './act_resolve';
import { checkTensor, sameDtype } from './util';

export type { ActivationLike, ResolvedActivation };
export { resolveActivation };

export class Activation extends Function {
  static override forward(ctx: Context, x: Tensor, op: number, a: number, b: number): Tensor {
    const y = allocLike(x.data);
    backend().actForward(op, x.data, y, a, b);
    const out = new Tensor(y, x.shape);
    ctx.saveForBackward(x, out);
    ctx.op = op;
    ctx.a = a;
    ctx.b = b;
    return out;
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [x, y] = ctx.savedTensors;
    const gi = allocLike(g.data);
    backend().actBackward(ctx.op, x.data, y.data, g.data, gi, ctx.a, ctx.b);
    return [new Tensor(gi, x.shape), null, null, null];
  }
}

/** Channels and inner block size of a PReLU input (channel dimension 1, as in PyTorch). */
export function preluLayout(x: Tensor, channels: number, where: string): { channels: number; inner: number } {
  if (channels === 1) return { channels: 1, inner: Math.max(1, x.numel) };
  if (x.ndim < 2 || x.shape[1] !== channels) {
    throw new RangeError(
      `${where}: ${channels} alpha values need an input with ${channels} channels in dimension 1, got shape ${fmtShape(x.shape)}`,
    );
  }
  let inner = 1;
  for (let i = 2; i < x.ndim; i++) inner *= x.shape[i];
  // [N, C, 0]: no element, and the kernels need a block of at least one (the native ones refuse 0)
  return { channels, inner: Math.max(1, inner) };
}

export class PReLU extends Function {
  static override forward(ctx: Context, x: Tensor, alpha: Tensor): Tensor {
    const { channels, inner } = preluLayout(x, alpha.numel, 'prelu');
    const y = allocLike(x.data);
    backend().preluForward(x.data, y, alpha.data, channels, inner);
    ctx.saveForBackward(x, alpha);
    ctx.channels = channels;
    ctx.inner = inner;
    return new Tensor(y, x.shape);
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [x, alpha] = ctx.savedTensors;
    const [nx, na] = ctx.needsInputGrad;
    const gi = nx ? allocLike(g.data) : null;
    const ga = na ? allocLike(alpha.data) : null;
    backend().preluBackward(x.data, g.data, gi, alpha.data, ctx.channels, ctx.inner, ga);
    return [gi ? new Tensor(gi, x.shape) : null, ga ? new Tensor(ga, alpha.shape) : null];
  }
}

export class SwishBeta extends Function {
  static override forward(ctx: Context, x: Tensor, beta: Tensor): Tensor {
    const b = beta.data[0];
    // The kernels take a finite beta (native: Inf * 0 gave NaN where the js kernels gave the limits). A learned beta
    // reaches +-Infinity by overflowing (float32 above 3.4e38): refused here; a NaN one propagates NaN (as every
    // NaN input does), which training's divergence checks report.
    if (b === Infinity || b === -Infinity) {
      throw new RangeError(
        `swish: the learned 'beta' is ${b}; a learnable beta must stay finite: lower the learning rate or clip ` +
          'the gradients',
      );
    }
    const y = allocLike(x.data);
    backend().actForward(ActOp.swish, x.data, y, b, 0);
    const out = new Tensor(y, x.shape);
    ctx.saveForBackward(x, out);
    ctx.beta = b;
    ctx.betaShape = beta.shape;
    return out;
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [x, y] = ctx.savedTensors;
    const [nx, nb] = ctx.needsInputGrad;
    let gi: Tensor | null = null;
    let gb: Tensor | null = null;
    if (nx) {
      const d = allocLike(g.data);
      backend().actBackward(ActOp.swish, x.data, y.data, g.data, d, ctx.beta, 0);
      gi = new Tensor(d, x.shape);
    }
    if (nb) {
      const d = allocLike(g.data, 1);
      d[0] = backend().swishBetaGrad(x.data, g.data, ctx.beta);
      gb = new Tensor(d, ctx.betaShape);
    }
    return [gi, gb];
  }
}

/**
 * Applies an activation by name or spec: activation(x, 'swish', { beta: 1.5 }), activation(x, { name:
 * 'leaky_relu', alpha: 0.05 }), or an object from the registry. PReLU with a per-channel alpha array uses that
 * (constant) alpha; a learnable alpha or beta belongs in nn.PReLU / nn.Swish (or prelu()/swish() with tensors).
 */
export function activation(x: Tensor, spec: ActivationLike, params?: Record<string, unknown>): Tensor {
  checkTensor(x, 'activation', 'input');
  const act = resolveActivation(spec, params);
  if (act.name === 'prelu') {
    const alpha = act.params.alpha;
    if (alpha !== null && typeof alpha === 'object') {
      const data = Array.from(alpha as ArrayLike<number>);
      const at = new Tensor(x.dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data), [data.length]);
      return PReLU.apply(x, at);
    }
  }
  return applyResolved(x, act);
}

/** Runs a resolved activation (kernel op id, or the registry object's own forward/backward for user ones). */
export function applyResolved(x: Tensor, act: ResolvedActivation): Tensor {
  checkTensor(x, act.name, 'input');
  if (typeof act.opId === 'number' && act.opId >= 0) return Activation.apply(x, act.opId, act.a, act.b);
  // user-registered function of tensors: its own ops record the graph (derivative from autograd)
  if (typeof act.applyTensor === 'function') return act.applyTensor(x);
  return CustomActivation.apply(x, act);
}

/** An activation without a kernel op id: uses the registry object's forward(x, out) / backward(x, g, out, {y}). */
export class CustomActivation extends Function {
  static override forward(ctx: Context, x: Tensor, act: any): Tensor {
    if (typeof act.forward !== 'function' || typeof act.backward !== 'function') {
      throw new TypeError(`activation '${act.name}' has neither a kernel op id nor forward/backward functions`);
    }
    const y = allocLike(x.data);
    act.forward(x.data, y);
    const out = new Tensor(y, x.shape);
    ctx.saveForBackward(x, out);
    ctx.act = act;
    return out;
  }
  static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
    const [x, y] = ctx.savedTensors;
    const gi = allocLike(g.data);
    ctx.act.backward(x.data, g.data, gi, { y: y.data });
    return [new Tensor(gi, x.shape), null];
  }
}

export function relu(x: Tensor): Tensor {
  checkTensor(x, 'relu', 'input');
  return Activation.apply(x, ActOp.relu, 0, 0);
}
export function sigmoid(x: Tensor): Tensor {
  checkTensor(x, 'sigmoid', 'input');
  return Activation.apply(x, ActOp.sigmoid, 0, 0);
}
export function tanh(x: Tensor): Tensor {
  checkTensor(x, 'tanh', 'input');
  return Activation.apply(x, ActOp.tanh, 0, 0);
}

/** PReLU with a learnable alpha tensor: one value, or one per channel (dimension 1 of x). */
export function prelu(x: Tensor, alpha: Tensor): Tensor {
  checkTensor(x, 'prelu', 'input');
  checkTensor(alpha, 'prelu', 'alpha');
  sameDtype(x, alpha, 'prelu', 'input', 'alpha');
  if (alpha.numel < 1) throw new RangeError(`prelu: 'alpha' must hold at least one value`);
  preluLayout(x, alpha.numel, 'prelu');
  return PReLU.apply(x, alpha);
}

/** swish(x) = x * sigmoid(beta * x); beta a number or a single-element tensor (learnable). */
export function swish(x: Tensor, beta: number | Tensor = 1): Tensor {
  checkTensor(x, 'swish', 'input');
  if (typeof beta === 'number') {
    if (!Number.isFinite(beta)) throw new RangeError(`swish: 'beta' must be finite, got ${beta}`);
    return Activation.apply(x, ActOp.swish, beta, 0);
  }
  checkTensor(beta, 'swish', 'beta');
  sameDtype(x, beta, 'swish', 'input', 'beta');
  if (beta.numel !== 1) throw new RangeError(`swish: 'beta' must be a single-element tensor, got shape ${fmtShape(beta.shape)}`);
  return SwishBeta.apply(x, beta);
}
