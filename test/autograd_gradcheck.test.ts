/**
 * Every differentiable op passes gradcheck (float64 central differences vs backward()) on the active backend.
 * Inputs avoid the kinks of piecewise ops (relu at 0, hardswish at ±3, ...) by a margin far above eps.
 */
import { Tensor, tensor, randn, gradcheck } from '../lib/autograd';
import * as ops from '../lib/ops';
import { backend, ACT_OPS } from '../lib/backend';
import { Rng } from '../lib/util/random';

const f64 = (shape: number[], seed: number, scale = 1): Tensor => {
  const t = randn(shape, { dtype: 'float64', seed });
  for (let i = 0; i < t.numel; i++) t.data[i] *= scale;
  return t.requiresGrad_();
};

/** Pushes values at least `margin` away from each kink. */
function avoid(t: Tensor, kinks: number[], margin = 1e-3): Tensor {
  for (let i = 0; i < t.numel; i++) {
    for (const k of kinks) {
      if (Math.abs(t.data[i] - k) < margin) t.data[i] = k + (t.data[i] >= k ? margin : -margin) * 3;
    }
  }
  return t;
}

const KINKS: Record<string, number[]> = {
  relu: [0],
  leaky_relu: [0],
  elu: [0],
  celu: [0],
  selu: [0],
  hardswish: [-3, 3],
  hardsigmoid: [-3, 3],
  relu6: [0, 6],
  softplus: [],
};

