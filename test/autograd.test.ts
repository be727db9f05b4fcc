/** Tensor, Function, the backward engine, grad mode and op forward values (hand-computed references). */
import {
  Tensor,
  Function,
  tensor,
  zeros,
  ones,
  full,
  arange,
  randn,
  rand,
  noGrad,
  enableGrad,
  isGradEnabled,
  manualSeed,
  zerosLike,
  onesLike,
  gradcheck,
  type Context,
} from '../lib/autograd';
import { inspect } from 'util';
import { SGD } from '../lib/optim';
import * as ops from '../lib/ops';
import * as nn from '../lib/nn';
import { backend } from '../lib/backend';
import { Rng } from '../lib/util/random';
import { expectErrors } from './helpers/throws';

const x64 = (): Tensor => tensor([1, 2], { dtype: 'float64', requiresGrad: true });

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])))) {
      throw new Error(`element ${i}: got ${a[i]}, expected ${b[i]}`);
    }
  }
};

describe(`Tensor and factories (backend ${backend().name}/${backend().isa})`, () => {
  test('tensor() infers shape and dtype, copies by default, shares with copy: false', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.numel).toBe(6);
    expect(t.ndim).toBe(2);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tensor(3.5).shape).toEqual([]);
    expect(tensor(3.5).item()).toBe(3.5);
    const src = new Float64Array([1, 2, 3, 4]);
    const c = tensor(src, { shape: [2, 2] });
    expect(c.dtype).toBe('float64');
    src[0] = 9;
    expect(c.data[0]).toBe(1);
    const s = tensor(src, { shape: [2, 2], copy: false });
    src[1] = 7;
    expect(s.data[1]).toBe(7);
    expect(tensor(Int32Array.from([1, 2]), { dtype: 'float64' }).data).toEqual(new Float64Array([1, 2]));
    expect(() => tensor([[1, 2], [3]])).toThrow(RangeError);
    expect(() => tensor(['a'] as any)).toThrow(TypeError);
    expect(() => tensor([1, 2], { dtype: 'int32' as any })).toThrow(/dtype/);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(RangeError);
    expect(() => new Tensor([1, 2] as any)).toThrow(TypeError);
  });

  test('the Tensor constructor validates shape entries (negative, fractional, non-number, not an array)', () => {
    const d = () => new Float32Array(4);
    expect(() => new Tensor(new Float32Array(3), [-1, -3])).toThrow(
      /Tensor: 'shape' must hold non-negative integers, got \[-1, -3\]/,
    );
    expect(() => new Tensor(d(), [-2, -2])).toThrow(RangeError); // numel 4 matches: only the entries are wrong
    expect(() => new Tensor(new Float32Array(3), [1.5, 2])).toThrow(/got \[1\.5, 2\]/);
    expect(() => new Tensor(new Float32Array(3), ['3'] as any)).toThrow(/got \["3"\]/);
    expect(() => new Tensor(d(), { length: 1, 0: 4 } as any)).toThrow(/Tensor: 'shape' must be an array/);
    expect(() => new Tensor(d(), [4, NaN])).toThrow(RangeError);
    const t = new Tensor(d(), [2, 2]);
    expect(t.shape).toEqual([2, 2]);
    expect(new Tensor(d(), [4]).shape).toEqual([4]);
    expect(new Tensor(new Float32Array(1), []).shape).toEqual([]);
    expect(new Tensor(new Float32Array(0), [0, 5]).shape).toEqual([0, 5]);
  });

  test('.grad accepts only null or a Tensor of the same shape and dtype', () => {
    const p = randn([2, 3], { requiresGrad: true, seed: 1 });
    expect(() => (p.grad = zeros([3]))).toThrow(
      /Tensor\.grad: assigned grad has shape \[3\], the tensor has shape \[2, 3\]/,
    );
    expect(() => (p.grad = ones([4, 3]))).toThrow(RangeError);
    expect(() => (p.grad = zeros([2, 3], { dtype: 'float64' }))).toThrow(
      /assigned grad is float64, the tensor is float32/,
    );
    expect(() => (p.grad = [1, 2, 3, 4, 5, 6] as any)).toThrow(/Tensor\.grad: must be a Tensor or null, got an array/);
    expect(() => (p.grad = new Float32Array(6) as any)).toThrow(TypeError);
    expect(p.grad).toBeNull();
    const g = ones([2, 3]);
    p.grad = g;
    expect(p.grad).toBe(g);
    p.mul(2).sum().backward(); // the engine accumulates into an assigned grad
    expect(Array.from(p.grad!.data)).toEqual([3, 3, 3, 3, 3, 3]);
    p.grad = null;
    expect(p.grad).toBeNull();
  });

  test('zeros, ones, full, arange, rand, randn (seeded)', () => {
    expect(Array.from(zeros([2, 2]).data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(ones(3, { dtype: 'float64' }).data)).toEqual([1, 1, 1]);
    expect(Array.from(full([2], 2.5).data)).toEqual([2.5, 2.5]);
    expect(Array.from(arange(5).data)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(arange(1, 2, 0.25).data)).toEqual([1, 1.25, 1.5, 1.75]);
    expect(() => zeros([2, -1])).toThrow(RangeError);
    expect(() => zeros('x' as any)).toThrow(TypeError);
    const a = randn([1000], { seed: 3 });
    const b = randn([1000], { seed: 3 });
    expect(a.data).toEqual(b.data);
    let m = 0;
    let v = 0;
    for (const x of a.data) m += x / 1000;
    for (const x of a.data) v += (x - m) ** 2 / 999;
    expect(Math.abs(m)).toBeLessThan(0.15);
    expect(Math.abs(Math.sqrt(v) - 1)).toBeLessThan(0.1);
    const u = rand([500], { rng: new Rng(1), low: -2, high: 3 });
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u.data)).toBeLessThan(3);
    // the default stream is reproducible after manualSeed
    manualSeed(11);
    const d1 = randn([4]).data.slice();
    manualSeed(11);
    expect(randn([4]).data).toEqual(d1);
  });

  test('reshape/view/flatten share data; transpose copies', () => {
    const t = arange(6).reshape(2, 3);
    const r = t.reshape([3, -1]);
    expect(r.shape).toEqual([3, 2]);
    expect(r.data).toBe(t.data);
    expect(t.view(6).data).toBe(t.data);
    // from dimension 0 by default, as torch.flatten (it was 1: flatten() of a 2-D tensor kept it, silently)
    expect(t.flatten().shape).toEqual([6]);
    expect(t.flatten().data).toBe(t.data);
    expect(t.reshape(1, 2, 3).flatten().shape).toEqual([6]);
    expect(arange(4).flatten().shape).toEqual([4]); // 1-D: as it is (flatten(1) was out of range)
    expect(t.flatten(1).shape).toEqual([2, 3]);
    expect(t.reshape(1, 2, 3).flatten(1).shape).toEqual([1, 6]);
    expect(new nn.Flatten().forward(t.reshape(2, 1, 3)).shape).toEqual([2, 3]); // nn.Flatten: from 1, as PyTorch's
    const tr = t.transpose();
    expect(tr.toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(ops.permute(arange(24).reshape(2, 3, 4), [2, 0, 1]).toArray()).toEqual(
      [0, 1, 2, 3].map((k) => [0, 1].map((i) => [0, 1, 2].map((j) => i * 12 + j * 4 + k))),
    );
    expect(() => t.reshape(4, 2)).toThrow(/cannot reshape a tensor of shape \[2, 3\] into \[4, 2\]/);
    expect(() => t.reshape(-1, -1)).toThrow(RangeError);
  });

  test('detach, clone, item, toArray, to()', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.data).toBe(x.data);
    const c = x.clone();
    expect(c.data).not.toBe(x.data);
    expect(c.gradFn?.name).toBe('CloneBackward');
    expect(() => x.item()).toThrow(RangeError);
    const y = x.to('float64');
    expect(y.dtype).toBe('float64');
    y.sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(Array.from(x.grad!.data)).toEqual([1, 1]);
    expect(x.to('float32')).toBe(x);
  });
});

