/** Rebuilds a built-in module tree from Module.toJSON() (architecture only; load weights with loadStateDict). */
import { Identity, Module, Sequential, type ModuleJSON } from './module';
import { Linear } from './linear';
import { activation } from './activation';
import { BatchNorm1d, CrossEntropyLoss, Dropout, Flatten, MSELoss, NLLLoss } from './layers';
import { MLP } from './mlp';
import { Rng, type RngState } from '../util/random';
import { Tensor } from '../autograd/tensor';
import { describeTyped } from '../activations/validate';

const ACTIVATION_TYPES = [
  'Activation', 'ReLU', 'Sigmoid', 'Tanh', 'Softsign', 'Softplus', 'LeakyReLU', 'ELU', 'CELU', 'SELU', 'GELU', 'Mish',
  'Hardswish', 'Hardsigmoid', 'ReLU6', 'SiLU', 'Swish', 'PReLU',
];

/** Builds a child of the module being built, under its key (the dotted name follows from the parent's). */
type BuildChild = (json: ModuleJSON, key: string) => Module;

const BUILDERS: Record<string, (c: any, j: ModuleJSON, child: BuildChild) => Module> = {
  Linear: (c) => new Linear(c.inFeatures, c.outFeatures, { bias: c.bias, dtype: c.dtype }),
  BatchNorm1d: (c) => {
    const { numFeatures, ...opts } = c;
    return new BatchNorm1d(numFeatures, opts);
  },
  Dropout: (c) => new Dropout(c.p),
  Flatten: (c) => new Flatten(c.startDim, c.endDim),
  Identity: () => new Identity(),
  CrossEntropyLoss: (c) => new CrossEntropyLoss(c),
  NLLLoss: (c) => new NLLLoss(c),
  MSELoss: (c) => new MSELoss(c),
  MLP: (c) => {
    const { activationResolved: _r, ...opts } = c;
    if (opts.activation === 'custom') {
      throw new Error(`fromJSON: this MLP used a custom activation module; only named activations can be rebuilt`);
    }
    return new MLP(opts);
  },
  Sequential: (_c, j, child) => new Sequential(Object.entries(j.modules ?? {}).map(([k, m]) => child(m, k))),
};
for (const t of ACTIVATION_TYPES) BUILDERS[t] = (c) => activation(c);

/**
 * Builds the module tree that `json` describes. A place marked { sameAs: name } (toJSON writes it where a module
 * appears again) gets the module built at that dotted name, the same object, so that sharing survives; the root's
 * `ties` ({ '2.weight': '0.weight' }, written where a parameter is held by two modules) put the parameter of the
 * second name at the first place, one parameter as in the module that was written.
 */
export function fromJSON(json: ModuleJSON): Module {
  const built = new Map<string, Module>(); // every module built so far, by dotted name
  const build = (j: ModuleJSON, name: string): Module => {
    if (!j || typeof j !== 'object' || typeof j.type !== 'string') {
      const at = name === '' ? '' : ` (at '${name}')`;
      throw new TypeError(`fromJSON: expected { type, config } as written by Module.toJSON()${at}`);
    }
    if (j.sameAs !== undefined) {
      if (typeof j.sameAs !== 'string') {
        throw new TypeError(`fromJSON: '${name}'.sameAs must be the dotted name of a module, got ${typeof j.sameAs}`);
      }
      const first = built.get(j.sameAs);
      if (!first) {
        throw new RangeError(`fromJSON: '${name}' is the module at '${j.sameAs}', which is not built before it`);
      }
      if (first.constructor.name !== j.type) {
        throw new RangeError(
          `fromJSON: '${name}' is a ${j.type} and the module at '${j.sameAs}', but that is a ${first.constructor.name}`,
        );
      }
      return first;
    }
    const b = Object.hasOwn(BUILDERS, j.type) ? BUILDERS[j.type] : undefined; // not Object's toString, constructor…
    if (!b) {
      throw new Error(`fromJSON: unknown module type '${j.type}'; known: ${Object.keys(BUILDERS).join(', ')}`);
    }
    const m = b(j.config ?? {}, j, (cj, key) => build(cj, name === '' ? key : `${name}.${key}`));
    for (const [sub, sm] of m.namedModules()) {
      const full = name === '' ? sub : sub === '' ? name : `${name}.${sub}`;
      if (!built.has(full)) built.set(full, sm);
    }
    return m;
  };
  const root = build(json, '');
  if (json.ties !== undefined) applyTies(root, json.ties);
  return root;
}

