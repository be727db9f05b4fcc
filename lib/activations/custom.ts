/**
 * User-registered activations (Keras-style, by name everywhere):
 *
 *   // (a) a function of a Tensor built from swishnet's differentiable ops: the derivative comes from autograd
 *   registerActivation('my_swish', (x, { beta = 1 }) => x.mul(x.mul(beta).sigmoid()));
 *
 *   // (b) explicit elementwise forward and derivative on typed arrays (swishnet wraps them into a Function
 *   //     whose backward is derivative(x) * gradOut), with declared parameters
 *   registerActivation('bent_identity', {
 *     forward: (x, { k }) => x.map((v) => (Math.sqrt(v * v + 1) - 1) / k + v),
 *     derivative: (x, { k }) => x.map((v) => v / (k * Math.sqrt(v * v + 1)) + 1),
 *     params: { k: { default: 2, greaterThan: 0 } },
 *   });
 *
 * Then the name works wherever an activation is named: activations.get('my_swish', { beta: 2 }),
 * nn.activation('my_swish'), new nn.MLP({ activation: { name: 'my_swish', beta: 2 } }), NeuralNetClassifier's
 * module__activation, grid-search grids, saved models (the name and parameters are recorded; loading needs the
 * same registration) and the CLI (`--require ./my-activations.js`). activations.list() marks them custom.
 *
 * Names: identifiers like 'my_act'. Built-in names and aliases ('swish', 'relu', 'softrelu', ...) are
 * protected: they can never be re-registered. Registering an existing custom name again needs
 * `{ override: true }`. Registrations are per thread (each worker_thread has its own registry): grid search
 * with nJobs > 1 takes `requires: ['./my-activations.js']` so its workers register them too.
 *
 * Parameters: declared ones (`params: { beta: { default: 1, min: 0 } }` or the shorthand `{ beta: 1 }`) get
 * their defaults filled in and are validated (type from the default; number bounds; string choices; an own
 * `validate`); unknown names are rejected. An activation that declares none accepts any parameter whose value
 * is a finite number, a boolean, a string or an array of finite numbers (the function's own destructuring
 * defaults apply), which keeps the one-line form above working with `{ name: 'my_swish', beta: 2 }`.
 *
 * Both kinds must be elementwise: y[i] depends on x[i] only, and the output has x's shape and dtype.
 */
import { Tensor } from '../autograd/tensor';
import { enableGrad, noGrad } from '../autograd/grad_mode';
import type { FloatArray } from '../backend/types';
import { BaseActivation } from './activation';
import { booleanParam, choiceParam, numberParam } from './params';
import { has, isBuiltin, register, spec as specOf, unregister } from './registry';
import type { ActivationSpec, ParamSpec, ParamValue } from './types';
import { describe } from './validate';

/**
 * Resolved parameters as user functions receive them (a fresh object per call). Values are numbers, strings,
 * booleans or number lists; typed loosely so that `(x, { beta = 1 }) => x.mul(beta)` type-checks as written.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActivationParams = Record<string, any>;

/** (a): a function of a Tensor built from differentiable tensor ops. */
export type TensorActivationFn = (x: Tensor, params: ActivationParams) => Tensor;

/** Values an explicit forward/derivative may return: one number per element of x. */
export type ElementwiseResult = Float32Array | Float64Array | number[];

/** (b): explicit elementwise forward and derivative on typed arrays. */
export interface ElementwiseDefinition {
  /**
   * y = f(x), one value per element: a new array, or the argument written in place and returned (the argument
   * is the caller's x only for an in-place call, forward(x, x); a copy of it otherwise).
   */
  forward(x: FloatArray, params: ActivationParams): ElementwiseResult;
  /** dy/dx at x, one value per element (it may also overwrite its argument, as forward may). */
  derivative(x: FloatArray, params: ActivationParams): ElementwiseResult;
  /** Declared parameters (or give them as options.params). */
  params?: Record<string, CustomParamSpec | number | string | boolean>;
  description?: string;
}