describe('elementwise, reductions, matmul: forward values', () => {
  test('broadcasting arithmetic matches an explicit loop', () => {
    const a = randn([3, 1, 4], { seed: 1 });
    const b = randn([2, 4], { seed: 2 });
    const ref = (f: (x: number, y: number) => number): number[] => {
      const out: number[] = [];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 4; k++) out.push(f(a.data[i * 4 + k], b.data[j * 4 + k]));
      return out;
    };
    const f32 = (v: number[]) => Array.from(Float32Array.from(v));
    expect(a.add(b).shape).toEqual([3, 2, 4]);
    expect(Array.from(a.add(b).data)).toEqual(f32(ref((x, y) => x + y)));
    expect(Array.from(a.sub(b).data)).toEqual(f32(ref((x, y) => x - y)));
    expect(Array.from(a.mul(b).data)).toEqual(f32(ref((x, y) => x * y)));
    expect(Array.from(a.div(b).data)).toEqual(f32(ref((x, y) => x / y)));
    expect(Array.from(a.add(2).data)).toEqual(f32(Array.from(a.data, (x) => x + 2)));
    expect(Array.from(ops.sub(1, a).data)).toEqual(f32(Array.from(a.data, (x) => 1 - x)));
    expect(() => a.add(randn([2, 3]))).toThrow(/shapes \[3, 1, 4\] and \[2, 3\] cannot be broadcast together/);
    expect(() => a.add('1' as any)).toThrow(TypeError);
    expect(() => a.add(randn([4], { dtype: 'float64' }))).toThrow(/float64/);
  });

  test('sum / mean over axes', () => {
    const t = arange(24, undefined, 1, { dtype: 'float64' }).reshape(2, 3, 4);
    expect(t.sum().item()).toBe(276);
    expect(t.mean().item()).toBe(11.5);
    expect(t.sum(0).toArray()).toEqual([0, 1, 2].map((j) => [0, 1, 2, 3].map((k) => j * 4 + k + (12 + j * 4 + k))));
    expect(t.sum([0, 2]).toArray()).toEqual([0, 1, 2].map((j) => [0, 1].reduce((s, i) => s + [0, 1, 2, 3].reduce((q, k) => q + i * 12 + j * 4 + k, 0), 0)));
    expect(t.mean(-1, true).shape).toEqual([2, 3, 1]);
    expect(t.mean(-1, true).data[0]).toBe(1.5);
    expect(() => t.sum(3)).toThrow(RangeError);
    expect(() => t.sum([0, 0])).toThrow(RangeError);
    expect(Array.from(tensor([[1, 5, 2], [7, 0, 7]]).argmax(1))).toEqual([1, 0]);
  });

  test('matmul matches a naive product; bad shapes name both', () => {
    const a = randn([3, 5], { seed: 4, dtype: 'float64' });
    const b = randn([5, 2], { seed: 5, dtype: 'float64' });
    const c = a.matmul(b);
    const ref: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) {
      let s = 0;
      for (let k = 0; k < 5; k++) s += a.data[i * 5 + k] * b.data[k * 2 + j];
      ref.push(s);
    }
    close(c.data, ref, 1e-12);
    const ab = randn([4, 3, 5], { seed: 6, dtype: 'float64' }).matmul(b);
    expect(ab.shape).toEqual([4, 3, 2]);
    expect(() => a.matmul(a)).toThrow(/matmul: shapes \[3, 5\] and \[3, 5\] are not aligned/);
    expect(() => a.matmul(randn([5, 2]))).toThrow(TypeError);
    expect(() => ops.matmul(a, 3 as any)).toThrow(/'other' must be a Tensor/);
  });

  test('softmax / logSoftmax are stable for huge logits', () => {
    const x = tensor([[1000, 1001, 999], [-1000, -1000, -1000]], { dtype: 'float64' });
    const p = x.softmax();
    const e = [Math.exp(-1), 1, Math.exp(-2)];
    const s = e[0] + e[1] + e[2];
    close(p.data.subarray(0, 3), e.map((v) => v / s), 1e-14);
    close(p.data.subarray(3), [1 / 3, 1 / 3, 1 / 3], 1e-14);
    close(x.logSoftmax().data.subarray(0, 3), e.map((v) => Math.log(v / s)), 1e-13);
  });

  test('crossEntropy equals -log softmax[target] (mean/sum/none); targets are validated', () => {
    const x = tensor([[2, 1, 0.1], [0.5, 2.5, 0.3]], { dtype: 'float64' });
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const l0 = lse([2, 1, 0.1]) - 0.1;
    const l1 = lse([0.5, 2.5, 0.3]) - 2.5;
    close(ops.crossEntropy(x, [2, 1], { reduction: 'none' }).data, [l0, l1], 1e-14);
    expect(ops.crossEntropy(x, Int32Array.from([2, 1])).item()).toBeCloseTo((l0 + l1) / 2, 14);
    expect(ops.crossEntropy(x, tensor([2, 1]), { reduction: 'sum' }).item()).toBeCloseTo(l0 + l1, 14);
    expect(ops.crossEntropy(tensor([[1e4, 0]]), [1]).item()).toBeCloseTo(1e4, 2); // no overflow
    expect(() => ops.crossEntropy(x, [3, 0])).toThrow(/'targets'\[0\] = 3 is not a class index in \[0, 3\)/);
    expect(() => ops.crossEntropy(x, [0])).toThrow(RangeError);
    expect(() => ops.crossEntropy(x, [0.5, 1])).toThrow(RangeError);
    expect(() => ops.crossEntropy(x, 'a' as any)).toThrow(TypeError);
    expect(() => ops.crossEntropy(x, [0, 1], { reduction: 'avg' as any })).toThrow(/reduction/);
  });

  test('targets given as a Tensor must have the per-sample shape, not just as many entries', () => {
    const x = randn([2, 3, 4], { seed: 3 }); // per-sample shape [2, 4]
    for (const f of [ops.crossEntropy, ops.nllLoss]) {
      const ok = f(x, tensor([[0, 1, 2, 0], [2, 2, 1, 0]]), { reduction: 'none' });
      expect(ok.shape).toEqual([2, 4]);
      expect(() => f(x, tensor([[0, 1], [2, 0], [2, 2], [1, 0]]))).toThrow(
        /'targets' has shape \[4, 2\], expected \[2, 4\]/,
      );
      expect(() => f(x, tensor([0, 1, 2, 0, 2, 2, 1, 0]))).toThrow(RangeError);
      // a single sample [C] takes a [] or a [1] target
      expect(f(tensor([0.5, 1, 2]), tensor([1])).shape).toEqual([]);
    }
  });

  test("'mean' averages over the samples not ignored (loss and gradient); all ignored gives NaN", () => {
    const rows = [[2, 1, 0.1], [0.5, 2.5, 0.3], [-1, 0, 1]];
    const targets = [2, -100, 0]; // the default ignoreIndex skips sample 1
    const lse = (r: number[]): number => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const per = [lse(rows[0]) - rows[0][2], lse(rows[2]) - rows[2][0]];
    for (const f of [ops.crossEntropy, (a: Tensor, t: number[]) => ops.nllLoss(a.logSoftmax(), t)]) {
      const x = tensor(rows, { dtype: 'float64', requiresGrad: true });
      const l = f(x, targets);
      expect(l.item()).toBeCloseTo((per[0] + per[1]) / 2, 14);
      l.backward();
      // d/dx of the mean over the 2 counted samples: (softmax - onehot) / 2 on their rows, 0 on the ignored row
      const want: number[] = [];
      for (let i = 0; i < 3; i++) {
        const z = Math.exp(lse(rows[i]));
        for (let k = 0; k < 3; k++) {
          want.push(i === 1 ? 0 : (Math.exp(rows[i][k]) / z - (k === targets[i] ? 1 : 0)) / 2);
        }
      }
      close(x.grad!.data, want, 1e-12);
      expect(f(tensor(rows, { dtype: 'float64' }), [-100, -100, -100]).item()).toBeNaN();
    }
  });

  test('an input with no classes is a RangeError on every backend; a dim error names its type', () => {
    for (const shape of [[2, 0], [2, 0, 3], [0]]) {
      const n = shape.length === 1 ? 1 : shape[0] * (shape[2] ?? 1);
      const x = zeros(shape, { dtype: 'float64' });
      for (const f of [ops.crossEntropy, ops.nllLoss]) {
        expect(() => f(x, new Array(n).fill(-100))).toThrow(/'input' of shape \[[\d, ]+\] has no classes/);
      }
    }
    const x = tensor([[1, 2], [3, 4]]);
    expect(() => x.softmax('1' as never)).toThrow(new TypeError(`softmax: 'dim' must be an integer, got string "1"`));
    expect(() => x.sum(0.5 as never)).toThrow(/must be an integer, got number 0\.5/);
  });

  test('ignoreIndex must be an int32 (targets are held in an Int32Array, where a wider value would wrap)', () => {
    const x = tensor([[1, 2, 3], [0.5, 0.1, -1]], { dtype: 'float64' });
    for (const f of [ops.crossEntropy, ops.nllLoss]) {
      const name = f === ops.crossEntropy ? 'crossEntropy' : 'nllLoss';
      // 2^32 wrapped to class 0 and was trained as a real target
      expect(() => f(x, [2 ** 32, 1], { ignoreIndex: 2 ** 32 })).toThrow(
        new RegExp(`${name}: 'ignoreIndex' must be a 32-bit integer in \\[-2\\^31, 2\\^31\\), got 4294967296`),
      );
      expect(() => f(x, [0, 1], { ignoreIndex: 2 ** 31 })).toThrow(RangeError);
      expect(() => f(x, [0, 1], { ignoreIndex: -(2 ** 31) - 1 })).toThrow(RangeError);
      // the int32 extremes still work and skip their sample
      for (const ig of [2 ** 31 - 1, -(2 ** 31)]) {
        const l = f(x, [ig, 1], { ignoreIndex: ig, reduction: 'none' });
        expect(l.data[0]).toBe(0);
        expect(l.data[1]).toBe(f(x, [0, 1], { reduction: 'none' }).data[1]);
      }
    }
  });

  test('a +Infinity logit makes its whole row NaN (PyTorch: x - max), in softmax, logSoftmax and crossEntropy', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([[Infinity, 1, 2], [0, 1, 2]], { dtype, requiresGrad: true });
      expect(Array.from(x.softmax().data.subarray(0, 3)).every(Number.isNaN)).toBe(true);
      expect(Array.from(x.logSoftmax().data.subarray(0, 3)).every(Number.isNaN)).toBe(true);
      expect(Array.from(x.softmax().data.subarray(3)).every(Number.isFinite)).toBe(true);
      const l = ops.crossEntropy(x, [1, 0], { reduction: 'none' });
      expect(l.data[0]).toBeNaN(); // was +Infinity for target 1 (and NaN for target 0)
      expect(Number.isFinite(l.data[1])).toBe(true);
      ops.crossEntropy(x, [0, 0], { reduction: 'sum' }).backward();
      expect(Array.from(x.grad!.data.subarray(0, 3)).every(Number.isNaN)).toBe(true);
    }
  });

  test('losses refuse options they do not have (labelSmoothing, weight, misspellings) instead of ignoring them', () => {
    const x = tensor([[2, 1, 0.1], [0.5, 2.5, 0.3]], { dtype: 'float64' });
    for (const [f, name] of [
      [ops.crossEntropy, 'crossEntropy'],
      [ops.nllLoss, 'nllLoss'],
    ] as const) {
      for (const bad of [{ labelSmoothing: 0.2 }, { weight: tensor([1, 5, 1]) }, { reducton: 'sum' }]) {
        const key = Object.keys(bad)[0];
        expect(() => f(x, [0, 1], bad as any)).toThrow(
          new TypeError(`${name}: unknown option '${key}' (known: reduction, ignoreIndex)`),
        );
      }
    }
    expect(() => ops.mseLoss(x, x, { reducton: 'sum' } as any)).toThrow(
      new TypeError(`mseLoss: unknown option 'reducton' (known: reduction)`),
    );
    expect(() => new nn.CrossEntropyLoss({ labelSmoothing: 0.1 } as any)).toThrow(
      new TypeError(`CrossEntropyLoss: unknown option 'labelSmoothing' (known: reduction, ignoreIndex)`),
    );
    expect(() => new nn.NLLLoss(null as any)).toThrow(new TypeError(`NLLLoss: 'options' must be an object`));
    expect(() => new nn.MSELoss({ reduce: false } as any)).toThrow(/MSELoss: unknown option 'reduce'/);
    // bad values are refused when the module is built, not at its first forward (toJSON wrote them meanwhile)
    expect(() => new nn.CrossEntropyLoss({ reduction: 'avg' } as any)).toThrow(
      new RangeError(`CrossEntropyLoss: 'reduction' must be 'mean', 'sum' or 'none', got "avg"`),
    );
    expect(() => new nn.NLLLoss({ ignoreIndex: 1.5 })).toThrow(new TypeError(`NLLLoss: 'ignoreIndex' must be an integer`));
    expect(() => new nn.NLLLoss({ ignoreIndex: 2 ** 31 })).toThrow(RangeError);
    expect(() => new nn.MSELoss({ reduction: 'elementwise_mean' } as any)).toThrow(/^MSELoss: 'reduction' must be/);
    expect(new nn.NLLLoss({ ignoreIndex: 3, reduction: 'none' }).config()).toEqual({ reduction: 'none', ignoreIndex: 3 });
    expect(new nn.CrossEntropyLoss({ reduction: 'sum' }).forward(x, [0, 1]).item()).toBeCloseTo(
      ops.crossEntropy(x, [0, 1], { reduction: 'sum' }).item(),
      14,
    );
  });

  test('mseLoss', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([1.5, 2, 1]);
    expect(ops.mseLoss(a, b).item()).toBeCloseTo((0.25 + 0 + 4) / 3, 6);
    expect(() => ops.mseLoss(a, tensor([1, 2]))).toThrow(/'input' has shape \[3\] but 'target' has \[2\]/);
    // a reduction passed in place of the options object was ignored (the mean came back)
    expect(() => ops.mseLoss(a, b, 'none' as any)).toThrow(/mseLoss: 'options' must be an object/);
    expect(() => ops.mseLoss(a, b, null as any)).toThrow(TypeError);
    expect(ops.mseLoss(a, b, { reduction: 'none' }).shape).toEqual([3]);
  });

  test('dropout: seeded, drops about p, scales by 1/(1-p), identity in eval', () => {
    const x = ones([100, 100]);
    const a = ops.dropout(x, 0.3, { rng: new Rng(1) });
    const b = ops.dropout(x, 0.3, { rng: new Rng(1) });
    expect(a.data).toEqual(b.data);
    let zerosN = 0;
    let others = 0;
    const kept = Math.fround(1 / 0.7);
    for (const v of a.data) {
      if (v === 0) zerosN++;
      else if (v !== kept) others++;
    }
    expect(others).toBe(0);
    expect(Math.abs(zerosN / 10000 - 0.3)).toBeLessThan(0.02);
    expect(ops.dropout(x, 0.3, { training: false })).toBe(x);
    expect(Array.from(ops.dropout(tensor([1, 2]), 1, { rng: new Rng(1) }).data)).toEqual([0, 0]);
    expect(() => ops.dropout(x, 1.5)).toThrow(RangeError);
  });

  test('batchNorm normalizes with batch stats and updates running stats like PyTorch', () => {
    const x = tensor([[1, 10], [2, 20], [4, 40], [5, 30]], { dtype: 'float64' });
    const rm = zeros([2], { dtype: 'float64' });
    const rv = ones([2], { dtype: 'float64' });
    const y = ops.batchNorm(x, rm, rv, null, null, { momentum: 0.1, eps: 1e-5 });
    const col = (j: number) => [0, 1, 2, 3].map((i) => x.data[i * 2 + j]);
    for (const j of [0, 1]) {
      const c = col(j);
      const mu = c.reduce((s, v) => s + v, 0) / 4;
      const vb = c.reduce((s, v) => s + (v - mu) ** 2, 0) / 4;
      close([0, 1, 2, 3].map((i) => y.data[i * 2 + j]), c.map((v) => (v - mu) / Math.sqrt(vb + 1e-5)), 1e-12);
      expect(rm.data[j]).toBeCloseTo(0.1 * mu, 12);
      expect(rv.data[j]).toBeCloseTo(0.9 + 0.1 * vb * (4 / 3), 12); // unbiased variance in the running stat
    }
    const ye = ops.batchNorm(x, rm, rv, null, null, { training: false });
    expect(ye.data[0]).toBeCloseTo((1 - rm.data[0]) / Math.sqrt(rv.data[0] + 1e-5), 12);
    expect(() => ops.batchNorm(tensor([[1, 2]]), null, null)).toThrow(/more than 1 value per channel/);
    expect(() => ops.batchNorm(x, zeros([3], { dtype: 'float64' }), null)).toThrow(/'runningMean' must have shape \[2\]/);
    expect(() => ops.batchNorm(x, null, null, null, null, { eps: '1e-5' as any })).toThrow(
      /batchNorm: 'eps' must be a number, got string/,
    );
    expect(() => ops.batchNorm(x, null, null, null, null, { momentum: '0.5' as any })).toThrow(
      /batchNorm: 'momentum' must be a number, got string/,
    );
    expect(() => ops.batchNorm(x, null, null, null, null, { eps: [1] as any })).toThrow(TypeError);
    expect(() => ops.batchNorm(x, null, null, null, null, { eps: Infinity })).toThrow(RangeError);
    expect(() => ops.batchNorm(x, null, null, null, null, { momentum: 2 })).toThrow(RangeError);
  });
});