describe(`gradcheck (backend ${backend().name}/${backend().isa})`, () => {
  test('gradcheck itself rejects a wrong backward, naming the worst element', () => {
    class BadSquare extends (require('../lib/autograd').Function as typeof import('../lib/autograd').Function) {
      static override forward(ctx: any, x: Tensor): Tensor {
        ctx.saveForBackward(x);
        return new Tensor(x.data.map((v) => v * v), x.shape);
      }
      static override backward(ctx: any, g: Tensor): Tensor {
        const [x] = ctx.savedTensors;
        return new Tensor(x.data.map((v: number, i: number) => 2.01 * v * g.data[i]), x.shape); // 0.5% off
      }
    }
    const x = f64([2, 3], 1);
    expect(() => gradcheck((a: Tensor) => BadSquare.apply(a), [x])).toThrow(/gradcheck failed: \d+ element\(s\) differ; worst is input 0 \(shape \[2, 3\]\) at \[\d, \d\]: analytic/);
    // float32 inputs are refused
    expect(() => gradcheck((a: Tensor) => a.mul(2), [randn([2], { seed: 1 }).requiresGrad_()])).toThrow(TypeError);
  });

  test('add / sub / mul / div with broadcasting and numbers', () => {
    const shapes: [number[], number[]][] = [
      [[3, 4], [3, 4]],
      [[3, 1, 4], [2, 4]],
      [[5], [2, 1, 5]],
      [[2, 3], []],
      [[4, 1], [1, 3]],
    ];
    shapes.forEach(([sa, sb], i) => {
      const a = f64(sa, 10 + i);
      const b = f64(sb, 20 + i);
      for (let j = 0; j < b.numel; j++) b.data[j] = Math.sign(b.data[j] || 1) * (0.5 + Math.abs(b.data[j])); // keep away from 0 for div
      expect(gradcheck((x: Tensor, y: Tensor) => x.add(y), [a, b])).toBe(true);
      expect(gradcheck((x: Tensor, y: Tensor) => x.sub(y), [a, b])).toBe(true);
      expect(gradcheck((x: Tensor, y: Tensor) => x.mul(y), [a, b])).toBe(true);
      expect(gradcheck((x: Tensor, y: Tensor) => x.div(y), [a, b])).toBe(true);
      expect(gradcheck((x: Tensor, y: Tensor) => y.div(x.mul(x).add(1)), [a, b])).toBe(true);
    });
    const a = f64([3, 2], 30);
    expect(gradcheck((x: Tensor) => ops.sub(2, x.mul(3).add(1.5)).div(4), [a])).toBe(true);
    expect(gradcheck((x: Tensor) => ops.div(1, x.mul(x).add(2)), [a])).toBe(true);
    // the same tensor on both sides (gradient accumulation inside one node)
    expect(gradcheck((x: Tensor) => x.mul(x).sub(x), [a])).toBe(true);
  });

  test('neg, exp, log, pow', () => {
    const a = f64([3, 4], 40);
    const pos = tensor(Array.from(a.data, (v) => 0.2 + Math.abs(v)), { shape: [3, 4], dtype: 'float64', requiresGrad: true });
    expect(gradcheck((x: Tensor) => x.neg(), [a])).toBe(true);
    expect(gradcheck((x: Tensor) => x.exp(), [a])).toBe(true);
    expect(gradcheck((x: Tensor) => x.log(), [pos])).toBe(true);
    for (const p of [2, 3, 0.5, -1.5]) expect(gradcheck((x: Tensor) => x.pow(p), [pos])).toBe(true);
    expect(gradcheck((x: Tensor) => x.pow(2), [a])).toBe(true);
  });

  test('sum and mean over axes, with keepdim', () => {
    const a = f64([2, 3, 4], 50);
    const axes: (number | number[] | undefined)[] = [undefined, 0, 1, -1, [0, 2], [1, 2], [0, 1, 2]];
    for (const ax of axes) {
      for (const keep of [false, true]) {
        expect(gradcheck((x: Tensor) => x.sum(ax, keep), [a])).toBe(true);
        expect(gradcheck((x: Tensor) => x.mean(ax, keep), [a])).toBe(true);
      }
    }
  });

  test('reshape, flatten, transpose, permute', () => {
    const a = f64([2, 3, 4], 60);
    expect(gradcheck((x: Tensor) => x.reshape(4, -1).mul(x.reshape([4, 6])), [a])).toBe(true);
    expect(gradcheck((x: Tensor) => x.flatten().mul(x.flatten()), [a])).toBe(true);
    expect(gradcheck((x: Tensor) => x.flatten(0, 1), [a])).toBe(true);
    expect(gradcheck((x: Tensor) => x.transpose(0, 2), [a])).toBe(true);
    expect(gradcheck((x: Tensor) => x.transpose(1, 2).matmul(x), [a])).toBe(true);
    expect(gradcheck((x: Tensor) => ops.permute(x, [2, 0, 1]), [a])).toBe(true);
    const m = f64([5, 3], 61);
    expect(gradcheck((x: Tensor) => x.t().matmul(x), [m])).toBe(true);
  });

  test('matmul: 2-D, batched, broadcast batches, 1-D operands', () => {
    const cases: [number[], number[]][] = [
      [[4, 3], [3, 5]],
      [[2, 4, 3], [2, 3, 5]],
      [[2, 4, 3], [3, 5]],
      [[4, 3], [2, 3, 5]],
      [[2, 1, 4, 3], [3, 3, 2]],
      [[3], [3, 2]],
      [[4, 3], [3]],
      [[3], [3]],
    ];
    cases.forEach(([sa, sb], i) => {
      const a = f64(sa, 70 + i);
      const b = f64(sb, 80 + i);
      expect(gradcheck((x: Tensor, y: Tensor) => x.matmul(y), [a, b])).toBe(true);
    });
  });

  test('linear and linearAct (bias + activation fused in the GEMM epilogue)', () => {
    const x = f64([5, 4], 90);
    const w = f64([3, 4], 91);
    const b = f64([3], 92);
    expect(gradcheck((a: Tensor, ww: Tensor, bb: Tensor) => ops.linear(a, ww, bb), [x, w, b])).toBe(true);
    expect(gradcheck((a: Tensor, ww: Tensor) => ops.linear(a, ww), [x, w])).toBe(true);
    const x3 = f64([2, 5, 4], 93);
    expect(gradcheck((a: Tensor, ww: Tensor, bb: Tensor) => ops.linear(a, ww, bb), [x3, w, b])).toBe(true);
    for (const act of ['relu', 'tanh', 'sigmoid', 'swish', 'gelu', 'elu', { name: 'leaky_relu', alpha: 0.1 }] as const) {
      // keep pre-activations away from kinks: check on inputs whose products are not near 0
      expect(
        gradcheck((a: Tensor, ww: Tensor, bb: Tensor) => ops.linearAct(a, ww, bb, act as any), [x, w, b]),
      ).toBe(true);
    }
    // the weight-only path (x needs no gradient: dX is skipped)
    const xc = randn([5, 4], { dtype: 'float64', seed: 94 });
    expect(gradcheck((ww: Tensor, bb: Tensor) => ops.linearAct(xc, ww, bb, 'tanh'), [w, b])).toBe(true);
  });

  test.each([...ACT_OPS])('activation kernel op %s', (name) => {
    // every kernel op, reached through its registry name
    const spec = name === 'gelu_tanh' ? { name: 'gelu', approximate: 'tanh' } : name;
    expect(ops.resolveActivation(spec).opId).toBe(ACT_OPS.indexOf(name));
    const x = avoid(f64([3, 7], 100 + ACT_OPS.indexOf(name), 2.5), KINKS[name] ?? []);
    expect(gradcheck((a: Tensor) => a.activation(spec), [x])).toBe(true);
  });

  test('activations with parameters', () => {
    const x = avoid(f64([4, 6], 120, 2.5), [0, 2.5]);
    const specs: any[] = [
      { name: 'leaky_relu', alpha: 0.05 },
      { name: 'elu', alpha: 0.7 },
      { name: 'celu', alpha: 1.3 },
      { name: 'softplus', beta: 2, threshold: 5 },
      { name: 'swish', beta: 1.5 },
      { name: 'gelu', approximate: 'tanh' },
      { name: 'prelu', alpha: 0.2 },
      'silu',
    ];
    for (const s of specs) expect(gradcheck((a: Tensor) => a.activation(s), [x])).toBe(true);
    expect(gradcheck((a: Tensor) => ops.swish(a, 0.7), [x])).toBe(true);
  });

  test('prelu: one alpha and one alpha per channel, with the alpha gradient', () => {
    const x = avoid(f64([4, 3, 2], 130), [0]);
    const a1 = tensor([0.25], { dtype: 'float64', requiresGrad: true });
    const a3 = tensor([0.1, -0.3, 0.7], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((v: Tensor, a: Tensor) => ops.prelu(v, a), [x, a1])).toBe(true);
    expect(gradcheck((v: Tensor, a: Tensor) => ops.prelu(v, a), [x, a3])).toBe(true);
    const x2 = avoid(f64([5, 3], 131), [0]);
    expect(gradcheck((v: Tensor, a: Tensor) => ops.prelu(v, a), [x2, a3])).toBe(true);
  });

  test('swish with a learnable beta', () => {
    const x = f64([4, 5], 140, 2);
    const beta = tensor([1.3], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((v: Tensor, b: Tensor) => ops.swish(v, b), [x, beta])).toBe(true);
    const beta0 = tensor(0.6, { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((v: Tensor, b: Tensor) => ops.swish(v, b), [x, beta0])).toBe(true);
  });

  test('logSoftmax and softmax along any dimension', () => {
    const x = f64([3, 4, 2], 150, 3);
    for (const d of [0, 1, 2, -1]) {
      expect(gradcheck((a: Tensor) => a.logSoftmax(d), [x])).toBe(true);
      expect(gradcheck((a: Tensor) => a.softmax(d), [x])).toBe(true);
    }
  });

  test('crossEntropy from logits (every reduction, ignoreIndex, [N, C, L]) and nllLoss', () => {
    const x = f64([5, 4], 160, 3);
    const t = [0, 3, 1, 1, 2];
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      expect(gradcheck((a: Tensor) => ops.crossEntropy(a, t, { reduction }), [x])).toBe(true);
      expect(gradcheck((a: Tensor) => ops.nllLoss(a.logSoftmax(), Int32Array.from(t), { reduction }), [x])).toBe(true);
    }
    expect(gradcheck((a: Tensor) => ops.crossEntropy(a, [0, -100, 1, 1, 2]), [x])).toBe(true);
    const x3 = f64([2, 3, 4], 161);
    expect(gradcheck((a: Tensor) => ops.crossEntropy(a, tensor([[0, 1, 2, 2], [1, 0, 0, 2]])), [x3])).toBe(true);
    const x3t = [[0, 1, 2, 2], [1, 0, 0, 2]];
    for (const reduction of ['mean', 'none'] as const) {
      expect(gradcheck((a: Tensor) => ops.nllLoss(a, tensor(x3t), { reduction }), [x3])).toBe(true);
    }
    const one = f64([4], 162);
    expect(gradcheck((a: Tensor) => ops.crossEntropy(a, [2]), [one])).toBe(true);
  });

  test('mseLoss (both arguments)', () => {
    const x = f64([3, 4], 170);
    const y = f64([3, 4], 171);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      expect(gradcheck((a: Tensor, b: Tensor) => ops.mseLoss(a, b, { reduction }), [x, y])).toBe(true);
    }
  });

  test('dropout with a seeded mask, and identity in eval', () => {
    const x = f64([6, 5], 180);
    expect(gradcheck((a: Tensor) => ops.dropout(a, 0.3, { rng: new Rng(7) }), [x])).toBe(true);
    expect(gradcheck((a: Tensor) => ops.dropout(a, 0.3, { training: false }).mul(2), [x])).toBe(true);
  });

  test('batchNorm (training and eval, [N, C] and [N, C, L], affine and not)', () => {
    const x = f64([6, 3], 190, 2);
    const w = f64([3], 191);
    const b = f64([3], 192);
    const rm = tensor([0.1, -0.2, 0.3], { dtype: 'float64' });
    const rv = tensor([1.5, 0.5, 2], { dtype: 'float64' });
    expect(gradcheck((a: Tensor, ww: Tensor, bb: Tensor) => ops.batchNorm(a, null, null, ww, bb), [x, w, b])).toBe(true);
    expect(gradcheck((a: Tensor) => ops.batchNorm(a, null, null), [x])).toBe(true);
    expect(
      gradcheck((a: Tensor, ww: Tensor, bb: Tensor) => ops.batchNorm(a, rm, rv, ww, bb, { training: false }), [x, w, b]),
    ).toBe(true);
    const x3 = f64([3, 3, 4], 193);
    expect(gradcheck((a: Tensor, ww: Tensor, bb: Tensor) => ops.batchNorm(a, null, null, ww, bb), [x3, w, b])).toBe(true);
  });

  test('linearAct with a negative leaky_relu slope (its output does not tell the sign of the input)', () => {
    const x = f64([5, 3], 210);
    const w = f64([4, 3], 211);
    const b = f64([4], 212);
    for (const alpha of [-0.5, 0.2]) {
      const act = { name: 'leaky_relu', alpha };
      expect(gradcheck((a: Tensor, p: Tensor, q: Tensor) => ops.linearAct(a, p, q, act), [x, w, b])).toBe(true);
    }
  });

  test('a composite: a 2-layer MLP loss through every kind of node', () => {
    const x = f64([6, 4], 200);
    const w1 = f64([5, 4], 201, 0.5);
    const b1 = f64([5], 202);
    const w2 = f64([3, 5], 203, 0.5);
    const y = [0, 2, 1, 1, 0, 2];
    const fn = (a: Tensor, p: Tensor, q: Tensor, r: Tensor) =>
      ops.crossEntropy(ops.linearAct(a, p, q, 'tanh').matmul(r.t()), y).add(p.pow(2).sum().mul(1e-2));
    expect(gradcheck(fn, [x, w1, b1, w2])).toBe(true);
  });
});