/** A declared parameter: its default (which also sets its type) and optional checks. */
export interface CustomParamSpec {
  default: number | string | boolean;
  description?: string;
  /** Numbers: inclusive bounds, exclusive lower bound, integers only, not 0. */
  min?: number;
  max?: number;
  greaterThan?: number;
  integer?: boolean;
  nonZero?: boolean;
  /** Strings: the allowed values. */
  choices?: readonly string[];
  /** An extra check: return false or a message to reject the value. */
  validate?: (value: ParamValue) => boolean | string | void;
}

export interface RegisterActivationOptions {
  /** Replace an activation this process registered before under the same name [false]. Built-ins: never. */
  override?: boolean;
  /** Declared parameters (for a function definition; an explicit definition may carry them itself). */
  params?: Record<string, CustomParamSpec | number | string | boolean>;
  /** One line for activations.list() and the plot gallery. */
  description?: string;
}

const PARAM_SPEC_KEYS = ['default', 'description', 'min', 'max', 'greaterThan', 'integer', 'nonZero', 'choices', 'validate'];
const DEFINITION_KEYS = ['forward', 'derivative', 'params', 'description'];
const OPTION_KEYS = ['override', 'params', 'description'];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function checkKeys(o: Record<string, unknown>, known: string[], what: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new RangeError(`${what}: unknown key '${k}' (known: ${known.join(', ')})`);
  }
}

/** One declared parameter as a registry ParamSpec (validation from its default's type and its options). */
function toParamSpec(activation: string, name: string, given: unknown): ParamSpec {
  const where = `registerActivation('${activation}'): parameter '${name}'`;
  const o: CustomParamSpec = isPlainObject(given) ? (given as unknown as CustomParamSpec) : { default: given as number };
  if (isPlainObject(given)) checkKeys(given, PARAM_SPEC_KEYS, where);
  const d = o.default;
  if (o.validate !== undefined && typeof o.validate !== 'function') throw new TypeError(`${where}: 'validate' must be a function`);
  let base: ParamSpec;
  if (typeof d === 'number') {
    for (const k of ['min', 'max', 'greaterThan'] as const) {
      if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k]))) {
        throw new TypeError(`${where}: '${k}' must be a finite number, got ${describe(o[k])}`);
      }
    }
    for (const k of ['integer', 'nonZero'] as const) {
      if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new TypeError(`${where}: '${k}' must be a boolean`);
    }
    if (o.choices !== undefined) throw new RangeError(`${where}: 'choices' is for string parameters`);
    base = numberParam({ name, default: d, description: o.description, min: o.min, greaterThan: o.greaterThan, integer: o.integer, nonZero: o.nonZero });
    if (o.max !== undefined) {
      const inner = base;
      const max = o.max;
      base = {
        ...inner,
        validate(value: unknown, act: string): ParamValue {
          const v = inner.validate(value, act) as number;
          if (v > max) throw new RangeError(`${act}: parameter '${name}' must be <= ${max}, got ${v}`);
          return v;
        },
      };
    }
  } else if (typeof d === 'string') {
    if (!Array.isArray(o.choices) || o.choices.length === 0 || o.choices.some((c) => typeof c !== 'string')) {
      throw new TypeError(`${where}: a string parameter needs 'choices', a non-empty array of strings`);
    }
    base = choiceParam({ name, default: d, choices: o.choices, description: o.description });
  } else if (typeof d === 'boolean') {
    base = booleanParam({ name, default: d, description: o.description });
  } else {
    throw new TypeError(`${where}: 'default' must be a finite number, a string or a boolean, got ${describe(d)}`);
  }
  // The default itself must pass the checks.
  try {
    base.validate(d, activation);
  } catch (e) {
    throw new RangeError(`${where}: the default ${JSON.stringify(d)} fails its own checks (${(e as Error).message})`);
  }
  const user = o.validate;
  const spec: ParamSpec = user
    ? {
        ...base,
        validate(value: unknown, act: string): ParamValue {
          const v = base.validate(value, act);
          const r = user(v);
          if (r === false || typeof r === 'string') {
            throw new RangeError(`${act}: parameter '${name}' ${typeof r === 'string' ? r : 'is not valid'}, got ${JSON.stringify(v)}`);
          }
          return v;
        },
      }
    : base;
  if (user) spec.validate(d, activation); // the default must pass the user's check too
  return spec;
}