describe('batchNorm defaults, per-channel counts and running-stat versions', () => {
  test('[1, C, L] trains over its L values; momentum 0.1 and eps 1e-5 by default; the stats count as changed', () => {
    const x = tensor([[[1, 4, 2], [10, -5, 30]]], { dtype: 'float64' }); // N = 1, C = 2, L = 3
    const rm = zeros([2], { dtype: 'float64' });
    const rv = ones([2], { dtype: 'float64' });
    // a graph that saved the running mean must not backpropagate after a training step moved it
    const w = tensor([1, 1], { dtype: 'float64', requiresGrad: true });
    const saved = rm.mul(w).sum();
    const v0 = [rm.version, rv.version];
    const y = ops.batchNorm(x, rm, rv);
    expect([rm.version, rv.version]).toEqual([v0[0] + 1, v0[1] + 1]);
    expect(() => saved.backward()).toThrow(/modified in place/);
    for (const ch of [0, 1]) {
      const c = [0, 1, 2].map((j) => x.data[ch * 3 + j]);
      const mu = (c[0] + c[1] + c[2]) / 3;
      const vb = c.reduce((s, v) => s + (v - mu) ** 2, 0) / 3;
      close([0, 1, 2].map((j) => y.data[ch * 3 + j]), c.map((v) => (v - mu) / Math.sqrt(vb + 1e-5)), 1e-12);
      expect(rm.data[ch]).toBeCloseTo(0.1 * mu, 12);
      expect(rv.data[ch]).toBeCloseTo(0.9 + 0.1 * vb * (3 / 2), 12); // unbiased over the 3 values
    }
    ops.batchNorm(x, rm, rv, null, null, { training: false }); // eval reads the stats, does not change them
    expect([rm.version, rv.version]).toEqual([v0[0] + 1, v0[1] + 1]);
    expect(() => ops.batchNorm(tensor([[[1], [2]]]), null, null)).toThrow(/more than 1 value per channel/);
  });
});

