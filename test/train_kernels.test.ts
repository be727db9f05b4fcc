/**
 * The kernels and fast paths of the training step: the mini-batch row gather, column sums (bias gradient),
 * cross-entropy forward, the in-place gradient accumulation of linear layers, the piecewise-linear activations
 * differentiated from their output, and the chunked validation pass. Native (every ISA, 1 and 2 threads) is
 * compared with the TypeScript reference; npm test runs this file once per backend.
 */
import {
  activations,
  backend,
  crossEntropy,
  detectAnomaly,
  getJsBackend,
  getNativeBackend,
  loadMnist,
  nn,
  NeuralNetClassifier,
  noGrad,
  optim,
  tensor,
  trainValidSplit,
  Rng,
  Tensor,
} from '../lib';
import { linearAct } from '../lib/ops/matmul';

const js = getJsBackend();
const nb = getNativeBackend();

function randArray(C: typeof Float32Array | typeof Float64Array, n: number, seed: number): Float32Array | Float64Array {
  const r = new Rng(seed);
  const a = new C(n);
  for (let i = 0; i < n; i++) a[i] = r.normal();
  return a;
}

/** Runs fn under every native configuration (ISA x threads), restoring the backend's state afterwards. */
function eachNative(fn: (label: string) => void): void {
  if (!nb) return;
  const isa = nb.info().isa;
  const threads = nb.getThreads();
  try {
    for (const i of nb.info().isas) {
      nb.setIsa(i);
      for (const t of [1, 2]) {
        nb.setThreads(t);
        fn(`${i}/${t} threads`);
      }
    }
  } finally {
    nb.setIsa(isa);
    nb.setThreads(threads);
  }
}

