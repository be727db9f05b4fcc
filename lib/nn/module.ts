/**
 * Module: the base of every layer (torch.nn.Module). Sub-modules and parameters are discovered from the
 * module's own fields, in the order they were assigned (as PyTorch registers them in __setattr__):
 *   - a Module field is a child;
 *   - a Parameter field (or any leaf Tensor field with requiresGrad) is a parameter;
 *   - a Tensor field named through registerBuffer() is a buffer (saved in stateDict, not trained).
 * Names are dotted paths ('fc1.weight'). Call a module through `module.forward(x)` or `module.call(x)`.
 */
import { Tensor } from '../autograd/tensor';
import { alloc, fmtShape, isFloatArray, type DType, type FloatArray } from '../autograd/util';
import { checkTrueLength, describeTyped } from '../activations/validate';
import { checkOptionKeys } from '../util/errors';

/** A tensor that is a module parameter: requiresGrad defaults to true. Shares the given tensor's data. */
export class Parameter extends Tensor {
  constructor(data: Tensor | FloatArray, requiresGrad = true, shape?: number[]) {
    if (data instanceof Tensor) super(data.data, data.shape, requiresGrad);
    else if (isFloatArray(data)) super(data, shape, requiresGrad);
    else throw new TypeError(`Parameter: 'data' must be a Tensor, Float32Array or Float64Array`);
  }
}

export interface StateEntry {
  shape: number[];
  dtype: DType;
  data: FloatArray | number[];
}
export type StateDict = Record<string, StateEntry>;

export interface StateDictOptions {
  /** Plain number[] data (JSON-friendly) instead of typed-array copies. */
  plain?: boolean;
}

export interface ModuleJSON {
  type: string;
  config: Record<string, unknown>;
  modules?: Record<string, ModuleJSON>;
  /**
   * A module that appears a second time in the tree (Sequential(lin, relu, lin)) is written once in full; each
   * later place holds its type and config and the dotted name of the first place here, and fromJSON puts the same
   * module object there.
   */
  sameAs?: string;
  /**
   * At the root only, where a module holds a parameter that an earlier module holds too (b.weight = a.weight):
   * each such place's dotted name and the name stateDict lists the parameter by ({ '2.weight': '0.weight' }).
   * fromJSON puts the same parameter there. Absent when no parameter is shared.
   */
  ties?: Record<string, string>;
}

/** The toJSON call in progress: each module's first dotted name, and the modules already written in full. */
let jsonPass: { first: Map<Module, string>; written: Set<Module> } | null = null;

function isParam(v: unknown): v is Tensor {
  return v instanceof Parameter || (v instanceof Tensor && v.requiresGrad && v.isLeaf);
}

export abstract class Module {
  /** Training mode (dropout active, batch norm uses batch stats); switch with train()/eval(). */
  training = true;
  #buffers = new Set<string>();

  /** The computation. Subclasses define it. */
  abstract forward(...args: any[]): any;

  /** Calls forward (modules are not JS-callable; use module.call(x) or module.forward(x)). */
  call<M extends Module>(this: M, ...args: Parameters<M['forward']>): ReturnType<M['forward']> {
    return this.forward(...args);
  }