function toParamSpecs(activation: string, params: unknown): ParamSpec[] {
  if (params === undefined) return [];
  if (!isPlainObject(params)) {
    throw new TypeError(`registerActivation('${activation}'): 'params' must be an object like { beta: { default: 1 } }, got ${describe(params)}`);
  }
  return Object.entries(params).map(([k, v]) => {
    if (!/^[A-Za-z_$][\w$]*$/.test(k) || k === 'name') {
      throw new RangeError(`registerActivation('${activation}'): parameter name '${k}' must be an identifier other than 'name'`);
    }
    return toParamSpec(activation, k, v);
  });
}

/** For activations that declare no parameters: any finite number, boolean, string or list of finite numbers. */
function acceptAnyParam(activation: string) {
  return (key: string, value: unknown): ParamValue => {
    // toJSON writes { name, ...params }: a parameter called name would rename the activation on the way back
    if (key === 'name') throw new RangeError(`${activation}: 'name' cannot be a parameter (it names the activation)`);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new RangeError(`${activation}: parameter '${key}' must be finite, got ${value}`);
      return value;
    }
    if (typeof value === 'boolean' || typeof value === 'string') return value;
    if (Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array) {
      const out: number[] = [];
      for (let i = 0; i < value.length; i++) {
        const v = value[i] as unknown;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new TypeError(`${activation}: parameter '${key}'[${i}] must be a finite number, got ${describe(v)}`);
        }
        out.push(v);
      }
      return Object.freeze(out);
    }
    throw new TypeError(
      `${activation}: parameter '${key}' must be a number, boolean, string or array of numbers, got ${describe(value)}`,
    );
  };
}

/** A user function's result must be a Tensor of x's shape and dtype. */
function checkTensorResult(name: string, y: unknown, x: Tensor): Tensor {
  if (!(y instanceof Tensor)) {
    throw new TypeError(`activation '${name}': the registered function must return a Tensor, got ${describe(y)}`);
  }
  if (y.dtype !== x.dtype) {
    throw new TypeError(`activation '${name}': the registered function returned a ${y.dtype} tensor for a ${x.dtype} input`);
  }
  if (y.ndim !== x.ndim || y.shape.some((d, i) => d !== x.shape[i])) {
    throw new RangeError(
      `activation '${name}': the registered function must be elementwise (output shape [${y.shape.join(', ')}] ` +
        `for an input of shape [${x.shape.join(', ')}])`,
    );
  }
  return y;
}

/** An explicit forward/derivative result: one finite-or-not number per element of x. */
function checkArrayResult(name: string, what: 'forward' | 'derivative', r: unknown, n: number): ArrayLike<number> {
  if (!(r instanceof Float32Array || r instanceof Float64Array || Array.isArray(r))) {
    throw new TypeError(
      `activation '${name}': ${what} must return a Float32Array, Float64Array or number[] with one value per element, got ${describe(r)}`,
    );
  }
  if (r.length !== n) {
    throw new RangeError(`activation '${name}': ${what} returned ${r.length} values for ${n} inputs (it must be elementwise)`);
  }
  if (Array.isArray(r)) {
    // undefined became NaN and '2' became 2 when copied into the typed output
    for (let i = 0; i < n; i++) {
      if (typeof r[i] !== 'number') {
        throw new TypeError(`activation '${name}': ${what} returned ${describe(r[i])} at index ${i}, not a number`);
      }
    }
  }
  return r;
}

