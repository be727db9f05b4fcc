/**
 * SGD with PyTorch's semantics exactly (torch.optim.SGD):
 *   g = grad + weightDecay * p                  (negated first when maximize)
 *   momentum != 0: buf = g on the first step, else buf = momentum * buf + (1 - dampening) * g
 *                  g = nesterov ? g + momentum * buf : buf
 *   p -= lr * g
 * buf has the parameter's dtype (rounded each step like PyTorch's float32 buffer).
 */
import { Optimizer, checkNumber, type ParamsInput } from './optimizer';
import { backend } from '../backend';
import type { FloatArray } from '../backend/types';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  /**
   * `lr` has no default: give it in `opts`, or in every parameter group (`new SGD([{ params: [a], lr: 0.1 },
   * { params: [b], lr: 0.01 }])`); a group without one takes opts.lr.
   */
  constructor(params: ParamsInput<SGDOptions>, opts: Partial<SGDOptions> = {}) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`SGD: 'options' must be an object`);
    const known = ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay', 'maximize'];
    for (const k of Object.keys(opts)) {
      if (!known.includes(k)) throw new RangeError(`SGD: unknown option '${k}' (known: ${known.join(', ')})`);
    }
    // lr stays a known key when the options leave it out: the groups must then give it
    const defaults = { lr: undefined, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false };
    super(params, { ...defaults, ...opts } as unknown as SGDOptions, 'SGD');
  }

  protected checkOptions(o: SGDOptions): void {
    if (o.lr === undefined) {
      throw new TypeError(`SGD: 'lr' is required: give it in the options or in every parameter group`);
    }
    checkNumber(o.lr, 'SGD', 'lr', 0);
    checkNumber(o.momentum, 'SGD', 'momentum', 0);
    checkNumber(o.dampening, 'SGD', 'dampening', -Infinity);
    checkNumber(o.weightDecay, 'SGD', 'weightDecay', 0);
    if (typeof o.nesterov !== 'boolean') throw new TypeError(`SGD: 'nesterov' must be a boolean`);
    if (typeof o.maximize !== 'boolean') throw new TypeError(`SGD: 'maximize' must be a boolean`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(`SGD: nesterov momentum requires a momentum > 0 and zero dampening`);
    }
  }

  /** The state step() keeps: a momentumBuffer from the first step with a momentum (none before, or without). */
  protected override checkState(s: Record<string, number | FloatArray>, _group: SGDOptions, name: string): void {
    this.checkStateKinds(s, name, { momentumBuffer: 'buffer' });
  }

  step(): void {
    this.checkGroupsForStep();
    const be = backend();
    this.paramGroups.forEach((group, gi) => {
      const { lr, momentum, dampening, nesterov, weightDecay, maximize } = group;
      const params = group.params;
      for (let pi = 0; pi < params.length; pi++) {
        const p = params[pi];
        const grad = this.gradOf(p, gi, pi); // a copy where it shares the parameter's memory
        if (grad === null) continue;
        let buf: FloatArray | null = null;
        let first = false;
        if (momentum !== 0) {
          const st = this.stateOf(p);
          first = st.momentumBuffer === undefined;
          if (first) st.momentumBuffer = this.buffer(p);
          buf = st.momentumBuffer as FloatArray;
        }
        // One kernel call per tensor (native: a vectorized pass; js: the reference loop in backend/js/optim.ts).
        be.sgdStep(p.data, grad, buf, lr, momentum, dampening, weightDecay, nesterov, maximize, first);
        p.bumpVersion();
      }
    });
  }
}