  /** Registers a tensor that is state but not a parameter (e.g. running stats); null removes its data. */
  registerBuffer(name: string, tensor: Tensor | null): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new TypeError(`registerBuffer: 'name' must be a non-empty string without dots, got ${JSON.stringify(name)}`);
    }
    if (tensor !== null && !(tensor instanceof Tensor)) throw new TypeError(`registerBuffer: 'tensor' must be a Tensor or null`);
    this.#buffers.add(name);
    (this as any)[name] = tensor;
  }

  /** Registers a parameter (a Tensor becomes a Parameter sharing its data). */
  registerParameter(name: string, p: Tensor | null): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new TypeError(`registerParameter: 'name' must be a non-empty string without dots, got ${JSON.stringify(name)}`);
    }
    if (p !== null && !(p instanceof Tensor)) throw new TypeError(`registerParameter: 'p' must be a Tensor or null`);
    (this as any)[name] = p === null || p instanceof Parameter ? p : new Parameter(p);
  }

  /** Registers a child module under `name`. */
  addModule(name: string, m: Module | null): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new TypeError(`addModule: 'name' must be a non-empty string without dots, got ${JSON.stringify(name)}`);
    }
    if (m !== null && !(m instanceof Module)) throw new TypeError(`addModule: 'module' must be a Module or null`);
    (this as any)[name] = m;
  }

  /** [name, child] for the direct children. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const k of Object.keys(this)) {
      const v = (this as any)[k];
      if (v instanceof Module) out.push([k, v]);
    }
    return out;
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** [dotted name, module] for this module and every descendant (each module once). */
  namedModules(prefix = '', seen: Set<Module> = new Set()): [string, Module][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [k, m] of this.namedChildren()) out.push(...m.namedModules(prefix ? `${prefix}.${k}` : k, seen));
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Own parameters (not recursing), in field order. */
  protected ownParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const k of Object.keys(this)) {
      if (this.#buffers.has(k)) continue;
      const v = (this as any)[k];
      if (isParam(v)) out.push([k, v]);
    }
    return out;
  }
  protected ownBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const k of this.#buffers) {
      const v = (this as any)[k];
      if (v instanceof Tensor) out.push([k, v]);
    }
    return out;
  }

  /** [dotted name, parameter] for every parameter (shared parameters are listed once, under the first name). */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix ? `${prefix}.${k}` : k, p]);
      }
    }
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** [dotted name, buffer] for every buffer. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, b] of m.ownBuffers()) out.push([prefix ? `${prefix}.${k}` : k, b]);
    }
    return out;
  }
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Total number of parameter elements. */
  countParameters(): number {
    let n = 0;
    for (const p of this.parameters()) n += p.numel;
    return n;
  }

  /** Sets training mode on this module and its descendants. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`train: 'mode' must be a boolean`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Clears parameter gradients (to null by default, as PyTorch; setToNone false fills zeros). */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone || p.grad === null) p.grad = null;
      else {
        p.grad.data.fill(0);
        p.grad.bumpVersion();
      }
    }
  }

  /**
   * Converts parameters and buffers to `dtype` in place (do this before creating an optimizer), except the buffers
   * a module keeps in a fixed dtype (BatchNorm1d's float64 numBatchesTracked, as PyTorch's .to(dtype) leaves its
   * integer count alone).
   */
  to(dtype: DType): this {
    if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`to: 'dtype' must be 'float32' or 'float64'`);
    const buffers = this.modules().flatMap((m) => {
      const fixed = new Set(m.fixedDtypeBuffers());
      return m.ownBuffers().filter(([k]) => !fixed.has(k)).map(([, b]) => b);
    });
    for (const t of [...this.parameters(), ...buffers]) {
      if (t.dtype === dtype) continue;
      const d = alloc(dtype, t.numel);
      d.set(t.data);
      t.data = d;
      t.grad = null;
    }
    return this;
  }

  /** Parameters and buffers by dotted name: { shape, dtype, data } with copied data. */
  stateDict(opts: StateDictOptions = {}): StateDict {
    const out: StateDict = {};
    for (const [name, t] of [...this.namedParameters(), ...this.namedBuffers()]) {
      out[name] = { shape: t.shape.slice(), dtype: t.dtype, data: opts.plain ? Array.from(t.data) : t.data.slice() };
    }
    return out;
  }

  /**
   * Copies values from a state dict into the existing parameters and buffers (in place, so optimizers keep
   * working). Shapes must match exactly; with strict (default) the key sets must match too, except that a key
   * a module declares optional (BatchNorm1d's numBatchesTracked) may be absent: it is then left as it is.
   */
  loadStateDict(state: StateDict | Record<string, StateEntry | Tensor>, opts: { strict?: boolean } = {}): this {
    if (state === null || typeof state !== 'object') throw new TypeError(`loadStateDict: 'state' must be an object`);
    if (opts === null || typeof opts !== 'object') {
      const got = describeTyped(opts);
      throw new TypeError(`loadStateDict: 'options' must be an object such as { strict: false }, got ${got}`);
    }
    checkOptionKeys(opts, ['strict'], 'loadStateDict');
    const strict = opts.strict ?? true;
    if (typeof strict !== 'boolean') {
      throw new TypeError(`loadStateDict: 'strict' must be a boolean, got ${describeTyped(strict)}`);
    }
    return this.loadStateAs(state, strict, (name) => `loadStateDict: '${name}'`);
  }

  /**
   * @internal loadStateDict's work, with `at(name)` naming an entry in the errors of the modules' own value rules
   * (checkStateValues): NeuralNetClassifier's setWeights and load name entries their own way.
   */
  loadStateAs(
    state: StateDict | Record<string, StateEntry | Tensor>,
    strict: boolean,
    at: (name: string) => string,
  ): this {
    const own = new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers()]);
    const optional = new Set<string>();
    // each key's module and own name, for the module's checkStateValues
    const owner = new Map<string, [Module, string]>();
    for (const [prefix, m] of this.namedModules()) {
      for (const k of m.optionalStateKeys()) optional.add(prefix ? `${prefix}.${k}` : k);
      for (const [k] of [...m.ownParameters(), ...m.ownBuffers()]) {
        const full = prefix ? `${prefix}.${k}` : k;
        if (!owner.has(full)) owner.set(full, [m, k]);
      }
    }
    const missing = [...own.keys()].filter((k) => !(k in state) && !optional.has(k));
    const unexpected = Object.keys(state).filter((k) => !own.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts = [];
      if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
      throw new Error(`loadStateDict: the state does not match ${this.constructor.name} (${parts.join('; ')})`);
    }
    // check everything before copying anything
    const plan: [Tensor, ArrayLike<number>][] = [];
    for (const [name, t] of own) {
      if (!(name in state)) continue;
      const e = (state as any)[name];
      let shape: unknown;
      let data: unknown;
      if (e instanceof Tensor) {
        shape = e.shape;
        data = e.data;
      } else if (e && typeof e === 'object') {
        shape = e.shape;
        data = e.data;
      } else throw new TypeError(`loadStateDict: '${name}' must be { shape, dtype, data } or a Tensor`);
      if (!Array.isArray(shape)) throw new TypeError(`loadStateDict: '${name}'.shape must be an array`);
      if (shape.length !== t.ndim || shape.some((d, i) => d !== t.shape[i])) {
        throw new RangeError(
          `loadStateDict: size mismatch for '${name}': the state has shape ${fmtShape(shape as number[])}, ` +
            `the module has ${fmtShape(t.shape)}`,
        );
      }
      if (!(Array.isArray(data) || isFloatArray(data))) {
        throw new TypeError(`loadStateDict: '${name}'.data must be a number[] or a Float32Array/Float64Array`);
      }
      const arr = data as ArrayLike<number>;
      if (isFloatArray(arr)) checkTrueLength(arr, `loadStateDict: '${name}'.data`);
      if (arr.length !== t.numel) {
        throw new RangeError(`loadStateDict: '${name}' has ${arr.length} values, shape ${fmtShape(t.shape)} needs ${t.numel}`);
      }
      if (Array.isArray(arr)) {
        for (let i = 0; i < arr.length; i++) {
          if (typeof arr[i] !== 'number') throw new TypeError(`loadStateDict: '${name}'.data[${i}] is not a number`);
        }
      }
      const o = owner.get(name);
      if (o) o[0].checkStateValues(o[1], arr, at(name));
      plan.push([t, arr]);
    }
    for (const [t, arr] of plan) {
      t.data.set(arr);
      t.bumpVersion();
    }
    return this;
  }

  /**
   * Own buffers or parameters that a state may lack (one saved before the module had them): loadStateDict leaves
   * them as they are instead of reporting them missing. Override in subclasses.
   */
  protected optionalStateKeys(): string[] {
    return [];
  }

  /**
   * Checks the values loadStateDict is about to copy into the own parameter or buffer `key` (shape and numbers
   * already checked; `at` names the entry for errors, e.g. "loadStateDict: '1.runningVar'"): a module whose state
   * has rules (a count) throws a RangeError starting with `at`, before anything is copied. Override in subclasses.
   */
  protected checkStateValues(_key: string, _data: ArrayLike<number>, _at: string): void {}

  /** Own buffers that keep their dtype through to() (BatchNorm1d's float64 count). Override in subclasses. */
  protected fixedDtypeBuffers(): string[] {
    return [];
  }

  /** Constructor options that rebuild this module (used by toJSON / fromJSON); override in subclasses. */
  config(): Record<string, unknown> {
    return {};
  }

  /** Text inside the parentheses of describe() (PyTorch's extra_repr). */
  extraRepr(): string {
    return Object.entries(this.config())
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(', ');
  }

  /**
   * The architecture as JSON: type, config (activation names and parameters included) and children. A module
   * that appears again (Sequential(lin, relu, lin)) is written in full at its first place and as { type, config,
   * sameAs: its first dotted name } at the others.
   */
  toJSON(): ModuleJSON {
    const top = jsonPass === null;
    if (top) jsonPass = { first: new Map(this.namedModules().map(([name, m]) => [m, name])), written: new Set() };
    const pass = jsonPass!;
    try {
      pass.written.add(this);
      const out: ModuleJSON = { type: this.constructor.name, config: this.config() };
      const kids = this.namedChildren();
      const child = (m: Module): ModuleJSON => {
        const first = pass.first.get(m);
        if (!pass.written.has(m) || first === undefined) return m.toJSON();
        return { type: m.constructor.name, config: m.config(), sameAs: first };
      };
      if (kids.length > 0) out.modules = Object.fromEntries(kids.map(([k, m]) => [k, child(m)]));
      if (top) {
        const ties = this.parameterTies();
        if (Object.keys(ties).length > 0) out.ties = ties;
      }
      return out;
    } finally {
      if (top) jsonPass = null;
    }
  }

  /**
   * The places that hold a parameter listed under another name (shared with an earlier module, b.weight =
   * a.weight): dotted name of the place -> the name namedParameters lists it by.
   */
  private parameterTies(): Record<string, string> {
    const first = new Map<Tensor, string>();
    const ties: Record<string, string> = {};
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, p] of m.ownParameters()) {
        const name = prefix ? `${prefix}.${k}` : k;
        const f = first.get(p);
        if (f === undefined) first.set(p, name);
        else ties[name] = f;
      }
    }
    return ties;
  }

  /** A PyTorch-style multi-line description of the module tree. */
  describe(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    const kids = this.namedChildren();
    if (kids.length === 0) return `${head})`;
    const lines = kids.map(([k, m]) => `  (${k}): ${m.describe().split('\n').join('\n  ')}`);
    return `${this.constructor.name}(${this.extraRepr() ? `${this.extraRepr()}\n` : '\n'}${lines.join('\n')}\n)`;
  }

  toString(): string {
    return this.describe();
  }
}