describe('the backward engine', () => {
  test('accumulates for tensors used twice and across backward calls (leaf .grad)', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    x.mul(x).add(x).sum().backward(); // d/dx (x^2 + x) = 2x + 1
    expect(Array.from(x.grad!.data)).toEqual([3, 5, 7]);
    x.mul(2).sum().backward(); // accumulates: + 2
    expect(Array.from(x.grad!.data)).toEqual([5, 7, 9]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });

  test('a gradient handed to two nodes is summed into a new buffer, not in place into one of them', () => {
    // The outer add hands the same gradient data to exp and to the inner add, which hands it on to exp again and
    // to q: exp sums two deliveries, while q (and the caller's gradient tensor) must still hold the one sent.
    const h = tensor([0.5, -1], { dtype: 'float64', requiresGrad: true });
    const p = h.exp();
    const q = h.mul(3);
    const gOut = tensor([1, 2], { dtype: 'float64' });
    p.add(q).add(p).backward(gOut);
    expect(Array.from(gOut.data)).toEqual([1, 2]);
    // d/dh of g * (2 exp(h) + 3 h) = g * (2 exp(h) + 3)
    close(h.grad!.data, [1 * (2 * Math.exp(0.5) + 3), 2 * (2 * Math.exp(-1) + 3)], 1e-12);
  });

  test('backward() on a leaf accumulates the gradient into its own .grad (ones when left out)', () => {
    const x = tensor([3], { dtype: 'float64', requiresGrad: true });
    x.backward();
    expect(Array.from(x.grad!.data)).toEqual([1]);
    x.backward(tensor([2.5], { dtype: 'float64' }));
    expect(Array.from(x.grad!.data)).toEqual([3.5]);
  });

  test('linear adds into the .grad of weight and bias; a non-leaf weight with a .grad passes its gradient on', () => {
    const x = tensor([[1, 2], [3, -1], [0.5, 4]], { dtype: 'float64' });
    const colSum = [1 + 3 + 0.5, 2 - 1 + 4]; // d sum(x W^T + b) / dW[o][i] = sum_r x[r][i]; / db[o] = 3 rows
    const w = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
    const b = tensor([0.5, -0.5], { dtype: 'float64', requiresGrad: true });
    ops.linear(x, w, b).sum().backward();
    ops.linear(x, w, b).sum().backward();
    expect(Array.from(w.grad!.data)).toEqual([...colSum, ...colSum].map((v) => 2 * v));
    expect(Array.from(b.grad!.data)).toEqual([6, 6]);
    // the weight is a non-leaf (2 w2) whose retained .grad exists by the second backward: w2 must still get dW
    const w2 = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
    const weight = w2.mul(2).retainGrad();
    const loss = ops.linear(x, weight).sum();
    loss.backward(undefined, { retainGraph: true });
    loss.backward();
    expect(Array.from(weight.grad!.data)).toEqual([...colSum, ...colSum].map((v) => 2 * v));
    expect(Array.from(w2.grad!.data)).toEqual([...colSum, ...colSum].map((v) => 4 * v));
  });

  test('mul saves only the operand a gradient needs: the other may change in place before backward', () => {
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const c = tensor([3, 5], { dtype: 'float64' });
    const y = x.mul(c).sum(); // dy/dx = c: x itself is not needed
    x.data[0] = 10;
    x.bumpVersion(); // e.g. an optimizer step between forward and backward
    y.backward();
    expect(Array.from(x.grad!.data)).toEqual([3, 5]);
  });

  test('a diamond graph runs each node once, after all its consumers', () => {
    const calls: string[] = [];
    class Tag extends Function {
      static override forward(ctx: Context, x: Tensor, name: string): Tensor {
        ctx.name = name;
        return new Tensor(x.data.slice(), x.shape);
      }
      static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
        calls.push(ctx.name);
        return [g, null];
      }
    }
    const x = tensor([2], { dtype: 'float64', requiresGrad: true });
    const a = Tag.apply(x, 'a');
    const b = Tag.apply(a.mul(3), 'b');
    const c = Tag.apply(a.mul(5), 'c');
    b.add(c).sum().backward();
    expect(x.grad!.item()).toBe(8);
    expect(calls.filter((n) => n === 'a')).toHaveLength(1);
    expect(calls.indexOf('a')).toBeGreaterThan(Math.max(calls.indexOf('b'), calls.indexOf('c')));
  });

  test('a long chain does not overflow the stack', () => {
    const x = tensor([1], { dtype: 'float64', requiresGrad: true });
    let y = x;
    for (let i = 0; i < 10000; i++) y = y.mul(1.0001);
    y.sum().backward();
    expect(x.grad!.item()).toBeCloseTo(Math.pow(1.0001, 10000), 8);
  });

  test('saved tensors are freed: a second backward throws unless retainGraph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(/backward through the graph a second time.*Exp.*retainGraph: true/s);
    const z = x.mul(x).sum();
    x.zeroGrad();
    z.backward(undefined, { retainGraph: true });
    z.backward();
    expect(Array.from(x.grad!.data)).toEqual([4, 8]);
    // a graph whose nodes saved nothing can be walked again (as in PyTorch)
    const w = x.add(1).sum();
    w.backward();
    w.backward();
  });

  test('backward needs a gradient for non-scalars; checks its shape', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(/only for a single-element tensor/);
    expect(() => y.backward(ones([2]))).toThrow(/'gradient' has shape \[2\], expected \[3\]/);
    y.backward(tensor([1, 0, 2]));
    expect(Array.from(x.grad!.data)).toEqual([2, 0, 4]);
    expect(() => tensor([1]).backward()).toThrow(/does not require grad/);
  });

  test('retainGrad keeps the gradient of a non-leaf; detach stops the flow', () => {
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const h = x.mul(3).retainGrad();
    h.mul(h.detach()).sum().backward();
    expect(Array.from(h.grad!.data)).toEqual([3, 6]);
    expect(Array.from(x.grad!.data)).toEqual([9, 18]);
    expect(() => {
      h.requiresGrad = false;
    }).toThrow(/leaf/);
  });

  test('noGrad records nothing, nests, and restores the mode after a throw', () => {
    const x = tensor([1], { requiresGrad: true });
    expect(isGradEnabled()).toBe(true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const inner = enableGrad(() => x.mul(2));
      expect(inner.requiresGrad).toBe(true);
      return x.mul(2);
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
  });
});