describe('training-step kernels: native == TypeScript reference', () => {
  test('the reference kernels compute what they document', () => {
    const src = Float32Array.from({ length: 12 }, (_, i) => i); // 4 rows x 3
    const dst = new Float32Array(9).fill(-1);
    js.takeRows(src, 3, Int32Array.of(9, 3, 0, 2), 1, 3, dst);
    expect(Array.from(dst)).toEqual([9, 10, 11, 0, 1, 2, -1, -1, -1]);
    expect(() => js.takeRows(src, 3, Int32Array.of(4), 0, 1, dst)).toThrow(RangeError);
    const sums = Float64Array.of(1, 1, 1);
    js.colSum(src, 4, 3, sums, true);
    expect(Array.from(sums)).toEqual([1 + 18, 1 + 22, 1 + 26]);
    const x = Float32Array.of(1, 2, 3, 1000, 0, -1000);
    const e = new Float64Array(6);
    const s = new Float64Array(2);
    const per = new Float64Array(2);
    js.crossEntropyForward(x, 2, 3, Int32Array.of(0, -100), -100, e, s, per);
    const lse = 3 + Math.log(Math.exp(-2) + Math.exp(-1) + 1);
    expect(per[0]).toBeCloseTo(lse - 1, 14);
    expect(per[1]).toBe(0); // ignored
    expect(e[3]).toBe(1); // exp(x - max) with the max at 1000: no overflow
    expect(s[1]).toBe(1);
  });

  for (const C of [Float32Array, Float64Array]) {
    test(`${C.name}: takeRows copies exactly (large batches split over threads)`, () => {
      const features = 784;
      const rows = 600;
      const src = randArray(C, rows * features, 1);
      const idx = new Rng(2).permutation(rows);
      for (const [from, to] of [
        [0, 0],
        [0, 1],
        [37, 37 + 256],
        [100, 600],
      ]) {
        const want = new C((to - from) * features + 5).fill(7);
        js.takeRows(src, features, idx, from, to, want);
        eachNative((label) => {
          const got = new C((to - from) * features + 5).fill(7);
          nb!.takeRows(src, features, idx, from, to, got);
          expect({ label, equal: got.every((v, i) => Object.is(v, want[i])) }).toEqual({ label, equal: true });
        });
      }
      if (nb) {
        const bad = Int32Array.from(idx);
        bad[400] = rows;
        expect(() => nb.takeRows(src, features, bad, 300, 500, new C(200 * features))).toThrow(
          expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/idx\[400\] = 600 is not a row of src/) }),
        );
      }
    });

    test(`${C.name}: colSum is bit-identical (overwrite and accumulate, tails, NaN, more than 256 columns)`, () => {
      for (const [rows, cols] of [
        [0, 5],
        [1, 1],
        [128, 128],
        [129, 300],
        [7, 10],
      ]) {
        const src = randArray(C, rows * cols, rows + cols);
        if (src.length > 3) src[3] = NaN;
        for (const accumulate of [false, true]) {
          const want = randArray(C, cols, 9);
          const init = Float64Array.from(want);
          js.colSum(src, rows, cols, want, accumulate);
          if (!accumulate && rows > 1) {
            // the double accumulation rounds once: compare with an explicit double sum
            let s = 0;
            for (let r = 0; r < rows; r++) s += src[r * cols + cols - 1];
            expect(want[cols - 1]).toBe(C === Float32Array ? Math.fround(s) : s);
          }
          eachNative((label) => {
            const got = C.from(init);
            nb!.colSum(src, rows, cols, got, accumulate);
            expect({ label, equal: got.every((v, i) => Object.is(v, want[i])) }).toEqual({ label, equal: true });
          });
        }
      }
    });

    test(`${C.name}: crossEntropyForward agrees to 1e-14 (NaN, infinite and huge logits, ignored targets)`, () => {
      const n = 200;
      const c = 10;
      const x = randArray(C, n * c, 5);
      x[0] = NaN;
      x[c + 3] = Infinity;
      x[2 * c] = -Infinity;
      x[3 * c + 1] = 3e38;
      x[4 * c + 2] = -3e38;
      const t = Int32Array.from({ length: n }, (_, i) => (i % 17 === 5 ? -100 : i % c));
      const want = [new Float64Array(n * c), new Float64Array(n), new Float64Array(n)] as const;
      js.crossEntropyForward(x, n, c, t, -100, ...want);
      eachNative(() => {
        const got = [new Float64Array(n * c), new Float64Array(n), new Float64Array(n)] as const;
        nb!.crossEntropyForward(x, n, c, t, -100, ...got);
        for (let j = 0; j < 3; j++) {
          for (let i = 0; i < want[j].length; i++) {
            const w = want[j][i];
            const g = got[j][i];
            if (Number.isNaN(w) || !Number.isFinite(w)) expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w))).toBe(true);
            else expect(Math.abs(g - w)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(w)));
          }
        }
      });
    });

    test(`${C.name}: sgdStep on a layer-sized tensor (split over threads) is bit-identical`, () => {
      const n = 100352 + 3;
      const w0 = randArray(C, n, 11);
      const g = randArray(C, n, 12).map((v) => v * 0.1);
      const b0 = randArray(C, n, 13).map((v) => v * 0.01);
      const wantW = C.from(w0);
      const wantB = C.from(b0);
      js.sgdStep(wantW, g, wantB, 0.01, 0.95, 0, 1e-4, true, false, false);
      eachNative((label) => {
        const w = C.from(w0);
        const b = C.from(b0);
        nb!.sgdStep(w, g, b, 0.01, 0.95, 0, 1e-4, true, false, false);
        expect({ label, w: w.every((v, i) => Object.is(v, wantW[i])), b: b.every((v, i) => Object.is(v, wantB[i])) }).toEqual({
          label,
          w: true,
          b: true,
        });
      });
    });
  }
});

