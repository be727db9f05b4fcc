/**
 * Function: the unit of differentiation (torch.autograd.Function). A subclass defines
 *
 *   static forward(ctx, ...args): Tensor          // runs with grad recording off
 *   static backward(ctx, gradOut): grads          // one gradient (Tensor or null) per forward argument
 *
 * and is called as `MyFn.apply(...args)`. Arguments may mix tensors and plain values (numbers, options);
 * `ctx.needsInputGrad[i]` says whether argument i is a tensor that needs a gradient. Built-in ops are Functions
 * too, so user-defined ones are first-class.
 */
import type { Tensor } from './tensor';
import { isGradEnabled, setGradEnabled } from './grad_mode';
import { isAnomalyEnabled, checkForward, checkBackward } from './anomaly';
import { fmtShape, sameShape, versionOf } from './util';
import type { DType } from './util';

// This module must not load ./tensor at run time: tensor.ts loads the ops, whose Functions extend the class
// below, so whichever of the two loads first, Function has to be complete before any op module runs. tensor.ts
// hands its class over here when it loads.
let TensorClass: typeof Tensor | null = null;

/** @internal called once by tensor.ts. */
export function _registerTensorClass(cls: typeof Tensor): void {
  TensorClass = cls;
}

function isTensor(x: unknown): x is Tensor {
  return TensorClass !== null && x instanceof TensorClass;
}

/**
 * Per-call state handed to forward and backward. Plain fields may be set on it freely (ctx.k = 3); large buffers
 * belong in saveForBackward so that they are released after backward.
 */
export class Context {
  [field: string]: any;
  #needs: boolean[];
  #saved: Tensor[] = [];
  /** Per saved tensor: its data array and that array's version when saved (null for a null entry). */
  #stamps: ({ data: Tensor['data']; version: number } | null)[] = [];
  #freed = false;
  #fnName: string;

  constructor(needsInputGrad: boolean[], fnName: string) {
    this.#needs = needsInputGrad;
    this.#fnName = fnName;
  }

  /** needsInputGrad[i]: argument i is a tensor that requires grad (and grad mode was on). */
  get needsInputGrad(): boolean[] {
    return this.#needs;
  }

  /** Keeps tensors for backward; they are released after backward unless retainGraph is set. */
  saveForBackward(...tensors: (Tensor | null | undefined)[]): void {
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i];
      if (t !== null && t !== undefined && !isTensor(t)) {
        throw new TypeError(`${this.#fnName}: saveForBackward argument ${i} is not a Tensor (or null)`);
      }
    }
    this.#saved = tensors as Tensor[];
    this.#stamps = tensors.map((t) => (t ? { data: t.data, version: versionOf(t.data) } : null));
  }

  /**
   * The tensors given to saveForBackward, in order. An Error when one was modified in place since (an optimizer
   * step, nn.init, loadStateDict, a new .data array, or bumpVersion() after a write of one's own), as PyTorch
   * raises: the gradient would be computed from values the forward did not use.
   */
  get savedTensors(): Tensor[] {
    if (this.#freed) throw new Error(freedMessage(this.#fnName));
    this.#stamps.forEach((s, i) => {
      const t = this.#saved[i];
      if (s === null || (t.data === s.data && versionOf(t.data) === s.version)) return;
      throw new Error(
        `${this.#fnName}: saved tensor ${i} (shape ${fmtShape(t.shape)}) was modified in place after the forward ` +
          `pass (${t.data === s.data ? `version ${s.version} -> ${versionOf(t.data)}` : 'its data array was replaced'}` +
          `): its gradient would mix old and new values. Run the forward pass again after changing it ` +
          `(e.g. call optimizer.step() after every backward() that uses the graph).`,
      );
    });
    return this.#saved;
  }

  /** True once backward has released what this context held. */
  get released(): boolean {
    return this.#freed;
  }

  /**
   * Drops the saved tensors (called by the engine after backward without retainGraph). As in PyTorch, plain
   * fields stay, and a node that saved no tensors can be backpropagated through again.
   */
  release(): void {
    if (this.#saved.length === 0) return;
    this.#freed = true;
    this.#saved = [];
    this.#stamps = [];
  }
}

function freedMessage(fnName: string): string {
  return (
    `Trying to backward through the graph a second time (or to use saved tensors after they were freed): ` +
    `${fnName} released what it saved for backward when backward() first ran. ` +
    `Pass { retainGraph: true } to the first backward() call if you need to backward through it again.`
  );
}

/** A recorded call of a Function: one node of the autograd graph. */
export class Node {
  /** Tensor whose .grad receives this node's incoming gradient (set by retainGrad on a non-leaf). */
  retained: Tensor | null = null;

  constructor(
    readonly fn: FunctionClass,
    readonly ctx: Context,
    /** Per forward argument: the producing node, the leaf tensor that accumulates, or null (no grad). */
    readonly next: (Node | Tensor | null)[],
    /** Per forward argument: shape and dtype of the tensor (null for non-tensors / no grad). */
    readonly inputShapes: (number[] | null)[],
    readonly inputDtypes: (DType | null)[],
  ) {}