describe('in-place changes of saved tensors (version counters, as PyTorch)', () => {
  const net = (): nn.Sequential => new nn.Sequential(new nn.Linear(2, 3, { seed: 1 }), new nn.Tanh(), new nn.Linear(3, 1, { seed: 2 }));

  test('backward through a graph whose saved weights an optimizer step changed is an Error, not mixed gradients', () => {
    const m = net();
    const opt = new SGD(m.parameters(), { lr: 0.5 });
    const lossA = m.forward(tensor([[1, 2]])).pow(2).sum();
    const lossB = m.forward(tensor([[3, -1]])).pow(2).sum();
    lossA.backward();
    opt.step();
    expect(() => lossB.backward()).toThrow(/saved tensor \d \(shape \[1, 3\]\) was modified in place after the forward pass/);
    // the usual loop (forward, backward, step) is untouched, with retainGraph a second backward before the step too
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      const l = m.forward(tensor([[1, 2]])).pow(2).sum();
      l.backward(null, { retainGraph: true });
      l.backward();
      opt.step();
    }
    const l = m.forward(tensor([[1, 2]])).pow(2).sum();
    l.backward(null, { retainGraph: true });
    opt.step();
    expect(() => l.backward()).toThrow(/modified in place/);
  });

  test('nn.init, loadStateDict, a new data array and bumpVersion() count as changes; version is shared by views', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const x = tensor([3, 4], { requiresGrad: true });
    expect(w.version).toBe(0);
    const y = w.mul(x).sum();
    nn.init.constant_(w, 7);
    expect(w.version).toBe(1);
    expect(w.detach().version).toBe(1);
    expect(() => y.backward()).toThrow(/Mul: saved tensor 0 \(shape \[2\]\) was modified in place .*\(version 0 -> 1\)/);
    const y2 = w.mul(x).sum();
    w.data = new Float32Array([1, 1]);
    expect(() => y2.backward()).toThrow(/its data array was replaced/);
    const y3 = w.mul(x).sum();
    w.detach().bumpVersion(); // a custom in-place update through a view
    expect(() => y3.backward()).toThrow(/modified in place/);
    const lin = new nn.Linear(2, 1, { seed: 3 });
    const out = lin.forward(tensor([[1, 2]])).sum();
    lin.loadStateDict(lin.stateDict());
    expect(() => out.backward()).toThrow(/modified in place/);
    const ok = w.mul(x).sum();
    ok.backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 1]);
    // .grad written in place (zeroGrad(false), accumulation) counts too, for a graph that saved it
    const v = tensor([1, 1], { requiresGrad: true });
    const q = w.grad!.mul(v).sum();
    new SGD([w], { lr: 0.1 }).zeroGrad(false);
    expect(() => q.backward()).toThrow(/modified in place/);
    const q2 = w.grad!.mul(v).sum();
    w.mul(x).sum().backward(); // adds into w.grad
    expect(() => q2.backward()).toThrow(/modified in place/);
    expect(() => w.mul(x).sum().backward({ retainGraph: true } as any)).toThrow(
      /'gradient' must be a Tensor \(options go second: backward\(null, \{ retainGraph: true \}\)\)/,
    );
  });

  test('swish with a beta of +-Infinity (tensor or number): a RangeError naming beta; a NaN tensor beta propagates', () => {
    // native gave NaN (Inf * 0 in its kernels) where js gave the limits
    for (const dtype of ['float32', 'float64'] as const) {
      for (const b of [Infinity, -Infinity]) {
        const x = tensor([-1, 0.5, 2], { dtype, requiresGrad: true });
        const beta = tensor([b], { dtype, requiresGrad: true });
        expect(() => ops.swish(x, beta)).toThrow(RangeError);
        expect(() => ops.swish(x, beta)).toThrow(`swish: the learned 'beta' is ${b}; a learnable beta must stay`);
      }
      // NaN: NaN out, in both gradients (training's divergence checks name the parameter)
      const x = tensor([-1, 0.5, 2], { dtype, requiresGrad: true });
      const beta = tensor([NaN], { dtype, requiresGrad: true });
      const y = ops.swish(x, beta);
      y.sum().backward();
      expect([...y.data, ...x.grad!.data, ...beta.grad!.data].every(Number.isNaN)).toBe(true);
    }
    // a number beta: finite only (+-Infinity as well as NaN is a RangeError naming it)
    for (const b of [Infinity, -Infinity, NaN]) {
      expect(() => ops.swish(tensor([1, 2]), b)).toThrow(new RangeError(`swish: 'beta' must be finite, got ${b}`));
    }
    // a float64 beta beyond float32's range overflows to Infinity in a float32 tensor
    expect(() => ops.swish(tensor([1, 2]), tensor([1e300], { requiresGrad: true }))).toThrow(/'beta' is Infinity/);
    const m = new nn.Swish({ learnBeta: true, dtype: 'float64' });
    m.beta!.data[0] = -Infinity;
    expect(() => m.forward(tensor([1, 2], { dtype: 'float64' }))).toThrow(/swish: the learned 'beta' is -Infinity/);
  });

  test('swish with a finite tensor beta whose product with x overflows: the exact limits (0), no NaN', () => {
    // beta * x = -Infinity in float64: js's rounding-error term of the product was NaN (Infinity - Infinity)
    for (const [b, v] of [[1e200, -3e150], [-1e200, 3e150]]) {
      const x = tensor([v], { dtype: 'float64', requiresGrad: true });
      const beta = tensor([b], { dtype: 'float64', requiresGrad: true });
      const y = ops.swish(x, beta);
      y.sum().backward();
      // dy/dx = s (1 + z (1 - s)) is a tiny negative that underflows: its zero's sign is not specified
      expect([y.data[0], Math.abs(x.grad!.data[0]), beta.grad!.data[0]]).toEqual([v < 0 ? -0 : 0, 0, 0]);
    }
  });

  test('a learned swish beta outside the range a new module accepts still saves and loads', () => {
    const m = new nn.Swish({ beta: 1, learnBeta: true, dtype: 'float64' });
    m.beta!.data[0] = 1e-25; // where training may take it
    const back = nn.fromJSON(m.toJSON()).loadStateDict(m.stateDict()) as nn.Swish;
    expect(back.beta!.data[0]).toBe(1e-25);
  });
});

