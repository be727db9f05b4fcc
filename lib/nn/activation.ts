/**
 * Activation modules. `activation(nameOrSpec, params?)` builds one from the registry (lib/activations):
 * activation('swish', { beta: 1.5 }), activation({ name: 'leaky_relu', alpha: 0.05 }), activation('prelu')
 * (a learnable nn.PReLU), activation({ name: 'swish', learnable: true }) (nn.Swish with a learned beta).
 * Parameter-free kernel activations report fusedOp() so nn.MLP can fuse them into the GEMM epilogue.
 */
import { Module, Parameter } from './module';
import { Tensor } from '../autograd/tensor';
import { alloc, checkDtype, type DType } from '../autograd/util';
import { spec as activationSpec } from '../activations';
import { describeTyped } from '../activations/validate';
import { checkOptionKeys } from '../util/errors';
import {
  applyResolved,
  activation as activationOp,
  prelu,
  resolveActivation,
  swish,
  type ActivationLike,
  type ResolvedActivation,
} from '../ops/activation';
import { checkTensor } from '../ops/util';

/**
 * The options object of an activation module's constructor: {} for undefined, else a TypeError naming 'options'
 * and showing the object form unless it is an object (a positional number, as PyTorch's nn.ELU(0.5), was dropped
 * without a word: `{ ...0.5 }` is `{}`).
 */
function optionsObject<T extends object>(opts: T | undefined, where: string, example: string): T {
  if (opts === undefined) return {} as T;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${where}: 'options' must be an object such as ${example}, got ${describeTyped(opts)}`);
  }
  return opts;
}

/** Any registered activation, by name or spec. */
export class Activation extends Module {
  readonly spec: ResolvedActivation;

  constructor(nameOrSpec: ActivationLike, params?: Record<string, unknown>) {
    super();
    this.spec = resolveActivation(nameOrSpec, params);
    if (this.spec.params.learnable === true) {
      // a fixed-beta module that silently dropped the flag
      throw new RangeError(
        `${this.spec.name}: 'learnable: true' needs a module that holds beta: nn.activation({ name: 'swish', ` +
          "learnable: true }) or new nn.Swish({ learnBeta: true }), not nn.Activation",
      );
    }
  }

  get name(): string {
    return this.spec.name;
  }

  forward(x: Tensor): Tensor {
    if (this.spec.name === 'prelu') return activationOp(x, this.spec);
    return applyResolved(x, this.spec);
  }

  /** { opId, a, b } when this is a parameter-free kernel activation that a GEMM epilogue can apply. */
  fusedOp(): { opId: number; a: number; b: number } | null {
    const s = this.spec;
    if (typeof s.opId !== 'number' || s.opId < 0) return null;
    if (s.name === 'prelu' && s.params.alpha !== null && typeof s.params.alpha === 'object') return null;
    return { opId: s.opId, a: s.a, b: s.b };
  }

  override config(): Record<string, unknown> {
    return this.spec.toJSON();
  }
  override extraRepr(): string {
    return Object.entries(this.spec.params)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(Array.from(v as ArrayLike<number>)) : String(v)}`)
      .join(', ');
  }
}

export class ReLU extends Activation {
  constructor() {
    super('relu');
  }
}
export class Sigmoid extends Activation {
  constructor() {
    super('sigmoid');
  }
}
export class Tanh extends Activation {
  constructor() {
    super('tanh');
  }
}
export class Softsign extends Activation {
  constructor() {
    super('softsign');
  }
}
export class Softplus extends Activation {
  constructor(opts: { beta?: number; threshold?: number } = {}) {
    super('softplus', { ...optionsObject(opts, 'Softplus', '{ beta: 2 }') });
  }
}
export class LeakyReLU extends Activation {
  /** alpha (PyTorch's negative_slope) defaults to 0.01. */
  constructor(opts: { alpha?: number; negativeSlope?: number } | number = {}) {
    if (typeof opts !== 'number') {
      opts = optionsObject(opts, 'LeakyReLU', '{ alpha: 0.2 } (or the number 0.2)');
      checkOptionKeys(opts, ['alpha', 'negativeSlope'], 'LeakyReLU');
    }
    const alpha = typeof opts === 'number' ? opts : (opts.alpha ?? opts.negativeSlope);
    super('leaky_relu', alpha === undefined ? {} : { alpha });
  }
}
export class ELU extends Activation {
  constructor(opts: { alpha?: number } = {}) {
    super('elu', { ...optionsObject(opts, 'ELU', '{ alpha: 0.5 }') });
  }
}
export class CELU extends Activation {
  constructor(opts: { alpha?: number } = {}) {
    super('celu', { ...optionsObject(opts, 'CELU', '{ alpha: 0.5 }') });
  }
}
export class SELU extends Activation {
  constructor() {
    super('selu');
  }
}
export class GELU extends Activation {
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super('gelu', { ...optionsObject(opts, 'GELU', "{ approximate: 'tanh' }") });
  }
}
export class Mish extends Activation {
  constructor() {
    super('mish');
  }
}
export class Hardswish extends Activation {
  constructor() {
    super('hardswish');
  }
}
export class Hardsigmoid extends Activation {
  constructor() {
    super('hardsigmoid');
  }
}
export class ReLU6 extends Activation {
  constructor() {
    super('relu6');
  }
}
export class SiLU extends Activation {
  constructor() {
    super('silu');
  }
}

