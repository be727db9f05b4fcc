/** Rebuilds a built-in module tree from Module.toJSON() (architecture only; load weights with loadStateDict). */
import { Identity, Module, Sequential, type ModuleJSON } from './module';
import { Linear } from './linear';
import { activation } from './activation';
import { BatchNorm1d, CrossEntropyLoss, Dropout, Flatten, MSELoss, NLLLoss } from './layers';
import { MLP } from './mlp';
import { Rng } from '../util/random';

const ACTIVATION_TYPES = [
  'Activation', 'ReLU', 'Sigmoid', 'Tanh', 'Softsign', 'Softplus', 'LeakyReLU', 'ELU', 'CELU', 'SELU', 'GELU', 'Mish',
  'Hardswish', 'Hardsigmoid', 'ReLU6', 'SiLU', 'Swish', 'PReLU',
];

const BUILDERS: Record<string, (c: any, j: ModuleJSON) => Module> = {
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
  Sequential: (_c, j) => new Sequential(Object.values(j.modules ?? {}).map((m) => fromJSON(m))),
};
for (const t of ACTIVATION_TYPES) BUILDERS[t] = (c) => activation(c);

export function fromJSON(json: ModuleJSON): Module {
  if (!json || typeof json !== 'object' || typeof json.type !== 'string') {
    throw new TypeError(`fromJSON: expected { type, config } as written by Module.toJSON()`);
  }
  const b = BUILDERS[json.type];
  if (!b) {
    throw new Error(`fromJSON: unknown module type '${json.type}'; known: ${Object.keys(BUILDERS).join(', ')}`);
  }
  return b(json.config ?? {}, json);
}

/**
 * An independent copy of a built-in module: the architecture through toJSON/fromJSON, then its parameters and
 * buffers through stateDict/loadStateDict. A custom Module class cannot be rebuilt (fromJSON throws).
 */
export function copyModule(m: Module): Module {
  const c = fromJSON(m.toJSON()).loadStateDict(m.stateDict());
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