describe('tensor API details', () => {
  test('a typed-array subclass whose length getter lies is refused; tensor() copies by its real length', () => {
    class Liar extends Float32Array {
      override get length(): number {
        return 8;
      }
    }
    const liar = new Liar([1, 2, 3, 4]);
    const msg = /Tensor: 'data' has a 'length' of 8 but holds 4 elements \(class Liar overrides it\)/;
    expect(() => new Tensor(liar)).toThrow(TypeError);
    expect(() => new Tensor(liar, [8])).toThrow(msg);
    expect(() => tensor(liar, { copy: false })).toThrow(msg);
    const t = tensor(liar);
    expect([t.shape, Array.from(t.data)]).toEqual([[4], [1, 2, 3, 4]]);
  });

  test('tensor(t) keeps t\'s shape; a Tensor copies its shape; toString/inspect show NaN, Infinity and the autograd fields', () => {
    const t = tensor([[1, 2], [3, 4]]);
    expect(tensor(t).shape).toEqual([2, 2]);
    expect(tensor(t, { copy: false }).data).toBe(t.data);
    expect(tensor(t, { shape: [4] }).shape).toEqual([4]);
    const dims = [2, 2];
    const own = new Tensor(new Float32Array(4), dims);
    dims.push(1); // the tensor keeps its own copy
    expect(own.shape).toEqual([2, 2]);
    expect(t.detach().shape).toEqual([2, 2]);
    const odd = tensor([NaN, Infinity, -Infinity, 1]);
    expect(String(odd)).toBe('tensor([NaN,Infinity,-Infinity,1], shape=[4], dtype=float32)');
    const leaf = tensor([1.5], { requiresGrad: true });
    expect(inspect(leaf)).toBe('tensor([1.5], shape=[1], dtype=float32, requiresGrad=true)');
    expect(inspect(leaf.mul(2))).toMatch(/gradFn=MulBackward/);
  });

  test('to() needs a dtype; *Like keep the input dtype for dtype: undefined; argmax/arange/backward check arguments', () => {
    const x = tensor([1, 2], { dtype: 'float64' });
    expect(() => (x as any).to()).toThrow(new TypeError(`to: 'dtype' must be 'float32' or 'float64', got undefined`));
    expect(() => x.to(null as any)).toThrow(TypeError);
    expect(zerosLike(x, { dtype: undefined }).dtype).toBe('float64');
    expect(() => tensor(5).argmax(7)).toThrow(/argmax: 'dim' = 7 is out of range/);
    expect(() => tensor(5).argmax('x' as any)).toThrow(TypeError);
    expect(Array.from(tensor(5).argmax(-1))).toEqual([0]);
    expect(() => arange(0, 2 ** 33)).toThrow(/arange: 'length' \[8589934592\] has too many elements/);
    const l = tensor([1, 2], { requiresGrad: true }).mul(2).sum();
    expect(() => l.backward(null, { retainGraf: true } as any)).toThrow(
      new TypeError(`backward: unknown option 'retainGraf' (known: retainGraph)`),
    );
    expect(() => l.backward(null, { retainGraph: 'yes' } as any)).toThrow(/'retainGraph' must be a boolean/);
    l.backward();
  });

  test('noGrad / enableGrad refuse an async fn (the mode is process-wide) and restore the mode', async () => {
    const p = tensor([1], { requiresGrad: true });
    expect(() => noGrad(async () => p.mul(2))).toThrow(/noGrad: 'fn' returned a Promise.*cannot span an await/);
    expect(isGradEnabled()).toBe(true);
    noGrad(() => {
      expect(() => enableGrad(() => Promise.resolve(1))).toThrow(/enableGrad: 'fn' returned a Promise/);
      expect(isGradEnabled()).toBe(false);
    });
    // a rejection of the refused promise is not left unhandled
    expect(() => noGrad(() => Promise.reject(new Error('x')))).toThrow(TypeError);
    await new Promise((r) => setImmediate(r));
    // fn has started and goes on: the error says so and hands its promise over (its rejection was lost)
    let err: unknown;
    try {
      noGrad(async () => {
        await null;
        throw new Error('later');
      });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/fn has started and keeps running: its promise is this error's 'promise'/);
    await expect((err as { promise: Promise<unknown> }).promise).rejects.toThrow('later');
  });
});

describe('Function (user-defined ops)', () => {
  class Scale extends Function {
    static override forward(ctx: Context, x: Tensor, k: number, y: Tensor): Tensor {
      ctx.k = k;
      ctx.saveForBackward(x, y);
      ctx.needs = ctx.needsInputGrad.slice();
      const out = new Tensor(x.data.map((v, i) => v * k * y.data[i]), x.shape);
      return out;
    }
    static override backward(ctx: Context, g: Tensor): (Tensor | null)[] {
      const [x, y] = ctx.savedTensors;
      return [
        new Tensor(g.data.map((v, i) => v * ctx.k * y.data[i]), x.shape),
        null,
        ctx.needsInputGrad[2] ? new Tensor(g.data.map((v, i) => v * ctx.k * x.data[i]), y.shape) : null,
      ];
    }
  }

  test('ctx: needsInputGrad per argument, plain fields, saved tensors; non-tensor arguments', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tensor([3, 4]);
    const out = Scale.apply(x, 2, y);
    expect(out.gradFn!.ctx.needs).toEqual([true, false, false]);
    expect(out.gradFn!.name).toBe('ScaleBackward');
    out.sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([6, 8]);
    const none = Scale.apply(tensor([1]), 2, tensor([1]));
    expect(none.gradFn).toBeNull();
  });

  test('a Function that returns one gradient for several inputs gets the right gradients (a Linear weight\'s too)', () => {
    // LinearAct's weight gradient is allocated fresh, and a leaf may take such a gradient over as its .grad. Routed
    // through a custom add that returns it for every input, it was taken over by the first leaf, which then added
    // the other paths' gradients into it while they still had to read it (a.grad came out 11x + ..., not 9x).
    class Add3 extends Function {
      static override forward(_ctx: Context, a: Tensor, b: Tensor, c: Tensor): Tensor {
        return new Tensor(a.data.map((v, i) => v + b.data[i] + c.data[i]), a.shape);
      }
      static override backward(_ctx: Context, g: Tensor): Tensor[] {
        return [g, g, g];
      }
    }
    for (const dtype of ['float32', 'float64'] as const) {
      const a = randn([3, 3], { dtype, seed: 1, requiresGrad: true });
      const x = randn([4, 3], { dtype, seed: 3, requiresGrad: true });
      const viaAdd3 = (a: Tensor, x: Tensor): Tensor => ops.linear(x, Add3.apply(a, a.mul(3), a.mul(5)) as Tensor);
      const viaAdd = (a: Tensor, x: Tensor): Tensor => ops.linear(x, a.add(a.mul(3)).add(a.mul(5)));
      viaAdd3(a, x).sum().backward();
      const got = a.grad!.data.slice();
      a.grad = null;
      viaAdd(a, x).sum().backward();
      expect(got).toEqual(a.grad!.data);
      // and by hand: d sum(x 9a^T) / da[i][j] = 9 colsum(x)[j]
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const col = [0, 1, 2, 3].reduce((s, r) => s + x.data[r * 3 + j], 0);
          expect(Math.abs(got[i * 3 + j] - 9 * col)).toBeLessThan(dtype === 'float32' ? 1e-5 : 1e-12);
        }
      }
      if (dtype === 'float64') {
        a.grad = null;
        x.grad = null;
        expect(gradcheck(viaAdd3, [a, x])).toBe(true);
      }
    }
  });

  test('wrong gradient shape, dtype, type or count is a clear error naming the Function', () => {
    class BadShape extends Function {
      static override forward(_ctx: Context, x: Tensor): Tensor {
        return new Tensor(x.data.slice(), x.shape);
      }
      static override backward(_ctx: Context, _g: Tensor): Tensor {
        return ones([5]);
      }
    }
    class BadCount extends Function {
      static override forward(_ctx: Context, x: Tensor, _y: Tensor): Tensor {
        return new Tensor(x.data.slice(), x.shape);
      }
      static override backward(_ctx: Context, g: Tensor): Tensor[] {
        return [g];
      }
    }
    class BadType extends Function {
      static override forward(_ctx: Context, x: Tensor): Tensor {
        return new Tensor(x.data.slice(), x.shape);
      }
      static override backward(_ctx: Context, g: Tensor): any {
        return [g.data];
      }
    }
    class NoTensor extends Function {
      static override forward(_ctx: Context, x: Tensor): any {
        return x.data;
      }
    }
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => BadShape.apply(x).sum().backward()).toThrow(/BadShape\.backward returned a gradient of shape \[5\] for argument 0, which has shape \[2\]/);
    expect(() => BadCount.apply(x, tensor([1, 1], { requiresGrad: true })).sum().backward()).toThrow(/BadCount\.backward returned 1 gradients/);
    expect(() => BadType.apply(x).sum().backward()).toThrow(/BadType\.backward returned .* for argument 0; expected a Tensor or null/);
    expect(() => NoTensor.apply(x)).toThrow(/NoTensor\.forward must return a Tensor/);
  });

  test('a gradient of another dtype, or more gradients than arguments, is an error naming the Function', () => {
    class BadDtype extends Function {
      static override forward(_ctx: Context, x: Tensor): Tensor {
        return new Tensor(x.data.slice(), x.shape);
      }
      static override backward(_ctx: Context, g: Tensor): Tensor {
        return new Tensor(Float32Array.from(g.data), g.shape);
      }
    }
    class TooMany extends Function {
      static override forward(_ctx: Context, x: Tensor): Tensor {
        return new Tensor(x.data.slice(), x.shape);
      }
      static override backward(_ctx: Context, g: Tensor): Tensor[] {
        return [g, g];
      }
    }
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    expect(() => BadDtype.apply(x).sum().backward()).toThrow(
      /BadDtype\.backward returned a float32 gradient for argument 0, which is float64/,
    );
    expect(x.grad).toBeNull();
    expect(() => TooMany.apply(x).sum().backward()).toThrow(/TooMany\.backward returned 2 gradients, but forward took/);
    expect(x.grad).toBeNull();
  });

  test('a forward that returns the tensor created just before it ran does not re-home it', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const last = tensor([7, 8]); // the most recently constructed tensor when apply starts
    class ReturnLast extends Function {
      static override forward(_ctx: Context, _x: Tensor): Tensor {
        return last;
      }
      static override backward(_ctx: Context, g: Tensor): Tensor {
        return g;
      }
    }
    const y = ReturnLast.apply(x);
    expect(y).not.toBe(last);
    expect(y.data).toBe(last.data);
    expect(last.gradFn).toBeNull();
    expect(last.requiresGrad).toBe(false);
    expect(y.gradFn!.name).toBe('ReturnLastBackward');
  });

  test('a forward that returns its input does not re-home the input', () => {
    class Ident extends Function {
      static override forward(_ctx: Context, x: Tensor): Tensor {
        return x;
      }
      static override backward(_ctx: Context, g: Tensor): Tensor {
        return g.mul(2);
      }
    }
    const x = tensor([1, 2], { requiresGrad: true });
    const y = Ident.apply(x);
    expect(y).not.toBe(x);
    expect(x.isLeaf).toBe(true);
    expect(y.data).toBe(x.data);
    y.sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([2, 2]);
  });

  test('a forward that returns a tensor that existed before it ran (a cached constant) does not re-home it', () => {
    const BIAS = tensor([5, 5]);
    class Const extends Function {
      static override forward(_ctx: Context, _x: Tensor): Tensor {
        return BIAS;
      }
      static override backward(_ctx: Context, g: Tensor): Tensor {
        return new Tensor(new Float32Array(g.numel).fill(100), g.shape);
      }
    }
    const x = tensor([1, 2], { requiresGrad: true });
    const y = Const.apply(x);
    expect(y).not.toBe(BIAS);
    expect(y.data).toBe(BIAS.data);
    expect(y.gradFn!.name).toBe('ConstBackward');
    expect(BIAS.isLeaf).toBe(true);
    expect(BIAS.requiresGrad).toBe(false);
    // a later, unrelated use of the constant sends no gradient to x through a stale node
    const w = tensor([1, 1], { requiresGrad: true });
    BIAS.mul(w).sum().backward();
    expect(x.grad).toBeNull();
    expect(Array.from(w.grad!.data)).toEqual([5, 5]);
    y.sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([100, 100]);
    // an output that forward creates is used as is
    class Fresh extends Function {
      static override forward(_ctx: Context, v: Tensor): Tensor {
        return (Fresh as any).made = new Tensor(v.data.slice(), v.shape);
      }
      static override backward(_ctx: Context, g: Tensor): Tensor {
        return g;
      }
    }
    expect(Fresh.apply(x)).toBe((Fresh as any).made);
  });

  test('an op on a tensor whose data was detached, shrunk or replaced is a TypeError naming the argument', () => {
    // x.data posted to a worker with a transfer list: the array then reads as empty (js computed NaN from it, the
    // native binding refused it with a message naming none of the op's arguments)
    const gone = (shape: number[]): Tensor => {
      const t = ones(shape);
      structuredClone(t.data.buffer, { transfer: [t.data.buffer as ArrayBuffer] });
      return t;
    };
    const detachedMsg = (where: string, arg: string, shape: string, n: number): RegExp =>
      new RegExp(`^${where}: '${arg}' is detached \\(its data's ArrayBuffer was transferred\\): it holds no data, ` +
        `its shape \\[${shape}\\] needs ${n} elements$`);
    const w = ones([3, 2]);
    const cases: [() => unknown, RegExp][] = [
      [() => ops.matmul(gone([2, 3]), w), detachedMsg('matmul', 'input', '2, 3', 6)],
      [() => ops.matmul(ones([2, 3]), gone([3, 2])), detachedMsg('matmul', 'other', '3, 2', 6)],
      [() => ops.linear(gone([2, 3]), ones([2, 3])), detachedMsg('linear', 'input', '2, 3', 6)],
      [() => ops.linear(ones([2, 3]), gone([2, 3])), detachedMsg('linear', 'weight', '2, 3', 6)],
      [() => ops.linear(ones([2, 3]), ones([2, 3]), gone([2])), detachedMsg('linear', 'bias', '2', 2)],
      [() => ops.add(gone([2, 3]), 1), detachedMsg('add', 'input', '2, 3', 6)],
      [() => ops.mul(2, gone([4])), detachedMsg('mul', 'other', '4', 4)],
      [() => ops.sub(ones([4]), gone([4])), detachedMsg('sub', 'other', '4', 4)],
      [() => ops.relu(gone([5])), detachedMsg('relu', 'input', '5', 5)],
      [() => ops.sum(gone([5])), detachedMsg('sum', 'input', '5', 5)],
      [() => ops.reshape(gone([2, 3]), [6]), detachedMsg('reshape', 'input', '2, 3', 6)],
      [() => ops.softmax(gone([2, 3])), detachedMsg('softmax', 'input', '2, 3', 6)],
      [() => ops.mseLoss(ones([3]), gone([3])), detachedMsg('mseLoss', 'target', '3', 3)],
      [() => ops.crossEntropy(ones([2, 3]), gone([2])), detachedMsg('crossEntropy', 'targets', '2', 2)],
    ];
    for (const [call, msg] of cases) {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(msg);
    }
    // a tensor over a resizable ArrayBuffer that shrank (Node 20 and later; Node 18 has no resizable buffers, so
    // there the case cannot arise), and a data array replaced by a shorter one
    if (typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === 'function') {
      const rab = new (ArrayBuffer as any)(6 * 4, { maxByteLength: 64 }) as ArrayBuffer & { resize(n: number): void };
      const x = new Tensor(new Float32Array(rab), [2, 3]);
      rab.resize(4 * 4);
      expect(() => ops.matmul(x, w)).toThrow(
        new TypeError("matmul: 'input' has shape [2, 3] (6 elements) but its data holds 4"),
      );
    } else {
      expect(Number(process.versions.node.split('.')[0])).toBeLessThan(20);
    }
    const y = ones([2, 3]);
    y.data = new Float32Array(2);
    expect(() => ops.add(y, y)).toThrow(/^add: 'input' has shape \[2, 3\] \(6 elements\) but its data holds 2$/);
    // data replaced by a plain Array or another typed array: the js kernels computed with it, the native ones
    // refused it naming their C++ argument
    for (const [data, shown] of [[[1, 2, 3, 4, 5, 6], 'Array'], [new Int32Array(6), 'Int32Array']] as const) {
      const z = ones([2, 3]);
      (z as { data: unknown }).data = data;
      for (const [call, where, arg] of [
        [() => ops.matmul(z, w), 'matmul', 'input'],
        [() => ops.relu(z), 'relu', 'input'],
        [() => ops.linear(ones([1, 3]), z), 'linear', 'weight'],
      ] as const) {
        expect(call).toThrow(TypeError);
        expect(call).toThrow(`${where}: '${arg}'.data must be a Float32Array or Float64Array, got ${shown}`);
      }
    }
    // empty tensors are fine
    expect(ops.matmul(ones([0, 3]), w).shape).toEqual([0, 2]);
  });

  test('bad arguments of public ops are TypeError/RangeError naming the argument', () => {
    expect(() => ops.exp([1, 2] as any)).toThrow(/exp: 'input' must be a Tensor, got an array/);
    expect(() => ops.pow(tensor([1]), NaN)).toThrow(/'exponent'/);
    expect(() => ops.linear(tensor([[1, 2]]), tensor([[1, 2, 3]]))).toThrow(/does not match weight of shape \[1, 3\]/);
    expect(() => ops.linear(tensor([[1, 2]]), tensor([[1, 2]]), tensor([1, 2]))).toThrow(/'bias' must have shape \[1\]/);
    expect(() => ops.prelu(tensor([[1, 2]]), tensor([0.1, 0.2, 0.3]))).toThrow(/3 alpha values need an input with 3 channels/);
    expect(() => tensor([1]).activation('nope')).toThrow(/nope/);
    expect(() => tensor([1]).sum(0.5 as any)).toThrow(TypeError);
  });

  test('factories, dropout and gradcheck refuse a misspelled option and a shape where the options go', () => {
    const A = { tensor, zeros, ones, full, rand, randn, arange, zerosLike, onesLike } as any;
    // (expectErrors matches the error as a string: its class, a colon, then the message)
    const unknown = (where: string, k: string): RegExp =>
      new RegExp(`^RangeError: ${where}: unknown option '${k}' \\(known: `);
    expectErrors([
      [
        () => A.tensor(new Float32Array(6), [2, 3]),
        TypeError,
        /^TypeError: tensor: 'options' must be .*an array.*\{ shape: \[/,
      ],
      [() => A.tensor([1, 2], { requires_grad: true }), RangeError, unknown('tensor', 'requires_grad')],
      [
        () => A.tensor([1, 2], 'float64'),
        TypeError,
        /^TypeError: tensor: 'options' must be an object, got string "float64"$/,
      ],
      [() => A.zeros([3], { dtpye: 'float64' }), RangeError, unknown('zeros', 'dtpye')],
      [() => A.zeros([3], [3]), TypeError, /^TypeError: zeros: 'options' must be an object, got an array$/],
      [() => A.ones([3], { shape: [3] }), RangeError, unknown('ones', 'shape')],
      [() => A.full([3], 2, { dtpye: 'float64' }), RangeError, unknown('full', 'dtpye')],
      [() => A.randn([2], { sed: 1 }), RangeError, unknown('randn', 'sed')],
      [() => A.rand([2], { lo: 1 }), RangeError, unknown('rand', 'lo')],
      [() => A.arange(3, undefined, 1, { dtpye: 'float64' }), RangeError, unknown('arange', 'dtpye')],
      [() => A.zerosLike(ones([2]), { dtpye: 'float64' }), RangeError, unknown('zerosLike', 'dtpye')],
      [() => A.onesLike(ones([2]), { dtpye: 'float64' }), RangeError, unknown('onesLike', 'dtpye')],
      [() => ops.dropout(ones([8]), 0.5, { trainig: false } as any), RangeError, unknown('dropout', 'trainig')],
      [
        () => gradcheck((x: Tensor) => x.sum(), [x64()], { atoll: 1 } as any),
        RangeError,
        /^RangeError: gradcheck: .* 'atoll'/,
      ],
    ]);
    // the spelled-right options all still work
    const t = tensor(new Float32Array(6), { shape: [2, 3], dtype: 'float64', requiresGrad: true, copy: false });
    expect([t.shape, t.dtype, t.requiresGrad]).toEqual([[2, 3], 'float64', true]);
    expect(zeros([3], { dtype: 'float64', requiresGrad: true }).requiresGrad).toBe(true);
    expect(randn([2], { seed: 1 }).data).toEqual(randn([2], { seed: 1 }).data);
    expect(rand([2], { rng: new Rng(1), low: 2, high: 3, dtype: 'float64' }).dtype).toBe('float64');
    expect(arange(3, undefined, 1, { dtype: 'float64' }).dtype).toBe('float64');
    expect(zerosLike(ones([2]), { dtype: 'float64', requiresGrad: false }).dtype).toBe('float64');
    expect(ops.dropout(ones([8]), 0.5, { training: false, seed: 1 }).data).toEqual(ones([8]).data);
    expect(gradcheck((x: Tensor) => x.sum(), [x64()], { eps: 1e-6, atol: 1e-5, rtol: 1e-3, seed: 1 })).toBe(true);
  });
});

