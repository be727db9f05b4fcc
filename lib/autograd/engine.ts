/**
 * The backward engine: walks the graph from a root in reverse topological order (a node runs once every node
 * that consumes its output has delivered its gradient), sums gradients of tensors used more than once, checks
 * the shapes Functions return, accumulates into leaf .grad (across calls, as PyTorch), and releases what each
 * node saved unless retainGraph.
 */
import { Tensor } from './tensor';
import { Node, callBackward } from './function';
import { allocLike, fmtShape, sameShape } from './util';

export interface BackwardOptions {
  /** Keep saved tensors so that backward can run through this graph again. */
  retainGraph?: boolean;
}

/** A gradient on its way to a node; `owned` means the engine allocated it and may add into it in place. */
interface Pending {
  g: Tensor;
  owned: boolean;
}

function addInto(dst: Float32Array | Float64Array, src: Float32Array | Float64Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] += src[i];
}

function accumulate(p: Pending | undefined, g: Tensor): Pending {
  if (p === undefined) return { g, owned: false };
  if (p.owned) {
    addInto(p.g.data, g.data);
    return p;
  }
  const sum = allocLike(p.g.data);
  const a = p.g.data;
  const b = g.data;
  for (let i = 0; i < sum.length; i++) sum[i] = a[i] + b[i];
  return { g: new Tensor(sum, p.g.shape), owned: true };
}

/**
 * Gradients a backward() allocated itself and returned exactly once (e.g. LinearAct's dW and db): a leaf whose
 * .grad is empty may take them over instead of copying. Anything not marked is copied (it may be shared).
 */
const freshGrads = new WeakSet<Tensor>();
export function markFreshGrad<T extends Tensor | null>(t: T): T {
  if (t !== null) freshGrads.add(t);
  return t;
}

function accumulateLeafGrad(t: Tensor, g: Tensor): void {
  if (t.grad === null && freshGrads.has(g) && g.dtype === t.dtype && sameShape(g.shape, t.shape)) {
    freshGrads.delete(g); // at most one owner
    t.grad = g;
    return;
  }
  accumulateGrad(t, g);
}

/** Adds g into t.grad (allocating a copy the first time: g may be shared with other parts of the graph). */
export function accumulateGrad(t: Tensor, g: Tensor): void {
  if (t.grad === null) {
    t.grad = new Tensor(g.data.slice(), t.shape);
    return;
  }
  if (!sameShape(t.grad.shape, t.shape) || t.grad.dtype !== t.dtype) {
    throw new RangeError(
      `cannot accumulate a gradient into .grad of shape ${fmtShape(t.grad.shape)} (${t.grad.dtype}) for a tensor ` +
        `of shape ${fmtShape(t.shape)} (${t.dtype}); set .grad = null first`,
    );
  }
  addInto(t.grad.data, g.data);
  t.grad.bumpVersion(); // a graph that saved this .grad must not see the sum
}

export function runBackward(root: Tensor, gradient: Tensor, opts: BackwardOptions = {}): void {
  for (const k of Object.keys(opts)) {
    if (k !== 'retainGraph') throw new TypeError(`backward: unknown option '${k}' (known: retainGraph)`);
  }
  if (opts.retainGraph !== undefined && typeof opts.retainGraph !== 'boolean') {
    throw new TypeError(`backward: 'retainGraph' must be a boolean, got ${typeof opts.retainGraph}`);
  }
  const retain = opts.retainGraph === true;
  const rootNode = root.gradFn;
  if (rootNode === null) {
    accumulateGrad(root, gradient);
    return;
  }
  // Count, for every node reachable from the root, how many edges point at it.
  const deps = new Map<Node, number>();
  const stack: Node[] = [rootNode];
  deps.set(rootNode, 0);
  while (stack.length > 0) {
    const node = stack.pop()!;
    const next = node.next;
    for (let i = 0; i < next.length; i++) {
      const e = next[i];
      if (!(e instanceof Node)) continue;
      const d = deps.get(e);
      if (d === undefined) {
        deps.set(e, 1);
        stack.push(e);
      } else deps.set(e, d + 1);
    }
  }
  const pending = new Map<Node, Pending>();
  pending.set(rootNode, { g: gradient, owned: false });
  const ready: Node[] = [rootNode];
  while (ready.length > 0) {
    const node = ready.pop()!;
    const p = pending.get(node);
    pending.delete(node);
    let grads: (Tensor | null)[] | null = null;
    if (p !== undefined) {
      if (node.retained !== null) accumulateGrad(node.retained, p.g);
      grads = callBackward(node, p.g);
    }
    if (!retain) node.ctx.release();
    const next = node.next;
    if (grads !== null) {
      // A fresh gradient is a leaf's to take over only where that leaf is its one receiver: routed to a node (whose
      // backward may hand it on anywhere, several times: a custom add returns [g, g]) or returned twice, it stays
      // shared, and a leaf that took it over would add into it while others still read it.
      for (let i = 0; i < next.length; i++) {
        const g = grads[i];
        if (g != null && freshGrads.has(g) && (next[i] instanceof Node || grads.indexOf(g) !== i)) freshGrads.delete(g);
      }
    }
    for (let i = 0; i < next.length; i++) {
      const e = next[i];
      if (e === null) continue;
      const g = grads === null ? null : grads[i];
      if (e instanceof Node) {
        if (g !== null) pending.set(e, accumulate(pending.get(e), g));
        const d = deps.get(e)! - 1;
        deps.set(e, d);
        if (d === 0) ready.push(e);
      } else if (g !== null) {
        accumulateLeafGrad(e, g);
      }
    }
  }
}
