/** nn: Module bookkeeping, Linear init, state dicts, activation modules, BatchNorm/Dropout, nn.MLP. */
import { Tensor, Function, tensor, randn, rand, zeros, noGrad, gradcheck, type Context } from '../lib/autograd';
import * as nn from '../lib/nn';
import * as ops from '../lib/ops';
import { SGD } from '../lib/optim';
import { Purpose, Rng, streamFor } from '../lib/util/random';
import { backend } from '../lib/backend';
import { expectErrors } from './helpers/throws';

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 3, { seed: 1 });
  act = new nn.Tanh();
  fc2 = new nn.Linear(3, 2, { seed: 2 });
  scale = new nn.Parameter(tensor([2]));
  constructor() {
    super();
    this.registerBuffer('steps', tensor([0]));
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x))).mul(this.scale);
  }
}

describe(`nn (backend ${backend().name}/${backend().isa})`, () => {
  test('Module discovers children, parameters (dotted names, field order) and buffers', () => {
    const net = new Net();
    expect(net.namedChildren().map(([k]) => k)).toEqual(['fc1', 'act', 'fc2']);
    expect(net.namedParameters().map(([k]) => k)).toEqual(['scale', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(net.namedBuffers().map(([k]) => k)).toEqual(['steps']);
    expect(net.countParameters()).toBe(1 + 12 + 3 + 6 + 2);
    expect(net.modules()).toHaveLength(4);
    // shared modules/parameters are listed once
    const shared = new nn.Linear(2, 2, { seed: 0 });
    const seq = new nn.Sequential(shared, new nn.ReLU(), shared);
    expect(seq.parameters()).toHaveLength(2);
    expect(seq.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias']);
    // train / eval recurse
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.fc1.training).toBe(true);
    // call() is forward()
    const x = randn([5, 4], { seed: 3 });
    expect(net.call(x).data).toEqual(net.forward(x).data);
    // zeroGrad
    net.forward(x).sum().backward();
    expect(net.fc1.weight.grad).not.toBeNull();
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  test('Linear: weight [out, in] and bias ~ U(-1/sqrt(in), 1/sqrt(in)), drawn weight first (seeded)', () => {
    const lin = new nn.Linear(300, 64, { seed: 42 });
    expect(lin.weight.shape).toEqual([64, 300]);
    expect(lin.bias!.shape).toEqual([64]);
    const bound = 1 / Math.sqrt(300);
    const w = lin.weight.data;
    let mean = 0;
    let sq = 0;
    let outside = 0;
    for (const v of w) {
      if (Math.abs(v) > bound) outside++;
      mean += v;
      sq += v * v;
    }
    expect(outside).toBe(0);
    mean /= w.length;
    const variance = sq / w.length - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(bound * 0.02); // 4.5 standard errors
    expect(Math.abs(variance / (bound * bound / 3) - 1)).toBeLessThan(0.03); // var of U(-b, b) = b^2 / 3 (se ~0.0065)
    expect(Math.max(...Array.from(lin.bias!.data, Math.abs))).toBeLessThanOrEqual(bound);
    // the draw order: weight row-major, then bias, from one Rng(seed)
    const rng = new Rng(42);
    const first = Math.fround(rng.uniform(-bound, bound));
    expect(w[0]).toBe(first);
    for (let i = 1; i < w.length; i++) rng.uniform(-bound, bound);
    expect(lin.bias!.data[0]).toBe(Math.fround(rng.uniform(-bound, bound)));
    expect(new nn.Linear(300, 64, { seed: 42 }).weight.data).toEqual(w);
    expect(new nn.Linear(300, 64, { seed: 43 }).weight.data).not.toEqual(w);
    expect(new nn.Linear(3, 2, { bias: false }).bias).toBeNull();
    expect(() => new nn.Linear(-1, 2)).toThrow(RangeError);
  });

  test('Linear forward = x Wᵀ + b', () => {
    const lin = new nn.Linear(3, 2, { seed: 5, dtype: 'float64' });
    const x = randn([4, 3], { seed: 6, dtype: 'float64' });
    const y = lin.forward(x);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) {
        let s = lin.bias!.data[j];
        for (let k = 0; k < 3; k++) s += x.data[i * 3 + k] * lin.weight.data[j * 3 + k];
        expect(y.data[i * 2 + j]).toBeCloseTo(s, 12);
      }
    }
    expect(() => lin.forward(randn([4, 2], { dtype: 'float64' }))).toThrow(/does not match weight of shape \[2, 3\]/);
  });

  test('stateDict / loadStateDict round trip (typed and JSON), strict checks', () => {
    const a = new nn.MLP({ inputs: 6, hidden: [5, 4], outputs: 3, batchNorm: true, seed: 1 });
    const b = new nn.MLP({ inputs: 6, hidden: [5, 4], outputs: 3, batchNorm: true, seed: 2 });
    const x = randn([8, 6], { seed: 9 });
    a.forward(x); // moves a's running stats
    const sd = a.stateDict();
    expect(Object.keys(sd)).toEqual([
      'fc1.weight', 'fc1.bias', 'bn1.weight', 'bn1.bias', 'fc2.weight', 'fc2.bias', 'bn2.weight', 'bn2.bias',
      'fc3.weight', 'fc3.bias', 'bn1.runningMean', 'bn1.runningVar', 'bn2.runningMean', 'bn2.runningVar',
    ]);
    expect(sd['fc1.weight']).toMatchObject({ shape: [5, 6], dtype: 'float32' });
    const before = b.linears[0].weight.data;
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict({ plain: true }))));
    expect(b.linears[0].weight.data).toBe(before); // copied in place
    a.eval();
    b.eval();
    expect(b.forward(x).data).toEqual(a.forward(x).data);
    // the state dict is a copy
    sd['fc1.weight'].data[0] = 123;
    expect(a.linears[0].weight.data[0]).not.toBe(123);
    const { ['fc3.bias']: _gone, ...missing } = a.stateDict();
    expect(() => b.loadStateDict(missing)).toThrow(/missing keys: fc3.bias/);
    expect(() => b.loadStateDict({ ...a.stateDict(), extra: { shape: [1], dtype: 'float32', data: [1] } })).toThrow(/unexpected keys: extra/);
    b.loadStateDict(missing, { strict: false });
    const bad = a.stateDict();
    bad['fc2.weight'] = { shape: [5, 4], dtype: 'float32', data: new Float32Array(20) };
    expect(() => b.loadStateDict(bad)).toThrow(/size mismatch for 'fc2.weight': the state has shape \[5, 4\], the module has \[4, 5\]/);
  });

  test('a module used twice (Sequential(lin, relu, lin)) stays one module in toJSON/fromJSON and copyModule', () => {
    const lin = new nn.Linear(3, 3, { seed: 1 });
    const seq = new nn.Sequential(lin, new nn.ReLU(), lin, new nn.Sequential(lin, new nn.Tanh()));
    const j = JSON.parse(JSON.stringify(seq.toJSON()));
    expect(j.modules['0'].sameAs).toBeUndefined();
    expect(j.modules['2']).toEqual({ type: 'Linear', config: lin.config(), sameAs: '0' });
    expect(j.modules['3'].modules['0']).toMatchObject({ type: 'Linear', sameAs: '0' });
    const rebuilt = nn.fromJSON(j) as nn.Sequential;
    expect(rebuilt.at(2)).toBe(rebuilt.at(0));
    expect((rebuilt.at(3) as nn.Sequential).at(0)).toBe(rebuilt.at(0));
    rebuilt.loadStateDict(seq.stateDict()); // was: missing keys: 2.weight, 2.bias
    const x = randn([4, 3], { seed: 2 });
    expect(Array.from(rebuilt.forward(x).data)).toEqual(Array.from(seq.forward(x).data));

    const copy = nn.copyModule(seq) as nn.Sequential;
    expect(copy.at(0)).not.toBe(lin);
    expect(copy.at(2)).toBe(copy.at(0));
    expect(copy.parameters()).toHaveLength(2);
    expect(Array.from(copy.forward(x).data)).toEqual(Array.from(seq.forward(x).data));
    // one update of the copy's shared weight moves every place it is used, and not the original
    const w0 = Array.from(lin.weight.data);
    const opt = new SGD(copy.parameters(), { lr: 0.5 });
    copy.forward(x).sum().backward();
    opt.step();
    expect(Array.from(lin.weight.data)).toEqual(w0);
    expect(Array.from((copy.at(2) as nn.Linear).weight.data)).not.toEqual(w0);

    // a parameter held by two modules (b.weight = a.weight) is one parameter of the copy
    const a = new nn.Linear(2, 2, { seed: 3 });
    const b = new nn.Linear(2, 2, { seed: 4 });
    b.weight = a.weight;
    const tied = new nn.Sequential(a, new nn.Tanh(), b);
    const tc = nn.copyModule(tied) as nn.Sequential;
    expect((tc.at(2) as nn.Linear).weight).toBe((tc.at(0) as nn.Linear).weight);
    expect((tc.at(2) as nn.Linear).weight).not.toBe(a.weight);
    expect(Array.from((tc.at(2) as nn.Linear).bias!.data)).toEqual(Array.from(b.bias!.data));
    const x2 = randn([3, 2], { seed: 5 });
    expect(Array.from(tc.forward(x2).data)).toEqual(Array.from(tied.forward(x2).data));

    // a sameAs that names no module built before it
    const relu = new nn.ReLU().toJSON();
    const refs = { type: 'Sequential', config: {}, modules: { '0': { ...relu, sameAs: '1' }, '1': relu } };
    expect(() => nn.fromJSON(refs)).toThrow(/'0' is the module at '1', which is not built before it/);
    const tanhRef = { ...new nn.Tanh().toJSON(), sameAs: '0' };
    const wrong = { type: 'Sequential', config: {}, modules: { '0': relu, '1': tanhRef } };
    expect(() => nn.fromJSON(wrong)).toThrow(/'1' is a Tanh and the module at '0', but that is a ReLU/);
  });

  test('a parameter held by two modules is written as root ties and is one parameter again after fromJSON', () => {
    const a = new nn.Linear(2, 2, { seed: 3 });
    const b = new nn.Linear(2, 2, { seed: 4 });
    b.weight = a.weight;
    const tied = new nn.Sequential(a, new nn.Tanh(), b);
    const j = JSON.parse(JSON.stringify(tied.toJSON()));
    expect(j.ties).toEqual({ '2.weight': '0.weight' });
    const r = nn.fromJSON(j) as nn.Sequential;
    expect((r.at(2) as nn.Linear).weight).toBe((r.at(0) as nn.Linear).weight);
    expect(r.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '2.bias']);
    r.loadStateDict(tied.stateDict()); // was: missing keys: 2.weight
    const x = randn([3, 2], { seed: 5 });
    expect(Array.from(r.forward(x).data)).toEqual(Array.from(tied.forward(x).data));
    expect(JSON.parse(JSON.stringify(r.toJSON()))).toEqual(j);
    // the names are the root's: a tied tree inside another is tied at the outer root only
    const outer = JSON.parse(JSON.stringify(new nn.Sequential(new nn.ReLU(), tied).toJSON()));
    expect(outer.ties).toEqual({ '1.2.weight': '1.0.weight' });
    expect(outer.modules['1'].ties).toBeUndefined();
    const ro = nn.fromJSON(outer) as nn.Sequential;
    const inner = ro.at(1) as nn.Sequential;
    expect((inner.at(2) as nn.Linear).weight).toBe((inner.at(0) as nn.Linear).weight);

    // an untied tree (a module used twice included) is written as before, without ties
    const lin = new nn.Linear(2, 3, { seed: 1 });
    const plain = new nn.Sequential(lin, new nn.ReLU(), new nn.Linear(3, 2, { seed: 2 }), lin);
    expect(JSON.parse(JSON.stringify(plain.toJSON()))).toEqual({
      type: 'Sequential',
      config: {},
      modules: {
        '0': { type: 'Linear', config: { inFeatures: 2, outFeatures: 3, bias: true, dtype: 'float32' } },
        '1': { type: 'ReLU', config: new nn.ReLU().config() },
        '2': { type: 'Linear', config: { inFeatures: 3, outFeatures: 2, bias: true, dtype: 'float32' } },
        '3': { type: 'Linear', config: { inFeatures: 2, outFeatures: 3, bias: true, dtype: 'float32' }, sameAs: '0' },
      },
    });

    // ties that name no parameter, or a parameter of another shape, are a RangeError naming each
    const seq = { ...new nn.Sequential(new nn.Linear(2, 2), new nn.Linear(2, 3), new nn.Linear(2, 2)).toJSON() };
    expectErrors([
      [() => nn.fromJSON({ ...seq, ties: { '5.weight': '0.weight' } }), RangeError,
        /bad ties: '5\.weight' -> "0\.weight": the module has no parameter '5\.weight'/],
      [() => nn.fromJSON({ ...seq, ties: { '2.weight': '0.x' } }), RangeError, /'2\.weight' -> "0\.x": not a param/],
      [() => nn.fromJSON({ ...seq, ties: { '2.weight': '1.weight', '2.bias': '0.weight' } }), RangeError,
        /'2\.weight' -> "1\.weight": shapes \[2, 2\] and \[3, 2\] differ; '2\.bias' -> "0\.weight": shapes \[2\] and/],
      [() => nn.fromJSON({ ...seq, ties: { '2.weight': '1.weight', '1.weight': '0.weight' } }), RangeError,
        /'2\.weight' -> "1\.weight": not a parameter of the module, or itself tied/],
      [() => nn.fromJSON({ ...seq, ties: ['0.weight'] } as any), TypeError, /'ties' must be an object/],
    ]);
  });

  test('Rng getState/setState: a generator set to another\'s state draws what it draws', () => {
    const r = new Rng(11);
    r.normal(); // leaves a spare normal
    const s = structuredClone(r.getState());
    const q = new Rng(0).setState(s);
    expect([q.normal(), q.random(), q.normal()]).toEqual([r.normal(), r.random(), r.normal()]);
    expect(() => new Rng(0).setState({ s: [0, 0, 0, 0], spare: null })).toThrow(RangeError);
    expect(() => new Rng(0).setState({ s: [1, 2, 3], spare: null } as any)).toThrow(/four 32-bit unsigned integers/);
    for (const spare of [NaN, Infinity]) {
      expect(() => new Rng(0).setState({ s: [1, 2, 3, 4], spare })).toThrow(/spare must be a finite number or null/);
    }
    expect(() => new Rng(0).setState(null as any)).toThrow(new TypeError(
      'Rng.setState: state must be an object { s, spare } as getState() returns'));
  });

  test('loadStateDict refuses a typed array whose length lies, before it changes anything', () => {
    class Liar extends Float32Array {
      override get length(): number {
        return 2;
      }
    }
    const lin = new nn.Linear(3, 2);
    const before = lin.stateDict();
    const state = {
      weight: { shape: [2, 3], dtype: 'float32' as const, data: new Float32Array(6).fill(1) },
      bias: { shape: [2], dtype: 'float32' as const, data: new Liar(4) },
    };
    expect(() => lin.loadStateDict(state)).toThrow(
      /loadStateDict: 'bias'\.data has a 'length' of 2 but holds 4 elements \(class Liar overrides it\)/,
    );
    expect(lin.stateDict()).toEqual(before); // weight, checked first, was not written either
  });

  test('activation modules by name or spec, with their parameters', () => {
    const x = tensor([-2, -0.5, 0.5, 3], { dtype: 'float64' });
    const sw = nn.activation('swish', { beta: 1.5 });
    expect(sw).toBeInstanceOf(nn.Swish);
    Array.from(sw.forward(x).data).forEach((v, i) => {
      const xi = x.data[i];
      expect(v).toBeCloseTo(xi / (1 + Math.exp(-1.5 * xi)), 14);
    });
    const lr = nn.activation({ name: 'leaky_relu', alpha: 0.05 });
    expect(Array.from(lr.forward(x).data)).toEqual([-0.1, -0.025, 0.5, 3]);
    expect(new nn.LeakyReLU({ negativeSlope: 0.2 }).forward(x).data[0]).toBeCloseTo(-0.4, 14);
    expect(nn.activation('relu')).toBeInstanceOf(nn.ReLU);
    expect(nn.activation('gelu', { approximate: 'tanh' }).describe()).toBe('GELU(approximate=tanh)');
    expect(sw.describe()).toBe('Swish(beta=1.5)');
    expect(nn.activation('silu').forward(x).data[3]).toBeCloseTo(3 / (1 + Math.exp(-3)), 14);
    expect(() => nn.activation('nope')).toThrow(/unknown activation 'nope'/);
    expect(() => nn.activation('elu', { gamma: 1 })).toThrow(RangeError);
    expect(() => nn.activation('prelu', { gamma: 1 })).toThrow(RangeError);
    expect(nn.activation('softrelu')).toBeInstanceOf(nn.Softplus); // registry aliases resolve
    // PReLU learns its alpha; per-channel works on dimension 1
    const pr = nn.activation('prelu') as nn.PReLU;
    expect(pr).toBeInstanceOf(nn.PReLU);
    expect(pr.weight.data[0]).toBeCloseTo(0.25, 7);
    pr.to('float64');
    pr.forward(x).sum().backward();
    expect(pr.weight.grad!.item()).toBeCloseTo(-2.5, 12); // sum of x over x <= 0
    const pc = new nn.PReLU({ numParameters: 2, init: [0.1, 0.2], dtype: 'float64' });
    const y = pc.forward(tensor([[-1, -1], [2, -3]], { dtype: 'float64' }));
    expect(Array.from(y.data)).toEqual([-0.1, -0.2, 2, -0.6000000000000001]);
    // no element, any dimension 0 (a trailing one made the native kernels refuse an inner block of 0)
    for (const shape of [[2, 2, 0], [0, 2], [0, 2, 3]]) {
      pc.zeroGrad();
      const e = pc.forward(zeros(shape, { dtype: 'float64' }).requiresGrad_());
      e.sum().backward();
      expect([e.shape, Array.from(pc.weight.grad!.data)]).toEqual([shape, [0, 0]]);
    }
    // config() holds the initial alpha (as Swish's its initial beta): a rebuilt module starts where this one did
    pc.weight.data.set([0.7, 0.8]);
    expect(pc.config()).toMatchObject({ numParameters: 2, init: [0.1, 0.2] });
    expect(Array.from((nn.fromJSON(pc.toJSON()) as nn.PReLU).weight.data)).toEqual([0.1, 0.2]);
    // the spec's bound, which copies and load() rebuild through (a module beyond it could not be copied)
    expect(() => new nn.PReLU({ init: 1e21 })).toThrow(/PReLU: 'init' must hold numbers with \|x\| <= 1e20/);
    // a float64 MLP builds its learnable activations in float64 (they were built in float32, then cast)
    const mlp64 = (activation: unknown): nn.MLP =>
      new nn.MLP({ inputs: 2, hidden: [3], outputs: 2, activation: activation as never, dtype: 'float64' });
    const m64 = mlp64({ name: 'prelu', alpha: 0.3 });
    expect((m64.activations[0] as nn.PReLU).weight.data[0]).toBe(0.3);
    const s64 = mlp64({ name: 'swish', beta: 0.1, learnable: true });
    expect((s64.activations[0] as nn.Swish).beta!.data[0]).toBe(0.1);
    {
      // the learned beta is used and learned: the MLP must not fuse the module into the GEMM epilogue as a fixed-beta
      // swish (its forward would then use the initial beta and leave beta without a gradient)
      const sw = s64.activations[0] as nn.Swish;
      sw.beta!.data[0] = 2;
      const xs = tensor([[0.5, -1], [2, 0.25], [-1.5, 1]], { dtype: 'float64' });
      const out = s64.forward(xs);
      const [fc1, fc2] = s64.linears;
      const h = fc1.forward(xs);
      const sig = (z: number): number => 1 / (1 + Math.exp(-z));
      // out[r, k] = b2[k] + sum_j W2[k, j] h[r, j] sigmoid(2 h[r, j])
      Array.from(out.data).forEach((v, i) => {
        const [r, k] = [Math.floor(i / 2), i % 2];
        let want = fc2.bias!.data[k];
        for (let j = 0; j < 3; j++) want += fc2.weight.data[3 * k + j] * h.data[3 * r + j] * sig(2 * h.data[3 * r + j]);
        expect(v).toBeCloseTo(want, 12);
      });
      out.sum().backward();
      // d sum(out) / d beta = sum_j (sum_k W2[k, j]) h_j^2 s (1 - s), s = sigmoid(beta h), in float64 here
      let gb = 0;
      const w2 = fc2.weight.data;
      const hd = h.data;
      for (let i = 0; i < hd.length; i++) {
        const j = i % 3;
        const s = sig(2 * hd[i]);
        gb += (w2[j] + w2[3 + j]) * hd[i] * hd[i] * s * (1 - s);
      }
      expect(sw.beta!.grad).not.toBeNull();
      expect(sw.beta!.grad!.item()).toBeCloseTo(gb, 10);
    }
    // one alpha per channel must match every hidden width: refused when built, not at the first forward
    const mlp = (hidden: number[], activation: unknown): nn.MLP =>
      new nn.MLP({ inputs: 2, hidden, outputs: 2, activation: activation as never });
    expect(() => mlp([5, 3], { name: 'prelu', alpha: [0.1, 0.2, 0.3, 0.4, 0.5] })).toThrow(
      /MLP: 'activation' has 5 PReLU alphas \(one per channel\), but hidden layer 2 has 3 units/,
    );
    expect(() => mlp([4, 4], new nn.PReLU({ numParameters: 3 }))).toThrow(/has 3 PReLU alphas .* layer 1 has 4 units/);
    expect(mlp([4, 4], () => new nn.PReLU({ numParameters: 4 })).activations).toHaveLength(2);
    // learnable with a module that cannot learn, or two flags that disagree: refused (both were silently dropped)
    expect(() => new nn.Activation('swish', { learnable: true })).toThrow(/needs a module that holds beta/);
    expect(() => nn.activation('swish', { learnable: true, learnBeta: false })).toThrow(/say different things/);
    // learnable swish beta (starting at swish's default beta 1 when none is given, as nn.Swish({ learnBeta: true }))
    expect((nn.activation({ name: 'swish', learnable: true }) as nn.Swish).beta!.data[0]).toBe(1);
    expect((nn.activation('silu', { learnBeta: true }) as nn.Swish).beta!.data[0]).toBe(1);
    const ls = nn.activation({ name: 'swish', beta: 1.2, learnable: true }) as nn.Swish;
    expect(ls.parameters()).toHaveLength(1);
    ls.to('float64');
    expect(gradcheck((v: Tensor) => ls.forward(v), [randn([5], { seed: 1, dtype: 'float64' }).requiresGrad_()])).toBe(true);
    expect(gradcheck(() => ls.forward(x), [ls.beta!])).toBe(true);
  });

  test('BatchNorm1d: batch stats in training (running stats move), running stats in eval', () => {
    const bn = new nn.BatchNorm1d(3, { dtype: 'float64' });
    const x = randn([16, 3], { seed: 4, dtype: 'float64' });
    const y = bn.forward(x);
    for (let c = 0; c < 3; c++) {
      let m = 0;
      for (let i = 0; i < 16; i++) m += y.data[i * 3 + c] / 16;
      expect(Math.abs(m)).toBeLessThan(1e-12);
    }
    expect(bn.runningMean!.data.some((v) => v !== 0)).toBe(true);
    const rm = bn.runningMean!.data.slice();
    bn.eval();
    const ye = bn.forward(x);
    expect(bn.runningMean!.data).toEqual(rm); // eval does not update
    expect(ye.data[0]).toBeCloseTo((x.data[0] - rm[0]) / Math.sqrt(bn.runningVar!.data[0] + 1e-5), 12);
    expect(bn.describe()).toBe('BatchNorm1d(3, eps=0.00001, momentum=0.1, affine=true)');
  });

  test('BatchNorm1d momentum null: running stats are the cumulative average of the batches (numBatchesTracked)', () => {
    const bn = new nn.BatchNorm1d(2, { momentum: null, dtype: 'float64' });
    expect(bn.momentum).toBeNull(); // was 0.1
    const batches = [1, 2, 3].map((seed) => randn([5, 2], { seed, dtype: 'float64' }));
    for (const x of batches) bn.forward(x);
    expect(bn.numBatchesTracked!.data[0]).toBe(3);
    for (let c = 0; c < 2; c++) {
      // running mean starts at 0 and var at 1, but batch 1 weighs 1: they are the plain averages over the batches
      let mean = 0;
      let uvar = 0;
      for (const x of batches) {
        const col = [0, 1, 2, 3, 4].map((i) => x.data[i * 2 + c]);
        const mu = col.reduce((a, v) => a + v, 0) / 5;
        mean += mu / 3;
        uvar += col.reduce((a, v) => a + (v - mu) ** 2, 0) / 4 / 3;
      }
      expect(bn.runningMean!.data[c]).toBeCloseTo(mean, 12);
      expect(bn.runningVar!.data[c]).toBeCloseTo(uvar, 12);
    }
    bn.eval();
    bn.forward(batches[0]);
    expect(bn.numBatchesTracked!.data[0]).toBe(3); // eval neither moves the stats nor counts
    expect(bn.describe()).toBe('BatchNorm1d(2, eps=0.00001, momentum=null, affine=true)');
    // the count is state: saved, rebuilt, copied; a module with a numeric momentum has no such key
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'runningMean', 'runningVar', 'numBatchesTracked']);
    expect(Object.keys(new nn.BatchNorm1d(2).stateDict())).toEqual(['weight', 'bias', 'runningMean', 'runningVar']);
    const back = nn.fromJSON(JSON.parse(JSON.stringify(bn.toJSON()))) as nn.BatchNorm1d;
    back.loadStateDict(JSON.parse(JSON.stringify(bn.stateDict({ plain: true }))));
    expect([back.momentum, back.numBatchesTracked!.data[0]]).toEqual([null, 3]);
    expect((nn.copyModule(bn) as nn.BatchNorm1d).numBatchesTracked!.data[0]).toBe(3);
    // a state without the count (as written before it existed) still loads; the count is left as it is
    const { numBatchesTracked: _n, ...old } = bn.stateDict();
    const fresh = new nn.BatchNorm1d(2, { momentum: null, dtype: 'float64' });
    fresh.loadStateDict(old);
    expect(Array.from(fresh.runningMean!.data)).toEqual(Array.from(bn.runningMean!.data));
    expect(fresh.numBatchesTracked!.data[0]).toBe(0);
    const badCount = { shape: [2], dtype: 'float64' as const, data: [1, 2] };
    expect(() => fresh.loadStateDict({ ...old, numBatchesTracked: badCount })).toThrow(/'numBatchesTracked'/);
    fresh.resetRunningStats();
    expect(Array.from(fresh.runningVar!.data)).toEqual([1, 1]);
    // the functional batchNorm keeps no count: null is refused, not read as 0.1
    const rm = tensor([0, 0], { dtype: 'float64' });
    const rv = tensor([1, 1], { dtype: 'float64' });
    expect(() => ops.batchNorm(batches[0], rm, rv, null, null, { momentum: null as any })).toThrow(
      new TypeError(
        "batchNorm: 'momentum' null (a cumulative moving average) is not supported by the functional batchNorm, " +
          'which keeps no batch count: use nn.BatchNorm1d({ momentum: null }) or pass 1 / n for batch n',
      ),
    );
    expect(Array.from(rm.data)).toEqual([0, 0]);
  });

  test('BatchNorm1d momentum null: a loaded numBatchesTracked must be a non-negative integer, or nothing loads', () => {
    // -1, NaN, -0.5 and 2.5 loaded, and the next forward threw "'momentum' must be in [0, 1], got Infinity" (or
    // used a weight 1 / 3.5)
    const x = tensor([1, 2, 3, 5], { shape: [2, 2], dtype: 'float64' });
    for (const c of [-1, NaN, -0.5, 2.5, 2 ** 53]) {
      const net = new nn.Sequential(new nn.Linear(2, 2, { seed: 1 }), new nn.BatchNorm1d(2, { momentum: null }));
      const bn = net.at(1) as nn.BatchNorm1d;
      const sd = net.stateDict({ plain: true });
      sd['1.runningMean'].data = [5, 6];
      sd['1.numBatchesTracked'].data = [c];
      expect(() => net.loadStateDict(sd)).toThrow(
        new RangeError(
          "loadStateDict: '1.numBatchesTracked' (the count of training batches) must be a non-negative integer, " +
            `got ${c}`,
        ),
      );
      expect([Array.from(bn.runningMean!.data), bn.numBatchesTracked!.data[0]]).toEqual([[0, 0], 0]);
      bn.forward(x.to('float32'));
      expect(bn.numBatchesTracked!.data[0]).toBe(1);
    }
    const bn = new nn.BatchNorm1d(2, { momentum: null, dtype: 'float64' });
    bn.loadStateDict({ ...bn.stateDict(), numBatchesTracked: { shape: [], dtype: 'float64', data: [4] } });
    bn.forward(x); // batch 5 weighs 1 / 5
    expect(bn.runningMean!.data[0]).toBeCloseTo(2 / 5, 15);
    expect(bn.runningMean!.data[1]).toBeCloseTo(3.5 / 5, 15);
    expect(bn.numBatchesTracked!.data[0]).toBe(5);
  });

  test('BatchNorm1d: a loaded running variance must be >= 0 (eval divides by its root), or nothing loads', () => {
    for (const v of [-1, -1e-30, NaN, -Infinity]) {
      const net = new nn.Sequential(new nn.Linear(2, 2, { seed: 1 }), new nn.BatchNorm1d(2));
      const sd = net.stateDict({ plain: true });
      sd['1.runningMean'].data = [5, 6];
      sd['1.runningVar'].data = [2, v];
      expect(() => net.loadStateDict(sd)).toThrow(
        new RangeError(`loadStateDict: '1.runningVar'[1] = ${v}: a running variance must be >= 0`),
      );
      const bn = net.at(1) as nn.BatchNorm1d;
      expect([Array.from(bn.runningMean!.data), Array.from(bn.runningVar!.data)]).toEqual([[0, 0], [1, 1]]);
    }
    const bn = new nn.BatchNorm1d(2);
    bn.loadStateDict({ ...bn.stateDict(), runningVar: { shape: [2], dtype: 'float32', data: [0, 3] } }); // 0 is fine
    expect(Array.from(bn.runningVar!.data)).toEqual([0, 3]);
  });

  test('BatchNorm1d momentum null: the batch count is float64 in a float32 module (exact past 2^24) and to()', () => {
    // it was a float32 buffer: 2^24 + 1 rounds back to 2^24, so the count stopped and the weight 1 / n with it
    const bn = new nn.BatchNorm1d(1, { momentum: null });
    expect(bn.weight!.dtype).toBe('float32');
    expect(bn.numBatchesTracked!.dtype).toBe('float64');
    bn.numBatchesTracked!.data[0] = 2 ** 24;
    bn.forward(tensor([1, 2], { shape: [2, 1] }));
    expect(bn.numBatchesTracked!.data[0]).toBe(2 ** 24 + 1);
    // to() converts the rest and leaves the count (as PyTorch's .to(dtype) leaves its int64 count)
    for (const dtype of ['float64', 'float32'] as const) {
      bn.to(dtype);
      expect([bn.weight!.dtype, bn.runningMean!.dtype, bn.numBatchesTracked!.dtype]).toEqual([dtype, dtype, 'float64']);
      expect(bn.numBatchesTracked!.data[0]).toBe(2 ** 24 + 1);
    }
    // saved, copied, rebuilt from JSON exactly; a float32 count (as written before) still loads, as does no count
    const sd = bn.stateDict();
    expect([sd.numBatchesTracked.dtype, sd.numBatchesTracked.data[0]]).toEqual(['float64', 2 ** 24 + 1]);
    expect((nn.copyModule(bn) as nn.BatchNorm1d).numBatchesTracked!.data[0]).toBe(2 ** 24 + 1);
    const back = nn.fromJSON(JSON.parse(JSON.stringify(bn.toJSON()))) as nn.BatchNorm1d;
    back.loadStateDict(JSON.parse(JSON.stringify(bn.stateDict({ plain: true }))));
    expect([back.numBatchesTracked!.dtype, back.numBatchesTracked!.data[0]]).toEqual(['float64', 2 ** 24 + 1]);
    back.loadStateDict({ ...sd, numBatchesTracked: { shape: [], dtype: 'float32', data: new Float32Array([7]) } });
    expect(back.numBatchesTracked!.data[0]).toBe(7);
    const { numBatchesTracked: _n, ...old } = sd;
    back.loadStateDict(old);
    expect(back.numBatchesTracked!.data[0]).toBe(7);
    // a module of several: every other buffer and parameter follows to()
    const net = new nn.Sequential(new nn.Linear(1, 1), new nn.BatchNorm1d(1, { momentum: null }));
    net.append(new nn.BatchNorm1d(1));
    net.to('float64');
    expect(net.namedParameters().concat(net.namedBuffers()).map(([k, t]) => `${k}:${t.dtype}`)).toEqual([
      '0.weight:float64', '0.bias:float64', '1.weight:float64', '1.bias:float64', '2.weight:float64', '2.bias:float64',
      '1.runningMean:float64', '1.runningVar:float64', '1.numBatchesTracked:float64',
      '2.runningMean:float64', '2.runningVar:float64',
    ]);
    net.to('float32');
    expect(net.buffers().map((t) => t.dtype)).toEqual(['float32', 'float32', 'float64', 'float32', 'float32']);
  });

  test('a misspelled option of a module is a RangeError naming it (it was ignored: { sed: 7 } gave an unseeded Dropout)', () => {
    const cases: [() => unknown, string][] = [
      [() => new nn.Linear(2, 2, { sed: 1 } as any), "Linear: unknown option 'sed' (known: bias, dtype, rng, seed)"],
      [() => new nn.Dropout(0.5, { sed: 7 } as any), "Dropout: unknown option 'sed' (known: rng, seed)"],
      [
        () => new nn.BatchNorm1d(2, { momentm: 0.2 } as any),
        "BatchNorm1d: unknown option 'momentm' (known: eps, momentum, affine, trackRunningStats, dtype)",
      ],
      [() => new nn.LeakyReLU({ alfa: 0.2 } as any), "LeakyReLU: unknown option 'alfa' (known: alpha, negativeSlope)"],
      [() => new nn.Swish({ bta: 2 } as any), "Swish: unknown option 'bta' (known: beta, learnBeta, dtype)"],
      [() => new nn.PReLU({ numParams: 3 } as any), "PReLU: unknown option 'numParams' (known: numParameters, init, dtype)"],
    ];
    for (const [make, msg] of cases) expect(make).toThrow(new RangeError(msg));
    expect(() => new nn.PReLU(null as any)).toThrow(/^PReLU: 'options' must be an object such as .*, got null$/);
    // the spelled-right options still work, and a BatchNorm1d still goes through toJSON / fromJSON
    const masks = [1, 2].map(() => new nn.Dropout(0.5, { seed: 7 }).forward(tensor(new Float32Array(16).fill(1))).data);
    expect(masks[0]).toEqual(masks[1]);
    const bn = new nn.BatchNorm1d(3, { momentum: null, eps: 1e-3, dtype: 'float64' });
    expect(nn.fromJSON(bn.toJSON()).toJSON()).toEqual(bn.toJSON());
  });

  test('BatchNorm1d checks its options when constructed: TypeError for non-numbers, RangeError out of range', () => {
    const bad = (o: unknown) => () => new nn.BatchNorm1d(3, o as any);
    expect(bad({ momentum: '0.5' })).toThrow(/BatchNorm1d: 'momentum' must be a number or null, got string/);
    expect(bad({ eps: '1e-5' })).toThrow(/BatchNorm1d: 'eps' must be a number, got string/);
    expect(bad({ eps: [1] })).toThrow(/'eps' must be a number, got object/);
    expect(bad({ eps: Infinity })).toThrow(/'eps' must be a positive finite number, got Infinity/);
    expect(() => new nn.BatchNorm1d(3, { eps: 0 })).toThrow(RangeError);
    expect(() => new nn.BatchNorm1d(3, { momentum: NaN })).toThrow(RangeError);
    expect(() => new nn.BatchNorm1d(3, { momentum: 1.5 })).toThrow(/'momentum' must be in \[0, 1\], got 1.5/);
    expect(() => new nn.BatchNorm1d(3, { affine: 'false' as any })).toThrow(/'affine' must be a boolean/);
    expect(bad({ trackRunningStats: 0 })).toThrow(/'trackRunningStats' must be a boolean/);
    expect(() => new nn.BatchNorm1d(3, 'x' as any)).toThrow(/'options' must be an object/);
    const bn = new nn.BatchNorm1d(3, { eps: 1e-3, momentum: 0 });
    expect([bn.eps, bn.momentum]).toEqual([1e-3, 0]);
  });

  test('float64 survives toJSON -> fromJSON -> loadStateDict (BatchNorm1d, PReLU, Swish, Sequential, MLP.to)', () => {
    const x = randn([4, 3], { dtype: 'float64', seed: 1 });
    const made: [string, () => nn.Module][] = [
      ['BatchNorm1d', () => new nn.BatchNorm1d(3, { dtype: 'float64' })],
      ['PReLU', () => new nn.PReLU({ dtype: 'float64', init: 0.1 })],
      ['PReLU per channel', () => new nn.PReLU({ dtype: 'float64', init: [0.1, 0.2, 0.3] })],
      ['Swish learnBeta', () => new nn.Swish({ learnBeta: true, beta: 1.1, dtype: 'float64' })],
      [
        'Sequential',
        () =>
          new nn.Sequential(
            new nn.Linear(3, 3, { dtype: 'float64', seed: 1 }),
            new nn.BatchNorm1d(3, { dtype: 'float64' }),
          ),
      ],
      [
        'MLP.to',
        () => {
          const opts: nn.MLPOptions = { inputs: 3, hidden: [3], outputs: 2, seed: 1, activation: 'prelu' };
          opts.batchNorm = true;
          return new nn.MLP(opts).to('float64');
        },
      ],
    ];
    for (const [name, make] of made) {
      const m = make();
      // values that float32 would round
      for (const p of m.parameters()) for (let i = 0; i < p.numel; i++) p.data[i] += 0.1 + i / 3;
      const m2 = nn.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
      m2.loadStateDict(m.stateDict());
      const dtypes = [...m2.parameters(), ...m2.buffers()].map((t) => t.dtype);
      expect([name, dtypes.every((d) => d === 'float64')]).toEqual([name, true]);
      const y = m.forward(x);
      const y2 = m2.forward(x);
      expect(y2.dtype).toBe('float64');
      expect([name, Array.from(y2.data)]).toEqual([name, Array.from(y.data)]);
      expect(m2.config()).toEqual(m.config());
    }
    const mlp = new nn.MLP({ inputs: 3, hidden: [3], outputs: 2, seed: 1 });
    expect([mlp.dtype, mlp.config().dtype]).toEqual(['float32', 'float32']);
    mlp.to('float64');
    expect([mlp.dtype, mlp.config().dtype]).toEqual(['float64', 'float64']);
    expect(new nn.BatchNorm1d(3).config().dtype).toBe('float32');
    expect(new nn.Swish({ beta: 1.5 }).config()).toEqual({ name: 'swish', beta: 1.5, learnBeta: false });
  });

  test('Dropout module: active in training only, reproducible with a seed', () => {
    const x = tensor(new Float32Array(1000).fill(1), { shape: [10, 100] });
    const d1 = new nn.Dropout(0.5, { seed: 3 });
    const d2 = new nn.Dropout(0.5, { seed: 3 });
    expect(d1.forward(x).data).toEqual(d2.forward(x).data);
    d1.eval();
    expect(d1.forward(x)).toBe(x);
  });

  test('nn.activation: prelu\'s alpha is checked under its own name, inner and a bogus dtype are refused', () => {
    expect(() => nn.activation({ name: 'prelu', alpha: 'a' } as any)).toThrow(
      /^prelu: parameter 'alpha' must be a number or a non-empty array/,
    );
    expect(() => nn.activation({ name: 'prelu', alpha: 'a' } as any)).toThrow(TypeError);
    expect(() => nn.activation({ name: 'prelu', alpha: [0.1, 0.2], inner: 3 } as any)).toThrow(
      /prelu: parameter 'inner' does not apply to the PReLU module/,
    );
    expect(() => nn.activation({ name: 'relu', dtype: 'int8' } as any)).toThrow(
      new TypeError(`relu: 'dtype' must be 'float32' or 'float64', got "int8"`),
    );
    expect((nn.activation({ name: 'prelu', alpha: [0.1, 0.2] }) as nn.PReLU).config()).toMatchObject({ numParameters: 2 });
  });

  test('nn.init: bounds and values as torch.nn.init; bad arguments are TypeError/RangeError naming them', () => {
    const w = tensor(new Float64Array(600), { shape: [20, 30] });
    nn.init.uniform_(w, -0.5, 0.25, { seed: 1 });
    expect(Math.min(...w.data)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...w.data)).toBeLessThan(0.25);
    nn.init.kaimingUniform_(w, 0, { seed: 2 });
    expect(Math.max(...w.data.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 30));
    expect(Math.max(...w.data.map(Math.abs))).toBeGreaterThan(0.9 * Math.sqrt(6 / 30));
    nn.init.xavierUniform_(w, 2, { seed: 3 });
    expect(Math.max(...w.data.map(Math.abs))).toBeLessThanOrEqual(2 * Math.sqrt(6 / 50));
    nn.init.normal_(w, 3, 0, { seed: 4 });
    expect(new Set(w.data)).toEqual(new Set([3]));
    nn.init.constant_(w, -1);
    expect(new Set(w.data)).toEqual(new Set([-1]));
    const before = Array.from(w.data);
    const bad: [() => unknown, RegExp, ErrorConstructor][] = [
      [() => nn.init.uniform_(w, 1, -1), /uniform_: 'low' \(1\) must not exceed 'high' \(-1\)/, RangeError],
      [() => nn.init.uniform_(w, 0, NaN), /uniform_: 'high' must be finite, got NaN/, RangeError],
      [() => nn.init.uniform_(null as any, 0, 1), /uniform_: 'tensor' must be a Tensor, got null/, TypeError],
      [() => nn.init.normal_(w, 'a' as any), /normal_: 'mean' must be a number, got string/, TypeError],
      [() => nn.init.normal_(w, 0, -2), /normal_: 'std' must be >= 0, got -2/, RangeError],
      [() => nn.init.constant_(w, 'x' as any), /constant_: 'value' must be a number, got string/, TypeError],
      [() => nn.init.kaimingUniform_(w, NaN), /kaimingUniform_: 'a' must be finite, got NaN/, RangeError],
      [() => nn.init.xavierUniform_(w, Infinity), /xavierUniform_: 'gain' must be finite/, RangeError],
      [() => nn.init.fans([1, 2] as any), /fans: 'tensor' must be a Tensor/, TypeError],
    ];
    for (const [f, msg, type] of bad) {
      expect(f).toThrow(msg);
      expect(f).toThrow(type);
    }
    expect(Array.from(w.data)).toEqual(before); // nothing was written
  });

  test('nn.init: fan_in/fan_out count the receptive field; xavier/kaiming bounds are reached, not only kept', () => {
    // torch.nn.init._calculate_fan_in_and_fan_out: [out, in, ...k] -> fan_in = in * prod(k), fan_out = out * prod(k)
    const conv = tensor(new Float64Array(4 * 3 * 5 * 2), { shape: [4, 3, 5, 2] });
    expect(nn.init.fans(conv)).toEqual({ fanIn: 3 * 5 * 2, fanOut: 4 * 5 * 2 });
    expect(nn.init.fans(tensor(new Float64Array(12), { shape: [4, 3] }))).toEqual({ fanIn: 3, fanOut: 4 });
    expect(nn.init.fans(tensor(new Float64Array(24), { shape: [4, 3, 2] }))).toEqual({ fanIn: 6, fanOut: 8 });
    // U(-b, b) with many draws: max |w| lies in (0.97 b, b] (a wrong fan moves b by far more than 3%)
    const reach = (t: Tensor, b: number) => {
      const m = Math.max(...t.data.map(Math.abs));
      expect(m).toBeLessThanOrEqual(b);
      expect(m).toBeGreaterThan(0.97 * b);
    };
    const w = tensor(new Float64Array(10 * 40), { shape: [10, 40] }); // fan_in 40, fan_out 10
    nn.init.xavierUniform_(w, 1.5, { seed: 5 });
    reach(w, 1.5 * Math.sqrt(6 / (40 + 10)));
    nn.init.kaimingUniform_(w, 0.5, { seed: 6 });
    reach(w, Math.sqrt(2 / (1 + 0.25)) * Math.sqrt(3 / 40));
    nn.init.xavierUniform_(conv, 1, { seed: 7 });
    reach(conv, Math.sqrt(6 / (30 + 40)));
    nn.init.kaimingUniform_(conv, 0, { seed: 8 });
    reach(conv, Math.sqrt(2) * Math.sqrt(3 / 30));
    // low == high is allowed (as torch's uniform_(t, 1, 1)): every value is that number
    nn.init.uniform_(w, 0.25, 0.25, { seed: 9 });
    expect(new Set(w.data)).toEqual(new Set([0.25]));
  });

  test('loadStateDict counts as an in-place write (a pending backward refuses); to() drops gradients; buffers', () => {
    const lin = new nn.Linear(3, 2, { seed: 1, dtype: 'float64' });
    const sd = new nn.Linear(3, 2, { seed: 2, dtype: 'float64' }).stateDict();
    const x = randn([4, 3], { seed: 3, dtype: 'float64', requiresGrad: true });
    const loss = lin.forward(x).sum(); // saves the weight for x's gradient
    const v = lin.weight.version;
    lin.loadStateDict(sd);
    expect(lin.weight.version).toBeGreaterThan(v);
    expect(() => loss.backward()).toThrow(/modified|version/);
    // to(dtype) replaces the data: a gradient of the old dtype is dropped (an optimizer would refuse it)
    lin.forward(x).sum().backward();
    expect(lin.weight.grad).not.toBeNull();
    lin.to('float32');
    expect(lin.parameters().map((p) => p.grad)).toEqual([null, null]);
    expect(lin.weight.dtype).toBe('float32');
    // a registered buffer stays a buffer even when its tensor requires grad (as PyTorch's register_buffer)
    class M extends nn.Module {
      constructor() {
        super();
        this.registerBuffer('stat', tensor([1, 2], { requiresGrad: true }));
      }
      forward(t: Tensor): Tensor {
        return t;
      }
    }
    const m = new M();
    expect(m.namedParameters()).toEqual([]);
    expect(m.namedBuffers().map(([k]) => k)).toEqual(['stat']);
  });

  test('BatchNorm1d/Dropout boundaries: no running stats uses batch stats in eval; momentum 1; Dropout(1)', () => {
    const x = randn([8, 2], { seed: 11, dtype: 'float64' });
    const n = 8;
    const mean = [0, 1].map((c) => Array.from({ length: n }, (_, i) => x.data[i * 2 + c]).reduce((a, b) => a + b) / n);
    const col = (c: number) => Array.from({ length: n }, (_, i) => x.data[i * 2 + c]);
    const ss = [0, 1].map((c) => col(c).reduce((a, v) => a + (v - mean[c]) ** 2, 0));
    const normed = Array.from(x.data, (v, i) => (v - mean[i % 2]) / Math.sqrt(ss[i % 2] / n + 1e-5));
    // trackRunningStats false: eval normalizes with the batch's own statistics (as PyTorch)
    const free = new nn.BatchNorm1d(2, { trackRunningStats: false, dtype: 'float64' }).eval();
    Array.from(free.forward(x).data).forEach((v, i) => expect(v).toBeCloseTo(normed[i], 12));
    // momentum 1 is allowed: the running stats become the last batch's (unbiased variance, as PyTorch)
    const bn = new nn.BatchNorm1d(2, { momentum: 1, dtype: 'float64' });
    bn.forward(x);
    [0, 1].forEach((c) => {
      expect(bn.runningMean!.data[c]).toBeCloseTo(mean[c], 12);
      expect(bn.runningVar!.data[c]).toBeCloseTo(ss[c] / (n - 1), 12);
    });
    // Dropout(1) is allowed: every value dropped in training, the identity in eval
    const d = new nn.Dropout(1, { seed: 3 });
    expect(Array.from(d.forward(x).data).every((v) => v === 0)).toBe(true);
    expect(Array.from(d.eval().forward(x).data)).toEqual(Array.from(x.data));
  });

  test('layer constructors: TypeError for a wrong type, RangeError out of range; ModuleList.at checks its index', () => {
    expect(() => new nn.Dropout('0.5' as any)).toThrow(new TypeError(`Dropout: 'p' must be a number, got string`));
    expect(() => new nn.Dropout(1.5)).toThrow(RangeError);
    expect(() => new nn.Dropout(0.5, null as any)).toThrow(new TypeError(`Dropout: 'options' must be an object`));
    expect(() => new nn.BatchNorm1d('4' as any)).toThrow(
      new TypeError(`BatchNorm1d: 'numFeatures' must be a number, got string`),
    );
    expect(() => new nn.BatchNorm1d(0)).toThrow(RangeError);
    // a string where a number belongs is a TypeError that shows the string (was a RangeError "... got 3")
    expectErrors([
      [
        () => new nn.Linear('3' as any, 3),
        TypeError,
        /^TypeError: Linear: 'inFeatures' must be a number, got string "3"$/,
      ],
      [() => new nn.Linear(3, null as any), TypeError, /^TypeError: Linear: 'outFeatures' must be a number, got null$/],
      [() => new nn.Linear(3, 2.5), RangeError, /Linear: 'outFeatures' must be a non-negative integer, got 2.5/],
      [
        () => new nn.PReLU({ numParameters: '3' as any }),
        TypeError,
        /^TypeError: PReLU: 'numParameters' must be a number, got string "3"$/,
      ],
      [() => new nn.PReLU({ numParameters: 0 }), RangeError, /'numParameters' must be a positive integer, got 0/],
      [
        () => ops.dropout(randn([2, 2]), '0.5' as any),
        TypeError,
        /^TypeError: dropout: 'p' must be a number, got string "0.5"$/,
      ],
      [() => ops.dropout(randn([2, 2]), 1.5), RangeError, /dropout: 'p' must be in \[0, 1\], got 1.5/],
      [
        () => new SGD([{ params: new nn.Parameter(tensor([1])) as any }], { lr: 0.1 }),
        TypeError,
        /SGD: a parameter group's 'params' must be an array of Tensors, got a Tensor \(write params: \[t\]\)/,
      ],
      [() => new SGD([{ params: 5 as any }], { lr: 0.1 }), TypeError, /'params' must be an array of Tensors, got num/],
      // an MLP without hidden layers never builds its activation; the name and parameters are checked all the same
      [() => new nn.MLP({ inputs: 2, outputs: 2, activation: 'nosuch' }), RangeError, /unknown activation 'nosuch'/],
      [
        () => new nn.MLP({ inputs: 2, outputs: 2, activation: { name: 'leaky_relu', alpha: 'x' as any } }),
        TypeError,
        /leaky_relu: parameter 'alpha' must be a finite number/,
      ],
    ]);
    const noHidden = new nn.MLP({ inputs: 2, outputs: 2, activation: { name: 'leaky_relu', alpha: 0.2 } });
    expect(noHidden.activations).toEqual([]);
    const a = new nn.Tanh();
    const b = new nn.ReLU();
    const list = new nn.ModuleList([a, b]);
    expect(list.at(0)).toBe(a);
    expect(list.at(-1)).toBe(b);
    for (const i of [2, -3, 0.5]) expect(() => list.at(i)).toThrow(new RangeError(`ModuleList.at: index ${i} out of range`));
    expect(() => new nn.Sequential(a).at(1)).toThrow(new RangeError('Sequential.at: index 1 out of range'));
  });

  test('MLP: structure, fused forward equals Linear + activation modules, describe/toJSON/fromJSON', () => {
    const mlp = new nn.MLP({ inputs: 7, hidden: [6, 5], outputs: 3, activation: 'tanh', seed: 11 });
    expect(mlp.namedChildren().map(([k]) => k)).toEqual(['fc1', 'act1', 'fc2', 'act2', 'fc3']);
    const seq = new nn.Sequential(
      new nn.Linear(7, 6, { seed: 0 }),
      new nn.Tanh(),
      new nn.Linear(6, 5, { seed: 0 }),
      new nn.Tanh(),
      new nn.Linear(5, 3, { seed: 0 }),
    );
    seq.loadStateDict(Object.fromEntries(Object.entries(mlp.stateDict()).map(([k, v]) => [k.replace(/^fc(\d)/, (_, d) => String((Number(d) - 1) * 2)), v])));
    const x = randn([9, 7], { seed: 12 }).requiresGrad_();
    const a = mlp.forward(x);
    const b = seq.forward(x);
    Array.from(a.data).forEach((v, i) => expect(Math.abs(v - b.data[i])).toBeLessThan(1e-6));
    expect(a.gradFn!.name).toBe('LinearActBackward');
    expect((a.gradFn!.next[0] as any).name).toBe('LinearActBackward'); // act2 fused into fc2's GEMM
    a.sum().backward();
    const gx = x.grad!.data.slice();
    x.zeroGrad();
    b.sum().backward();
    Array.from(x.grad!.data).forEach((v, i) => expect(Math.abs(v - gx[i])).toBeLessThan(1e-5));
    expect(mlp.describe()).toBe(
      [
        'MLP(inputs=7, hidden=[6, 5], outputs=3',
        '  (fc1): Linear(in_features=7, out_features=6, bias=true)',
        '  (act1): Tanh()',
        '  (fc2): Linear(in_features=6, out_features=5, bias=true)',
        '  (act2): Tanh()',
        '  (fc3): Linear(in_features=5, out_features=3, bias=true)',
        ')',
      ].join('\n'),
    );
    const j = JSON.parse(JSON.stringify(new nn.MLP({ inputs: 4, hidden: [3], outputs: 2, activation: { name: 'leaky_relu', alpha: 0.05 }, dropout: 0.2 })));
    expect(j.config).toMatchObject({ inputs: 4, hidden: [3], outputs: 2, activation: { name: 'leaky_relu', alpha: 0.05 }, dropout: 0.2 });
    const rebuilt = nn.fromJSON(j) as nn.MLP;
    expect(rebuilt.describe()).toBe(nn.fromJSON(rebuilt.toJSON()).describe());
    expect((rebuilt as any).act1.spec.params.alpha).toBe(0.05);
    expect(nn.fromJSON(seq.toJSON()).describe()).toBe(seq.describe());
    expect(() => nn.fromJSON({ type: 'Conv9d', config: {} })).toThrow(/unknown module type 'Conv9d'/);
    // an inherited name is no builder ('constructor' gave "m.namedModules is not a function")
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(() => nn.fromJSON({ type, config: {} })).toThrow(new RegExp(`unknown module type '${type}'`));
    }
    expect(() => new nn.MLP({ inputs: 0, outputs: 2 })).toThrow(/'inputs'/);
    expect(() => new nn.MLP({ inputs: 2, outputs: 2, hidden: [3], dropout: 1 })).toThrow(/'dropout'/);
    expect(() => new nn.MLP({ inputs: 2, outputs: 2, units: 3 } as any)).toThrow(/unknown option 'units'/);
  });

  test('MLP variants (prelu, learnable swish, batchNorm + dropout, float64) pass gradcheck through every parameter', () => {
    const variants: any[] = [
      { activation: 'prelu' },
      { activation: { name: 'swish', beta: 1.3, learnable: true } },
      { activation: 'elu', batchNorm: true },
      { activation: 'relu' },
      { activation: 'sigmoid', dropout: 0.3 },
      { activation: () => new nn.Softplus({ beta: 2 }) },
    ];
    for (const v of variants) {
      const mlp = new nn.MLP({ inputs: 3, hidden: [4, 3], outputs: 2, seed: 5, dtype: 'float64', ...v });
      const x = randn([6, 3], { seed: 6, dtype: 'float64' });
      const y = [0, 1, 1, 0, 1, 0];
      const params = mlp.parameters();
      const names = mlp.namedParameters().map(([k]) => k);
      if (v.activation === 'prelu') expect(names).toEqual(expect.arrayContaining(['act1.weight', 'act2.weight']));
      if (v.activation.learnable) expect(names).toEqual(expect.arrayContaining(['act1.beta', 'act2.beta']));
      if (v.batchNorm) expect(names).toEqual(expect.arrayContaining(['bn1.weight', 'bn1.bias']));
      const fn = () => {
        // dropout: re-seed the mask stream on every evaluation so that the function is deterministic
        for (const m of mlp.modules()) if (m instanceof nn.Dropout) m.rng = new Rng(99);
        return ops.crossEntropy(mlp.forward(x), y);
      };
      expect(gradcheck(fn, params)).toBe(true);
    }
  });

  test('a custom-Function ReLU inside an MLP trains exactly like the built-in relu', () => {
    // The seed notebook's ReLU_layer: save the input, clamp(min=0) forward, zero the gradient where input < 0.
    class ReLULayer extends Function {
      static override forward(ctx: Context, input: Tensor): Tensor {
        ctx.saveForBackward(input);
        const out = new Float32Array(input.numel);
        for (let i = 0; i < out.length; i++) out[i] = Math.max(input.data[i], 0);
        return new Tensor(out, input.shape);
      }
      static override backward(ctx: Context, gradOut: Tensor): Tensor {
        const [input] = ctx.savedTensors;
        const g = gradOut.clone();
        for (let i = 0; i < g.numel; i++) if (input.data[i] < 0) g.data[i] = 0;
        return g;
      }
    }
    class MyReLU extends nn.Module {
      forward(x: Tensor): Tensor {
        return ReLULayer.apply(x);
      }
    }
    // the notebook's first check: linear(2,3) -> relu -> linear(3,1) on ones(1,2)
    const l1 = new nn.Linear(2, 3, { seed: 0 });
    const l2 = new nn.Linear(3, 1, { seed: 1 });
    const out = l2.forward(new MyReLU().forward(l1.forward(tensor([[1, 1]]))));
    out.backward();
    for (let j = 0; j < 3; j++) {
      const pre = l1.weight.data[2 * j] + l1.weight.data[2 * j + 1] + l1.bias!.data[j];
      const expected = pre < 0 ? 0 : l2.weight.data[j];
      expect(l1.weight.grad!.data[2 * j]).toBe(Math.fround(expected));
    }

    const X = randn([64, 20], { seed: 21 });
    const y = Int32Array.from({ length: 64 }, (_, i) => (X.data[i * 20] + X.data[i * 20 + 1] > 0 ? 1 : 0) + (i % 3 === 0 ? 2 : 0));
    const curve = (activation: any): number[] => {
      const model = new nn.MLP({ inputs: 20, hidden: [16, 8], outputs: 4, activation, seed: 7 });
      const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const losses: number[] = [];
      for (let s = 0; s < 8; s++) {
        const loss = ops.crossEntropy(model.forward(X), y);
        losses.push(loss.item());
        opt.zeroGrad();
        loss.backward();
        opt.step();
      }
      return losses;
    };
    const builtin = curve('relu');
    const custom = curve(() => new MyReLU());
    expect(custom).toEqual(builtin); // bit for bit
    expect(builtin[7]).toBeLessThan(builtin[0]);
  });

  test('a small MLP learns a 2-class problem (two moons-like) to > 95% accuracy', () => {
    const rng = new Rng(2024);
    const n = 200;
    const X = new Float32Array(n * 2);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % 2;
      const t = Math.PI * rng.random();
      X[2 * i] = (c ? 1 - Math.cos(t) : Math.cos(t)) + 0.1 * rng.normal();
      X[2 * i + 1] = (c ? 0.5 - Math.sin(t) : Math.sin(t)) + 0.1 * rng.normal();
      y[i] = c;
    }
    const model = new nn.MLP({ inputs: 2, hidden: [16, 16], outputs: 2, activation: 'relu', seed: 3 });
    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const xt = tensor(X, { shape: [n, 2] });
    for (let step = 0; step < 300; step++) {
      const loss = ops.crossEntropy(model.forward(xt), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }
    const pred = noGrad(() => model.forward(xt)).argmax(1);
    let right = 0;
    for (let i = 0; i < n; i++) if (pred[i] === y[i]) right++;
    expect(right / n).toBeGreaterThan(0.95);
  });

  test('XOR with Adam-free plain SGD and tanh', () => {
    const xt = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = [0, 1, 1, 0];
    const model = new nn.MLP({ inputs: 2, hidden: [8], outputs: 2, activation: 'tanh', seed: 1 });
    const opt = new SGD(model.parameters(), { lr: 0.5 });
    const lossFn = new nn.CrossEntropyLoss();
    let loss = 0;
    for (let step = 0; step < 300; step++) {
      const l = lossFn.forward(model.forward(xt), y);
      loss = l.item();
      opt.zeroGrad();
      l.backward();
      opt.step();
    }
    expect(loss).toBeLessThan(0.05);
    expect(Array.from(noGrad(() => model.forward(xt)).argmax(1))).toEqual(y);
  });

  test('MLP seeding: weights do not depend on dropout; dropout masks repeat with the seed', () => {
    const plain = new nn.MLP({ inputs: 5, hidden: [4], outputs: 2, seed: 8 });
    const drop = new nn.MLP({ inputs: 5, hidden: [4], outputs: 2, seed: 8, dropout: 0.5 });
    expect(drop.linears[0].weight.data).toEqual(plain.linears[0].weight.data);
    expect(drop.namedChildren().map(([k]) => k)).toEqual(['fc1', 'act1', 'drop1', 'fc2']);
    const x = randn([32, 5], { seed: 1 });
    const again = new nn.MLP({ inputs: 5, hidden: [4], outputs: 2, seed: 8, dropout: 0.5 });
    expect(again.forward(x).data).toEqual(drop.forward(x).data);
    expect(drop.forward(x).data).not.toEqual(plain.forward(x).data);
    drop.eval();
    expect(drop.forward(x).data).toEqual(plain.forward(x).data);
  });

  test('Module.to(dtype) and MLP in float64', () => {
    const m = new nn.MLP({ inputs: 3, hidden: [2], outputs: 2, seed: 1 });
    const w = Array.from(m.linears[0].weight.data);
    m.to('float64');
    expect(m.parameters().every((p) => p.dtype === 'float64')).toBe(true);
    expect(Array.from(m.linears[0].weight.data)).toEqual(w);
    expect(m.forward(randn([2, 3], { dtype: 'float64' })).dtype).toBe('float64');
    expect(() => m.forward(randn([2, 3]))).toThrow(TypeError);
  });

  test('loss modules', () => {
    const logits = tensor([[1, 2, 3]]);
    expect(new nn.CrossEntropyLoss().forward(logits, [2]).item()).toBeCloseTo(ops.crossEntropy(logits, [2]).item(), 7);
    expect(new nn.MSELoss({ reduction: 'sum' }).forward(tensor([1, 2]), tensor([0, 0])).item()).toBe(5);
    expect(new nn.NLLLoss().forward(logits.logSoftmax(), [0]).item()).toBeCloseTo(ops.crossEntropy(logits, [0]).item(), 6);
    expect(new nn.Flatten().forward(randn([2, 3, 4])).shape).toEqual([2, 12]);
  });
  test('activation modules refuse options that are not objects (a positional number was dropped)', () => {
    const N = nn as any; // the calls below are the JavaScript mistakes the types rule out
    expectErrors([
      [() => new N.ELU(0.5), TypeError, /^TypeError: ELU: 'options' must be an object such as \{ alpha: 0.5 \}, got/],
      [() => new N.CELU(0.5), TypeError, /CELU: 'options' must be an object such as \{ alpha: 0.5 \}, got number/],
      [() => new N.Softplus(2), TypeError, /Softplus: 'options' must be an object such as \{ beta: 2 \}, got number 2/],
      [() => new N.GELU(true), TypeError, /GELU: 'options' .* got boolean true/],
      [() => new N.Swish(1.5), TypeError, /Swish: 'options' .* got number 1.5/],
      [() => new N.Swish(null), TypeError, /Swish: 'options' .* got null/],
      [() => new N.ELU([0.5]), TypeError, /ELU: 'options' .* got Array/],
      [() => new N.LeakyReLU('0.2'), TypeError, /LeakyReLU: 'options' .*\{ alpha: 0.2 \}.* got string "0.2"/],
      [() => new N.LeakyReLU(null), TypeError, /LeakyReLU: 'options' .* got null/],
      [() => new N.PReLU(3), TypeError, /PReLU: 'options' .* got number 3/],
      [() => N.activation('leaky_relu', 0.2), TypeError, /activation: 'params' must be an object .* number 0.2/],
      [() => N.activation('elu', 0.5), TypeError, /activation: 'params' .* got number 0.5/],
      [() => N.activation({ name: 'elu' }, 'x'), TypeError, /activation: 'params' .* got string "x"/],
    ]);
    // the forms that work are unchanged
    expect(new nn.LeakyReLU(0.2).config()).toEqual({ name: 'leaky_relu', alpha: 0.2 });
    expect(new nn.ELU({ alpha: 0.5 }).config()).toEqual({ name: 'elu', alpha: 0.5 });
    expect(new nn.ELU().config()).toEqual({ name: 'elu', alpha: 1 });
    expect(nn.activation('elu', { alpha: 0.5 }).config()).toEqual({ name: 'elu', alpha: 0.5 });
    expect(nn.activation('elu', undefined).config()).toEqual({ name: 'elu', alpha: 1 });
  });

  test("activation modules' forward refuses what is not a Tensor, before the engine or the kernel", () => {
    const bad: unknown[] = [undefined, null, Float32Array.of(-1, 2), [-1, 2], { data: [-1, 2], shape: [2] }];
    const mods: [nn.Module, string][] = [
      [new nn.ReLU(), 'relu'],
      [new nn.Tanh(), 'tanh'],
      [nn.activation('swish'), 'swish'],
      [new nn.GELU({ approximate: 'tanh' }), 'gelu'],
      [new nn.Swish({ learnBeta: true }), 'Swish'],
      [new nn.PReLU(), 'PReLU'],
      [new nn.PReLU({ numParameters: 2 }), 'PReLU'],
    ];
    for (const [m, where] of mods) {
      for (const x of bad) {
        const re = new RegExp(`^TypeError: ${where}: 'input' must be a Tensor, got `);
        expectErrors([[() => m.forward(x as Tensor), TypeError, re]]);
      }
    }
  });
  test('ModuleList, copyModule, loadStateDict and huge layers name the bad argument (engine errors before)', () => {
    const N = nn as any;
    const lin = new nn.Linear(2, 2, { seed: 1 });
    expectErrors([
      [() => new N.ModuleList(5), TypeError, /^TypeError: ModuleList: 'modules' must be an array of Modules, got num/],
      [() => new N.ModuleList(null), TypeError, /ModuleList: 'modules' .* got null/],
      [() => new N.ModuleList([new nn.ReLU(), 3]), TypeError, /ModuleList: every entry must be a Module/],
      [() => N.copyModule(undefined), TypeError, /^TypeError: copyModule: .* must be a Module, got undefined$/],
      [() => N.copyModule({ toJSON: () => ({}) }), TypeError, /copyModule: .* must be a Module, got Object/],
      [() => new nn.Linear(1e5, 1e5), RangeError, /^RangeError: Linear: 'outFeatures x inFeatures' .* too many/],
      [() => new nn.BatchNorm1d(2 ** 40), RangeError, /^RangeError: BatchNorm1d: 'numFeatures' .* too many elements/],
      [() => lin.loadStateDict(lin.stateDict(), null as any), TypeError, /loadStateDict: 'options' .* got null/],
      [() => lin.loadStateDict(lin.stateDict(), { strct: false } as any), RangeError, /unknown option 'strct'/],
      [() => lin.loadStateDict(lin.stateDict(), { strict: 'no' } as any), TypeError, /'strict' must be a boolean/],
    ]);
    // what worked still does: an array or another iterable of modules, a copy, strict: false
    expect(new nn.ModuleList([new nn.ReLU(), new nn.Tanh()]).length).toBe(2);
    expect(new nn.ModuleList(new Set([new nn.ReLU()])).length).toBe(1);
    expect(new nn.ModuleList().length).toBe(0);
    expect(nn.copyModule(lin).stateDict()).toEqual(lin.stateDict());
    const sd = lin.stateDict();
    delete (sd as any).bias;
    expect(() => lin.loadStateDict(sd, { strict: false })).not.toThrow();
  });
});

