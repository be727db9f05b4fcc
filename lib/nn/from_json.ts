/** Rebuilds a built-in module tree from Module.toJSON() (architecture only; load weights with loadStateDict). */
import { Identity, Module, Sequential, type ModuleJSON } from './module';
import { Linear } from './linear';
import { activation } from './activation';
import { BatchNorm1d, CrossEntropyLoss, Dropout, Flatten, MSELoss, NLLLoss } from './layers';
import { MLP } from './mlp';
import { Rng } from '../util/random';
import { Tensor } from '../autograd/tensor';

const ACTIVATION_TYPES = [
  'Activation', 'ReLU', 'Sigmoid', 'Tanh', 'Softsign', 'Softplus', 'LeakyReLU', 'ELU', 'CELU', 'SELU', 'GELU', 'Mish',
  'Hardswish', 'Hardsigmoid', 'ReLU6', 'SiLU', 'Swish', 'PReLU',
];

/** Builds a child of the module being built, under its key (the dotted name follows from the parent's). */
type BuildChild = (json: ModuleJSON, key: string) => Module;

const BUILDERS: Record<string, (c: any, j: ModuleJSON, child: BuildChild) => Module> = {
  Linear: (c) => new Linear(c.inFeatures, c.outFeatures, { bias: c.bias, dtype: c.dtype }),
  BatchNorm1d: (c) => new BatchNorm1d(c.numFeatures, c),
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
 * appears again) gets the module built at that dotted name, the same object, so that sharing survives.
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
    const b = BUILDERS[j.type];
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
  return build(json, '');
}

/**
 * An independent copy of a built-in module: the architecture through toJSON/fromJSON, then its parameters and
 * buffers through stateDict/loadStateDict. A custom Module class cannot be rebuilt (fromJSON throws). Sharing is
 * kept: a module that appears twice in `m` appears twice in the copy as one object (toJSON/fromJSON carry that),
 * and a parameter that two modules hold (b.weight = a.weight) is one parameter of the copy.
 */
export function copyModule(m: Module): Module {
  const c = fromJSON(m.toJSON());
  tieParameters(m, c);
  c.loadStateDict(m.stateDict());
  // what toJSON/stateDict do not carry: frozen parameters, train/eval mode, and random streams (a Dropout's rng,
  // copied in its current state; one generator shared by several modules stays shared among the copies)
  const params = new Map(c.namedParameters());
  for (const [name, p] of m.namedParameters()) {
    const q = params.get(name);
    if (q) q.requiresGrad = p.requiresGrad;
  }
  const mods = new Map(c.namedModules());
  const rngs = new Map<Rng, Rng>();
  for (const [name, sm] of m.namedModules()) {
    const cm = mods.get(name);
    if (!cm) continue;
    cm.training = sm.training;
    const rng = (sm as { rng?: unknown }).rng;
    if (rng instanceof Rng) {
      if (!rngs.has(rng)) rngs.set(rng, rng.clone());
      (cm as unknown as { rng: Rng }).rng = rngs.get(rng)!;
    }
  }
  return c;
}

/**
 * Where a module of `m` holds a parameter under a name other than the one stateDict lists it by (the parameter is
 * shared with an earlier module), the same module of the copy `c` gets the copy's parameter of that first name.
 */
function tieParameters(m: Module, c: Module): void {
  const firstName = new Map<Tensor, string>(m.namedParameters().map(([name, p]) => [p, name]));
  const copied = new Map(c.namedParameters());
  const mods = new Map(c.namedModules());
  for (const [prefix, sm] of m.namedModules()) {
    const cm = mods.get(prefix);
    if (!cm) continue;
    for (const k of Object.keys(sm)) {
      const name = firstName.get((sm as any)[k]);
      if (name === undefined || name === (prefix ? `${prefix}.${k}` : k)) continue;
      const q = copied.get(name);
      if (q && (cm as any)[k] instanceof Tensor) (cm as any)[k] = q;
    }
  }
}
