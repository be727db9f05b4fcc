/**
 * The activation registry: one place that maps names (and aliases) to activation specs. Everything that
 * takes an activation by name (nn modules, the trainer, saved models, the CLI) resolves it here.
 */
import type { Activation, ActivationInfo, ActivationJSON, ActivationSpec, ParamValue } from './types';
import { BUILTIN_ACTIVATIONS } from './builtins';
import { describe } from './validate';
import type { FloatArray } from '../backend/types';

const specs = new Map<string, ActivationSpec>(); // canonical name -> spec, in registration order
const byName = new Map<string, ActivationSpec>(); // canonical names and aliases -> spec

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The names (and aliases) of the built-in activations: protected from re-registration and removal. */
const builtinNames = new Set<string>();

/**
 * Adds an activation; throws if the name or an alias is taken or malformed. With `replace`, an existing
 * user-registered (custom) spec of the same name is swapped for this one (it keeps its place in `names()`);
 * built-ins are never replaced. The public entry point is `registerActivation` (./custom), which builds the
 * spec from a user definition.
 */
export function register(spec: ActivationSpec, options: { replace?: boolean } = {}): void {
  const names = [spec.name, ...(spec.aliases ?? [])];
  const old = options.replace ? specs.get(spec.name) : undefined;
  if (old && !old.custom) throw new RangeError(`'${spec.name}' is a built-in activation and cannot be replaced`);
  for (const n of names) {
    if (typeof n !== 'string' || !NAME_RE.test(n)) {
      throw new TypeError(`activation names must be identifiers like 'my_act', got ${JSON.stringify(n)}`);
    }
    const holder = byName.get(n);
    if (holder && holder !== old) throw new RangeError(`an activation named '${n}' is already registered`);
  }
  const seen = new Set<string>();
  for (const p of spec.params) {
    if (seen.has(p.name)) throw new RangeError(`activation '${spec.name}' declares parameter '${p.name}' twice`);
    seen.add(p.name);
  }
  if (old) for (const n of [old.name, ...(old.aliases ?? [])]) byName.delete(n);
  specs.set(spec.name, spec); // a replaced name keeps its position (Map order)
  for (const n of names) byName.set(n, spec);
}

/** Removes a user-registered activation; false when no activation has that name. Built-ins throw. */
export function unregister(name: string): boolean {
  if (builtinNames.has(name)) throw new RangeError(`'${name}' is a built-in activation and cannot be removed`);
  const s = specs.get(name);
  if (!s) return false;
  specs.delete(name);
  for (const n of [s.name, ...(s.aliases ?? [])]) byName.delete(n);
  return true;
}

/** True for the name or an alias of a built-in activation. */
export function isBuiltin(name: string): boolean {
  return builtinNames.has(name);
}

/** True when `name` (or an alias) is registered. */
export function has(name: string): boolean {
  return byName.has(name);
}

/** The canonical names, in registration order. */
export function names(): string[] {
  return [...specs.keys()];
}

/**
 * Every activation with its aliases, parameters (defaults, learnable flags) and a description; user-registered
 * ones (registerActivation) carry `custom: true`.
 */
export function list(): ActivationInfo[] {
  return [...specs.values()].map((s) => ({
    name: s.name,
    aliases: [...(s.aliases ?? [])],
    params: s.params.map((p) => {
      const info: ActivationInfo['params'][number] = { name: p.name, default: p.default };
      if (p.learnable) info.learnable = true;
      if (p.description) info.description = p.description;
      return info;
    }),
    description: s.description,
    ...(s.custom ? { custom: true } : {}),
  }));
}