/** Child i of a container (negative i counts from the end, as Array.prototype.at); RangeError outside. */
function childAt(kids: Module[], i: number, where: string): Module {
  const j = i < 0 ? kids.length + i : i;
  if (!Number.isInteger(j) || j < 0 || j >= kids.length) throw new RangeError(`${where}: index ${i} out of range`);
  return kids[j];
}

/** Applies children in order: `new Sequential(a, b, c)` (children named '0', '1', ...). */
export class Sequential extends Module {
  constructor(...modules: (Module | Module[])[]) {
    super();
    const list = modules.length === 1 && Array.isArray(modules[0]) ? modules[0] : (modules as Module[]);
    list.forEach((m) => this.append(m));
  }
  /** Adds a module at the end. */
  append(m: Module): this {
    if (!(m instanceof Module)) throw new TypeError(`Sequential: every entry must be a Module`);
    this.addModule(String(this.length), m);
    return this;
  }
  get length(): number {
    return this.namedChildren().length;
  }
  at(i: number): Module {
    return childAt(this.children(), i, 'Sequential.at');
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
  forward(x: Tensor): Tensor {
    for (const m of this.children()) x = m.forward(x);
    return x;
  }
}

/** Holds modules in a list (children '0', '1', ...); it has no forward of its own. */
export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = []) {
    super();
    const it: unknown = modules;
    if (it === null || typeof it !== 'object' || typeof (it as Iterable<Module>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`ModuleList: 'modules' must be an array of Modules, got ${describeTyped(it)}`);
    }
    for (const m of it as Iterable<Module>) this.append(m);
  }
  append(m: Module): this {
    if (!(m instanceof Module)) throw new TypeError(`ModuleList: every entry must be a Module`);
    this.addModule(String(this.length), m);
    return this;
  }
  get length(): number {
    return this.namedChildren().length;
  }
  at(i: number): Module {
    return childAt(this.children(), i, 'ModuleList.at');
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
  forward(): never {
    throw new Error('ModuleList has no forward(); iterate over it');
  }
}

/** Passes its input through. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
