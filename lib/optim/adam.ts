/**
 * Adam and AdamW with PyTorch's semantics (torch.optim.Adam / AdamW, amsgrad optional):
 *   t += 1;  g = grad (+ weightDecay * p for Adam; AdamW instead scales p by 1 - lr * weightDecay first)
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2   (vmax = max(vmax, v) with amsgrad)
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 */
import { Optimizer, checkNumber, type ParamsInput } from './optimizer';
import type { FloatArray } from '../autograd/util';

// Math functions bound once: hot loops then avoid a global lookup per element (costly inside vm contexts
// such as jest's sandbox, cheap but not free elsewhere).
const { sqrt } = Math;

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

const KNOWN = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'];

export class Adam extends Optimizer<AdamOptions> {
  protected readonly decoupled: boolean = false;

  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}, name = 'Adam', defaultWd = 0) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${name}: 'options' must be an object`);
    for (const k of Object.keys(opts)) {
      if (!KNOWN.includes(k)) throw new RangeError(`${name}: unknown option '${k}' (known: ${KNOWN.join(', ')})`);
    }
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: defaultWd, amsgrad: false, maximize: false, ...opts }, name);
  }

  protected checkOptions(o: AdamOptions): void {
    const w = this.where;
    checkNumber(o.lr, w, 'lr', 0);
    if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new TypeError(`${w}: 'betas' must be [beta1, beta2]`);
    checkNumber(o.betas[0], w, 'betas[0]', 0, 1);
    checkNumber(o.betas[1], w, 'betas[1]', 0, 1);
    if (o.betas[0] >= 1 || o.betas[1] >= 1) throw new RangeError(`${w}: 'betas' must be in [0, 1), got ${o.betas.join(', ')}`);
    checkNumber(o.eps, w, 'eps', 0);
    checkNumber(o.weightDecay, w, 'weightDecay', 0);
    if (typeof o.amsgrad !== 'boolean') throw new TypeError(`${w}: 'amsgrad' must be a boolean`);
    if (typeof o.maximize !== 'boolean') throw new TypeError(`${w}: 'maximize' must be a boolean`);
  }

  /**
   * The state step() keeps: none before a parameter's first step, then step (the count of steps taken, >= 1),
   * expAvg and expAvgSq (>= 0) together, and maxExpAvgSq (>= 0) once a step ran with amsgrad. A state without
   * maxExpAvgSq loads into amsgrad (as when amsgrad is switched on between steps: step() starts it at zeros), and
   * one with it loads without (kept, unused).
   */
  protected override checkState(s: Record<string, number | FloatArray>, _group: AdamOptions, name: string): void {
    const at = `${this.where}.loadStateDict`;
    this.checkStateKinds(s, name, { step: 'count', expAvg: 'buffer', expAvgSq: 'buffer', maxExpAvgSq: 'buffer' });
    if (Object.keys(s).length === 0) return;
    const absent = ['step', 'expAvg', 'expAvgSq'].filter((k) => s[k] === undefined);
    if (absent.length > 0) {
      throw new RangeError(
        `${at}: ${name} has ${Object.keys(s).join(', ')} but not ${absent.join(', ')}: ${this.where} keeps step, ` +
          'expAvg and expAvgSq together (or no state before the first step)',
      );
    }
    const step = s.step as number;
    if (!Number.isSafeInteger(step) || step < 1) {
      throw new RangeError(`${at}: ${name}.step must be a positive integer (the steps taken), got ${step}`);
    }
    for (const k of ['expAvgSq', 'maxExpAvgSq']) {
      const v = s[k] as FloatArray | undefined;
      if (v === undefined) continue;
      for (let i = 0; i < v.length; i++) {
        if (!(v[i] >= 0)) {
          throw new RangeError(`${at}: ${name}.${k}[${i}] must be >= 0 (an average of squares), got ${v[i]}`);
        }
      }
    }
  }

  step(): void {
    this.checkGroupsForStep();
    this.paramGroups.forEach((group, gi) => {
      const { lr, eps, weightDecay, amsgrad, maximize } = group;
      const [b1, b2] = group.betas;
      const params = group.params;
      for (let pi = 0; pi < params.length; pi++) {
        const p = params[pi];
        const g = this.gradOf(p, gi, pi);
        if (g === null) continue;
        const st = this.stateOf(p);
        if (st.step === undefined) {
          st.step = 0;
          st.expAvg = this.buffer(p);
          st.expAvgSq = this.buffer(p);
          if (amsgrad) st.maxExpAvgSq = this.buffer(p);
        }
        if (amsgrad && !st.maxExpAvgSq) st.maxExpAvgSq = this.buffer(p);
        const t = ++st.step;
        const w = p.data;
        const m = st.expAvg;
        const v = st.expAvgSq;
        const vmax = st.maxExpAvgSq;
        const stepSize = lr / (1 - Math.pow(b1, t));
        const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, t));
        const sgn = maximize ? -1 : 1;
        const decay = this.decoupled ? 1 - lr * weightDecay : 1;
        const l2 = this.decoupled ? 0 : weightDecay;
        if (!amsgrad && decay === 1 && l2 === 0 && !maximize) {
          // the common case, without per-element branches
          for (let i = 0; i < w.length; i++) {
            const gi = g[i];
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            w[i] -= (stepSize * m[i]) / (sqrt(v[i]) / bc2Sqrt + eps);
          }
          p.bumpVersion();
          continue;
        }
        for (let i = 0; i < w.length; i++) {
          if (decay !== 1) w[i] *= decay;
          const gi = sgn * g[i] + l2 * w[i];
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          let vv = v[i];
          if (amsgrad) {
            if (vv > vmax[i]) vmax[i] = vv;
            vv = vmax[i];
          }
          w[i] -= (stepSize * m[i]) / (sqrt(vv) / bc2Sqrt + eps);
        }
        p.bumpVersion();
      }
    });
  }
}

/** Adam with decoupled weight decay (default 0.01), as torch.optim.AdamW. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, 'AdamW', 0.01);
  }
}
