/**
 * Optimizers against PyTorch's update rules written out by hand here (torch.optim.SGD / Adam / AdamW docs),
 * with fixed gradient sequences set directly on .grad so that only the optimizer is under test.
 */
import { Tensor, tensor } from '../lib/autograd';
import { SGD, Adam, AdamW } from '../lib/optim';
import { backend } from '../lib/backend';

const GRADS = [
  [0.5, -1.0, 2.0],
  [-0.25, 0.75, 1.5],
  [1.0, 0.1, -3.0],
  [0.3, -0.6, 0.9],
];
const P0 = [1.0, -2.0, 0.5];

function run(opt: { step(): void }, p: Tensor, steps = GRADS.length): number[] {
  for (let s = 0; s < steps; s++) {
    p.grad = tensor(GRADS[s], { dtype: 'float64' });
    opt.step();
  }
  return Array.from(p.data);
}

function expectClose(a: number[], b: number[], tol = 1e-12): void {
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]))));
}

/** torch.optim.SGD, element by element. */
function sgdRef(o: { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number }): number[] {
  const { lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = o;
  const p = P0.slice();
  const buf: number[] = [];
  GRADS.forEach((g, t) => {
    for (let i = 0; i < p.length; i++) {
      let d = g[i] + weightDecay * p[i];
      if (momentum !== 0) {
        buf[i] = t === 0 ? d : momentum * buf[i] + (1 - dampening) * d;
        d = nesterov ? d + momentum * buf[i] : buf[i];
      }
      p[i] = p[i] - lr * d;
    }
  });
  return p;
}

describe(`optim (backend ${backend().name})`, () => {
  const param = () => tensor(P0, { dtype: 'float64', requiresGrad: true });

  test('SGD: plain, momentum, dampening, nesterov, weight decay', () => {
    const cases = [
      { lr: 0.1 },
      { lr: 0.05, momentum: 0.9 },
      { lr: 0.05, momentum: 0.9, dampening: 0.3 },
      { lr: 0.05, momentum: 0.95, nesterov: true },
      { lr: 0.01, momentum: 0.9, weightDecay: 0.1 },
      { lr: 0.02, weightDecay: 0.5 },
    ];
    for (const c of cases) {
      const p = param();
      expectClose(run(new SGD([p], c), p), sgdRef(c));
    }
    // step 1 by hand: p - lr * g
    const p = param();
    run(new SGD([p], { lr: 0.1 }), p, 1);
    expectClose(Array.from(p.data), [1 - 0.05, -2 + 0.1, 0.5 - 0.2]);
    // momentum: the first buffer is g itself (no dampening), the second m*g1 + g2
    const q = param();
    run(new SGD([q], { lr: 1, momentum: 0.5, dampening: 0.5 }), q, 2);
    expectClose(Array.from(q.data), [1 - 0.5 - (0.25 + 0.5 * -0.25), -2 + 1 - (-0.5 + 0.5 * 0.75), 0.5 - 2 - (1 + 0.5 * 1.5)]);
  });

  test('Adam and AdamW (with and without amsgrad) match the update formula', () => {
    // torch.optim.Adam / AdamW element by element; the denominator is sqrt(v) / sqrt(1 - b2^t) + eps (eps added
    // after the bias correction, as PyTorch), the step lr / (1 - b1^t)
    const ref = (o: any) => {
      const p = P0.slice();
      const m = [0, 0, 0];
      const v = [0, 0, 0];
      const vmax = [0, 0, 0];
      GRADS.forEach((g, s) => {
        const t = s + 1;
        for (let i = 0; i < 3; i++) {
          if (o.decoupled) p[i] *= 1 - o.lr * o.wd;
          const gi = g[i] + (o.decoupled ? 0 : o.wd * p[i]);
          m[i] = o.b1 * m[i] + (1 - o.b1) * gi;
          v[i] = o.b2 * v[i] + (1 - o.b2) * gi * gi;
          vmax[i] = Math.max(vmax[i], v[i]);
          const denom = Math.sqrt(o.amsgrad ? vmax[i] : v[i]) / Math.sqrt(1 - o.b2 ** t) + o.eps;
          p[i] -= (o.lr / (1 - o.b1 ** t)) * (m[i] / denom);
        }
      });
      return p;
    };
    const cases = [
      { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0 },
      { lr: 0.1, b1: 0.8, b2: 0.99, eps: 1e-3, wd: 0.05 },
      { lr: 0.1, b1: 0.8, b2: 0.99, eps: 1e-3, wd: 0, amsgrad: true },
    ];
    for (const c of cases) {
      const p = param();
      const opt = new Adam([p], { lr: c.lr, betas: [c.b1, c.b2], eps: c.eps, weightDecay: c.wd, amsgrad: c.amsgrad ?? false });
      expectClose(run(opt, p), ref(c));
    }
    const p = param();
    expectClose(run(new AdamW([p], { lr: 0.1, betas: [0.8, 0.99], eps: 1e-3, weightDecay: 0.2 }), p), ref({ lr: 0.1, b1: 0.8, b2: 0.99, eps: 1e-3, wd: 0.2, decoupled: true }));
    // the first Adam step moves each parameter by about lr * sign(g)
    const q = param();
    run(new Adam([q], { lr: 0.01 }), q, 1);
    expectClose(Array.from(q.data), [1 - 0.01, -2 + 0.01, 0.5 - 0.01], 1e-6);
  });

  test('float32 parameters update in place; parameters without grad are skipped; zeroGrad clears', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const frozen = tensor([5], { requiresGrad: true });
    const data = p.data;
    const opt = new SGD([p, frozen], { lr: 0.5, momentum: 0.9 });
    p.grad = tensor([1, -1]);
    opt.step();
    expect(p.data).toBe(data);
    expect(Array.from(p.data)).toEqual([0.5, 2.5]);
    expect(frozen.data[0]).toBe(5);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    p.grad = tensor([1, 1]);
    opt.zeroGrad(false);
    expect(Array.from(p.grad!.data)).toEqual([0, 0]);
    // PyTorch's keyword style was truthy: it set every gradient to null
    expect(() => opt.zeroGrad({ setToNone: false } as never)).toThrow(
      new TypeError(`SGD.zeroGrad: 'setToNone' must be a boolean, got Object`),
    );
    expect(p.grad).not.toBeNull();
  });

  test('options set on paramGroups between steps are checked at the next step, on both backends', () => {
    // (how a schedule changes lr) a string reached the kernels: the native one refused it in C++, js coerced it
    for (const make of [
      (q: Tensor) => new SGD([q], { lr: 0.1, momentum: 0.9 }),
      (q: Tensor) => new Adam([q], { lr: 0.1 }),
      (q: Tensor) => new AdamW([q], { lr: 0.1 }),
    ]) {
      const q = tensor([1, 2], { requiresGrad: true });
      const opt = make(q);
      q.grad = tensor([1, -1]);
      opt.step();
      const before = Array.from(q.data);
      const bad: [string, unknown, ErrorConstructor][] = [['lr', '0.1', TypeError], ['lr', NaN, TypeError], ['lr', -1, RangeError]];
      if (opt instanceof SGD) bad.push(['nesterov', 1, TypeError], ['momentum', '0.9', TypeError]);
      for (const [k, v, Err] of bad) {
        const g = opt.paramGroups[0] as unknown as Record<string, unknown>;
        const ok = g[k];
        g[k] = v;
        expect(() => opt.step()).toThrow(Err);
        expect(() => opt.step()).toThrow(new RegExp(`^\\w+\\.step: paramGroups\\[0\\]: .*'${k}'`));
        g[k] = ok;
      }
      expect(Array.from(q.data)).toEqual(before); // nothing was applied
      (opt.paramGroups[0] as { lr: number }).lr = 0.05; // a valid change takes effect
      opt.step();
      expect(Array.from(q.data)).not.toEqual(before);
    }
  });

  test('parameter groups with their own options', () => {
    const a = param();
    const b = param();
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.01, momentum: 0.9 }], { lr: 0.1 });
    run(opt, a, 1);
    expect(opt.paramGroups[0].lr).toBe(0.1);
    expect(opt.paramGroups[1].momentum).toBe(0.9);
    expectClose(Array.from(a.data), [0.95, -1.9, 0.3]);
    // lr in every group: no top-level lr needed (was "'lr' is required"); each group steps with its own
    const c = param();
    const e = param();
    const each = new SGD([{ params: [c], lr: 0.1 }, { params: [e], lr: 0.01 }], {});
    expect(each.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.01]);
    c.grad = tensor([1, 1, 1], { dtype: 'float64' });
    e.grad = tensor([1, 1, 1], { dtype: 'float64' });
    const c0 = Array.from(c.data);
    each.step();
    expectClose(Array.from(c.data), c0.map((v) => v - 0.1));
    expectClose(Array.from(e.data), c0.map((v) => v - 0.01));
    expect(() => each.addParamGroup({ params: [param()] })).toThrow(/'lr' is required: give it in the options or/);
    expect(() => new SGD([{ params: [param()], lr: 0.1 }, { params: [param()] }], {})).toThrow(TypeError);
    expect(() => new SGD([param()])).toThrow(/SGD: 'lr' is required/);
  });

  test('stateDict / loadStateDict: training resumes exactly', () => {
    for (const make of [
      (ps: Tensor[]) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true }),
      (ps: Tensor[]) => new Adam(ps, { lr: 0.05, amsgrad: true }),
    ]) {
      const p = param();
      const o1 = make([p]);
      run(o1, p, 2);
      const sd = JSON.parse(JSON.stringify(o1.stateDict()));
      const q = tensor(Array.from(p.data), { dtype: 'float64', requiresGrad: true });
      const o2 = make([q]);
      o2.loadStateDict(sd);
      for (const [opt, t] of [
        [o1, p],
        [o2, q],
      ] as const) {
        for (let s = 2; s < 4; s++) {
          t.grad = tensor(GRADS[s], { dtype: 'float64' });
          opt.step();
        }
      }
      expect(Array.from(q.data)).toEqual(Array.from(p.data));
    }
  });

  test('step() checks each .grad against its parameter (shape, dtype) and names it', () => {
    // The .grad setter already refuses a mismatch; one can still arise when the parameter's data changes after
    // its .grad was set. Every optimizer read the gradient unchecked (NaNs, a C++ error, or a float64 step).
    const makes: [string, (ps: any) => { step(): void }][] = [
      ['SGD', (ps) => new SGD(ps, { lr: 0.1 })],
      ['SGD', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 })],
      ['Adam', (ps) => new Adam(ps, { lr: 0.1 })],
      ['AdamW', (ps) => new AdamW(ps, { lr: 0.1 })],
    ];
    for (const [name, make] of makes) {
      const q = tensor([1, 2], { requiresGrad: true });
      const p = tensor([1, 2, 3, 4, 5, 6], { requiresGrad: true }).reshape([2, 3]).detach().requiresGrad_();
      p.grad = tensor([[1, 1, 1], [1, 1, 1]]);
      p.data = new Float64Array(6); // now float64, its grad float32
      q.grad = tensor([1, 1]);
      expect(() => make([q, p]).step()).toThrow(
        new RegExp(`^${name}\\.step: params\\[1\\]\\.grad is float32, the parameter is float64$`),
      );
      expect(() => make([q, p]).step()).toThrow(TypeError);
      const r = tensor([0, 0, 0, 0, 0, 0], { requiresGrad: true });
      r.grad = tensor([1, 2, 3, 4, 5, 6]);
      r.shape = [2, 3]; // same numel, other shape
      expect(() => make([{ params: [q] }, { params: [r] }]).step()).toThrow(
        /\.step: paramGroups\[1\]\.params\[0\]\.grad has shape \[6\], the parameter has shape \[2, 3\]/,
      );
      expect(Array.from(r.data)).toEqual([0, 0, 0, 0, 0, 0]);
      const s = tensor([0, 0, 0], { requiresGrad: true });
      s.grad = tensor([1, 1, 1]);
      s.data = new Float32Array(6); // more elements than its grad: read out of bounds (NaN) before
      s.shape = [6];
      expect(() => make([s]).step()).toThrow(RangeError);
      expect(Array.from(s.data)).toEqual([0, 0, 0, 0, 0, 0]);
      Object.defineProperty(s, 'grad', { value: [1, 2, 3, 4, 5, 6] }); // bypasses the setter
      expect(() => make([s]).step()).toThrow(/params\[0\]\.grad must be a Tensor or null/);
    }
  });

  test('array options (betas) belong to their group: no sharing between groups, defaults, snapshots, the caller', () => {
    const mine: [number, number] = [0.9, 0.999];
    const opt = new Adam([{ params: [param()] }, { params: [param()] }], { lr: 0.1, betas: mine });
    opt.paramGroups[0].betas[1] = 0.5;
    expect(opt.paramGroups[1].betas).toEqual([0.9, 0.999]);
    expect(opt.defaults.betas).toEqual([0.9, 0.999]);
    mine[0] = 0.123;
    expect(opt.paramGroups[1].betas[0]).toBe(0.9);
    const sd = opt.stateDict();
    (sd.paramGroups[1].betas as number[])[0] = 0.2;
    expect(opt.paramGroups[1].betas[0]).toBe(0.9);
    opt.loadStateDict(sd);
    (sd.paramGroups[1].betas as number[])[0] = 0.3;
    expect(opt.paramGroups[1].betas[0]).toBe(0.2);
  });

  test('loadStateDict checks every group before changing any, and refuses another optimizer\'s options', () => {
    const opt = new SGD([{ params: [param()] }, { params: [param()] }], { lr: 0.1 });
    const sd = opt.stateDict();
    sd.paramGroups[0].lr = 0.9;
    sd.paramGroups[1].lr = -1;
    expect(() => opt.loadStateDict(sd)).toThrow(/'lr' must be in/);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.1]);
    const adam = new Adam([param()], { lr: 0.001 });
    expect(() => new SGD([param()], { lr: 0.1 }).loadStateDict(adam.stateDict())).toThrow(
      /SGD\.loadStateDict: parameter group 0 has option 'betas', which SGD does not have .*another optimizer/,
    );
  });

  test('loadStateDict checks each per-parameter state entry (object, numbers, length); errors change nothing', () => {
    const p = param();
    const q = tensor([5], { dtype: 'float64', requiresGrad: true });
    const opt = new Adam([p, q], { lr: 0.1 });
    run(opt, p, 1);
    const before = JSON.stringify(opt.stateDict());
    const good = opt.stateDict();
    const with0 = (e: unknown) => ({ ...good, state: { ...good.state, 0: e as any } });
    const e0 = good.state[0];
    const cases: [unknown, ErrorConstructor, RegExp][] = [
      [null, TypeError, /Adam\.loadStateDict: state\[0\] must be an object of per-parameter state, got null/],
      [[1, 2, 3], TypeError, /state\[0\] must be an object .*got Array/],
      [{ ...e0, expAvg: ['a', 'b', 'c'] }, TypeError, /state\[0\]\.expAvg\[0\] must be a number, got string "a"/],
      [{ ...e0, expAvgSq: [0, null, 0] }, TypeError, /state\[0\]\.expAvgSq\[1\] must be a number, got null/],
      [{ ...e0, expAvg: [0, NaN, 0] }, RangeError, /state\[0\]\.expAvg\[1\] must be a finite number, got NaN/],
      [{ ...e0, expAvg: [0, 0] }, RangeError, /state\[0\]\.expAvg has 2 values, the parameter 3/],
      [{ ...e0, step: Infinity }, RangeError, /state\[0\]\.step must be a finite number, got Infinity/],
      [{ ...e0, step: '1' }, TypeError, /state\[0\]\.step must be a number or an array of numbers, got string "1"/],
    ];
    for (const [entry, type, re] of cases) {
      let err: unknown = null;
      try {
        opt.loadStateDict(with0(entry));
      } catch (e) {
        err = e;
      }
      expect([String(err), err instanceof type]).toEqual([expect.stringMatching(re), true]);
      expect(JSON.stringify(opt.stateDict())).toBe(before);
    }
    // the parameters still step as before (was: every parameter NaN after expAvg ['a', 'b', 'c'])
    p.grad = tensor(GRADS[1], { dtype: 'float64' });
    opt.step();
    expect(Array.from(p.data).every(Number.isFinite)).toBe(true);
  });

  test('loadStateDict checks each optimizer\'s own state (keys, kinds, values): a state that loads steps', () => {
    // The checks were generic (a number or an array of the parameter's length): Adam { step: 3 } loaded and step()
    // threw "Cannot read properties of undefined", step -1 or a negative expAvgSq made the weights NaN, another
    // optimizer's momentumBuffer was silently ignored, and SGD { momentumBuffer: 5 } broke step() with a C++ or
    // "Cannot create property" TypeError.
    const z = [0, 0, 0];
    const m = [0.1, -0.2, 0.3];
    const cases: [() => any, unknown, ErrorConstructor, RegExp][] = [
      [() => new Adam([param()]), { step: 3 }, RangeError,
        /^Adam\.loadStateDict: state\[0\] has step but not expAvg, expAvgSq: Adam keeps step, expAvg and expAvgSq/],
      [() => new Adam([param()]), { expAvg: m, expAvgSq: m }, RangeError, /state\[0\] has .* but not step/],
      [() => new Adam([param()]), { step: -1, expAvg: m, expAvgSq: m }, RangeError,
        /^Adam\.loadStateDict: state\[0\]\.step must be a positive integer \(the steps taken\), got -1$/],
      [() => new Adam([param()]), { step: 0, expAvg: m, expAvgSq: m }, RangeError, /state\[0\]\.step .*got 0$/],
      [() => new Adam([param()]), { step: 2.5, expAvg: m, expAvgSq: m }, RangeError, /state\[0\]\.step .*got 2\.5$/],
      [() => new Adam([param()]), { step: 2 ** 53, expAvg: m, expAvgSq: m }, RangeError, /state\[0\]\.step/],
      [() => new Adam([param()]), { step: [1, 1, 1], expAvg: m, expAvgSq: m }, TypeError,
        /^Adam\.loadStateDict: state\[0\]\.step must be a number, got an array of 3$/],
      [() => new Adam([param()]), { step: 1, expAvg: 0, expAvgSq: m }, TypeError,
        /^Adam\.loadStateDict: state\[0\]\.expAvg must be an array of the parameter's length, got the number 0$/],
      [() => new Adam([param()]), { step: 1, expAvg: m, expAvgSq: [1, -100, 1] }, RangeError,
        /^Adam\.loadStateDict: state\[0\]\.expAvgSq\[1\] must be >= 0 \(an average of squares\), got -100$/],
      [() => new Adam([param()], { amsgrad: true }), { step: 1, expAvg: m, expAvgSq: z, maxExpAvgSq: [0, 0, -1] },
        RangeError, /state\[0\]\.maxExpAvgSq\[2\] must be >= 0/],
      [() => new AdamW([param()]), { momentumBuffer: m }, RangeError, new RegExp(
        "^AdamW\\.loadStateDict: state\\[0\\] has 'momentumBuffer', which AdamW does not keep " +
          '\\(known: step, expAvg, expAvgSq, maxExpAvgSq\\): is it the state of another optimizer\\?$',
      )],
      [() => new Adam([param()]), { step: 1, expAvg: m, expAvgSq: z, exp_avg: m }, RangeError, /has 'exp_avg'/],
      [() => new SGD([param()], { lr: 0.1, momentum: 0.9 }), { momentumBuffer: 5 }, TypeError,
        /^SGD\.loadStateDict: state\[0\]\.momentumBuffer must be an array of the parameter's length, got the number 5/],
      [() => new SGD([param()], { lr: 0.1 }), { step: 1, expAvg: m, expAvgSq: z }, RangeError,
        /^SGD\.loadStateDict: state\[0\] has 'step', which SGD does not keep \(known: momentumBuffer\)/],
      // a value past float32's range would be stored as Infinity (then NaN or infinite weights)
      [() => new SGD([tensor([1, 2, 3], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 }),
        { momentumBuffer: [0, 1e39, 0] }, RangeError,
        /^SGD\.loadStateDict: state\[0\]\.momentumBuffer\[1\] = 1e\+39 is out of the range of the parameter's float32/],
    ];
    for (const [make, entry, type, re] of cases) {
      const opt = make();
      const p: Tensor = opt.paramGroups[0].params[0];
      p.grad = tensor(Array.from(p.data).map(() => 0.5), { dtype: p.dtype });
      opt.step();
      const before = JSON.stringify(opt.stateDict());
      const sd = opt.stateDict();
      sd.paramGroups[0].lr = 0.5; // a good option beside a bad state: not applied either
      sd.state[0] = entry as any;
      let err: unknown = null;
      try {
        opt.loadStateDict(sd);
      } catch (e) {
        err = e;
      }
      expect([(err as Error | null)?.message, err instanceof type]).toEqual([expect.stringMatching(re), true]);
      expect(JSON.stringify(opt.stateDict())).toBe(before);
      opt.step();
      expect(Array.from(p.data).every(Number.isFinite)).toBe(true);
    }
    // what step() does keep loads: no state before the first step, an empty entry, Adam without maxExpAvgSq into
    // amsgrad (step() starts it at zeros), SGD's buffer with momentum 0, the bound values (step 1, expAvgSq 0)
    const ok: [() => any, unknown][] = [
      [() => new Adam([param()], { amsgrad: true }), { step: 1, expAvg: m, expAvgSq: z }],
      [() => new Adam([param()]), { step: 1, expAvg: m, expAvgSq: z, maxExpAvgSq: z }],
      [() => new Adam([param()]), {}],
      [() => new SGD([param()], { lr: 0.1 }), { momentumBuffer: m }],
      [() => new SGD([param()], { lr: 0.1, momentum: 0.9 }), {}],
    ];
    for (const [make, entry] of ok) {
      const opt = make();
      const sd = opt.stateDict();
      sd.state[0] = entry as any;
      opt.loadStateDict(JSON.parse(JSON.stringify(sd)));
      expect(opt.stateDict().state[0]).toEqual(entry);
      opt.paramGroups[0].params[0].grad = tensor([0.5, 0.5, 0.5], { dtype: 'float64' });
      opt.step();
      expect(Array.from(opt.paramGroups[0].params[0].data as Float64Array).every(Number.isFinite)).toBe(true);
    }
  });

  test('stateDict -> JSON -> loadStateDict resumes every optimizer and option combination exactly', () => {
    type Make = (a: Tensor, b: Tensor) => any;
    const makes: Make[] = [
      (a, b) => new SGD([a, b], { lr: 0.05 }),
      (a, b) => new SGD([a, b], { lr: 0.05, momentum: 0.9 }),
      (a, b) => new SGD([a, b], { lr: 0.05, momentum: 0.9, dampening: 0.2, weightDecay: 0.1 }),
      (a, b) => new SGD([a, b], { lr: 0.05, momentum: 0.9, nesterov: true, maximize: true }),
      (a, b) => new Adam([a, b], { lr: 0.05 }),
      (a, b) => new Adam([a, b], { lr: 0.05, amsgrad: true, weightDecay: 0.1 }),
      (a, b) => new AdamW([a, b], { lr: 0.05 }),
      (a, b) => new AdamW([a, b], { lr: 0.05, amsgrad: true, maximize: true }),
      (a, b) => new SGD([{ params: [a], momentum: 0.5 }, { params: [b], lr: 0.01 }], { lr: 0.05 }),
      (a, b) => new Adam([{ params: [a], amsgrad: true }, { params: [b], betas: [0.5, 0.9] }], { lr: 0.05 }),
    ];
    const grad = (t: Tensor, s: number) => tensor(GRADS[s].slice(0, t.numel), { dtype: t.dtype });
    for (const make of makes) {
      for (const saveAt of [0, 1, 2]) {
        const mk = () => [param(), tensor([3, -1], { requiresGrad: true })]; // float64 and float32
        const [a1, b1] = mk();
        const [a2, b2] = mk();
        const o1 = make(a1, b1);
        let o2 = make(a2, b2);
        for (let s = 0; s < 4; s++) {
          if (s === saveAt) {
            // run 2 restarts from what run 1 saved: a new optimizer, the parameters set to run 1's values
            const sd = JSON.parse(JSON.stringify(o1.stateDict()));
            a2.data.set(a1.data);
            b2.data.set(b1.data);
            o2 = make(a2, b2);
            o2.loadStateDict(sd);
            expect(o2.stateDict()).toEqual(o1.stateDict());
          }
          // b skips the first step (no gradient): its state starts one step later
          for (const [o, a, b] of [[o1, a1, b1], [o2, a2, b2]] as const) {
            a.grad = grad(a, s);
            b.grad = s === 0 ? null : grad(b, s);
            o.step();
          }
        }
        expect([Array.from(a2.data), Array.from(b2.data)]).toEqual([Array.from(a1.data), Array.from(b1.data)]);
      }
    }
    // amsgrad switched on between steps (no maxExpAvgSq yet), momentum switched off after steps (a buffer left):
    // both states round-trip as they are
    for (const [opt, flip] of [
      [new Adam([param()], { lr: 0.05 }), (o: any) => (o.paramGroups[0].amsgrad = true)],
      [new SGD([param()], { lr: 0.05, momentum: 0.9 }), (o: any) => (o.paramGroups[0].momentum = 0)],
    ] as const) {
      run(opt, opt.paramGroups[0].params[0], 1);
      flip(opt);
      const sd = JSON.parse(JSON.stringify(opt.stateDict()));
      const other = opt instanceof SGD ? new SGD([param()], { lr: 0.05 }) : new Adam([param()]);
      other.loadStateDict(sd);
      expect(other.stateDict()).toEqual(opt.stateDict());
    }
  });

  test('SGD: a .grad that shares the parameter\'s memory updates as a copy would (both backends)', () => {
    for (const momentum of [0, 0.9]) {
      const p = tensor([1, 2, 3, 4], { requiresGrad: true });
      const q = tensor([1, 2, 3, 4], { requiresGrad: true });
      const o1 = new SGD([p], { lr: 0.5, momentum });
      const o2 = new SGD([q], { lr: 0.5, momentum });
      for (let s = 0; s < 2; s++) {
        p.grad = p.detach(); // the same memory as p.data
        expect(p.grad.data.buffer).toBe(p.data.buffer);
        q.grad = tensor(Array.from(q.data));
        o1.step();
        o2.step();
      }
      expect(Array.from(p.data)).toEqual(Array.from(q.data));
      expect(p.data[0]).not.toBe(1);
    }
  });

  test('optimizer state follows the parameters to another dtype (module.to after the optimizer was made)', () => {
    const makes: ((ps: Tensor[]) => { step(): void })[] = [
      (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }),
      (ps) => new Adam(ps, { lr: 0.1, amsgrad: true }),
    ];
    for (const make of makes) {
      const p = tensor([1, 2, 3], { requiresGrad: true }); // float32
      const q = tensor([1, 2, 3], { requiresGrad: true });
      const o1 = make([p]);
      const o2 = make([q]);
      p.grad = tensor([0.5, -1, 2]);
      q.grad = tensor([0.5, -1, 2]);
      o1.step();
      o2.step();
      p.data = Float64Array.from(p.data); // what module.to('float64') does to a parameter
      p.grad = tensor([0.25, 0.5, -1], { dtype: 'float64' });
      q.grad = tensor([0.25, 0.5, -1]);
      o1.step();
      o2.step();
      expect(p.data).toBeInstanceOf(Float64Array);
      // float64 from the second step on: within float32 rounding of the all-float32 run
      Array.from(q.data).forEach((v, i) => expect(Math.abs(p.data[i] - v)).toBeLessThan(1e-6));
      const st = (o1 as any).state.get(p) as Record<string, unknown>;
      for (const v of Object.values(st)) if (ArrayBuffer.isView(v)) expect(v).toBeInstanceOf(Float64Array);
      p.data = new Float64Array(5); // a size change is named, not read out of bounds
      p.shape = [5];
      p.grad = tensor([1, 1, 1, 1, 1], { dtype: 'float64' });
      expect(() => o1.step()).toThrow(/has 3 values, the parameter 5: it changed size/);
    }
  });

  test('maximize (SGD and Adam/AdamW) negates the gradient before weight decay is added, as PyTorch', () => {
    // torch.optim.SGD/Adam with maximize: g = -grad, then g + weightDecay * p (checked against torch 1.13)
    type MaxOpts = { lr: number; momentum: number; dampening?: number; nesterov?: boolean; weightDecay: number };
    const sgdMax = (o: MaxOpts) => {
      const { lr, momentum, dampening = 0, nesterov = false, weightDecay } = o;
      const p = P0.slice();
      const buf: number[] = [];
      GRADS.forEach((g, t) => {
        for (let i = 0; i < p.length; i++) {
          let d = -g[i] + weightDecay * p[i];
          if (momentum !== 0) {
            buf[i] = t === 0 ? d : momentum * buf[i] + (1 - dampening) * d;
            d = nesterov ? d + momentum * buf[i] : buf[i];
          }
          p[i] -= lr * d;
        }
      });
      return p;
    };
    for (const c of [
      { lr: 0.05, momentum: 0, weightDecay: 0.1 },
      { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.1 },
      { lr: 0.05, momentum: 0.95, nesterov: true, weightDecay: 0.1 },
    ]) {
      const p = param();
      expectClose(run(new SGD([p], { ...c, maximize: true }), p), sgdMax(c));
    }
    const adamRef = (lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean) => {
      const p = P0.slice();
      const m = [0, 0, 0];
      const v = [0, 0, 0];
      GRADS.forEach((g, s) => {
        const t = s + 1;
        for (let i = 0; i < 3; i++) {
          if (decoupled) p[i] *= 1 - lr * wd;
          const gi = -g[i] + (decoupled ? 0 : wd * p[i]);
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          p[i] -= (lr / (1 - b1 ** t)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps));
        }
      });
      return p;
    };
    const o = { lr: 0.1, betas: [0.8, 0.99] as [number, number], eps: 1e-3, maximize: true };
    for (const wd of [0, 0.05]) {
      const p = param();
      expectClose(run(new Adam([p], { ...o, weightDecay: wd }), p), adamRef(0.1, 0.8, 0.99, 1e-3, wd, false));
    }
    // AdamW's default weightDecay is PyTorch's 1e-2
    const q = param();
    expectClose(run(new AdamW([q], o), q), adamRef(0.1, 0.8, 0.99, 1e-3, 0.01, true));
  });

  test('Adam/AdamW: a .grad that shares the parameter\'s memory updates as a copy would', () => {
    // AdamW scales the parameter before it reads the gradient: an aliased gradient must be read as it was
    const makes = [
      (t: Tensor) => new AdamW([t], { lr: 0.1, weightDecay: 0.5 }),
      (t: Tensor) => new Adam([t], { lr: 0.1, weightDecay: 0.5, amsgrad: true }),
    ];
    for (const make of makes) {
      const p = tensor([1, -2, 3, 0.5], { dtype: 'float64', requiresGrad: true });
      const q = tensor([1, -2, 3, 0.5], { dtype: 'float64', requiresGrad: true });
      const o1 = make(p);
      const o2 = make(q);
      for (let s = 0; s < 3; s++) {
        p.grad = p.detach();
        expect(p.grad.data.buffer).toBe(p.data.buffer);
        q.grad = tensor(Array.from(q.data), { dtype: 'float64' });
        o1.step();
        o2.step();
      }
      expect(Array.from(p.data)).toEqual(Array.from(q.data));
    }
  });

  test('option boundaries: lr 0 is allowed (no change), non-finite and negative values are refused', () => {
    const p = param();
    const o = new SGD([p], { lr: 0, momentum: 0.9 });
    run(o, p, 2);
    expect(Array.from(p.data)).toEqual(P0);
    expect(() => new SGD([p], { lr: Infinity })).toThrow(
      new RangeError(`SGD: 'lr' must be in [0, Infinity), got Infinity`),
    );
    expect(() => new Adam([p], { lr: Infinity })).toThrow(RangeError);
    expect(() => new SGD([p], { lr: 0.1, momentum: Infinity })).toThrow(/'momentum'/);
    expect(() => new SGD([p], { lr: 0.1, weightDecay: -0.1 })).toThrow(/'weightDecay'/);
    expect(() => new Adam([p], { weightDecay: -0.1 })).toThrow(/'weightDecay'/);
    expect(() => new Adam([p], { eps: -1e-8 })).toThrow(/'eps'/);
    // PyTorch: "Nesterov momentum requires a momentum and zero dampening"
    expect(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(RangeError);
    expect(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true })).not.toThrow();
    // betas in [0, 1): 1 itself is refused (the bias correction 1 - beta^t would be 0), 0 is allowed
    expect(() => new Adam([p], { betas: [1, 0.999] })).toThrow(/'betas'/);
    expect(() => new Adam([p], { betas: [0.9, 1] })).toThrow(/'betas'/);
    expect(() => new Adam([p], { betas: [0, 0] })).not.toThrow();
    // one parameter in two groups
    const q = param();
    expect(() => new SGD([{ params: [p] }, { params: [q, p] }], { lr: 0.1 })).toThrow(
      /params\[1\] appears in more than one place/,
    );
  });

  test('bad options are RangeError/TypeError naming the option', () => {
    const p = param();
    expect(() => new SGD([p], { lr: -1 })).toThrow(/'lr'/);
    expect(() => new SGD([p], { lr: 0.1, momentum: -0.5 })).toThrow(/'momentum'/);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/nesterov/);
    expect(() => new SGD([p], { lr: 0.1, foo: 1 } as any)).toThrow(/unknown option 'foo'/);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/empty parameter list/);
    expect(() => new SGD([p, p], { lr: 0.1 })).toThrow(/more than one place/);
    expect(() => new SGD([1] as any, { lr: 0.1 })).toThrow(TypeError);
    expect(() => new Adam([p], { betas: [0.9, 1] })).toThrow(/'betas'/);
    expect(() => new Adam([p], { lr: NaN })).toThrow(/'lr'/);
    expect(() => new SGD([p.mul(2)], { lr: 0.1 })).toThrow(/leaf/);
  });
});