describe(`one seed's streams, initializer options and ranges, BatchNorm/Dropout options (${backend().name})`, () => {
  test('Rng.jump is xoshiro128**\'s 2^64-step jump: the transition matrix over GF(2) raised to 2^64', () => {
    // the state as a 128-bit vector (word i at bits 32i..32i+31); column j of the matrix is the image of bit j
    const toBits = (s: number[]): bigint => s.reduce((acc, w, i) => acc | (BigInt(w >>> 0) << BigInt(32 * i)), 0n);
    const fromBits = (b: bigint): [number, number, number, number] =>
      [0, 1, 2, 3].map((i) => Number((b >> BigInt(32 * i)) & 0xffffffffn)) as [number, number, number, number];
    const step = (b: bigint): bigint => {
      const r = new Rng(0).setState({ s: fromBits(b), spare: null });
      // setState refuses the all-zero state; the transition is linear, so a single bit's image is all we need
      r.nextUint32();
      return toBits(r.getState().s);
    };
    const apply = (cols: bigint[], v: bigint): bigint => {
      let r = 0n;
      for (let j = 0; v !== 0n; j++, v >>= 1n) if (v & 1n) r ^= cols[j];
      return r;
    };
    let cols = Array.from({ length: 128 }, (_, j) => step(1n << BigInt(j)));
    for (let k = 0; k < 64; k++) cols = cols.map((c) => apply(cols, c)); // square: M^(2^(k+1))
    for (const seed of [0, 1, -7, 2 ** 40 + 3]) {
      const r = new Rng(seed);
      const want = fromBits(apply(cols, toBits(r.getState().s)));
      expect(r.jump().getState().s).toEqual(want);
    }
  });

  test('streamFor: the weights keep new Rng(seed); shuffles and dropout masks get streams of their own', () => {
    const draws = (r: Rng): number[] => Array.from({ length: 64 }, () => r.nextUint32());
    expect(draws(streamFor(5, Purpose.weights))).toEqual(draws(new Rng(5)));
    expect(draws(streamFor(5, Purpose.shuffle))).toEqual(draws(new Rng(5).jump()));
    expect(draws(streamFor(5, Purpose.dropout))).toEqual(draws(new Rng(5).jump().jump()));
    const w = draws(new Rng(5));
    for (const p of [Purpose.shuffle, Purpose.dropout]) {
      const d = draws(streamFor(5, p));
      expect(d.filter((v, i) => v === w[i]).length).toBe(0);
    }
    expect(() => streamFor(1.5, Purpose.dropout, 'Dropout')).toThrow(/^Dropout: 'seed' must be a safe integer/);
  });

  test('a Dropout seeded like the weights draws its masks independently of them (the sign of a weight decided them)', () => {
    const seed = 3;
    const ones = (): Tensor => ops.add(zeros([1, 25600]), 1);
    const mask = new nn.Dropout(0.5, { seed }).forward(ones()).data; // 0 (dropped) or 2
    // the weights' stream, new Rng(seed), would give this mask: with it, a unit's first mask followed the sign of
    // the weight drawn from the same numbers
    const weights = ops.dropout(ones(), 0.5, { rng: new Rng(seed) }).data;
    let agree = 0;
    for (let j = 0; j < 25600; j++) if (mask[j] === weights[j]) agree++;
    expect(Math.abs(agree - 12800)).toBeLessThan(600); // independent: binomial(25600, 1/2), sd 80
    const own = ops.dropout(ones(), 0.5, { rng: streamFor(seed, Purpose.dropout) }).data;
    expect(Array.from(mask)).toEqual(Array.from(own));
    // the functional dropout's seed is the same stream
    expect(Array.from(ops.dropout(ones(), 0.5, { seed }).data)).toEqual(Array.from(mask));
  });

  test('initializers refuse options that are not { rng, seed }, ranges that overflow, values past float32', () => {
    const w = zeros([4, 3]);
    const w64 = zeros([4, 3], { dtype: 'float64' });
    expectErrors([
      [() => nn.init.kaimingUniform_(w, 0, 'fan_out' as any), TypeError, /kaimingUniform_: 'options' must be an object/],
      [() => nn.init.kaimingUniform_(w, 0, { mode: 'fan_out' } as any), RangeError, /kaimingUniform_: unknown option 'mode'/],
      [() => nn.init.xavierUniform_(w, 1, { sed: 1 } as any), RangeError, /xavierUniform_: unknown option 'sed'/],
      [() => nn.init.uniform_(w, -1, 1, { sed: 5 } as any), RangeError, /uniform_: unknown option 'sed'/],
      [() => nn.init.normal_(w, 0, 1, 42 as any), TypeError, /normal_: 'options' must be an object/],
      [() => nn.init.uniform_(w64, -1e308, 1e308), RangeError, /uniform_: 'high' - 'low' .* overflows/],
      [() => nn.init.uniform_(w, -1e39, 1e39), RangeError, /uniform_: 'low' \(-1e\+39\) is outside the float32 range/],
      [() => nn.init.constant_(w, 1e39), RangeError, /constant_: 'value' \(1e\+39\) is outside the float32 range/],
      [() => new Rng(1).uniform(1, 0), RangeError, /Rng.uniform: lo \(1\) must not exceed hi \(0\)/],
      [() => new Rng(1).uniform(-1e308, 1e308), RangeError, /Rng.uniform: hi - lo .* overflows/],
      [() => rand([2], { low: -1e308, high: 1e308, dtype: 'float64' }), RangeError, /rand: 'high' - 'low' .* overflows/],
      [() => rand([2], { low: 0, high: 1e39 }), RangeError, /rand: 'low'\/'high' .* outside the float32 range/],
      [() => new nn.Dropout(0.5, { seed: 1.5 }), RangeError, /Dropout: 'seed' must be a safe integer, got 1.5/],
      [() => new nn.Dropout(0.5, { seed: '1' as any }), TypeError, /Dropout: 'seed' must be an integer, got string/],
    ]);
    // what stays allowed: infinities in constant_ (PyTorch's fill_), the float64 range, an unseeded call
    expect(Array.from(nn.init.constant_(w, -Infinity).data)[0]).toBe(-Infinity);
    expect(nn.init.uniform_(w64, -1e300, 1e300).data.every((v) => Number.isFinite(v))).toBe(true);
    expect(nn.init.kaimingUniform_(w).data.some((v) => v !== 0)).toBe(true);
  });

  test('the functional batchNorm refuses a misspelled option (it trained and moved the running stats)', () => {
    const x = tensor([[1, 2], [3, 6]]);
    const rm = zeros([2]);
    const rv = ops.add(zeros([2]), 1);
    expect(() => ops.batchNorm(x, rm, rv, null, null, { trainig: false } as any)).toThrow(
      new RangeError("batchNorm: unknown option 'trainig' (known: training, momentum, eps)"),
    );
    expect(Array.from(rm.data)).toEqual([0, 0]);
  });
});