  /** 'MyFnBackward', as PyTorch names grad_fn objects. */
  get name(): string {
    return `${this.fn.name}Backward`;
  }

  toString(): string {
    return `<${this.name}>`;
  }
}

export type BackwardResult = Tensor | null | undefined | (Tensor | null | undefined)[];

export interface FunctionClass {
  readonly name: string;
  forward(ctx: Context, ...args: any[]): Tensor;
  backward(ctx: Context, gradOut: Tensor): BackwardResult;
}

export class Function {
  /** Computes the output from the arguments. Runs with grad recording disabled. */
  static forward(_ctx: Context, ..._args: any[]): Tensor {
    throw new Error(`${this.name}.forward is not implemented`);
  }

  /** Returns one gradient per forward argument (null where there is none). */
  static backward(_ctx: Context, _gradOut: Tensor): BackwardResult {
    throw new Error(`${this.name}.backward is not implemented`);
  }

  /** Runs forward and, when any tensor argument requires grad, records a graph node on the output. */
  static apply(this: FunctionClass, ...args: any[]): Tensor {
    const grad = isGradEnabled();
    let any = false;
    const needs = new Array<boolean>(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const n = grad && isTensor(a) && a.requiresGrad;
      needs[i] = n;
      if (n) any = true;
    }
    const ctx = new Context(needs, this.name);
    const createdBefore = TensorClass === null ? 0 : TensorClass._createdCount();
    const prev = setGradEnabled(false);
    let out: Tensor;
    try {
      out = this.forward(ctx, ...args);
    } finally {
      setGradEnabled(prev);
    }
    if (!isTensor(out)) {
      throw new TypeError(`${this.name}.forward must return a Tensor, got ${describeValue(out)}`);
    }
    if (isAnomalyEnabled()) checkForward(this.name, out, args);
    if (!any) return out;
    // Never re-home a tensor that already belongs somewhere (an input returned as is, a leaf, a constant that
    // forward returned from a cache: anything constructed before forward ran): alias it.
    if (out._serial <= createdBefore || out.gradFn !== null || out.requiresGrad) out = out.alias();
    const next = new Array<Node | Tensor | null>(args.length);
    const shapes = new Array<number[] | null>(args.length);
    const dtypes = new Array<DType | null>(args.length);
    for (let i = 0; i < args.length; i++) {
      if (!needs[i]) {
        next[i] = null;
        shapes[i] = null;
        dtypes[i] = null;
        continue;
      }
      const t = args[i] as Tensor;
      next[i] = t.gradFn ?? t;
      shapes[i] = t.shape;
      dtypes[i] = t.dtype;
    }
    out._setGradFn(new Node(this, ctx, next, shapes, dtypes));
    return out;
  }
}

/** Calls node's backward and checks what it returns; returns one entry per forward argument. */
export function callBackward(node: Node, gradOut: Tensor): (Tensor | null)[] {
  const { fn, ctx } = node;
  if (ctx.released) throw new Error(freedMessage(fn.name));
  const prev = setGradEnabled(false);
  let res: BackwardResult;
  try {
    res = fn.backward(ctx, gradOut);
  } finally {
    setGradEnabled(prev);
  }
  const nIn = node.next.length;
  let grads: (Tensor | null | undefined)[];
  if (Array.isArray(res)) grads = res;
  else if (nIn === 1 || res === null || res === undefined) grads = [res];
  else {
    throw new Error(
      `${fn.name}.backward returned a single gradient but forward took ${nIn} arguments; ` +
        `return an array with one gradient (or null) per argument`,
    );
  }
  if (grads.length > nIn) {
    throw new Error(`${fn.name}.backward returned ${grads.length} gradients, but forward took ${nIn} arguments`);
  }
  const out = new Array<Tensor | null>(nIn);
  for (let i = 0; i < nIn; i++) {
    const g = i < grads.length ? grads[i] : undefined;
    if (node.next[i] === null) {
      out[i] = null; // argument needs no gradient: whatever was returned is ignored
      continue;
    }
    if (i >= grads.length) {
      throw new Error(
        `${fn.name}.backward returned ${grads.length} gradients, but forward argument ${i} needs one ` +
          `(forward took ${nIn} arguments)`,
      );
    }
    if (g === null || g === undefined) {
      out[i] = null;
      continue;
    }
    if (!isTensor(g)) {
      throw new TypeError(`${fn.name}.backward returned ${describeValue(g)} for argument ${i}; expected a Tensor or null`);
    }
    const shape = node.inputShapes[i]!;
    if (!sameShape(g.shape, shape)) {
      throw new RangeError(
        `${fn.name}.backward returned a gradient of shape ${fmtShape(g.shape)} for argument ${i}, ` +
          `which has shape ${fmtShape(shape)}`,
      );
    }
    if (g.dtype !== node.inputDtypes[i]) {
      throw new TypeError(
        `${fn.name}.backward returned a ${g.dtype} gradient for argument ${i}, which is ${node.inputDtypes[i]}`,
      );
    }
    out[i] = g;
  }
  if (isAnomalyEnabled()) checkBackward(node.name, out);
  return out;
}

/** @internal 'null', 'an array', 'an object (Name)' or the typeof, for error messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return typeof v;
}
