/**
 * NaN/Infinity diagnostics: detectAnomaly names the op (Function) whose forward output or backward
 * gradient first holds NaN/Infinity; a diverging fit stops with a TrainingDivergedError naming the epoch,
 * the batch and the parameter (layer).
 */
import {
  tensor,
  Function,
  Context,
  Tensor,
  setDetectAnomaly,
  detectAnomaly,
  isAnomalyEnabled,
  AnomalyError,
} from '../lib/autograd';
import { add, linear, log, mul, sum, matmul } from '../lib/ops';
import { NeuralNetClassifier, TrainingDivergedError } from '../lib/train/classifier';

afterEach(() => setDetectAnomaly(false));

/** Forward: x * 2; backward: a gradient with a NaN at element 1 (a deliberately broken custom op). */
class BadGrad extends Function {
  static override forward(_ctx: Context, x: Tensor): Tensor {
    return mul(x, tensor([2], { dtype: x.dtype }));
  }
  static override backward(_ctx: Context, g: Tensor): Tensor {
    const d = g.data.slice();
    d[1] = NaN;
    return tensor(d, { shape: g.shape, dtype: g.dtype });
  }
}

describe('detectAnomaly', () => {
  test('off by default: NaN flows through ops silently', () => {
    expect(isAnomalyEnabled()).toBe(false);
    const y = log(tensor([1, -1, 2]));
    expect(Number.isNaN(y.data[1])).toBe(true);
  });

  test('a forward output with NaN from finite inputs throws, naming the op and the element', () => {
    setDetectAnomaly(true);
    let err: unknown = null;
    try {
      log(tensor([1, -1, 2]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AnomalyError);
    const a = err as AnomalyError;
    expect(a.op).toBe('Log');
    expect(a.phase).toBe('forward');
    expect(a.index).toBe(1);
    expect(Number.isNaN(a.value)).toBe(true);
    expect(a.message).toMatch(/Log\.forward produced NaN \(output element 1\) from finite inputs/);
  });

  test('Infinity counts too; an input that already holds NaN/Infinity is named', () => {
    setDetectAnomaly(true);
    expect(() => log(tensor([0, 1]))).toThrow(/Log\.forward produced -Infinity \(output element 0\)/);
    const x = tensor([1, Infinity, 3, 4], { shape: [2, 2] });
    expect(() => matmul(x, tensor([1, 0, 0, 1], { shape: [2, 2] }))).toThrow(/input 0 already held NaN\/Infinity/);
  });

  test('a backward gradient with NaN throws, naming the node and the argument', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const loss = sum(BadGrad.apply(x));
    let err: unknown = null;
    try {
      detectAnomaly(() => loss.backward());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AnomalyError);
    const a = err as AnomalyError;
    expect(a.op).toBe('BadGradBackward');
    expect(a.phase).toBe('backward');
    expect(a.argument).toBe(0);
    expect(a.index).toBe(1);
    expect(a.message).toMatch(/BadGradBackward returned NaN in the gradient of its argument 0 \(element 1\)/);
    // Without detection the same graph runs and leaves the NaN in .grad.
    const x2 = tensor([1, 2, 3], { requiresGrad: true });
    sum(BadGrad.apply(x2)).backward();
    expect(Number.isNaN(x2.grad!.data[1])).toBe(true);
  });

  test('detectAnomaly scopes: on inside (nested too), off after, also for async functions and throws', async () => {
    expect(detectAnomaly(() => isAnomalyEnabled())).toBe(true);
    expect(isAnomalyEnabled()).toBe(false);
    expect(detectAnomaly(() => detectAnomaly(() => 1) + (isAnomalyEnabled() ? 1 : 0))).toBe(2);
    expect(isAnomalyEnabled()).toBe(false);
    expect(() =>
      detectAnomaly(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isAnomalyEnabled()).toBe(false);
    const p = detectAnomaly(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return isAnomalyEnabled();
    });
    expect(isAnomalyEnabled()).toBe(true); // still on while the async function runs
    expect(await p).toBe(true);
    expect(isAnomalyEnabled()).toBe(false);
    expect(setDetectAnomaly(true)).toBe(false);
    expect(setDetectAnomaly(false)).toBe(true);
    expect(() => setDetectAnomaly('yes' as any)).toThrow(TypeError);
    expect(() => detectAnomaly(42 as any)).toThrow(TypeError);
  });

  test('finite computations are unaffected (same values with detection on)', () => {
    const a = tensor([0.5, -1, 2, 3], { shape: [2, 2], requiresGrad: true });
    const b = tensor([1, 2, -3, 4], { shape: [2, 2] });
    const run = (): number[] => {
      a.grad = null;
      const l = sum(mul(matmul(a, b), matmul(a, b)));
      l.backward();
      return [l.item(), ...Array.from(a.grad!.data)];
    };
    const plain = run();
    expect(detectAnomaly(run)).toEqual(plain);
  });

  test('under detection a Linear weight and bias used twice get the sum of both uses\' gradients', () => {
    // With detection on, linear's dW/db are fresh tensors (no in-place accumulation): the first one may become
    // .grad, the second must be added to it, not take its place. Reference: d sum(x W^T + b) / dW[o][i] is
    // sum_r x[r][i] and / db[o] is the row count, summed over both inputs.
    const w = tensor([1, -2, 3, 0.5, 4, -1], { shape: [2, 3], dtype: 'float64', requiresGrad: true });
    const b = tensor([0.25, -0.5], { dtype: 'float64', requiresGrad: true });
    const x1 = tensor([1, 2, 3, -1, 0, 2], { shape: [2, 3], dtype: 'float64' });
    const x2 = tensor([0.5, -4, 1], { shape: [1, 3], dtype: 'float64' });
    detectAnomaly(() => add(sum(linear(x1, w, b)), sum(linear(x2, w, b))).backward());
    const colSum = [0, 1, 2].map((i) => x1.data[i] + x1.data[3 + i] + x2.data[i]);
    expect(Array.from(w.grad!.data)).toEqual([...colSum, ...colSum]);
    expect(Array.from(b.grad!.data)).toEqual([3, 3]);
  });
});

describe('detectAnomaly and in-place gradient accumulation', () => {
  /** Forward: a copy; backward: the gradient times 1e30 (finite in float32). */
  class Amplify extends Function {
    static override forward(_ctx: Context, x: Tensor): Tensor {
      return new Tensor(x.data.slice(), x.shape);
    }
    static override backward(_ctx: Context, g: Tensor): Tensor {
      return new Tensor(g.data.map((v) => v * 1e30), g.shape);
    }
  }

  test('a Linear weight gradient that overflows is named also when the weight already holds a .grad', () => {
    // dW = 1e30 * x, where x holds 1e30: Infinity in float32, from finite gradients and inputs
    const x = tensor([1e30, 1], { shape: [1, 2] });
    for (const preset of [false, true]) {
      const w = tensor([1, 1], { shape: [1, 2], requiresGrad: true });
      if (preset) w.grad = tensor([0, 0], { shape: [1, 2] });
      const loss = sum(Amplify.apply(linear(x, w)));
      let err: unknown = null;
      try {
        detectAnomaly(() => loss.backward());
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AnomalyError);
      expect((err as AnomalyError).op).toBe('LinearActBackward');
      expect((err as AnomalyError).argument).toBe(1);
    }
  });
});

describe('diverging training', () => {
  function data(): { X: Float32Array; y: Int32Array } {
    let s = 3;
    const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const n = 256;
    const f = 8;
    const X = new Float32Array(n * f).map(() => rnd() * 4 - 2);
    const y = Int32Array.from({ length: n }, (_, i) => (X[i * f] + X[i * f + 1] > 0 ? 1 : 0) + (X[i * f + 2] > 1 ? 1 : 0));
    return { X, y };
  }

  test('lr 1e6 stops with a TrainingDivergedError naming the epoch, the batch and the layer', async () => {
    const { X, y } = data();
    const net = new NeuralNetClassifier({
      moduleParams: { inputs: 8, hidden: [16], outputs: 3 },
      lr: 1e6,
      maxEpochs: 20,
      batchSize: 32,
      verbose: 0,
    });
    let err: unknown = null;
    try {
      await net.fit(X, y);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrainingDivergedError);
    const d = err as TrainingDivergedError;
    expect(Number.isInteger(d.epoch) && d.epoch >= 1 && d.epoch <= 20).toBe(true);
    expect(Number.isInteger(d.batch) && d.batch >= 1).toBe(true);
    // The layer: a parameter that holds NaN/Infinity, or (finite weights, overflowing activations) the
    // first submodule whose output is not finite.
    expect(typeof d.layer).toBe('string');
    const param = net.module_!.namedParameters().find(([n]) => n === d.layer);
    if (param) expect(Array.from(param[1].data).some((v) => !Number.isFinite(v))).toBe(true);
    else expect(net.module_!.namedModules().map(([n]) => n)).toContain(d.layer);
    expect(d.message).toContain(`epoch ${d.epoch}, batch ${d.batch}`);
    expect(d.message).toContain(`'${d.layer}'`);
  });

  test('the same fit under detectAnomaly stops at the first op that sees NaN/Infinity, by name', async () => {
    const { X, y } = data();
    const net = new NeuralNetClassifier({
      moduleParams: { inputs: 8, hidden: [16], outputs: 3 },
      lr: 1e6,
      maxEpochs: 20,
      batchSize: 32,
      verbose: 0,
    });
    let err: unknown = null;
    try {
      await detectAnomaly(() => net.fit(X, y));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AnomalyError);
    expect((err as AnomalyError).op).toMatch(/^[A-Z]\w*$/); // a Function's name
    expect((err as AnomalyError).message).toMatch(/anomaly detected: \w+/);
    expect(isAnomalyEnabled()).toBe(false);
  });
});