describe(`linear layers: backward fast paths (${backend().name})`, () => {
  test("relu, relu6 and leaky_relu (alpha > 0) have f'(f(x)) == f'(x), so their backward may run from the output", () => {
    const edge = [0, -0, 1e-30, -1e-30, 0.5, -0.5, 3, -3, 5.999, 6, 6.001, 7, -7, 88, -88, 3.4e38, -3.4e38, Infinity, -Infinity, NaN];
    for (const C of [Float32Array, Float64Array]) {
      const x = C.from([...edge, ...randArray(C, 61, 3).map((v) => v * 8)]);
      for (const [name, params] of [
        ['relu', {}],
        ['relu6', {}],
        ['leaky_relu', { alpha: 0.01 }],
        ['leaky_relu', { alpha: 2.5 }],
      ] as const) {
        const f = activations.get(name, params);
        const y = f.forward(x);
        const fromX = f.derivative(x);
        const fromY = f.derivative(y);
        expect({ name, params, same: fromX.every((v, i) => Object.is(v, fromY[i]) || (Number.isNaN(v) && Number.isNaN(fromY[i]))) }).toEqual({
          name,
          params,
          same: true,
        });
      }
      // and not for a negative slope (the output changes sign), which therefore keeps the pre-activation
      const lr = activations.get('leaky_relu', { alpha: -0.5 });
      expect(lr.derivative(lr.forward(C.of(-2)))[0]).not.toBe(lr.derivative(C.of(-2))[0]);
    }
  });

  test('fused linear + activation gives the unfused gradients (output-based and pre-activation-based backward)', () => {
    for (const act of ['relu', 'relu6', { name: 'leaky_relu', alpha: 0.1 }, { name: 'leaky_relu', alpha: -0.3 }, 'tanh', 'gelu'] as const) {
      const r = new Rng(4);
      const X = tensor(randArray(Float64Array, 6 * 5, 1).map((v) => v * 4), { shape: [6, 5], dtype: 'float64', requiresGrad: true });
      const W = tensor(Float64Array.from({ length: 4 * 5 }, () => r.normal()), { shape: [4, 5], dtype: 'float64', requiresGrad: true });
      const B = tensor(Float64Array.from({ length: 4 }, () => r.normal()), { shape: [4], dtype: 'float64', requiresGrad: true });
      const G = tensor(randArray(Float64Array, 24, 8), { shape: [6, 4], dtype: 'float64' });
      const fusedOut = linearAct(X, W, B, act);
      fusedOut.mul(G).sum().backward();
      const fused = [X.grad!.data, W.grad!.data, B.grad!.data].map((d) => Array.from(d));
      X.grad = W.grad = B.grad = null;
      const a = activations.get(typeof act === 'string' ? act : act.name, typeof act === 'string' ? {} : { alpha: act.alpha });
      const pre = X.matmul(W.transpose(0, 1)).add(B);
      const y = tensor(a.forward(pre.data as Float64Array), { shape: [6, 4], dtype: 'float64' });
      // d/dpre of sum(G * f(pre)) = G f'(pre); chain through pre = X Wᵀ + B by autograd
      const gpre = tensor((a.derivative(pre.data as Float64Array) as Float64Array).map((d, i) => d * G.data[i]), { shape: [6, 4], dtype: 'float64' });
      pre.mul(gpre).sum().backward();
      const ref = [X.grad!.data, W.grad!.data, B.grad!.data].map((d) => Array.from(d));
      for (let i = 0; i < 24; i++) expect(fusedOut.data[i]).toBeCloseTo(y.data[i], 12); // the fused forward, too
      for (let j = 0; j < 3; j++) for (let i = 0; i < ref[j].length; i++) expect(fused[j][i]).toBeCloseTo(ref[j][i], 12);
    }
  });

  test('a leaf weight with a .grad gets the new gradient added in place (same buffer), as the engine would', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const lin = new nn.Linear(7, 3, { seed: 5, dtype });
      const x1 = tensor(randArray(dtype === 'float32' ? Float32Array : Float64Array, 4 * 7, 1), { shape: [4, 7], dtype });
      const x2 = tensor(randArray(dtype === 'float32' ? Float32Array : Float64Array, 4 * 7, 2), { shape: [4, 7], dtype });
      const grads = (x: Tensor): Float64Array[] => {
        lin.zeroGrad();
        lin.forward(x).sum().backward();
        return [Float64Array.from(lin.weight.grad!.data), Float64Array.from(lin.bias!.grad!.data)];
      };
      const [g1w, g1b] = grads(x1);
      const [g2w, g2b] = grads(x2);
      // accumulate: x1 then x2 without zeroing
      lin.zeroGrad();
      lin.forward(x1).sum().backward();
      const wBuf = lin.weight.grad!.data;
      const bBuf = lin.bias!.grad!.data;
      lin.forward(x2).sum().backward();
      expect(lin.weight.grad!.data).toBe(wBuf); // the same buffer, updated in place
      expect(lin.bias!.grad!.data).toBe(bBuf);
      const round = dtype === 'float32' ? Math.fround : (v: number) => v;
      for (let i = 0; i < g1w.length; i++) expect(lin.weight.grad!.data[i]).toBeCloseTo(round(g1w[i] + g2w[i]), dtype === 'float32' ? 5 : 12);
      for (let i = 0; i < g1b.length; i++) expect(lin.bias!.grad!.data[i]).toBe(round(g1b[i] + g2b[i]));
      // zeroGrad(false) keeps the buffers; the next backward overwrites the zeros with exactly the new gradient
      lin.zeroGrad(false);
      expect(lin.weight.grad!.data).toBe(wBuf);
      lin.forward(x2).sum().backward();
      expect(Array.from(lin.weight.grad!.data)).toEqual(Array.from(dtype === 'float32' ? Float32Array.from(g2w) : g2w));
      expect(Array.from(lin.bias!.grad!.data)).toEqual(Array.from(dtype === 'float32' ? Float32Array.from(g2b) : g2b));
      // anomaly mode inspects every returned gradient: it takes the engine path, with the same result
      lin.zeroGrad(false);
      detectAnomaly(() => lin.forward(x2).sum().backward());
      expect(Array.from(lin.weight.grad!.data)).toEqual(Array.from(dtype === 'float32' ? Float32Array.from(g2w) : g2w));
    }
  });
});