/** (a) An activation computed by a user function of tensors; derivatives through autograd. */
class TensorFunctionActivation extends BaseActivation {
  readonly #fn: TensorActivationFn;

  constructor(name: string, params: Record<string, ParamValue>, fn: TensorActivationFn) {
    super(name, params, -1, 0, 0);
    this.#fn = fn;
  }

  applyTensor(x: Tensor): Tensor {
    return checkTensorResult(this.name, this.#fn(x, { ...this.params }), x);
  }

  protected runForward(x: FloatArray, y: FloatArray): void {
    const out = noGrad(() => this.applyTensor(new Tensor(x, [x.length])));
    if (out.data !== y) y.set(out.data);
  }

  protected runBackward(x: FloatArray, _y: FloatArray | null, go: FloatArray | null, gi: FloatArray): void {
    // x is copied: gi may be x itself, and the graph may hold on to its input until backward has run.
    const xt = new Tensor(x.slice(), [x.length], true);
    const out = enableGrad(() => this.applyTensor(xt));
    if (!out.requiresGrad) {
      gi.fill(0); // the function does not depend on x
      return;
    }
    const g = go ? go.slice() : (x instanceof Float32Array ? new Float32Array(x.length) : new Float64Array(x.length)).fill(1);
    enableGrad(() => out.backward(new Tensor(g, [x.length])));
    const grad = xt.grad;
    if (grad) gi.set(grad.data);
    else gi.fill(0);
  }
}

/** (b) An activation from explicit elementwise forward/derivative functions on typed arrays. */
class ElementwiseActivation extends BaseActivation {
  readonly #def: ElementwiseDefinition;

  constructor(name: string, params: Record<string, ParamValue>, def: ElementwiseDefinition) {
    super(name, params, -1, 0, 0);
    this.#def = def;
  }