/** swish(x) = x * sigmoid(beta x); with learnBeta, beta is a parameter (shape [1]). */
export class Swish extends Activation {
  readonly learnBeta: boolean;
  beta: Parameter | null;

  constructor(opts: { beta?: number; learnBeta?: boolean; dtype?: DType } = {}) {
    opts = optionsObject(opts, 'Swish', '{ beta: 1.5 }');
    checkOptionKeys(opts, ['beta', 'learnBeta', 'dtype'], 'Swish');
    super('swish', opts.beta === undefined ? {} : { beta: opts.beta });
    const learn = opts.learnBeta ?? false;
    if (typeof learn !== 'boolean') throw new TypeError(`Swish: 'learnBeta' must be a boolean`);
    this.learnBeta = learn;
    if (learn) {
      const d = alloc(checkDtype(opts.dtype, 'Swish'), 1);
      d[0] = this.spec.a;
      this.beta = new Parameter(new Tensor(d, [1]));
    } else this.beta = null;
  }
  override forward(x: Tensor): Tensor {
    if (!this.beta) return super.forward(x);
    checkTensor(x, 'Swish', 'input');
    return swish(x, this.beta.dtype === x.dtype ? this.beta : this.beta.to(x.dtype));
  }
  override fusedOp(): { opId: number; a: number; b: number } | null {
    return this.beta ? null : super.fusedOp();
  }
  override config(): Record<string, unknown> {
    if (!this.beta) return { name: 'swish', beta: this.spec.a, learnBeta: this.learnBeta };
    // the initial beta (checked when built): the learned one is in the state dict, and may have left the range
    // a new module accepts (a file then did not load)
    return { name: 'swish', beta: this.spec.a, learnBeta: this.learnBeta, dtype: this.beta.dtype };
  }
  override extraRepr(): string {
    return `beta=${this.beta ? this.beta.data[0] : this.spec.a}${this.learnBeta ? ', learnBeta=true' : ''}`;
  }
}

/** PReLU with a learned alpha: one shared value (numParameters 1) or one per channel (dimension 1). */
export class PReLU extends Module {
  readonly numParameters: number;
  weight: Parameter;
  /** The initial alpha as given (config() writes it: the learned one is in the state dict). */
  readonly #init: number | number[];