describe(`NeuralNetClassifier fast paths (${backend().name})`, () => {
  const data = loadMnist({ limit: 1200 });
  const make = (extra: Record<string, unknown> = {}): NeuralNetClassifier =>
    new NeuralNetClassifier({
      module: 'mlp',
      moduleParams: { inputs: 784, hidden: [24, 16], outputs: 10, activation: 'relu' },
      lr: 0.01,
      optimizerParams: { momentum: 0.95 },
      maxEpochs: 2,
      batchSize: 32,
      seed: 3,
      verbose: 0,
      ...extra,
    });

  test('kept .grad buffers (zeroGrad(false)) train exactly like fresh ones (an optimizer that sets them to null)', async () => {
    class SgdToNone extends optim.SGD {
      override zeroGrad(): void {
        super.zeroGrad(true);
      }
    }
    const a = await make().fit(data.X, data.y);
    const b = await make({ optimizer: SgdToNone }).fit(data.X, data.y);
    const rows = (n: NeuralNetClassifier) => n.history.epochs.map((e) => [e.train_loss, e.valid_loss, e.valid_acc]);
    expect(rows(b)).toEqual(rows(a));
  });

  test('the chunked validation pass reports exactly the batch-by-batch loss and accuracy', async () => {
    const data = loadMnist({ limit: 6000 }); // 1200 validation rows: more than one chunk of 1024
    const net = await make({ maxEpochs: 1 }).fit(data.X, data.y);
    const split = trainValidSplit(data.y, { validFraction: 0.2 });
    const module = net.module_!;
    module.eval();
    let loss = 0;
    let right = 0;
    const bs = 32;
    const perBatch: number[] = [];
    for (let from = 0; from < split.valid.length; from += bs) {
      const idx = split.valid.subarray(from, Math.min(split.valid.length, from + bs));
      const xb = new Float32Array(idx.length * 784);
      idx.forEach((r, i) => xb.set(data.X.subarray(r * 784, (r + 1) * 784), i * 784));
      const yb = Int32Array.from(idx, (r) => data.y[r]);
      noGrad(() => {
        const logits: Tensor = module.forward(tensor(xb, { shape: [idx.length, 784] }));
        const l = crossEntropy(logits, yb).item();
        perBatch.push(l);
        loss += l * idx.length;
        for (let i = 0; i < idx.length; i++) {
          const row = Array.from(logits.data.subarray(i * 10, i * 10 + 10));
          if (row.indexOf(Math.max(...row)) === yb[i]) right++;
        }
      });
    }
    const rec = net.history.epochs[0];
    expect(split.valid.length).toBeGreaterThan(1024);
    expect(rec.valid_loss).toBe(loss / split.valid.length);
    expect(rec.valid_acc).toBe(right / split.valid.length);
    expect(rec.batches.filter((b) => b.valid_loss !== undefined).map((b) => b.valid_loss)).toEqual(perBatch);
  });
});