  // The user's functions may write into their argument (the forward is documented to): they get x itself only
  // when the call writes its result over x anyway, a copy otherwise, so that an out-of-place call never changes
  // the caller's x (nor an input autograd saved for the backward).
  protected runForward(x: FloatArray, y: FloatArray): void {
    const arg = y === x ? x : x.slice();
    const r = checkArrayResult(this.name, 'forward', this.#def.forward(arg, { ...this.params }), x.length);
    if (r !== y) y.set(r);
  }

  protected runBackward(x: FloatArray, _y: FloatArray | null, go: FloatArray | null, gi: FloatArray): void {
    // The whole derivative is computed before gi (which may be x or gradOut) is written.
    const arg = gi === x ? x : x.slice();
    const d = checkArrayResult(this.name, 'derivative', this.#def.derivative(arg, { ...this.params }), x.length);
    if (go) for (let i = 0; i < gi.length; i++) gi[i] = d[i] * go[i];
    else if (d !== gi) gi.set(d);
  }
}

/**
 * Registers an activation under `name` so that every API taking an activation by name accepts it (see the file
 * comment). `definition` is a function of a Tensor (derivative from autograd) or `{ forward, derivative,
 * params? }` on typed arrays. Throws a TypeError/RangeError for a malformed name, definition or option, and an
 * Error for a built-in name (never replaceable) or a custom name already registered without `override: true`.
 */
export function registerActivation(
  name: string,
  definition: TensorActivationFn | ElementwiseDefinition,
  options: RegisterActivationOptions = {},
): void {
  if (typeof name !== 'string') throw new TypeError(`registerActivation: 'name' must be a string, got ${describe(name)}`);
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
    throw new TypeError(`registerActivation: 'name' must be an identifier like 'my_act', got ${JSON.stringify(name)}`);
  }
  if (options === null || !isPlainObject(options)) {
    throw new TypeError(`registerActivation('${name}'): 'options' must be an object like { override: true }, got ${describe(options)}`);
  }
  checkKeys(options, OPTION_KEYS, `registerActivation('${name}'): options`);
  const override = options.override ?? false;
  if (typeof override !== 'boolean') throw new TypeError(`registerActivation('${name}'): 'override' must be a boolean`);
  if (options.description !== undefined && typeof options.description !== 'string') {
    throw new TypeError(`registerActivation('${name}'): 'description' must be a string`);
  }

  if (isBuiltin(name)) {
    const target = specOf(name).name;
    throw new RangeError(
      `registerActivation: '${name}' is ${target === name ? 'a built-in activation' : `an alias of the built-in activation '${target}'`}; ` +
        `built-in names are protected (even with override: true). Register yours under another name, e.g. 'my_${name}'`,
    );
  }
  const existing = has(name); // a custom one (built-ins were refused above; custom ones have no aliases)
  if (existing && !override) {
    throw new RangeError(
      `registerActivation: an activation named '${name}' is already registered; pass { override: true } to replace it`,
    );
  }

  let spec: ActivationSpec;
  if (typeof definition === 'function') {
    const fn = definition as TensorActivationFn;
    const params = toParamSpecs(name, options.params);
    spec = {
      name,
      aliases: [],
      description: options.description ?? 'user-registered: a function of tensors (derivative from autograd)',
      params,
      custom: true,
      acceptParam: params.length === 0 ? acceptAnyParam(name) : undefined,
      create: (p) => new TensorFunctionActivation(name, p, fn),
    };
  } else if (isPlainObject(definition)) {
    const def = definition as unknown as Record<string, unknown>;
    checkKeys(def, DEFINITION_KEYS, `registerActivation('${name}'): definition`);
    for (const k of ['forward', 'derivative'] as const) {
      if (typeof def[k] !== 'function') {
        throw new TypeError(`registerActivation('${name}'): the definition needs a '${k}(x, params)' function, got ${describe(def[k])}`);
      }
    }
    if (def.params !== undefined && options.params !== undefined) {
      throw new RangeError(`registerActivation('${name}'): give 'params' in the definition or in the options, not both`);
    }
    if (def.description !== undefined && typeof def.description !== 'string') {
      throw new TypeError(`registerActivation('${name}'): 'description' must be a string`);
    }
    const params = toParamSpecs(name, def.params ?? options.params);
    const frozen: ElementwiseDefinition = {
      forward: def.forward as ElementwiseDefinition['forward'],
      derivative: def.derivative as ElementwiseDefinition['derivative'],
    };
    spec = {
      name,
      aliases: [],
      description: options.description ?? (def.description as string | undefined) ?? 'user-registered: elementwise forward/derivative',
      params,
      custom: true,
      acceptParam: params.length === 0 ? acceptAnyParam(name) : undefined,
      create: (p) => new ElementwiseActivation(name, p, frozen),
    };
  } else {
    throw new TypeError(
      `registerActivation('${name}'): 'definition' must be a function (x: Tensor, params) => Tensor or ` +
        `{ forward(x, params), derivative(x, params) }, got ${describe(definition)}`,
    );
  }
  // Build one instance with the defaults: a bad declaration fails here, not at first use.
  const defaults: Record<string, ParamValue> = {};
  for (const p of spec.params) defaults[p.name] = p.default;
  spec.create(Object.freeze(defaults));
  register(spec, { replace: existing });
}

/** Removes a user-registered activation; returns false when none has that name. Built-ins cannot be removed. */
export function unregisterActivation(name: string): boolean {
  if (typeof name !== 'string') throw new TypeError(`unregisterActivation: 'name' must be a string, got ${describe(name)}`);
  if (isBuiltin(name)) {
    throw new RangeError(`unregisterActivation: '${name}' is a built-in activation and cannot be removed`);
  }
  return unregister(name);
}

/** True when `name` is a user-registered activation (registerActivation). */
export function isCustom(name: string): boolean {
  try {
    return specOf(name).custom === true;
  } catch {
    return false;
  }
}