/** Puts the parameter named `first` at each place `name` of `ties`; RangeError naming the entries that cannot be. */
function applyTies(root: Module, ties: unknown): void {
  if (ties === null || typeof ties !== 'object' || Array.isArray(ties)) {
    throw new TypeError(`fromJSON: 'ties' must be an object { name: name of the parameter held there }`);
  }
  const params = new Map(root.namedParameters()); // each a separate parameter yet
  const mods = new Map(root.namedModules());
  const bad: string[] = [];
  const plan: [Module, string, Tensor][] = [];
  for (const [name, first] of Object.entries(ties)) {
    const at = `'${name}' -> ${JSON.stringify(first)}`;
    const slot = params.get(name);
    const usable = typeof first === 'string' && first !== name && !Object.hasOwn(ties, first);
    const p = usable ? params.get(first) : undefined;
    if (slot === undefined) bad.push(`${at}: the module has no parameter '${name}'`);
    else if (p === undefined) bad.push(`${at}: not a parameter of the module, or itself tied`);
    else if (slot.shape.length !== p.shape.length || slot.shape.some((d, i) => d !== p.shape[i])) {
      bad.push(`${at}: shapes [${slot.shape.join(', ')}] and [${p.shape.join(', ')}] differ`);
    } else if (slot.dtype !== p.dtype) bad.push(`${at}: dtypes ${slot.dtype} and ${p.dtype} differ`);
    else {
      const dot = name.lastIndexOf('.');
      plan.push([mods.get(dot < 0 ? '' : name.slice(0, dot))!, name.slice(dot + 1), p]);
    }
  }
  if (bad.length > 0) throw new RangeError(`fromJSON: bad ties: ${bad.join('; ')}`);
  for (const [m, k, p] of plan) (m as unknown as Record<string, unknown>)[k] = p;
}

/**
 * What a copy of a module needs besides its toJSON and stateDict (internal: copyModule and the grid-search
 * workers): its frozen parameters, the modules in eval mode, and the random streams (a Dropout's rng) in their
 * current state, a stream shared by several modules once. Plain data (structured-cloneable).
 */
export interface ModuleExtras {
  /** Parameters (dotted names) with requiresGrad false. */
  frozen: string[];
  /** Modules (dotted names) with training false. */
  eval: string[];
  /** Modules with an rng of their own: dotted name -> index in rngStates. */
  rngs: Record<string, number>;
  rngStates: RngState[];
}

/** The extras of `m` (internal; see ModuleExtras). */
export function moduleExtras(m: Module): ModuleExtras {
  const out: ModuleExtras = { frozen: [], eval: [], rngs: {}, rngStates: [] };
  for (const [name, p] of m.namedParameters()) if (!p.requiresGrad) out.frozen.push(name);
  const rngs = new Map<Rng, number>();
  for (const [name, sm] of m.namedModules()) {
    if (!sm.training) out.eval.push(name);
    const rng = (sm as { rng?: unknown }).rng;
    if (rng instanceof Rng) {
      if (!rngs.has(rng)) rngs.set(rng, out.rngStates.push(rng.getState()) - 1);
      out.rngs[name] = rngs.get(rng)!;
    }
  }
  return out;
}

/**
 * Gives `c`, built by fromJSON from the module the extras `x` were taken from, those extras (internal): each
 * parameter frozen or not, each module's train/eval mode, and new random streams from the saved states.
 */
export function applyModuleExtras<M extends Module>(c: M, x: ModuleExtras): M {
  const frozen = new Set(x.frozen);
  for (const [name, p] of c.namedParameters()) p.requiresGrad = !frozen.has(name);
  const evalMode = new Set(x.eval);
  const rngs = x.rngStates.map((s) => new Rng(0).setState(s));
  for (const [name, cm] of c.namedModules()) {
    cm.training = !evalMode.has(name);
    const i = x.rngs[name];
    if (i !== undefined) (cm as unknown as { rng: Rng }).rng = rngs[i];
  }
  return c;
}

/**
 * An independent copy of a built-in module: the architecture through toJSON/fromJSON, then its parameters and
 * buffers through stateDict/loadStateDict. A custom Module class cannot be rebuilt (fromJSON throws). Sharing is
 * kept: a module that appears twice in `m` appears twice in the copy as one object, and a parameter that two
 * modules hold (b.weight = a.weight) is one parameter of the copy (toJSON/fromJSON carry both). So are what
 * toJSON/stateDict do not carry (moduleExtras): frozen parameters, train/eval mode, and random streams (a
 * Dropout's rng, copied in its current state; one generator shared by several modules stays shared).
 */
export function copyModule(m: Module): Module {
  if (!(m instanceof Module)) throw new TypeError(`copyModule: the argument must be a Module, got ${describeTyped(m)}`);
  return applyModuleExtras(fromJSON(m.toJSON()).loadStateDict(m.stateDict()), moduleExtras(m));
}