describe(`sqrt, div's divisor gradient and empty axis lists (backend ${backend().name}/${backend().isa})`, () => {
  const signs = (a: ArrayLike<number>): string[] => Array.from(a, (v) => (Object.is(v, -0) ? '-0' : String(v)));

  test('sqrt follows Math.sqrt, not pow(x, 0.5): sqrt(-Inf) is NaN and sqrt(-0) is -0, with d/dx = 1 / (2 y)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([-Infinity, -0, 0, 4, Infinity, -1], { dtype, requiresGrad: true });
      const y = x.sqrt();
      expect(signs(y.data)).toEqual(['NaN', '-0', '0', '2', 'Infinity', 'NaN']);
      y.backward(tensor([1, 1, 1, 1, 1, 1], { dtype }));
      expect(signs(x.grad!.data)).toEqual(['NaN', '-Infinity', 'Infinity', '0.25', '0', 'NaN']);
      expect(signs(ops.sqrt(x).data)).toEqual(signs(y.data));
    }
    const x = tensor([0.3, 2, 7.5], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((t: Tensor) => t.sqrt(), [x], { seed: 1 })).toBe(true);
  });

  test('pow(x, 0) has gradient 0 everywhere, x = 0 included (no 0 * Infinity)', () => {
    const x = tensor([0, -0, 2, -3], { dtype: 'float64', requiresGrad: true });
    const y = x.pow(0);
    expect(Array.from(y.data)).toEqual([1, 1, 1, 1]);
    y.sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 0, 0]);
  });

  test('the divisor gradient -g a / b^2 is formed as -g ((a / b) / b), in float64: finite where the result is', () => {
    // a = 0 with a tiny b: (g / b) overflowed and times a = 0 gave NaN; the gradient is -0 (PyTorch's too)
    const a = tensor([0, 0], { dtype: 'float64', requiresGrad: true });
    const b = tensor([1e-310, -1e-310], { dtype: 'float64', requiresGrad: true });
    ops.div(a, b).backward(tensor([1, 1], { dtype: 'float64' }));
    expect(signs(b.grad!.data)).toEqual(['-0', '-0']);
    // float32: the temporary g / b * a overflowed float32 where the gradient itself fits (mpmath: -2.8725896e38)
    const a32 = tensor([-3.4e38], { requiresGrad: true });
    const b32 = tensor([-1.3324], { requiresGrad: true });
    ops.div(a32, b32).backward(tensor([-1.5]));
    const want = Math.fround(-1.5 * ((Math.fround(-3.4e38) / Math.fround(-1.3324)) / Math.fround(-1.3324)) * -1);
    expect(b32.grad!.data[0]).toBe(want);
    expect(Number.isFinite(b32.grad!.data[0])).toBe(true);
    // broadcast divisor: summed over the rows, the values a gradcheck agrees with
    const x = tensor([[1, -2, 3], [0.5, 4, -1]], { dtype: 'float64', requiresGrad: true });
    const d = tensor([[0.7, -1.3, 2.1]], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((p: Tensor, q: Tensor) => ops.div(p, q), [x, d], { seed: 1 })).toBe(true);
  });

  test('sum and mean over axis [] reduce no axis (NumPy\'s axis=()); undefined and null reduce every axis', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    expect(x.sum([]).shape).toEqual([2, 2]);
    expect(Array.from(x.sum([]).data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(x.mean([], true).data)).toEqual([1, 2, 3, 4]);
    expect(x.sum().item()).toBe(10);
    expect(x.sum(null).item()).toBe(10);
    expect(x.mean(null, true).shape).toEqual([1, 1]);
  });
});

describe('module loading', () => {
  // Tensor methods call the ops and the ops' Functions extend autograd's Function: every entry point must load
  // cleanly whichever module a user (or a worker) requires first.
  test.each([
    '../lib/autograd/function',
    '../lib/autograd/engine',
    '../lib/autograd/tensor',
    '../lib/autograd/gradcheck',
    '../lib/ops/elementwise',
    '../lib/ops/loss',
    '../lib/ops/matmul',
    '../lib/nn/module',
    '../lib/nn/mlp',
    '../lib/optim/sgd',
  ])('requiring %s first works', (entry) => {
    jest.isolateModules(() => {
      require(entry);
      const { tensor: t } = require('../lib/autograd');
      const nnm = require('../lib/nn');
      const x = t([[1, 2]], { requiresGrad: true });
      new nnm.MLP({ inputs: 2, hidden: [3], outputs: 2, seed: 1 }).forward(x).sum().backward();
      expect(x.grad.numel).toBe(2);
    });
  });
});