  constructor(opts: { numParameters?: number; init?: number | ArrayLike<number>; dtype?: DType } = {}) {
    super();
    opts = optionsObject(opts, 'PReLU', '{ init: 0.25 } or { numParameters: 3 }');
    checkOptionKeys(opts, ['numParameters', 'init', 'dtype'], 'PReLU');
    const init = opts.init ?? 0.25;
    const fromArray = typeof init === 'object' && init !== null;
    const n: unknown = opts.numParameters ?? (fromArray ? (init as ArrayLike<number>).length : 1);
    if (typeof n !== 'number') {
      throw new TypeError(`PReLU: 'numParameters' must be a number, got ${describeTyped(n)}`);
    }
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`PReLU: 'numParameters' must be a positive integer, got ${n}`);
    const d = alloc(checkDtype(opts.dtype, 'PReLU'), n);
    if (fromArray) {
      const a = init as ArrayLike<number>;
      if (a.length !== n) throw new RangeError(`PReLU: 'init' has ${a.length} values, 'numParameters' is ${n}`);
      for (let i = 0; i < n; i++) d[i] = a[i];
    } else {
      if (typeof init !== 'number' || !Number.isFinite(init)) throw new RangeError(`PReLU: 'init' must be a finite number`);
      d.fill(init);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(d[i])) throw new RangeError(`PReLU: 'init' must hold finite numbers`);
      // the bound of the prelu spec, which copies (clone, fit, workers) and load() rebuild the module through
      if (Math.abs(d[i]) > 1e20) throw new RangeError(`PReLU: 'init' must hold numbers with |x| <= 1e20, got ${d[i]}`);
    }
    this.#init = fromArray ? Array.from(init as ArrayLike<number>) : (init as number);
    this.numParameters = n;
    this.weight = new Parameter(new Tensor(d, [n]));
  }
  forward(x: Tensor): Tensor {
    checkTensor(x, 'PReLU', 'input');
    return prelu(x, this.weight.dtype === x.dtype ? this.weight : this.weight.to(x.dtype));
  }
  override config(): Record<string, unknown> {
    // the initial alpha, as nn.Swish writes its initial beta: a module rebuilt from it (a copy, a loaded file's
    // fresh fit) starts where this one started; it wrote the learned values, which a new fit then started from
    const init = Array.isArray(this.#init) ? this.#init.slice() : this.#init;
    return { name: 'prelu', numParameters: this.numParameters, init, dtype: this.weight.dtype };
  }
  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

type Params = Record<string, any>;
const CLASSES: Record<string, (p: Params) => Activation> = {
  relu: () => new ReLU(),
  sigmoid: () => new Sigmoid(),
  tanh: () => new Tanh(),
  softsign: () => new Softsign(),
  selu: () => new SELU(),
  mish: () => new Mish(),
  hardswish: () => new Hardswish(),
  hardsigmoid: () => new Hardsigmoid(),
  relu6: () => new ReLU6(),
  silu: () => new SiLU(),
  softplus: (p) => new Softplus(p),
  leaky_relu: (p) => new LeakyReLU(p),
  elu: (p) => new ELU(p),
  celu: (p) => new CELU(p),
  gelu: (p) => new GELU(p),
};

/**
 * Builds an activation module from a name or spec. 'prelu' gives a learnable nn.PReLU (alpha = its initial
 * value; an array alpha = one per channel); swish with learnable/learnBeta gives nn.Swish with a learned beta;
 * other names give the class of that name (nn.ReLU, ...) or a generic nn.Activation.
 */
export function activation(nameOrSpec: ActivationLike, params?: Record<string, unknown>): Module {
  if (params != null && (typeof params !== 'object' || Array.isArray(params))) {
    // a number was dropped without a word ({ ...0.2 } is {}), so activation('elu', 0.5) was a default ELU
    throw new TypeError(`activation: 'params' must be an object such as { alpha: 0.5 }, got ${describeTyped(params)}`);
  }
  let name: string;
  let p: Record<string, unknown>;
  if (typeof nameOrSpec === 'string') {
    name = nameOrSpec;
    p = { ...(params ?? {}) };
    if (p.name !== undefined) {
      throw new RangeError(`${name}: unknown parameter 'name' (the first argument names the activation)`);
    }
  } else if (nameOrSpec && typeof nameOrSpec === 'object' && typeof (nameOrSpec as any).name === 'string') {
    const o = nameOrSpec as any;
    name = o.name;
    p = { ...(o.params && typeof o.opId === 'number' ? o.params : o), ...(params ?? {}) };
    delete p.name;
  } else {
    throw new TypeError(`activation: expected a name or { name, ...params }, got ${nameOrSpec === null ? 'null' : typeof nameOrSpec}`);
  }
  name = activationSpec(name).name; // canonical name (aliases resolve; unknown names list the known ones)
  const dtype = p.dtype === undefined ? undefined : checkDtype(p.dtype, name); // a bogus one was ignored
  delete p.dtype;
  if (name === 'prelu') {
    const { init, numParameters, ...rest } = p;
    if (rest.inner !== undefined) {
      throw new RangeError(
        "prelu: parameter 'inner' does not apply to the PReLU module: its channels are dimension 1 of the input",
      );
    }
    const alpha = rest.alpha ?? init;
    delete rest.alpha;
    // validates alpha under its own name (it was reported as PReLU's 'init'), then the remaining parameters
    resolveActivation({ name, ...rest, ...(alpha !== undefined ? { alpha } : {}) });
    return new PReLU({ init: alpha as number | ArrayLike<number> | undefined, numParameters: numParameters as number | undefined, dtype });
  }
  if (p.learnBeta !== undefined && p.learnable !== undefined && p.learnBeta !== p.learnable) {
    throw new RangeError(`${name}: 'learnable' and 'learnBeta' say different things (${p.learnable}, ${p.learnBeta})`);
  }
  const learnKey = p.learnBeta !== undefined ? 'learnBeta' : 'learnable';
  const learn = p[learnKey];
  if (name === 'swish' || name === 'silu') {
    if (learn !== undefined && typeof learn !== 'boolean') {
      throw new TypeError(`${name}: parameter '${learnKey}' must be a boolean, got ${typeof learn}`);
    }
    if (learn === true) return new Swish({ beta: (p.beta as number | undefined) ?? 1, learnBeta: true, dtype });
    delete p.learnBeta;
    delete p.learnable;
  }
  if (name === 'swish') {
    const { beta, ...rest } = p;
    if (Object.keys(rest).length === 0) return new Swish(beta === undefined ? {} : { beta: beta as number });
  }
  const spec = resolveActivation({ name, ...p }); // validates name and params
  // own keys only: a registered name such as 'constructor' or 'toString' must not find Object.prototype's member
  const make = Object.prototype.hasOwnProperty.call(CLASSES, spec.name) ? CLASSES[spec.name] : undefined;
  return make ? make(p) : new Activation(spec);
}