/** The spec registered under `name` or an alias; a RangeError listing the known names otherwise. */
export function spec(name: string): ActivationSpec {
  if (typeof name !== 'string') throw new TypeError(`activation name must be a string, got ${describe(name)}`);
  const s = byName.get(name);
  if (!s) {
    const aliases = [...byName.entries()].filter(([n, sp]) => n !== sp.name).map(([n, sp]) => `${n} -> ${sp.name}`);
    // gelu_tanh is a kernel op (ACT_OPS, backendInfo().kernels), not a name: point at the name that reaches it
    const hint =
      name === 'gelu_tanh'
        ? "; for gelu's tanh approximation use gelu with { approximate: 'tanh' } (gelu:approximate=tanh)"
        : '';
    throw new RangeError(
      `unknown activation '${name}'${hint}; known activations: ${names().join(', ')}` +
        (aliases.length ? ` (aliases: ${aliases.join(', ')})` : ''),
    );
  }
  return s;
}

function isActivation(v: unknown): v is Activation {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Activation).forward === 'function' &&
    typeof (v as Activation).toJSON === 'function' &&
    typeof (v as Activation).opId === 'number'
  );
}

/**
 * An activation by name, `{ name, ...params }`, or an existing Activation (returned as is unless params
 * override some of its parameters):
 *   get('swish', { beta: 1.5 });  get({ name: 'swish', beta: 1.5 });  get('gelu', { approximate: 'tanh' })
 * swish and prelu (which have a learnable parameter) are typed with their paramGrad. Unknown names throw a
 * RangeError listing the known ones; unknown parameters a RangeError; bad values a
 * TypeError/RangeError naming the parameter.
 */
export function get(
  name: 'swish' | { name: 'swish'; [param: string]: unknown },
  params?: Record<string, unknown> | null,
): Omit<Activation, 'paramGrad'> & { paramGrad(x: FloatArray, gradOut?: FloatArray | null): number };
export function get(
  name: 'prelu' | { name: 'prelu'; [param: string]: unknown },
  params?: Record<string, unknown> | null,
): Activation & Required<Pick<Activation, 'paramGrad'>>;
export function get(
  nameOrSpec: string | ActivationJSON | Activation | { name: string; [param: string]: unknown },
  params?: Record<string, unknown> | null,
): Activation;
export function get(
  nameOrSpec: string | ActivationJSON | Activation | { name: string; [param: string]: unknown },
  params?: Record<string, unknown> | null,
): Activation {
  if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params))) {
    throw new TypeError(`params must be an object like { alpha: 0.1 }, got ${describe(params)}`);
  }
  if (isActivation(nameOrSpec)) {
    if (!params || Object.keys(params).length === 0) return nameOrSpec;
    return get(nameOrSpec.toJSON(), params);
  }
  let name: string;
  let given: Record<string, unknown>;
  if (typeof nameOrSpec === 'string') {
    name = nameOrSpec;
    given = { ...(params ?? {}) };
  } else if (typeof nameOrSpec === 'object' && nameOrSpec !== null && typeof nameOrSpec.name === 'string') {
    const { name: n, ...rest } = nameOrSpec;
    name = n;
    given = { ...rest, ...(params ?? {}) };
  } else {
    throw new TypeError(
      `activation must be a name, { name, ...params } or an Activation, got ${describe(nameOrSpec)}`,
    );
  }
  const s = spec(name);
  const resolved: Record<string, ParamValue> = {};
  for (const p of s.params) resolved[p.name] = p.default;
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const p = s.params.find((q) => q.name === key);
    if (!p && s.acceptParam) {
      resolved[key] = s.acceptParam(key, value); // a custom activation that declared no parameters
      continue;
    }
    if (!p) {
      throw new RangeError(
        `${s.name}: unknown parameter '${key}'; ` +
          (s.params.length ? `its parameters are ${s.params.map((q) => q.name).join(', ')}` : 'it takes no parameters'),
      );
    }
    resolved[key] = p.validate(value, s.name);
  }
  return s.create(Object.freeze(resolved));
}

for (const s of BUILTIN_ACTIVATIONS) {
  register(s);
  for (const n of [s.name, ...(s.aliases ?? [])]) builtinNames.add(n);
}
