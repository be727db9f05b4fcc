/**
 * Optimizer base: parameter groups (each with its own options), per-parameter state, zeroGrad, and a state
 * dict keyed by the parameter's position across groups (as PyTorch's). Updates are plain loops over the
 * typed arrays, in place (float32 parameters stay float32; arithmetic happens in double and rounds once).
 */
import { Tensor } from '../autograd/tensor';
import { alloc, fmtShape, sameShape, type FloatArray } from '../autograd/util';
import { byteLengthOf, describeTyped as shown, mayShareUnseen, viewsOverlap } from '../activations/validate';

export type ParamGroup<O> = O & { params: Tensor[] };
export type ParamsInput<O> = Iterable<Tensor> | Array<Partial<O> & { params: Iterable<Tensor> }>;

export interface OptimizerStateDict {
  state: Record<string, Record<string, number | number[]>>;
  paramGroups: Record<string, unknown>[];
}

/** A group's options with array values (Adam's betas) copied: no two groups, and no snapshot, share one array. */
function copyOptions<T extends object>(o: T): T {
  const c = { ...o } as Record<string, unknown>;
  for (const [k, v] of Object.entries(c)) if (Array.isArray(v)) c[k] = v.slice();
  return c as unknown as T;
}

export abstract class Optimizer<O extends object> {
  readonly defaults: O;
  paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state: step counts and moment buffers (typed arrays of the parameter's dtype). */
  protected state = new Map<Tensor, Record<string, any>>();
  protected readonly where: string;

  constructor(params: ParamsInput<O>, defaults: O, where: string) {
    this.where = where;
    this.defaults = copyOptions(defaults);
    if (params === null || typeof params !== 'object' || typeof (params as any)[Symbol.iterator] !== 'function') {
      throw new TypeError(`${where}: 'params' must be an array of Tensors or of parameter groups { params, ...options }`);
    }
    const list = [...(params as Iterable<any>)];
    if (list.length === 0) throw new RangeError(`${where}: got an empty parameter list`);
    if (list.every((p) => p instanceof Tensor)) this.addParamGroup({ params: list } as any);
    else for (const g of list) this.addParamGroup(g);
  }

  /** Validates option values of a group (subclasses throw RangeError naming the option). */
  protected abstract checkOptions(o: O): void;

  addParamGroup(group: Partial<O> & { params: Iterable<Tensor> }): void {
    if (group === null || typeof group !== 'object' || !group.params) {
      throw new TypeError(`${this.where}: a parameter group must be { params: Tensor[], ...options }`);
    }
    const ps: unknown = group.params;
    if (ps instanceof Tensor || typeof ps !== 'object' || typeof (ps as any)[Symbol.iterator] !== 'function') {
      const got = ps instanceof Tensor ? 'a Tensor (write params: [t])' : shown(ps);
      throw new TypeError(`${this.where}: a parameter group's 'params' must be an array of Tensors, got ${got}`);
    }
    const params = [...group.params];
    const seen = new Set<Tensor>(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.where}: params[${i}] is not a Tensor`);
      if (!p.isLeaf) throw new TypeError(`${this.where}: params[${i}] is not a leaf tensor and can't be optimized`);
      if (seen.has(p)) throw new RangeError(`${this.where}: params[${i}] appears in more than one place`);
      seen.add(p);
    });
    const g = { ...copyOptions({ ...this.defaults, ...group }), params } as ParamGroup<O>;
    for (const k of Object.keys(group)) {
      if (k !== 'params' && !(k in (this.defaults as object))) {
        throw new RangeError(`${this.where}: unknown option '${k}' (known: ${Object.keys(this.defaults).join(', ')})`);
      }
    }
    this.checkOptions(g);
    this.paramGroups.push(g);
  }

  /** Clears the gradients of every parameter (to null by default, as PyTorch; setToNone false fills zeros). */
  zeroGrad(setToNone = true): void {
    if (typeof setToNone !== 'boolean') {
      // zeroGrad({ setToNone: false }) (PyTorch's keyword) was truthy: it set every gradient to null
      throw new TypeError(`${this.where}.zeroGrad: 'setToNone' must be a boolean, got ${shown(setToNone)}`);
    }
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (setToNone || p.grad === null) p.grad = null;
        else {
          p.grad.data.fill(0);
          p.grad.bumpVersion();
        }
      }
    }
  }

  /**
   * Applies one update from the current gradients (parameters without .grad are skipped). Implementations read
   * each gradient through gradOf().
   */
  abstract step(): void;

  /**
   * The groups' options as they are now, checked as the constructor checks them: paramGroups[i].lr and the others
   * may be set between steps (that is how a schedule changes lr), and a string or NaN there was passed on to the
   * kernels (the native ones refused it in C++, the js ones coerced it). Each step() calls it first.
   */
  protected checkGroupsForStep(): void {
    this.paramGroups.forEach((g, i) => {
      try {
        this.checkOptions(g);
      } catch (e) {
        const msg = `${this.where}.step: paramGroups[${i}]: ${(e as Error).message}`;
        throw e instanceof RangeError ? new RangeError(msg, { cause: e }) : new TypeError(msg, { cause: e });
      }
    });
  }

  /**
   * The gradient of parameter i of group gi, checked against the parameter (a Tensor of its shape and dtype: a
   * .grad set by hand, or left over from before the parameter's data changed, would otherwise be read out of
   * bounds or in the wrong precision); null when it has none. A gradient that shares the parameter's memory
   * (p.grad = p.detach(), or a view of its SharedArrayBuffer received from another thread) comes as a copy: the
   * update reads the gradient as it was before the step writes the parameter.
   */
  protected gradOf(p: Tensor, gi: number, i: number): FloatArray | null {
    const g: unknown = p.grad;
    if (g === null) return null;
    if (g instanceof Tensor && g.dtype === p.dtype && sameShape(g.shape, p.shape) && g.numel === p.numel) {
      const d = g.data;
      const w = p.data;
      const shared = viewsOverlap(d, byteLengthOf.call(d), w, byteLengthOf.call(w)) || mayShareUnseen(d, w);
      return shared ? d.slice() : d;
    }
    const name = this.paramGroups.length === 1 ? `params[${i}].grad` : `paramGroups[${gi}].params[${i}].grad`;
    if (!(g instanceof Tensor)) throw new TypeError(`${this.where}.step: ${name} must be a Tensor or null`);
    if (g.dtype !== p.dtype) {
      throw new TypeError(`${this.where}.step: ${name} is ${g.dtype}, the parameter is ${p.dtype}`);
    }
    throw new RangeError(
      `${this.where}.step: ${name} has shape ${fmtShape(g.shape)}, the parameter has shape ${fmtShape(p.shape)}`,
    );
  }

  /**
   * The state of parameter p. Its buffers follow the parameter's dtype: after module.to() moved the parameters
   * to another dtype, they are converted (as PyTorch's load_state_dict casts them), so every backend sees arrays
   * of one type; a parameter whose size changed is a RangeError (its buffers would be read out of bounds).
   */
  protected stateOf(p: Tensor): Record<string, any> {
    let s = this.state.get(p);
    if (!s) {
      s = {};
      this.state.set(p, s);
    }
    for (const [k, v] of Object.entries(s)) {
      if (!ArrayBuffer.isView(v)) continue;
      if ((v as FloatArray).length !== p.numel) {
        throw new RangeError(
          `${this.where}.step: the state '${k}' of a parameter has ${(v as FloatArray).length} values, the parameter ` +
            `${p.numel}: it changed size after the optimizer was created`,
        );
      }
      if (v.constructor === p.data.constructor) continue;
      const b = this.buffer(p);
      b.set(v as FloatArray);
      s[k] = b;
    }
    return s;
  }

  protected buffer(p: Tensor): FloatArray {
    return alloc(p.dtype, p.numel);
  }

  /**
   * Checks the state loadStateDict read for one parameter (numbers as given, arrays copied into buffers of the
   * parameter's dtype) against what step() expects, `group` being the options the parameter will have and `name`
   * the entry's name for errors (`state[0]`): TypeError/RangeError naming the key. The base accepts any entry;
   * the optimizers override it (a state that loads must step).
   */
  protected checkState(_s: Record<string, number | FloatArray>, _group: O, _name: string): void {}

  /**
   * For checkState: every key of `s` must be one of `kinds` (a key of another optimizer's state is refused, the
   * known ones listed), a 'count' a number and a 'buffer' an array.
   */
  protected checkStateKinds(
    s: Record<string, number | FloatArray>,
    name: string,
    kinds: Record<string, 'count' | 'buffer'>,
  ): void {
    const at = `${this.where}.loadStateDict`;
    for (const [k, v] of Object.entries(s)) {
      const kind = kinds[k];
      if (kind === undefined) {
        throw new RangeError(
          `${at}: ${name} has '${k}', which ${this.where} does not keep (known: ${Object.keys(kinds).join(', ')}): ` +
            'is it the state of another optimizer?',
        );
      }
      if (kind === 'buffer' && typeof v === 'number') {
        throw new TypeError(`${at}: ${name}.${k} must be an array of the parameter's length, got the number ${v}`);
      }
      if (kind === 'count' && typeof v !== 'number') {
        throw new TypeError(`${at}: ${name}.${k} must be a number, got an array of ${v.length}`);
      }
    }
  }

  /** { state: { index: { name: number | number[] } }, paramGroups: [{ ...options, params: [index] }] }. */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    const paramGroups: Record<string, unknown>[] = [];
    let idx = 0;
    for (const g of this.paramGroups) {
      const ids: number[] = [];
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s) {
          const o: Record<string, number | number[]> = {};
          for (const [k, v] of Object.entries(s)) o[k] = typeof v === 'number' ? v : Array.from(v as FloatArray);
          state[String(idx)] = o;
        }
        ids.push(idx++);
      }
      const { params: _p, ...opts } = g as any;
      paramGroups.push({ ...copyOptions(opts), params: ids });
    }
    return { state, paramGroups };
  }

  /** Restores options and state saved by stateDict() (same parameter layout). */
  loadStateDict(sd: OptimizerStateDict): void {
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object') {
      throw new TypeError(`${this.where}.loadStateDict: expected { state, paramGroups } from stateDict()`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError(
        `${this.where}.loadStateDict: the state has ${sd.paramGroups.length} parameter groups, this optimizer ${this.paramGroups.length}`,
      );
    }
    const all: Tensor[] = [];
    const groupOf: number[] = [];
    sd.paramGroups.forEach((sg, i) => {
      const ids = sg.params as number[];
      if (!Array.isArray(ids) || ids.length !== this.paramGroups[i].params.length) {
        throw new RangeError(`${this.where}.loadStateDict: parameter group ${i} has a different number of parameters`);
      }
      all.push(...this.paramGroups[i].params);
      for (let j = 0; j < ids.length; j++) groupOf.push(i);
    });
    // every group is checked before any is replaced: a bad one leaves the optimizer as it was
    const groups = sd.paramGroups.map((sg, i) => {
      const { params: _p, ...opts } = sg as any;
      for (const k of Object.keys(opts)) {
        if (!(k in (this.defaults as object))) {
          throw new RangeError(
            `${this.where}.loadStateDict: parameter group ${i} has option '${k}', which ${this.where} does not have ` +
              `(known: ${Object.keys(this.defaults).join(', ')}): is it the state of another optimizer?`,
          );
        }
      }
      const g = { ...copyOptions({ ...this.paramGroups[i], ...opts }), params: this.paramGroups[i].params };
      this.checkOptions(g);
      return g;
    });
    // every entry is checked (and copied into new buffers) before anything is replaced
    const newState = new Map<Tensor, Record<string, any>>();
    const at = `${this.where}.loadStateDict`;
    for (const [k, v] of Object.entries(sd.state)) {
      const p = all[Number(k)];
      if (!p) throw new RangeError(`${at}: state for unknown parameter index ${k}`);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        throw new TypeError(`${at}: state[${k}] must be an object of per-parameter state, got ${shown(v)}`);
      }
      const s: Record<string, any> = {};
      for (const [name, val] of Object.entries(v)) {
        const what = `state[${k}].${name}`;
        if (typeof val === 'number') {
          if (!Number.isFinite(val)) throw new RangeError(`${at}: ${what} must be a finite number, got ${val}`);
          s[name] = val;
          continue;
        }
        if (!Array.isArray(val) && !(ArrayBuffer.isView(val) && !((val as unknown) instanceof DataView))) {
          throw new TypeError(`${at}: ${what} must be a number or an array of numbers, got ${shown(val)}`);
        }
        const arr = val as ArrayLike<unknown>;
        if (arr.length !== p.numel) {
          throw new RangeError(`${at}: ${what} has ${arr.length} values, the parameter ${p.numel}`);
        }
        const b = this.buffer(p);
        for (let i = 0; i < arr.length; i++) {
          const x = arr[i];
          if (typeof x !== 'number') throw new TypeError(`${at}: ${what}[${i}] must be a number, got ${shown(x)}`);
          if (!Number.isFinite(x)) throw new RangeError(`${at}: ${what}[${i}] must be a finite number, got ${x}`);
          b[i] = x;
          // a value past float32's range is stored as Infinity
          if (!Number.isFinite(b[i])) {
            throw new RangeError(`${at}: ${what}[${i}] = ${x} is out of the range of the parameter's ${p.dtype}`);
          }
        }
        s[name] = b;
      }
      this.checkState(s, groups[groupOf[Number(k)]], `state[${k}]`);
      newState.set(p, s);
    }
    this.paramGroups = groups;
    this.state = newState;
  }
}

export function checkNumber(v: unknown, where: string, name: string, min: number, max = Infinity, minOpen = false): void {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${where}: '${name}' must be a number, got ${String(v)}`);
  if (v < min || v > max || (minOpen && v === min) || !Number.isFinite(v)) {
    throw new RangeError(`${where}: '${name}' must be in ${minOpen ? '(' : '['}${min}, ${max}${max === Infinity ? ')' : ']'}, got ${v}`);
  }
}
