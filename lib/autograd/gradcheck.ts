/**
 * gradcheck: compares the analytic gradient from backward() with float64 central differences.
 *
 * With random weights w_k (seeded) for each output k, the scalar L = sum_k sum(out_k * w_k) is differentiated
 * once by backward(); then every element x_i of every input that requires grad is perturbed by ±eps and
 * dL/dx_i ≈ (L(x_i + eps) - L(x_i - eps)) / (2 eps). Each element must satisfy
 * |analytic - numerical| <= atol + rtol * |numerical|. Returns true, or throws with the worst element.
 *
 * fn must be deterministic (seed any dropout inside it) and the inputs that require grad must be float64.
 */
import { Tensor } from './tensor';
import { enableGrad, noGrad } from './grad_mode';
import { Rng } from '../util/random';
import { fmtShape, multiIndex } from './util';
import { checkOptionKeys } from '../util/errors';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random output weights (default 0). */
  seed?: number;
}

type Outputs = Tensor | Tensor[];

function outputsOf(r: unknown): Tensor[] {
  if (r instanceof Tensor) return [r];
  if (Array.isArray(r) && r.every((t) => t instanceof Tensor)) return r as Tensor[];
  throw new TypeError(`gradcheck: 'fn' must return a Tensor or an array of Tensors`);
}

export function gradcheck(fn: (...inputs: any[]) => Outputs, inputs: unknown[] | Tensor, opts: GradcheckOptions = {}): boolean {
  if (typeof fn !== 'function') throw new TypeError(`gradcheck: 'fn' must be a function`);
  const args = inputs instanceof Tensor ? [inputs] : inputs;
  if (!Array.isArray(args)) throw new TypeError(`gradcheck: 'inputs' must be a Tensor or an array`);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`gradcheck: 'options' must be an object`);
  checkOptionKeys(opts, ['eps', 'atol', 'rtol', 'seed'], 'gradcheck'); // { atoll: 1 } was ignored
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  for (const [name, v] of [
    ['eps', eps],
    ['atol', atol],
    ['rtol', rtol],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (name === 'eps' && v === 0)) {
      throw new RangeError(`gradcheck: '${name}' must be a ${name === 'eps' ? 'positive' : 'non-negative'} number, got ${v}`);
    }
  }
  const checked: number[] = [];
  args.forEach((a, i) => {
    if (a instanceof Tensor && a.requiresGrad) {
      if (a.dtype !== 'float64') {
        throw new TypeError(`gradcheck: input ${i} requires grad but is ${a.dtype}; finite differences need float64`);
      }
      if (!a.isLeaf) throw new TypeError(`gradcheck: input ${i} must be a leaf tensor (use .detach().requiresGrad_())`);
      checked.push(i);
    }
  });
  if (checked.length === 0) throw new RangeError(`gradcheck: no input requires grad`);

  // Analytic gradients of L = sum_k <out_k, w_k>.
  const outs = enableGrad(() => outputsOf(fn(...args)));
  const rng = new Rng(opts.seed ?? 0);
  const weights = outs.map((o) => {
    const w = new Float64Array(o.numel);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-1, 1);
    return w;
  });
  const saved = checked.map((i) => (args[i] as Tensor).grad);
  for (const i of checked) (args[i] as Tensor).grad = null;
  const analytic: Float64Array[] = [];
  try {
    let any = false;
    for (let k = 0; k < outs.length; k++) {
      const o = outs[k];
      if (!o.requiresGrad) continue;
      const w = o.dtype === 'float64' ? weights[k] : Float32Array.from(weights[k]);
      o.backward(new Tensor(w, o.shape), { retainGraph: true });
      any = true;
    }
    for (const i of checked) {
      const t = args[i] as Tensor;
      analytic.push(t.grad ? Float64Array.from(t.grad.data) : new Float64Array(t.numel));
    }
    void any;
  } finally {
    checked.forEach((i, j) => ((args[i] as Tensor).grad = saved[j]));
  }

  // Numerical gradients.
  const L = (): number =>
    noGrad(() => {
      const r = outputsOf(fn(...args));
      if (r.length !== outs.length) throw new Error(`gradcheck: 'fn' returned a different number of outputs on re-evaluation`);
      let s = 0;
      for (let k = 0; k < r.length; k++) {
        const d = r[k].data;
        const w = weights[k];
        if (d.length !== w.length) throw new Error(`gradcheck: output ${k} changed size on re-evaluation`);
        for (let i = 0; i < d.length; i++) s += d[i] * w[i];
      }
      return s;
    });
  let worst: { input: number; elem: number; a: number; n: number; score: number } | null = null;
  let failures = 0;
  checked.forEach((inputIdx, j) => {
    const t = args[inputIdx] as Tensor;
    const x = t.data;
    const an = analytic[j];
    for (let i = 0; i < x.length; i++) {
      const orig = x[i];
      x[i] = orig + eps;
      const fp = L();
      x[i] = orig - eps;
      const fm = L();
      x[i] = orig;
      const num = (fp - fm) / (2 * eps);
      const a = an[i];
      const diff = Math.abs(a - num);
      const tol = atol + rtol * Math.abs(num);
      const score = Number.isNaN(diff) ? Infinity : diff / tol;
      if (!(diff <= tol)) failures++;
      if (!worst || score > worst.score) worst = { input: inputIdx, elem: i, a, n: num, score };
    }
  });
  if (failures > 0 && worst) {
    const w = worst as { input: number; elem: number; a: number; n: number; score: number };
    const t = args[w.input] as Tensor;
    throw new Error(
      `gradcheck failed: ${failures} element(s) differ; worst is input ${w.input} (shape ${fmtShape(t.shape)}) at ` +
        `[${multiIndex(w.elem, t.shape).join(', ')}]: analytic ${w.a}, numerical ${w.n}, ` +
        `|diff| ${Math.abs(w.a - w.n)} > atol + rtol*|numerical| = ${atol + rtol * Math.abs(w.n)} ` +
        `(eps ${eps}, atol ${atol}, rtol ${rtol})`,
    );
  }
  return true;
}
