/**
 * NeuralNetClassifier (skorch's model) on a subset of the real MNIST: history, reproducibility, inference,
 * params, callbacks, save/load, abort, the printed table. Runs on every backend (npm test runs it three times).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Writable } from 'stream';
import {
  NeuralNetClassifier,
  TrainingDivergedError,
  loadMnist,
  EarlyStopping,
  Checkpoint,
  PrintLog,
  ProgressBar,
  backend,
  History,
  HistoryTable,
  nn,
  tensor,
  Tensor,
  AdamW,
  SGD,
  getNativeBackend,
  setBackend,
  setGradEnabled,
  isGradEnabled,
} from '../lib';
import type { BatchInfo, TrainEndInfo, TrainerView } from '../lib';
import { formatEpochBar } from '../lib/train/callbacks';
import { saveLimits } from '../lib/train/classifier';
import { Purpose, Rng, streamFor } from '../lib/util/random';
import { crossEntropy } from '../lib/ops';
import { stratifiedKFold } from '../lib/data/split';
import { manualSeed, randn, nn as nnMod } from '../lib';
import { expectErrors, type ErrorCase } from './helpers/throws';

const N = 1500;
const data = loadMnist({ limit: N });
const testSet = loadMnist({ split: 'test', limit: 500 });

function small(extra: Record<string, unknown> = {}): NeuralNetClassifier {
  return new NeuralNetClassifier({
    module: 'mlp',
    moduleParams: { inputs: 784, hidden: [32, 16], outputs: 10, activation: 'relu' },
    lr: 0.01,
    optimizerParams: { momentum: 0.95 },
    maxEpochs: 3,
    batchSize: 64,
    seed: 1,
    verbose: 0,
    ...extra,
  });
}

describe(`NeuralNetClassifier (${backend().name}/${backend().isa})`, () => {
  let net: NeuralNetClassifier;
  beforeAll(async () => {
    net = small({ maxEpochs: 5, batchSize: 32 });
    await net.fit(data.X, data.y);
  });

  test('history has one record per epoch with skorch keys, consistent _best flags and batch losses', () => {
    const h = net.history.epochs;
    expect(h.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5]);
    let bestLoss = Infinity;
    let bestAcc = -Infinity;
    for (const e of h) {
      expect(e.train_loss).toBeGreaterThan(0);
      expect(e.valid_loss).toBeGreaterThan(0);
      expect(e.valid_acc).toBeGreaterThanOrEqual(0);
      expect(e.valid_acc).toBeLessThanOrEqual(1);
      expect(e.dur).toBeGreaterThan(0);
      expect(e.valid_loss_best).toBe(e.valid_loss! < bestLoss);
      expect(e.valid_acc_best).toBe(e.valid_acc! > bestAcc);
      bestLoss = Math.min(bestLoss, e.valid_loss!);
      bestAcc = Math.max(bestAcc, e.valid_acc!);
      // 80/20 stratified split of 1500: 1200 train samples in batches of 32 -> 38 batches; 300 valid -> 10
      expect(e.train_batch_count).toBe(38);
      expect(e.valid_batch_count).toBe(10);
      const trainBatches = e.batches.filter((b) => b.train_loss !== undefined);
      expect(trainBatches).toHaveLength(38);
      // train_loss is the sample-weighted mean of the batch losses
      const w = trainBatches.reduce((s, b) => s + b.train_loss! * b.train_batch_size!, 0) / 1200;
      expect(e.train_loss).toBeCloseTo(w, 10);
    }
    expect(h[4].train_loss).toBeLessThan(h[0].train_loss);
    expect(h[4].valid_acc!).toBeGreaterThan(0.8);
  });

  test('valid_loss and valid_acc are those of the held-out rows (the first StratifiedKFold(5) fold)', () => {
    // recomputed here in float64 from the fitted model's probabilities (no step after the last validation);
    // 300 rows in batches of 32 end with a batch of 12: a mean over batches, or a last batch weighted as full,
    // would be off by far more than the float32 rounding
    const valid = stratifiedKFold(data.y, 5)[0].test;
    const X = new Float32Array(valid.length * 784);
    valid.forEach((r, i) => X.set(data.X.subarray(r * 784, (r + 1) * 784), i * 784));
    const proba = net.predictProba(X);
    let nll = 0;
    let right = 0;
    valid.forEach((r, i) => {
      const p = Array.from(proba.subarray(i * 10, (i + 1) * 10));
      nll -= Math.log(p[data.y[r]]);
      if (p.indexOf(Math.max(...p)) === data.y[r]) right++;
    });
    const last = net.history.last()!;
    expect(last.valid_loss!).toBeCloseTo(nll / valid.length, 4);
    expect(last.valid_acc).toBe(right / valid.length);
  });

  test('the same seed gives the same history and weights; another seed does not', async () => {
    const again = small({ maxEpochs: 5, batchSize: 32 });
    await again.fit(data.X, data.y);
    expect(again.history.column('train_loss')).toEqual(net.history.column('train_loss'));
    expect(again.history.column('valid_acc')).toEqual(net.history.column('valid_acc'));
    expect(again.getWeights()['fc1.weight']).toEqual(net.getWeights()['fc1.weight']);
    const other = small({ maxEpochs: 5, batchSize: 32, seed: 2 });
    await other.fit(data.X, data.y);
    expect(other.history.column('train_loss')).not.toEqual(net.history.column('train_loss'));
  });

  test('predict, predictProba and score agree', () => {
    const proba = net.predictProba(testSet.X);
    const pred = net.predict(testSet.X);
    expect(proba.length).toBe(500 * 10);
    let right = 0;
    for (let i = 0; i < 500; i++) {
      let s = 0;
      let arg = 0;
      for (let j = 0; j < 10; j++) {
        s += proba[i * 10 + j];
        if (proba[i * 10 + j] > proba[i * 10 + arg]) arg = j;
      }
      expect(s).toBeCloseTo(1, 5);
      expect(pred[i]).toBe(arg);
      if (pred[i] === testSet.y[i]) right++;
    }
    expect(net.score(testSet.X, testSet.y)).toBeCloseTo(right / 500, 12);
    expect(right / 500).toBeGreaterThan(0.75);
  });

  test('getParams / setParams / clone use module__x and optimizer__x names', () => {
    const p = net.getParams();
    expect(p.module__activation).toBe('relu');
    expect(p.optimizer__momentum).toBe(0.95);
    expect(p.lr).toBe(0.01);
    const c = net.clone().setParams({ module__activation: { name: 'leaky_relu', alpha: 0.05 }, optimizer__nesterov: true });
    expect(c.getParams().module__activation).toEqual({ name: 'leaky_relu', alpha: 0.05 });
    expect(c.getParams().optimizer__nesterov).toBe(true);
    expect(net.getParams().module__activation).toBe('relu'); // the original is untouched
    expect(c.module_).toBeNull(); // unfitted
    expect(() => net.clone().setParams({ learning_rate: 1 })).toThrow(RangeError);
    expect(() => net.clone().setParams({ lr: -1 })).toThrow(/lr must be a positive finite number/);
    expect(() => net.clone().setParams({ batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
  });

  test('clone: each copy gets its own built-in Module values (as given) and fresh built-in callbacks', async () => {
    const prelu = new nn.PReLU(); // learnable alpha 0.25, given as a module parameter (shared by the layers of one fit)
    const swish = new nn.Swish({ learnBeta: true });
    const stop = new EarlyStopping({ monitor: 'train_loss', patience: 2, minDelta: 0.5 });
    const custom = { onEpochEnd: () => undefined };
    const base = tiny({ moduleParams: { activation: prelu }, callbacks: [stop, custom], seed: 3, lr: 0.5 });
    const alpha = (m: nn.Module): number => m.parameters()[0].data[0];
    const a = base.clone();
    const b = base.clone({ module__activation: swish });
    const aAct = a.getParams().module__activation as nn.Module;
    expect(aAct).toBeInstanceOf(nn.PReLU);
    expect(aAct).not.toBe(prelu);
    expect(b.getParams().module__activation).toBeInstanceOf(nn.Swish);
    expect(b.getParams().module__activation).not.toBe(swish);
    const [aStop, aCustom] = a.getParams().callbacks as [EarlyStopping, object];
    expect(aStop).toBeInstanceOf(EarlyStopping);
    expect(aStop).not.toBe(stop);
    expect([aStop.monitor, aStop.patience, aStop.minDelta, aStop.lowerIsBetter]).toEqual(['train_loss', 2, 0.5, true]);
    expect(aCustom).toBe(custom); // a custom callback object cannot be copied: shared, as documented
    const { X, y } = blobs();
    await a.fit(X, y);
    expect(a.getWeights()['activation.weight'][0]).not.toBeCloseTo(0.25, 6); // the model trained...
    expect([alpha(prelu), alpha(aAct)]).toEqual([0.25, 0.25]); // ...from a copy: neither given module did
    expect(aStop.stoppedEpoch).not.toBeNull(); // EarlyStopping ran on the copy (minDelta 0.5 stops it early)
    expect([stop.stoppedEpoch, stop.bestEpoch]).toEqual([null, 0]); // and left the user's untouched
    // A clone of a fitted estimator starts from the given module's weights, not the trained copy's.
    const c = base.clone();
    expect(alpha(c.getParams().module__activation as nn.Module)).toBe(0.25);
    await c.fit(X, y);
    expect(c.history.epochs.map((e) => e.train_loss)).toEqual(a.history.epochs.map((e) => e.train_loss));
    // A module given in moduleParams is copied too, with the weights it has.
    const trained = new nn.PReLU({ init: 0.5 });
    const d = base.clone({ moduleParams: { inputs: 8, hidden: [16], outputs: 3, activation: trained } });
    expect(d.getParams().module__activation).not.toBe(trained);
    expect(alpha(d.getParams().module__activation as nn.Module)).toBe(0.5);
  });

  test('fit starts from a Module value as given: the instance is not trained, a second fit repeats it', async () => {
    const { X, y } = blobs();
    for (const act of [new nn.PReLU(), new nn.Swish({ learnBeta: true })]) {
      const before = Array.from(act.parameters()[0].data);
      const net = tiny({ moduleParams: { hidden: [16, 8], activation: act }, maxEpochs: 3, lr: 0.2, seed: 3 });
      await net.fit(X, y);
      const first = net.getWeights();
      const learned = Object.keys(first).find((k) => k.startsWith('activation'))!;
      expect(first[learned][0]).not.toBeCloseTo(before[0], 4); // the model's copy trained...
      expect(Array.from(act.parameters()[0].data)).toEqual(before); // ...the caller's instance did not
      await net.fit(X, y);
      expect(net.getWeights()).toEqual(first);
    }
  });

  test('bad inputs to fit are named errors', async () => {
    const c = small();
    await expect(c.fit(data.X.subarray(0, 100 * 784 + 3), data.y.subarray(0, 100))).rejects.toThrow(RangeError);
    await expect(c.fit('nope' as never, data.y)).rejects.toThrow(TypeError);
    await expect(c.fit(data.X, Float64Array.of(1.5))).rejects.toThrow(/y\[0\]/);
    expect(() => small().predict(testSet.X)).toThrow(/call fit\(\)/);
  });

  test('save and load restore architecture, weights and history', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-model-'));
    try {
      const file = path.join(dir, 'model.json');
      net.save(file);
      const loaded = NeuralNetClassifier.load(file);
      expect(Array.from(loaded.predict(testSet.X))).toEqual(Array.from(net.predict(testSet.X)));
      expect(loaded.history.column('valid_acc')).toEqual(net.history.column('valid_acc'));
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(json.moduleParams.activation).toBe('relu');
      json.moduleParams.activation = 'no_such_activation';
      expect(() => NeuralNetClassifier.fromModelJSON(json)).toThrow(/no_such_activation/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('EarlyStopping stops and restores the best weights; Checkpoint keeps the best epoch', async () => {
    const es = new EarlyStopping({ monitor: 'valid_loss', patience: 1, minDelta: 1e9, restoreBest: true });
    const cp = new Checkpoint({ monitor: 'valid_acc_best' });
    let weightsAtEpoch1: Float32Array | null = null;
    const grab = { onEpochEnd: (n: any, { epoch }: { epoch: number }) => { if (epoch === 1) weightsAtEpoch1 = n.getWeights()['fc1.weight']; } };
    const c = small({ maxEpochs: 5, callbacks: [grab, es, cp] });
    await c.fit(data.X, data.y);
    // improvement by more than 1e9 is impossible: the first epoch is the best, training stops at epoch 2
    expect(c.history.length).toBe(2);
    expect(es.stoppedEpoch).toBe(2);
    expect(c.getWeights()['fc1.weight']).toEqual(weightsAtEpoch1);
    expect(cp.bestEpoch).not.toBeNull();
    expect(c.history.epochs[cp.bestEpoch! - 1].valid_acc_best).toBe(true);
    expect(() => new EarlyStopping({ patience: 0 })).toThrow(RangeError);
    // the same callbacks in a fit from scratch that completes no epoch (aborted in its first): no best epoch or
    // weights of the fit before (a user restoring cp.bestWeights got the earlier run's)
    const ac = new AbortController();
    const again = small({ maxEpochs: 5, callbacks: [es, cp, { onBatchEnd: () => ac.abort() }] });
    await expect(again.fit(data.X, data.y, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect([es.bestEpoch, cp.bestEpoch, cp.bestWeights]).toEqual([0, null, null]);
  });

  test('a Checkpoint file for a model save() cannot write is refused before the first epoch', async () => {
    // the refusal came from save() at the first best epoch, after a whole epoch of training
    let epochs = 0;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-cp-'));
    try {
      const file = path.join(dir, 'cp.json');
      const c = small({
        module: (p: { seed: number }) => new nn.Sequential(new nn.Linear(784, 10, { seed: p.seed })),
        callbacks: [new Checkpoint({ monitor: 'train_loss_best', file }), { onEpochEnd: () => void epochs++ }],
      });
      await expect(c.fit(data.X, data.y)).rejects.toThrow(
        new TypeError(`Checkpoint: file '${file}' cannot be written for this model: save/load supports the built-in ` +
          'nn.MLP module (given as such or built by a factory); save custom modules with module.stateDict()'),
      );
      expect([epochs, fs.existsSync(file)]).toEqual([0, false]);
      // a factory that builds an nn.MLP: saved as module 'mlp' with that MLP's parameters (it was refused)
      for (const activation of ['tanh', () => new nn.PReLU(), new nn.PReLU()] as const) {
        for (const hidden of [[8], [8, 6]]) {
          const f = small({
            module: (p: { seed: number }) =>
              new nn.MLP({ inputs: 784, hidden, outputs: 10, activation, seed: p.seed, dropout: 0.1 }),
            maxEpochs: 2,
            callbacks: [new Checkpoint({ monitor: 'train_loss_best', file })],
          });
          await f.fit(data.X, data.y);
          const back = NeuralNetClassifier.load(file);
          const bytes = (a: Float32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
          expect(bytes(back.predictProba(data.X)).equals(bytes(f.predictProba(data.X)))).toBe(true); // bit for bit
          expect(back.getParams().module).toBe('mlp');
          const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
          expect(saved.moduleParams).toMatchObject({ inputs: 784, hidden, outputs: 10, dropout: 0.1 });
          expect(saved.notes).toEqual([expect.stringMatching(/^module: the factory is not saved/)]);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an AbortSignal stops training with an AbortError', async () => {
    const ac = new AbortController();
    const c = small({ maxEpochs: 50, callbacks: [{ onBatchEnd: (_n: unknown, b: { batch: number }) => b.batch === 3 && ac.abort() }] });
    await expect(c.fit(data.X, data.y, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(c.history.length).toBe(0);
    const pre = new AbortController();
    pre.abort();
    await expect(small().fit(data.X, data.y, { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('partialFit continues from the current weights; warmStart keeps them across fit', async () => {
    const c = small({ maxEpochs: 1 });
    await c.fit(data.X, data.y);
    const w1 = c.getWeights()['fc1.weight'].slice();
    await c.partialFit(data.X, data.y, { epochs: 1 });
    expect(c.history.length).toBe(2);
    expect(c.getWeights()['fc1.weight']).not.toEqual(w1);
    const warm = small({ maxEpochs: 1, warmStart: true });
    await warm.fit(data.X, data.y);
    await warm.fit(data.X, data.y);
    expect(warm.history.length).toBe(2);
  });

  test("PrintLog's and ProgressBar's out must have a write method: a TypeError when built, not at the first epoch", () => {
    // PrintLog(5) failed at the end of fit's first epoch ("this.out.write is not a function"), PrintLog(null) with
    // "Cannot read properties of null"; ProgressBar('stderr') drew nothing, silently
    for (const [where, make, got] of [
      ['PrintLog', () => new PrintLog(5 as never), 'number'],
      ['PrintLog', () => new PrintLog(null as never), 'null'],
      ['ProgressBar', () => new ProgressBar('stderr' as never), "the string 'stderr'"],
      ['ProgressBar', () => new ProgressBar({ isTTY: true } as never), 'object'],
    ] as const) {
      expect(make).toThrow(
        new TypeError(`${where}: 'out' must be a stream or an object with a write(text) method, got ${got}`),
      );
    }
    expect(() => new PrintLog({ write: () => true }, 'yes' as never)).toThrow(/'color' must be a boolean/);
    expect(() => new PrintLog({ write: () => true })).not.toThrow();
  });

  test('the printed table is skorch\'s format', async () => {
    let out = '';
    const sink = new Writable({ write(chunk, _enc, cb) { out += chunk.toString(); cb(); } });
    const c = small({ maxEpochs: 2, callbacks: [new PrintLog(sink as never, false)] });
    await c.fit(data.X, data.y);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('  epoch    train_loss    valid_acc    valid_loss     dur');
    expect(lines[1]).toBe('-------  ------------  -----------  ------------  ------');
    expect(lines).toHaveLength(4);
    const cells = lines[2].trim().split(/\s+/);
    expect(cells[0]).toBe('1');
    expect(Number(cells[1])).toBeCloseTo(c.history.epochs[0].train_loss, 4);
    expect(Number(cells[2])).toBeCloseTo(c.history.epochs[0].valid_acc!, 4);
    // a slow epoch's dur keeps to its column (12.3457 pushed the row one column right of the rule)
    const plain = new HistoryTable();
    for (const [dur, shown] of [[0.12345, '0.1235'], [9.99996, '10.000'], [12.34567, '12.346'], [1234.567, '1234.6']]) {
      const row = plain.row({ ...c.history.epochs[0], dur: dur as number });
      expect([row.length, row.endsWith(`  ${shown}`)]).toEqual([lines[1].length, true]);
    }
    // colors only when asked (a TTY)
    const colored = new HistoryTable(undefined, true).row(c.history.epochs[0]);
    // bad columns were engine errors ("columns.map is not a function", "reading 'length'")
    expect(() => new HistoryTable(5 as never)).toThrow(
      new TypeError("HistoryTable: 'columns' must be an array, got number"),
    );
    expect(() => new HistoryTable(['epoch'] as never)).toThrow(
      new TypeError('HistoryTable: columns[0] must be { key, header, format(v) } (a TableColumn)'),
    );
    expect(colored).toContain('\x1b[');
    expect(History.fromJSON(c.history.toJSON()).column('train_loss')).toEqual(c.history.column('train_loss'));
  });
});

/** 200 rows of 8 features, 3 classes (the class shows in every third feature): learnable in a few epochs. */
function blobs(n = 200, f = 8, k = 3): { X: Float32Array; y: Int32Array } {
  const r = new Rng(5);
  const X = new Float32Array(n * f);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % k;
    for (let j = 0; j < f; j++) X[i * f + j] = r.random() - 0.5 + (j % k === y[i] ? 1 : 0);
  }
  return { X, y };
}

function tiny(extra: Record<string, unknown> = {}): NeuralNetClassifier {
  const { moduleParams, ...rest } = extra;
  return new NeuralNetClassifier({
    moduleParams: { inputs: 8, hidden: [16], outputs: 3, ...(moduleParams as object) },
    lr: 0.1,
    maxEpochs: 5,
    batchSize: 32,
    verbose: 0,
    ...rest,
  });
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-train-'));
}

describe(`NeuralNetClassifier checks and state (${backend().name}/${backend().isa})`, () => {
  const d = blobs();

  test('a refused setParams changes nothing (it kept the keys before the bad one, and a bad value broke later calls)', () => {
    const c = tiny({ lr: 0.01, maxEpochs: 2 });
    const before = c.getParams();
    const refused: [Record<string, unknown>, ErrorConstructor, RegExp][] = [
      [{ maxEpochs: -1 }, RangeError, /maxEpochs must be a positive integer, got -1/],
      [{ lr: 0.5, momentm: 0.9 }, RangeError, /unknown parameter 'momentm'/],
      // names every object inherits are no parameters ('toString' in DEFAULTS was true)
      [{ toString: 1 }, RangeError, /unknown parameter 'toString'/],
      [{ constructor: 1 }, RangeError, /unknown parameter 'constructor'/],
      [{ lr: 0.5, module__hidden: [3], batchSize: 0 }, RangeError, /batchSize must be a positive integer/],
      [{ optimizerParams: 'momentum=0.9' }, TypeError, /^optimizerParams must be an object of named values, got/],
      [{ module: 5 }, TypeError, /^module must be 'mlp', a Module class or a factory function, got 5/],
    ];
    for (const [p, type, msg] of refused) {
      expect(() => c.setParams(p)).toThrow(type);
      expect(() => c.setParams(p)).toThrow(msg);
      expect(c.getParams()).toEqual(before);
    }
    expect(() => c.setParams(null as any)).toThrow(TypeError);
    c.setParams({ lr: 0.05 }); // later calls work
    expect(c.clone().getParams().lr).toBe(0.05);
  });

  test('the constructor checks the types of moduleParams, optimizerParams, module and the options themselves', () => {
    const make = (o: unknown) => () => new NeuralNetClassifier(o as any);
    // they failed at fit, as "SGD: unknown option '0'" / "MLP: unknown option '0'", or were taken as no options
    expect(make({ optimizerParams: 'momentum=0.9' })).toThrow(
      new TypeError("optimizerParams must be an object of named values, got 'momentum=0.9'"),
    );
    expect(make({ moduleParams: [4, [3], 3] })).toThrow(/^moduleParams must be an object of named values, got/);
    expect(make({ module: 'MLP' })).toThrow(/^module must be 'mlp', a Module class or a factory function/);
    for (const bad of [0, true, () => 1, [1]]) expect(make(bad)).toThrow(/^NeuralNetClassifier: 'options' must be an object/);
    expect(make(undefined)).not.toThrow();
  });

  test('setWeights checks every entry before it writes any: a refused call leaves the model as it was', async () => {
    const c = tiny({ maxEpochs: 2, moduleParams: { batchNorm: true } });
    await c.fit(d.X, d.y);
    const w = c.getWeights();
    const proba = c.predictProba(d.X);
    const other = w['fc1.weight'].map(() => 7);
    const cases: [Record<string, unknown>, ErrorConstructor, RegExp][] = [
      // fc1.weight comes first: it was written before the missing fc2.bias was seen
      [{ ...w, 'fc1.weight': other, 'fc2.bias': undefined }, RangeError, /^setWeights: missing 'fc2\.bias'$/],
      [{ ...w, 'fc1.weight': other, 'fc2.bias': new Float32Array(2) }, RangeError, /'fc2\.bias' has 2 values, expected 3/],
      [{ ...w, 'fc1.weight': other, 'fc2.bias': [0, 0, 0] }, TypeError, /'fc2\.bias' must be a Float32Array or Float64Array, got Array$/],
      [
        { ...w, 'fc1.weight': other, 'fc2.weight': w['fc2.weight'].map((v, i) => (i === 4 ? NaN : v)) },
        RangeError,
        /^setWeights: 'fc2\.weight'\[0\]\[4\] = NaN: weights must be finite numbers$/,
      ],
      [
        { ...w, 'fc1.weight': other, 'bn1.runningVar': w['bn1.runningVar'].map((v, i) => (i === 3 ? -1 : v)) },
        RangeError,
        /^setWeights: 'bn1\.runningVar'\[3\] = -1: a running variance must be >= 0$/,
      ],
      [{ ...w, 'fc1.weight': other, 'fc3.bias': w['fc2.bias'] }, RangeError, /'fc3\.bias' is no parameter or buffer of the model \(it has fc1\.weight, /],
    ];
    for (const [bad, type, msg] of cases) {
      const call = () => c.setWeights(bad as Record<string, Float32Array>);
      expect(call).toThrow(type);
      expect(call).toThrow(msg);
      expect(c.getWeights()).toEqual(w);
    }
    expect(() => c.setWeights(null as any)).toThrow(new TypeError("setWeights: 'weights' must be an object of name -> Float32Array/Float64Array, got null"));
    expect(c.predictProba(d.X)).toEqual(proba);
    // a complete, valid set is taken whole (float64 arrays into a float32 model too)
    const f64 = Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Float64Array.from(v, (x) => x / 2)]));
    c.setWeights(f64);
    expect(c.getWeights()['fc1.weight']).toEqual(Float32Array.from(w['fc1.weight'], (x) => x / 2));
    expect(c.predictProba(d.X)).not.toEqual(proba);
  });

  test('a fit that fails its checks leaves a trained model and its history as they were', async () => {
    const c = tiny({ maxEpochs: 10 });
    await c.fit(d.X, d.y);
    const w = c.getWeights();
    const score = c.score(d.X, d.y);
    const badLabel = d.y.slice();
    badLabel[190] = 3;
    await expect(c.fit(d.X, badLabel)).rejects.toThrow(
      /fit: 'y'\[190\] = 3 is not a class of this model \(outputs: 3\)/,
    );
    const pre = new AbortController();
    pre.abort();
    await expect(c.fit(d.X, d.y, { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(c.fit(new Float32Array(200 * 5), d.y)).rejects.toThrow(
      /fit: X has 5 features per row, the model takes 8/,
    );
    expect(c.history.length).toBe(10);
    expect(c.getWeights()).toEqual(w);
    expect(c.score(d.X, d.y)).toBe(score);
  });

  test('labels and X\'s width are checked before the first step for a Linear or Sequential module too', async () => {
    const lin = (i: number, o: number, seed: number) => new nn.Linear(i, o, { seed });
    const modules: [string, () => nn.Module, number | null][] = [
      ['Linear', () => lin(8, 3, 1), 3],
      ['Sequential(Linear, Tanh, Linear)', () => new nn.Sequential(lin(8, 16, 1), new nn.Tanh(), lin(16, 3, 2)), 3],
      [
        'Sequential(Dropout, Sequential(Linear, BatchNorm1d, PReLU, Dropout, Identity))',
        () => new nn.Sequential(new nn.Dropout(0.1), new nn.Sequential(
          lin(8, 4, 2), new nn.BatchNorm1d(4), new nn.PReLU(), new nn.Dropout(0.1), new nn.Identity(),
        )),
        4,
      ],
      // a module that may change the width after the last Linear: nothing is declared, the forward pass finds it
      ['Sequential(Linear, Flatten)', () => new nn.Sequential(lin(8, 3, 1), new nn.Flatten()), null],
    ];
    for (const [name, make, outputs] of modules) {
      const c = tiny({ module: make, maxEpochs: 3, trainSplit: null });
      await c.fit(d.X, d.y);
      const w = c.getWeights();
      const y = d.y.slice();
      y[190] = 7;
      const refused = c.fit(d.X, y);
      if (outputs === null) {
        // checked against the first forward pass's width, with all the labels (the first batch's loss named one)
        await expect(refused).rejects.toThrow("fit: 'y'[190] = 7 is not a class of this model (outputs: 3)");
        continue;
      }
      await expect(refused).rejects.toThrow(`fit: 'y'[190] = 7 is not a class of this model (outputs: ${outputs})`);
      await expect(c.fit(new Float32Array(200 * 5), d.y)).rejects.toThrow(
        'fit: X has 5 features per row, the model takes 8',
      );
      expect([name, c.history.length]).toEqual([name, 3]);
      expect(c.getWeights()).toEqual(w);
    }
  });

  test('predict and score take the width a module declares, else the one fit trained on (custom modules)', async () => {
    // The width used to be read from parameters()[0].shape[1]: wrong, or an Error, for a module whose first
    // parameter is not the first Linear's [out, in] weight (own parameters are listed before the children's).
    class Scaled extends nn.Module {
      scale = new nn.Parameter(tensor([1.5]));
      fc = new nn.Linear(8, 3, { seed: 1 });
      forward(x: Tensor): Tensor {
        return this.fc.forward(x).mul(this.scale);
      }
    }
    const modules: [string, () => nn.Module][] = [
      ['custom (own parameter first)', () => new Scaled()],
      ['Sequential(BatchNorm1d, Linear)', () => new nn.Sequential(new nn.BatchNorm1d(8), new nn.Linear(8, 3, { seed: 1 }))],
      [
        'Sequential(PReLU(8), Linear)',
        () => new nn.Sequential(new nn.PReLU({ numParameters: 8 }), new nn.Linear(8, 3, { seed: 1 })),
      ],
    ];
    const rows = Array.from({ length: 20 }, (_, i) => Array.from(d.X.subarray(i * 8, i * 8 + 8)));
    for (const [name, make] of modules) {
      const c = tiny({ module: make, maxEpochs: 2 });
      await c.fit(d.X, d.y);
      expect([name, c.module_!.namedParameters()[0][1].shape.length === 2]).toEqual([name, false]);
      const flat = c.predict(d.X.subarray(0, 20 * 8));
      expect(flat).toHaveLength(20);
      expect(c.predict(rows)).toEqual(flat);
      expect(c.predict(tensor(rows))).toEqual(flat);
      const score = c.score(d.X, d.y);
      expect(score).toBeGreaterThan(0.5);
      expect(() => c.predict(d.X.subarray(0, 12))).toThrow(/X has 12 values, not a whole number of rows of the model's 8/);
    }
  });

  test('X whose row count does not match y is named as such, before a trainSplit y cannot feed', async () => {
    // 5 labels, 2 in the largest class: trainSplit 0.2 alone would refuse them; the X/y mismatch is the real error
    const y = Int32Array.of(0, 1, 2, 0, 1);
    for (const trainSplit of [0.2, null]) {
      const c = tiny({ trainSplit });
      await expect(c.fit(new Float32Array(300 * 8), y)).rejects.toThrow(
        /fit: X has 480 features per row, the model takes 8 \(2400 values for 5 labels; as rows of 8, X has 300 rows/,
      );
      expect(c.module_).toBeNull(); // put back as it was
    }
  });

  test('labels the model has no output for are named before any training step (y and validation.y)', async () => {
    const c = tiny({ maxEpochs: 1 });
    await c.fit(d.X, d.y);
    const w = c.getWeights();
    const y = d.y.slice();
    y[190] = 3;
    await expect(c.partialFit(d.X, y)).rejects.toThrow(
      /partialFit: 'y'\[190\] = 3 is not a class of this model \(outputs: 3\)/,
    );
    expect(c.getWeights()).toEqual(w);
    expect(c.history.length).toBe(1);
    let batches = 0;
    const counter = { onBatchEnd: () => void batches++ };
    const vy = Int32Array.of(0, 1, 5, 2);
    const v = tiny({ callbacks: [counter] });
    await expect(v.fit(d.X, d.y, { validation: { X: d.X.subarray(0, 32), y: vy } })).rejects.toThrow(
      /fit: 'validation.y'\[2\] = 5 is not a class of this model \(outputs: 3\)/,
    );
    expect(batches).toBe(0);
  });

  test('X must have the model\'s feature count in predict, score and validation; no rows, no predictions', async () => {
    const c = tiny();
    await c.fit(d.X, d.y);
    const rows = Array.from({ length: 200 }, (_, i) => Array.from(d.X.subarray(i * 8, i * 8 + 8)));
    expect(c.score(rows, d.y)).toBe(c.score(d.X, d.y));
    const padded = rows.map((r) => [...r, 0, 0, 0, 0]);
    expect(() => c.score(padded, d.y)).toThrow(/X\[0\] has 12 values, the model takes 8 features per row/);
    expect(() => c.predict(d.X.subarray(0, 12))).toThrow(/X has 12 values, not a whole number of rows/);
    expect(() => c.predict(tensor(d.X.subarray(0, 16 * 12), { shape: [16, 12] }))).toThrow(/X has shape \[16, 12\]/);
    expect(Array.from(c.predict(tensor(d.X.subarray(0, 8))))).toEqual([c.predict(d.X.subarray(0, 8))[0]]);
    expect(c.predict(new Float32Array(0))).toEqual(new Int32Array(0));
    expect(c.predictProba([])).toHaveLength(0);
    for (const width of [16, 4]) {
      const validation = { X: new Float32Array(50 * width), y: new Int32Array(50) };
      await expect(tiny().fit(d.X, d.y, { validation })).rejects.toThrow(
        new RegExp(`validation.X has ${50 * width} values, expected 50 rows of 8 features`),
      );
    }
  });

  test('NaN/Infinity inputs are named by row and column; a fused layer that overflows is named', async () => {
    const X = d.X.slice();
    X[100 * 8 + 3] = NaN;
    await expect(tiny().fit(X, d.y)).rejects.toThrow(/fit: X\[100\]\[3\] = NaN: the inputs must be finite/);
    const vX = d.X.slice(0, 40 * 8);
    vX[7 * 8 + 1] = -Infinity;
    await expect(tiny().partialFit(d.X, d.y, { validation: { X: vX, y: d.y.subarray(0, 40) } })).rejects.toThrow(
      /partialFit: validation.X\[7\]\[1\] = -Infinity/,
    );
    // inputs of 1e30: fc1 (one fused Linear + relu node) overflows on the second batch, from finite weights
    const huge = d.X.map((v) => v * 1e30);
    const c = tiny({ trainSplit: null, shuffle: false, moduleParams: { hidden: [16, 16] } });
    const err = await c.fit(huge, d.y).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.layer).toBe('fc1');
    expect(err.message).toMatch(/layer 'fc1' produced NaN\/Infinity from finite parameters/);
    expect((c.module_ as nn.MLP).fuse).toBe(true); // the diagnosis ran it unfused, then put it back

    // a learned parameter that turns NaN is divergence on every backend (the native binding lets it through)
    const poison = {
      onBatchEnd(net: TrainerView, info: { batch: number; training: boolean }) {
        if (info.batch !== 0 || !info.training) return;
        const mlp = (net as NeuralNetClassifier).module_ as nn.MLP;
        mlp.activations[0].parameters()[0].data[0] = NaN;
      },
    };
    const sw = tiny({ trainSplit: null, moduleParams: { activation: { name: 'swish', learnable: true } }, callbacks: [poison] });
    const diverged = await sw.fit(d.X, d.y).catch((e) => e);
    expect(diverged).toBeInstanceOf(TrainingDivergedError);
    expect(diverged.message).toMatch(/beta/);

    // one that overflows to Infinity is refused by the swish op (a RangeError): still a divergence, with that cause
    const overflow = {
      onBatchEnd(net: TrainerView, info: { batch: number; training: boolean }) {
        if (info.batch !== 0 || !info.training) return;
        ((net as NeuralNetClassifier).module_ as nn.MLP).activations[0].parameters()[0].data[0] = Infinity;
      },
    };
    const learned = { activation: { name: 'swish', learnable: true } };
    const sw2 = tiny({ trainSplit: null, moduleParams: learned, callbacks: [overflow] });
    const inf = await sw2.fit(d.X, d.y).catch((e) => e);
    expect(inf).toBeInstanceOf(TrainingDivergedError);
    expect([inf.epoch, inf.batch, inf.layer]).toEqual([1, 2, 'act1.beta']);
    expect(inf.message).toMatch(/^training diverged at epoch 1, batch 2: the forward pass failed; parameter 'act1/);
    expect(inf.message).toMatch(/holds NaN\/Infinity \(swish: the learned 'beta' is Infinity; .*\)\. Lower the/);
    expect(inf.cause).toBeInstanceOf(RangeError);
    // an error of the forward pass with finite parameters is not a divergence: it comes through as it is
    const boom = new Error('boom');
    const sw3 = tiny({ trainSplit: null, maxEpochs: 1 });
    await sw3.fit(d.X.subarray(0, 64 * 8), d.y.subarray(0, 64));
    const fwd = sw3.module_!.forward;
    sw3.module_!.forward = () => {
      throw boom;
    };
    await expect(sw3.partialFit(d.X.subarray(0, 64 * 8), d.y.subarray(0, 64))).rejects.toBe(boom);
    sw3.module_!.forward = fwd;
  });

  test('save and load round-trip activation modules and factories with identical predictions', async () => {
    const dir = tmpDir();
    try {
      const cases: [string, unknown][] = [
        ['swish beta 2', nn.activation('swish', { beta: 2 })],
        ['swish learned beta', new nn.Swish({ beta: 1.5, learnBeta: true })],
        ['prelu', new nn.PReLU()],
        ['prelu factory', () => new nn.PReLU({ init: 0.1 })],
        ['swish learned factory', () => new nn.Swish({ learnBeta: true })],
      ];
      for (const [name, activation] of cases) {
        const c = tiny({ maxEpochs: 3, moduleParams: { hidden: [16, 8], activation } });
        await c.fit(d.X, d.y);
        const file = path.join(dir, `${name}.json`);
        c.save(file);
        const loaded = NeuralNetClassifier.load(file);
        expect(Array.from(loaded.predictProba(d.X))).toEqual(Array.from(c.predictProba(d.X)));
        expect(Object.keys(loaded.getWeights())).toEqual(Object.keys(c.getWeights()));
      }
      class MyAct extends nn.Module {
        forward(x: any): any {
          return x;
        }
      }
      // A custom activation module cannot be rebuilt by load(): save() still writes the weights (with a note), a
      // Checkpoint({ file }) does not stop training for it, and load() says what is missing.
      const file = path.join(dir, 'custom.json');
      const custom = tiny({
        maxEpochs: 2,
        moduleParams: { activation: new MyAct() },
        callbacks: [new Checkpoint({ monitor: 'train_loss_best', file })],
      });
      await custom.fit(d.X, d.y);
      expect(custom.history.length).toBe(2);
      custom.save(file);
      const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(saved.moduleParams.activation).toEqual({ unsaved: 'MyAct' });
      expect(saved.notes.join(' ')).toMatch(/activation: the module MyAct is not a built-in nn module/);
      expect(Object.keys(saved.weights)).toEqual(Object.keys(custom.getWeights()));
      expect(() => NeuralNetClassifier.load(file)).toThrow(/custom activation module MyAct, which a file cannot hold/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('save and Checkpoint({ file }) work with an optimizer class: known ones by name, others left out', async () => {
    const dir = tmpDir();
    try {
      const file = path.join(dir, 'ckpt.json');
      const c = tiny({ optimizer: AdamW, lr: 0.01, callbacks: [new Checkpoint({ file })] });
      await c.fit(d.X, d.y);
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(json.params.optimizer).toBe('adamw');
      const loaded = NeuralNetClassifier.load(file);
      expect(loaded.getParams().optimizer).toBe('adamw');
      await loaded.partialFit(d.X, d.y); // trains on with AdamW
      class MySGD extends SGD {}
      const other = tiny({ maxEpochs: 1, optimizer: MySGD });
      await other.fit(d.X, d.y);
      other.save(file);
      const j2 = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(j2.params.optimizer).toBeUndefined();
      expect(j2.notes.join('\n')).toMatch(/optimizer: the class MySGD is not saved/);
      expect(Array.from(NeuralNetClassifier.load(file).predict(d.X))).toEqual(Array.from(other.predict(d.X)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an abort still runs onTrainEnd (aborted: true): EarlyStopping restores the best weights', async () => {
    const ac = new AbortController();
    const es = new EarlyStopping({ monitor: 'valid_loss', patience: 1000, restoreBest: true });
    const atEpoch: Record<number, Float32Array | Float64Array> = {};
    const ends: TrainEndInfo[] = [];
    let atEnd: Float32Array | Float64Array | null = null;
    const spy = {
      onEpochEnd: (n: NeuralNetClassifier, { epoch }: { epoch: number }) => {
        atEpoch[epoch] = n.getWeights()['fc1.weight'];
      },
      onBatchEnd: (_n: TrainerView, b: { epoch: number; batch: number; training: boolean }) => {
        if (b.epoch === 4 && b.batch === 2 && b.training) ac.abort('enough');
      },
      onTrainEnd: (n: NeuralNetClassifier, info: TrainEndInfo) => {
        ends.push(info);
        atEnd = n.getWeights()['fc1.weight'];
      },
    };
    // aborted mid-epoch: the updates of the batches before are in the weights
    const c = tiny({ maxEpochs: 100000, batchSize: 8, callbacks: [spy, es] });
    await expect(c.fit(d.X, d.y, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(ends).toEqual([{ aborted: true, reason: 'enough' }]);
    expect(c.history.length).toBe(3);
    expect(es.bestEpoch).toBeGreaterThan(0);
    expect(atEnd).not.toEqual(atEpoch[es.bestEpoch]); // before EarlyStopping's onTrainEnd
    expect(c.getWeights()['fc1.weight']).toEqual(atEpoch[es.bestEpoch]); // restored by it
    await tiny({ maxEpochs: 1, callbacks: [spy] }).fit(d.X, d.y);
    expect(ends[1]).toEqual({ aborted: false });

    // a progress bar on a terminal clears its line when an abort ends the training mid-epoch
    let drawn = '';
    const tty = Object.assign(new Writable({ write(chunk, _enc, cb) { drawn += chunk.toString(); cb(); } }), {
      isTTY: true,
    });
    const ac2 = new AbortController();
    const stopper = { onBatchEnd: (_n: TrainerView, b: { batch: number }) => b.batch === 3 && ac2.abort() };
    const bar = new ProgressBar(tty as unknown as NodeJS.WriteStream);
    const barred = tiny({ maxEpochs: 5, batchSize: 8, callbacks: [bar, stopper] });
    await barred.fit(d.X, d.y, { signal: ac2.signal }).catch(() => null);
    expect(drawn).toMatch(/epoch +1 train/);
    expect(drawn.endsWith('\r\x1b[K')).toBe(true);

    // ... and when an error ends it: onTrainError runs (not onTrainEnd), a throw in it does not hide the error
    drawn = '';
    const seen: unknown[] = [];
    const failing = {
      onBatchEnd: (_n: TrainerView, b: { batch: number }) => {
        if (b.batch === 3) throw new Error('boom');
      },
      onTrainEnd: () => seen.push('end'),
      onTrainError: (_n: TrainerView, info: { error: unknown }) => {
        seen.push((info.error as Error).message);
        throw new Error('cleanup failed');
      },
    };
    const bar2 = new ProgressBar(tty as unknown as NodeJS.WriteStream);
    const broken = tiny({ maxEpochs: 5, batchSize: 8, callbacks: [failing, bar2] });
    await expect(broken.fit(d.X, d.y)).rejects.toThrow(/^boom$/);
    expect(seen).toEqual(['boom']);
    expect(drawn).toMatch(/epoch +1 train/);
    expect(drawn.endsWith('\r\x1b[K')).toBe(true);
  });

  test('ProgressBar: its line fits the terminal (a wrapped line leaves a row behind at each redraw)', () => {
    const b = { epoch: 7, batch: 11, batches: 375, loss: 0.30125, training: true } as BatchInfo;
    expect(formatEpochBar(b, 1.25)).toBe(`  epoch   7 train ${'█'.repeat(1)}${'░'.repeat(29)}   12/375 loss 0.3013 1.3s`);
    for (const columns of [200, 80, 60, 45, 30, 20, 2, 1]) {
      const line = formatEpochBar(b, 1.25, columns);
      expect(line.length).toBeLessThanOrEqual(Math.max(1, columns - 1));
      if (columns >= 60) expect(line).toMatch(/ 12\/375 loss 0\.3013 1\.3s$/); // the bar shrinks first
    }
    expect(formatEpochBar(b, 1.25, 60)).toMatch(/train █?░+ +12\/375/);
    // a stream's columns are used
    let drawn = '';
    const bar = new ProgressBar({ isTTY: true, columns: 40, write: (t: string) => (drawn += t) });
    bar.onEpochBegin();
    bar.onBatchEnd(null as never, b);
    expect(drawn.replace(/^\r|\x1b\[K$/g, '').length).toBeLessThanOrEqual(39);
  });

  test('ProgressBar: the bar fills in proportion to the batches done; the last batch is always drawn', () => {
    const b = (batch: number, batches: number) => ({ epoch: 1, batch, batches, loss: 1, training: true }) as BatchInfo;
    // 30 cells: after batch index 1 of 4, 2 of 4 batches are done -> 15 cells; after the last, all 30
    expect(formatEpochBar(b(1, 4), 0)).toContain(`${'█'.repeat(15)}${'░'.repeat(15)}    2/4 `);
    expect(formatEpochBar(b(3, 4), 0)).toContain(`${'█'.repeat(30)}    4/4 `);
    // draws are at most every 100 ms, except the epoch's last batch: the finished bar is never skipped
    const lines: string[] = [];
    const bar = new ProgressBar({ isTTY: true, write: (t: string) => lines.push(t) });
    bar.onEpochBegin();
    bar.onBatchEnd(null as never, b(0, 3)); // the first draw
    bar.onBatchEnd(null as never, b(1, 3)); // within 100 ms: skipped
    bar.onBatchEnd(null as never, b(2, 3)); // the last: drawn
    expect(lines.map((l) => / +(\d)\/3 /.exec(l)?.[1])).toEqual(['1', '3']);
  });

  test('an abort is seen at once: from the last epoch\'s onEpochEnd (fit rejects), before the next epoch\'s batches', async () => {
    for (const [epochs, at] of [
      [20, 1],
      [3, 3], // the last epoch: the loop ends, fit must not resolve
    ]) {
      const ac = new AbortController();
      const ends: TrainEndInfo[] = [];
      let batchesAfter = 0;
      const cb = {
        onEpochEnd: (_n: TrainerView, { epoch }: { epoch: number }) => epoch === at && ac.abort('stop'),
        onBatchEnd: () => {
          if (ac.signal.aborted) batchesAfter++;
        },
        onTrainEnd: (_n: TrainerView, info: TrainEndInfo) => ends.push(info),
      };
      const c = tiny({ maxEpochs: epochs, callbacks: [cb] });
      await expect(c.fit(d.X, d.y, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(c.history.length).toBe(at);
      expect(batchesAfter).toBe(0);
      expect(ends).toEqual([{ aborted: true, reason: 'stop' }]);
    }
  });

  test('a loss that explodes without reaching NaN is a TrainingDivergedError, not a silent chance-level model', async () => {
    for (const extra of [
      { optimizer: 'adam', lr: 1e6 },
      { lr: 1e6, moduleParams: { activation: 'sigmoid' } },
    ]) {
      const c = tiny({ maxEpochs: 3, ...extra });
      const err = await c.fit(d.X, d.y).catch((e) => e);
      expect(err).toBeInstanceOf(TrainingDivergedError);
      expect(err.message).toMatch(
        /^training diverged at epoch 1: the mean train_loss \S+ is over 100 times that of a uniform guess \(ln 3 = 1\.099\)/,
      );
      expect(err.epoch).toBe(1);
    }
    // an ordinary fit is far below the limit
    const ok = tiny({ maxEpochs: 2 });
    await ok.fit(d.X, d.y);
    expect(ok.history.epochs[0].train_loss).toBeLessThan(100 * Math.log(3));
  });

  test('the mean-loss limit is 100 ln(classes): a loss just over it diverges, one just under it trains', async () => {
    const limit = 100 * Math.log(2);
    for (const [loss, diverges] of [[1.2 * limit, true], [0.8 * limit, false]] as const) {
      // logits (0, D) for x = 1 and label 0: each row's loss is log(1 + e^D) = D (+ e^-D, negligible here)
      const lin = new nn.Linear(1, 2, { seed: 1 });
      lin.weight.data.set([0, loss]);
      lin.bias!.data.fill(0);
      const c = new NeuralNetClassifier({ module: () => lin, lr: 1e-12, maxEpochs: 1, trainSplit: null, verbose: 0 });
      const err = await c.fit(new Float32Array(8).fill(1), new Int32Array(8)).then(() => null, (e: Error) => e);
      if (diverges) {
        expect(err).toBeInstanceOf(TrainingDivergedError);
        expect(err!.message).toMatch(
          /^training diverged at epoch 1: the mean train_loss \S+ is over 100 times .*\(ln 2 = 0\.693\)/,
        );
      } else {
        expect(err).toBeNull();
        expect(c.history.last()!.train_loss).toBeCloseTo(loss, 3);
      }
    }
  });

  test('a fit after one EarlyStopping stopped trains its epochs (the stop is not carried over)', async () => {
    const es = new EarlyStopping({ monitor: 'train_loss', patience: 1, minDelta: 1e9 });
    const c = tiny({ maxEpochs: 4, callbacks: [es] });
    await c.fit(d.X, d.y);
    expect([c.history.length, es.stoppedEpoch]).toEqual([2, 2]);
    c.setParams({ callbacks: [] });
    await c.fit(d.X, d.y);
    expect(c.history.length).toBe(4);
    await c.partialFit(d.X, d.y, { epochs: 2 });
    expect(c.history.length).toBe(6);
  });

  test('fit yields before its first batch, and names a NaN found after the first 2^21 values', async () => {
    let immediateRan = false;
    let ranBeforeFirstBatch: boolean | null = null;
    const cb = {
      onBatchEnd: () => {
        if (ranBeforeFirstBatch === null) ranBeforeFirstBatch = immediateRan;
      },
    };
    const p = tiny({ maxEpochs: 1, callbacks: [cb] }).fit(d.X, d.y);
    setImmediate(() => (immediateRan = true));
    await p;
    expect(ranBeforeFirstBatch).toBe(true);
    // the finiteness check runs in pieces of 2^21 values with yields between: the position is still exact
    const rows = Math.ceil((1 << 21) / 8) + 10;
    const X = new Float32Array(rows * 8);
    const y = new Int32Array(rows);
    for (let i = 0; i < rows; i++) y[i] = i % 3;
    X[(rows - 3) * 8 + 5] = Infinity;
    await expect(tiny().fit(X, y)).rejects.toThrow(new RegExp(`fit: X\\[${rows - 3}\\]\\[5\\] = Infinity`));
  });

  test('save after setParams({ module__... }) describes the model that was trained, not the pending parameters', async () => {
    const dir = tmpDir();
    try {
      const c = tiny({ maxEpochs: 2 });
      await c.fit(d.X, d.y);
      const before = Array.from(c.predictProba(d.X));
      c.setParams({ module__hidden: [4], module__activation: 'tanh', seed: 9 });
      const file = path.join(dir, 'm.json');
      c.save(file);
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(json.moduleParams.hidden).toEqual([16]); // was [4]: the file then did not load
      expect(json.moduleParams.activation).toBeUndefined(); // was 'tanh', beside an architecture with relu
      expect(json.params.seed).toBe(0); // the default it was built with, not the pending 9
      const loaded = NeuralNetClassifier.load(file);
      expect(Array.from(loaded.predictProba(d.X))).toEqual(before);
      // the pending parameters apply at the next fit
      await c.fit(d.X, d.y);
      expect((c.module_ as nn.MLP).toJSON()).toMatchObject({ config: { hidden: [4], activation: 'tanh' } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('clone() copies keep frozen parameters frozen, eval mode and dropout streams (nn.copyModule)', async () => {
    const backbone = new nn.Sequential(new nn.Linear(8, 8, { seed: 4 }), new nn.ReLU());
    for (const p of backbone.parameters()) p.requiresGrad = false; // frozen, pretrained
    const factory = (p: Record<string, unknown>): nn.Module =>
      new nn.Sequential(p.backbone as nn.Module, new nn.Linear(8, 3, { seed: 5 }));
    const net = tiny({ module: factory, module__backbone: backbone, trainSplit: null, maxEpochs: 2 });
    const c = net.clone();
    const copy = c.getParams().module__backbone as nn.Module;
    expect(copy).not.toBe(backbone);
    expect(copy.parameters().map((p) => p.requiresGrad)).toEqual([false, false]);
    const before = Array.from(copy.parameters()[0].data);
    await c.fit(d.X, d.y);
    expect(Array.from(copy.parameters()[0].data)).toEqual(before); // was trained: the copy had lost requiresGrad
    const drop = new nn.Dropout(0.5, { seed: 7 });
    const bn = new nn.BatchNorm1d(3);
    bn.eval();
    const dc = nn.copyModule(drop) as nn.Dropout;
    expect(dc.rng).not.toBe(drop.rng);
    expect(dc.rng!.random()).toBe(drop.rng!.random()); // the same stream, from the same state
    expect(nn.copyModule(bn).training).toBe(false);
  });

  test('save and load keep classes_ (a file without it: 0 .. outputs - 1); bad classes are named', async () => {
    const dir = tmpDir();
    try {
      const c = tiny({ maxEpochs: 1, moduleParams: { outputs: 5 } }); // labels 0..2, five outputs
      await c.fit(d.X, d.y);
      const file = path.join(dir, 'm.json');
      c.save(file);
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(json.classes).toEqual([0, 1, 2]);
      const loaded = NeuralNetClassifier.load(file);
      expect(loaded.classes_).toEqual(Int32Array.from([0, 1, 2])); // was null
      expect(Array.from(loaded.predict(d.X))).toEqual(Array.from(c.predict(d.X)));
      const { classes: _c, ...older } = json; // a file written before classes were saved
      expect(NeuralNetClassifier.fromModelJSON(older).classes_).toEqual(Int32Array.from([0, 1, 2, 3, 4]));
      const withClasses = (classes: unknown) => () => NeuralNetClassifier.fromModelJSON({ ...json, classes });
      expectErrors([
        [withClasses('abc'), TypeError, /cannot load this model: 'classes' must be an array/],
        [withClasses([0, '1']), TypeError, /'classes'\[1\] must be a number/],
        [withClasses([0, 2, 1]), RangeError, /'classes'\[2\] = 1: the classes must be increasing/],
        [withClasses([0, 5]), RangeError, /'classes'\[1\] = 5: .*each below the model's 5 outputs/],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Fits a small model with the activation module given, saves it and loads it back; the file's JSON too. */
  async function fitSaveLoad(activation: nn.Module) {
    const dir = tmpDir();
    try {
      const fitted = tiny({ maxEpochs: 2, moduleParams: { hidden: [8, 8], activation } });
      await fitted.fit(d.X, d.y);
      const file = path.join(dir, 'model.json');
      fitted.save(file);
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      const loaded = NeuralNetClassifier.load(file);
      const act = (m: NeuralNetClassifier) => (m.module_ as any).activation as nn.Sequential;
      expect(Array.from(loaded.predictProba(d.X))).toEqual(Array.from(fitted.predictProba(d.X)));
      return { fitted: act(fitted), loaded: act(loaded), json };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('a shared activation module that uses one Linear twice trains, saves and loads as one module', async () => {
    const lin = new nn.Linear(8, 8, { seed: 3 });
    const activation = new nn.Sequential(lin, new nn.ReLU(), lin); // copyModule at fit: was "missing keys: 2.weight"
    const { fitted, loaded } = await fitSaveLoad(activation);
    expect(fitted).not.toBe(activation);
    expect(fitted.at(2)).toBe(fitted.at(0));
    expect(loaded.at(2)).toBe(loaded.at(0));
  });

  test('a shared activation module whose Linears share a weight (b.weight = a.weight) saves and loads', async () => {
    const a = new nn.Linear(8, 8, { seed: 3 });
    const b = new nn.Linear(8, 8, { seed: 4 });
    b.weight = a.weight;
    // load was: RangeError setWeights: missing 'activation.2.weight'
    const { loaded, json } = await fitSaveLoad(new nn.Sequential(a, new nn.ReLU(), b));
    expect(json.moduleParams.activation.ties).toEqual({ '2.weight': '0.weight' });
    expect((loaded.at(2) as nn.Linear).weight).toBe((loaded.at(0) as nn.Linear).weight);
  });

  test('a warm fit refused by a callback\'s onTrainBegin leaves classes_ as it was', async () => {
    const c = tiny({ trainSplit: null, maxEpochs: 1 });
    await c.fit(d.X, d.y);
    c.setParams({ callbacks: [new EarlyStopping()] }); // monitors valid_loss: no validation data
    await expect(c.partialFit(d.X.subarray(0, 80), new Int32Array(10))).rejects.toThrow(/needs validation data/);
    expect(Array.from(c.classes_!)).toEqual([0, 1, 2]);
  });

  test('predict() between batches of a fit does not change the training (the module\'s mode is put back)', async () => {
    const make = (): NeuralNetClassifier =>
      tiny({ maxEpochs: 2, batchSize: 8, moduleParams: { hidden: [16], dropout: 0.5, batchNorm: true }, seed: 3 });
    const alone = make();
    await alone.fit(d.X, d.y);
    const served = make();
    let calls = 0;
    const cb = {
      onBatchEnd: (n: TrainerView, b: { training: boolean }) => {
        if (!b.training) return;
        (n as NeuralNetClassifier).predict(d.X.subarray(0, 16)); // a request answered in a pause of the fit
        calls++;
      },
    };
    served.setParams({ callbacks: [cb] });
    await served.fit(d.X, d.y);
    expect(calls).toBeGreaterThan(10);
    expect(served.getWeights()).toEqual(alone.getWeights());
    expect(served.history.epochs.map((e) => e.train_loss)).toEqual(alone.history.epochs.map((e) => e.train_loss));
  });

  test('a second fit on an estimator that is training is refused; the first ends normally', async () => {
    const c = tiny({ maxEpochs: 3 });
    const first = c.fit(d.X, d.y);
    await expect(c.fit(d.X, d.y)).rejects.toThrow(/fit: this estimator is already training .*train a clone\(\)/);
    await expect(c.partialFit(d.X, d.y)).rejects.toThrow(/partialFit: this estimator is already training/);
    await first;
    expect(c.history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    await c.partialFit(d.X, d.y); // and it can train again afterwards
    expect(c.history.length).toBe(4);
  });

  test('boolean options, verbose and callbacks are type-checked; a too small trainSplit names trainSplit', async () => {
    expect(() => tiny({ warmStart: 'false' })).toThrow(/warmStart must be a boolean, got 'false'/);
    expect(() => tiny({ shuffle: 'false' })).toThrow(TypeError);
    expect(() => tiny({ verbose: 7 })).toThrow(/verbose must be 0, 1 or 2, got 7/);
    expect(() => tiny({ callbacks: [null] })).toThrow(/callbacks\[0\] must be a callback object/);
    const err = await tiny().fit(d.X.subarray(0, 32), Int32Array.of(0, 1, 2, 0)).catch((e) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toMatch(/fit: trainSplit 0.2: .*needs a class with at least 5 samples; y has 4 samples/);
    expect(err.message).not.toMatch(/nSplits/);
  });

  test('seeds are safe integers >= 0 and each gives its own stream; seeds below 2^32 keep their streams', async () => {
    const first = (seed: number): number[] => {
      const r = new Rng(seed);
      return [r.nextUint32(), r.nextUint32(), r.nextUint32(), r.nextUint32()];
    };
    // the streams of before the fix (the README's published figures use seed 0)
    expect(first(0)).toEqual([3809008728, 1133695204, 53579671, 2891528803]);
    expect(first(1)).toEqual([2442144158, 3238099751, 3819917871, 2104621829]);
    expect(first(42)).toEqual([2837322924, 544945897, 479756282, 3500138142]);
    expect(first(2 ** 32 - 1)).toEqual([835879718, 1921286648, 2356205009, 1885780724]);
    const fork = new Rng(7).fork(); // nn.MLP's dropout stream
    expect([fork.nextUint32(), fork.nextUint32(), fork.nextUint32()]).toEqual([4168271001, 451713929, 788091904]);
    const pairs = [[1, 2 ** 32], [0, 2 ** 32 + 1], [2 ** 32, 2 ** 33], [5, Number.MAX_SAFE_INTEGER], [-1, 1], [-1, 2 ** 32 + 1]];
    pairs.push([-(2 ** 32), 2 ** 32], [-(2 ** 32), 0], [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
    for (const [a, b] of pairs) expect(first(a)).not.toEqual(first(b));
    // negative seeds (torch.manual_seed takes them) are seeds of their own, each its own stream
    const negatives = [-1, -2, -3, -(2 ** 32), -(2 ** 32) - 1].map((s) => first(s)[0]);
    expect(new Set(negatives).size).toBe(negatives.length);
    for (const bad of [3.7, 2 ** 53, NaN]) {
      expect(() => new Rng(bad)).toThrow(/Rng: 'seed' must be a safe integer/);
      expect(() => tiny({ seed: bad })).toThrow(/NeuralNetClassifier: 'seed' must be a safe integer/);
    }
    expect(() => tiny({ seed: '1' as unknown as number })).toThrow(TypeError);
    // every place that takes a seed takes a negative one, and names itself for a bad one
    manualSeed(-1);
    expect(Array.from(randn([3], { seed: -3 }).data)).toEqual(Array.from(randn([3], { seed: -3 }).data));
    expect(Array.from(randn([3], { seed: -3 }).data)).not.toEqual(Array.from(randn([3], { seed: 3 }).data));
    expect(() => new nnMod.Dropout(0.5, { seed: -1 })).not.toThrow();
    expect(() => manualSeed(0.5)).toThrow(/manualSeed: 'seed' must be a safe integer/);
    manualSeed(0);
    const w = async (seed: number) => (await tiny({ maxEpochs: 1, seed }).fit(d.X, d.y)).getWeights()['fc1.weight'];
    expect(await w(2 ** 32)).not.toEqual(await w(1));
  });

  test('EarlyStopping and Checkpoint options: wrong types, unknown and skorch keys are named errors', () => {
    const cases: ErrorCase[] = [
      [
        () => new EarlyStopping({ lowerIsBetter: 'false' as never }),
        TypeError,
        /EarlyStopping: lowerIsBetter must be a boolean, got string "false"/,
      ],
      [
        () => new EarlyStopping({ monitor: 42 as never }),
        TypeError,
        /EarlyStopping: monitor must be a string, got number 42/,
      ],
      [() => new EarlyStopping({ restoreBest: 1 as never }), TypeError, /EarlyStopping: restoreBest must be a boolean/],
      [() => new EarlyStopping({ patience: '5' as never }), TypeError, /EarlyStopping: patience must be a number/],
      [
        () => new EarlyStopping({ minDelta: null as never }),
        TypeError,
        /EarlyStopping: minDelta must be a number, got null/,
      ],
      [() => new EarlyStopping({ monitor: '' }), RangeError, /EarlyStopping: monitor must name a history key/],
      [() => new EarlyStopping(5 as never), TypeError, /EarlyStopping: options must be an object/],
      [
        () => new EarlyStopping({ threshold: 0.01 } as never),
        RangeError,
        new RegExp(
          "EarlyStopping: unknown option 'threshold' \\(known: monitor, patience, minDelta, lowerIsBetter, " +
            "restoreBest\\); skorch's 'threshold' is minDelta here",
        ),
      ],
      [
        () => new EarlyStopping({ toString: 1 } as never), // no "skorch's 'toString' is function toString()…" hint
        RangeError,
        /EarlyStopping: unknown option 'toString' \(known: monitor, patience, minDelta, lowerIsBetter, restoreBest\)$/,
      ],
      [
        () => new EarlyStopping({ load_best: true } as never),
        RangeError,
        /unknown option 'load_best'.*skorch's 'load_best' is restoreBest/,
      ],
      [
        () => new EarlyStopping({ pateince: 3 } as never),
        RangeError,
        /EarlyStopping: unknown option 'pateince' \(known: monitor, /,
      ],
      [() => new Checkpoint({ monitor: null as never }), TypeError, /Checkpoint: monitor must be a string, got null/],
      [() => new Checkpoint({ file: 3 as never }), TypeError, /Checkpoint: file must be a string, got number 3/],
      [() => new Checkpoint({ file: '' }), RangeError, /Checkpoint: file must be a path/],
      [
        () => new Checkpoint({ f_params: 'x.pt' } as never),
        RangeError,
        /Checkpoint: unknown option 'f_params' \(known: monitor, file\); skorch's 'f_params' is file here/,
      ],
    ];
    expectErrors(cases);
    // undefined is the default, null a Checkpoint without file; a copy (clone, workers) is rebuilt from the options
    const es = new EarlyStopping({
      monitor: 'valid_acc',
      patience: 3,
      minDelta: 0.1,
      lowerIsBetter: false,
      restoreBest: true,
    });
    expect(new EarlyStopping({ monitor: undefined }).monitor).toBe('valid_loss');
    expect(new Checkpoint({ file: null }).file).toBeNull();
    const cp = new Checkpoint({ monitor: 'train_loss_best', file: 'm.json' });
    const copy = tiny({ callbacks: [es, cp, new Checkpoint()] }).clone().getParams().callbacks as [
      EarlyStopping,
      Checkpoint,
      Checkpoint,
    ];
    expect([copy[0].monitor, copy[0].patience, copy[0].minDelta, copy[0].lowerIsBetter, copy[0].restoreBest]).toEqual([
      'valid_acc', 3, 0.1, false, true,
    ]);
    expect([copy[1].monitor, copy[1].file, copy[2].monitor, copy[2].file]).toEqual([
      'train_loss_best',
      'm.json',
      'valid_loss_best',
      null,
    ]);
    expect(copy[0]).not.toBe(es);
  });

  test('a valid_* monitor without validation data: RangeError before the first step, model unchanged', async () => {
    const cases: [EarlyStopping | Checkpoint, RegExp][] = [
      [
        new EarlyStopping(),
        /^RangeError: EarlyStopping: monitor 'valid_loss' needs validation data, and this fit has none/,
      ],
      [new Checkpoint(), /^RangeError: Checkpoint: monitor 'valid_loss_best' needs validation data/],
      [
        new Checkpoint({ monitor: 'valid_acc_best' }),
        /^RangeError: Checkpoint: monitor 'valid_acc_best' needs validation data/,
      ],
    ];
    for (const [cb, re] of cases) {
      let steps = 0;
      const count = { onBatchEnd: () => void steps++ };
      // a fresh model: no epoch trained; a trained one: its weights and history unchanged
      const fresh = tiny({ trainSplit: null, callbacks: [count, cb] });
      await expect(fresh.fit(d.X, d.y).catch((e: Error) => `${e.name}: ${e.message}`)).resolves.toMatch(re);
      expect([steps, fresh.history.length, fresh.module_]).toEqual([0, 0, null]);
      const trained = tiny({ trainSplit: null, maxEpochs: 2 });
      await trained.fit(d.X, d.y);
      const w = trained.getWeights();
      const module = trained.module_;
      trained.setParams({ callbacks: [count, cb] });
      await expect(trained.fit(d.X, d.y)).rejects.toThrow(RangeError);
      expect([steps, trained.history.length, trained.module_ === module]).toEqual([0, 2, true]);
      expect(trained.getWeights()).toEqual(w);
      // with validation data (a split, or options.validation) the same callbacks run
      await tiny({ maxEpochs: 2, callbacks: [cb] }).fit(d.X, d.y);
      await tiny({ maxEpochs: 2, trainSplit: null, callbacks: [cb] }).fit(d.X, d.y, { validation: { X: d.X, y: d.y } });
    }
  });

  test('Checkpoint: a monitor that is not a boolean history key fails at epoch 1, naming the keys', async () => {
    const dir = tmpDir();
    try {
      const file = path.join(dir, 'm.json');
      const typo = tiny({ maxEpochs: 3, callbacks: [new Checkpoint({ monitor: 'valid_los_best', file })] });
      await expect(typo.fit(d.X, d.y)).rejects.toThrow(
        new RegExp(
          "^Checkpoint: monitor 'valid_los_best' is not a key of the history " +
            '\\(the boolean keys of this history: train_loss_best, valid_loss_best, valid_acc_best\\)$',
        ),
      );
      await expect(typo.fit(d.X, d.y)).rejects.toThrow(RangeError);
      expect(typo.history.length).toBe(1);
      const numeric = tiny({ maxEpochs: 3, callbacks: [new Checkpoint({ monitor: 'valid_loss', file })] });
      const err = await numeric.fit(d.X, d.y).then(() => null, (e: Error) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect(err?.message).toMatch(
        /^Checkpoint: monitor 'valid_loss' is number [\d.e-]+, not a boolean \(the boolean keys of this history: /,
      );
      expect(fs.existsSync(file)).toBe(false);
      // a boolean key saves the best epoch
      const ok = new Checkpoint({ monitor: 'train_loss_best', file });
      await tiny({ maxEpochs: 2, trainSplit: null, callbacks: [ok] }).fit(d.X, d.y);
      expect(ok.bestEpoch).not.toBeNull();
      expect(fs.existsSync(file)).toBe(true);
      // EarlyStopping names a monitor that is not a number
      const es = tiny({ maxEpochs: 3, callbacks: [new EarlyStopping({ monitor: 'valid_los' })] });
      await expect(es.fit(d.X, d.y)).rejects.toThrow(
        new RegExp(
          "^EarlyStopping: monitor 'valid_los' is not a key of the history " +
            '\\(the numeric keys of this history: train_loss, valid_loss, valid_acc, ',
        ),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(`training on, inputs to predict, aborts and the event loop (${backend().name}/${backend().isa})`, () => {
  const d = blobs(240);
  const rowsWith = (labels: number[]): Int32Array => Int32Array.from(d.y.keys()).filter((i) => labels.includes(d.y[i]));

  test('partialFit and a warm fit keep the model\'s classes_; a new fit takes its labels\' classes', async () => {
    const idx = rowsWith([0, 1]);
    const X01 = Float32Array.from({ length: idx.length * 8 }, (_, i) => d.X[idx[Math.floor(i / 8)] * 8 + (i % 8)]);
    const y01 = Int32Array.from(idx, (i) => d.y[i]);
    const net = tiny({ maxEpochs: 1 });
    await net.fit(d.X, d.y);
    expect(Array.from(net.classes_!)).toEqual([0, 1, 2]);
    await net.partialFit(X01, y01);
    expect(Array.from(net.classes_!)).toEqual([0, 1, 2]);
    const dir = tmpDir();
    try {
      net.save(path.join(dir, 'm.json'));
      expect(Array.from(NeuralNetClassifier.load(path.join(dir, 'm.json')).classes_!)).toEqual([0, 1, 2]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const warm = tiny({ maxEpochs: 1, warmStart: true });
    await warm.fit(d.X, d.y);
    await warm.fit(X01, y01);
    expect(Array.from(warm.classes_!)).toEqual([0, 1, 2]);
    const fresh = tiny({ maxEpochs: 1 });
    await fresh.fit(d.X, d.y);
    await fresh.fit(X01, y01); // not warm: a new model of these labels
    expect(Array.from(fresh.classes_!)).toEqual([0, 1]);
  });

  test('fit(k) then partialFit(m) on the same rows gives fit(k + m)\'s model, shuffling included', async () => {
    for (const extra of [{}, { trainSplit: null }, { dtype: 'float64' }]) {
      const whole = tiny({ maxEpochs: 3, seed: 4, ...extra });
      await whole.fit(d.X, d.y);
      const parts = tiny({ maxEpochs: 1, seed: 4, ...extra });
      await parts.fit(d.X, d.y);
      await parts.partialFit(d.X, d.y, { epochs: 2 });
      expect(parts.getWeights()).toEqual(whole.getWeights());
      expect(parts.history.epochs.map((e) => e.train_loss)).toEqual(whole.history.epochs.map((e) => e.train_loss));
      const warm = tiny({ maxEpochs: 1, seed: 4, warmStart: true, ...extra });
      await warm.fit(d.X, d.y);
      await warm.setParams({ maxEpochs: 2 }).fit(d.X, d.y);
      expect(warm.getWeights()).toEqual(whole.getWeights());
    }
    // other rows start from their own order (and train); a new fit starts over and repeats the first one
    const net = tiny({ maxEpochs: 1, seed: 4 });
    await net.fit(d.X, d.y);
    const w1 = net.getWeights();
    await net.partialFit(d.X.subarray(0, 120 * 8), d.y.subarray(0, 120));
    await net.fit(d.X, d.y);
    expect(net.getWeights()).toEqual(w1);
  });

  test('predict, predictProba, score and forward name a NaN/Infinity input by row and column', async () => {
    const net = tiny({ maxEpochs: 1 });
    await net.fit(d.X, d.y);
    const X = d.X.slice(0, 16);
    X[11] = Infinity;
    const calls: [string, () => unknown][] = [
      ['predict', () => net.predict(X)],
      ['predictProba', () => net.predictProba(X)],
      ['score', () => net.score(X, d.y.subarray(0, 2))],
      ['forward', () => net.forward(X)],
    ];
    for (const [name, call] of calls) {
      expect([name, (() => { try { call(); } catch (e) { return e instanceof RangeError; } return 'no error'; })()])
        .toEqual([name, true]);
      expect(call).toThrow(/^X\[1\]\[3\] = Infinity: the inputs must be finite numbers$/);
    }
    X[11] = NaN;
    expect(() => net.predict([Array.from(X.subarray(0, 8)), Array.from(X.subarray(8, 16))])).toThrow(
      /^X\[1\]\[3\] = NaN: /,
    );
  });

  test('the AbortError of fit has the signal\'s reason as its cause (a timeout vs a user abort)', async () => {
    const reason = new Error('shutting down');
    const ac = new AbortController();
    const net = tiny({ maxEpochs: 50, callbacks: [{ onBatchEnd: () => ac.abort(reason) }] });
    const err = await net.fit(d.X, d.y, { signal: ac.signal }).then(() => null, (e: Error) => e);
    expect(err).toMatchObject({ name: 'AbortError', message: 'training was aborted', cause: reason });
    const pre = AbortSignal.abort('stop');
    await expect(tiny().partialFit(d.X, d.y, { signal: pre })).rejects.toMatchObject({
      name: 'AbortError',
      cause: 'stop',
    });
  });

  test('fit converts X to the model\'s dtype in pieces, letting the event loop turn between them', async () => {
    // A float64 X for a float32 model is converted after fit() has returned its promise, a piece at a time: a
    // value changed right after the call is seen (before, the whole conversion ran inside the call, ~0.3-0.6 s
    // for MNIST as float64).
    const rows = Math.ceil((1 << 20) / 8) + 16;
    const X = new Float64Array(rows * 8).fill(0.5);
    const y = Int32Array.from({ length: rows }, (_, i) => i % 3);
    const p = tiny({ maxEpochs: 1, batchSize: 1024, trainSplit: null }).fit(X, y);
    X[(rows - 1) * 8 + 2] = NaN;
    await expect(p).rejects.toThrow(new RegExp(`^fit: X\\[${rows - 1}\\]\\[2\\] = NaN`));
  });
});

describe(`parameters set during a fit, aborts in its preparation (${backend().name}/${backend().isa})`, () => {
  const d = blobs(240);

  test('an abort during the conversion of X is seen there, not after all of the preparation', async () => {
    // A float64 X for a float32 model converts in pieces; the NaN written after the call would be found by the
    // finite check that follows the conversion, so a RangeError here means the abort was not looked at in between.
    const rows = Math.ceil((3 << 20) / 8);
    const X = new Float64Array(rows * 8).fill(0.5);
    const y = Int32Array.from({ length: rows }, (_, i) => i % 3);
    const net = tiny({ maxEpochs: 1 });
    await net.fit(d.X, d.y);
    const w = net.getWeights();
    const ac = new AbortController();
    const p = net.fit(X, y, { signal: ac.signal });
    X[(rows - 1) * 8] = NaN;
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(net.getWeights()).toEqual(w);
    expect(net.history.length).toBe(1);
  });

  test("fit trains whatever the process-wide grad mode is, and leaves the caller's mode as it was", async () => {
    // with grad mode off (an app's inference setting) backward() failed: "this tensor does not require grad"
    const was = setGradEnabled(false);
    try {
      const c = tiny({ maxEpochs: 2 });
      await c.fit(d.X, d.y);
      expect([c.history.length, isGradEnabled()]).toEqual([2, false]);
    } finally {
      setGradEnabled(was);
    }
    // switched off while fit waits between batches (a callback stands in for another part of the app)
    const seen: boolean[] = [];
    const off = { onBatchEnd: () => void (seen.push(isGradEnabled()), setGradEnabled(false)) };
    const c = tiny({ maxEpochs: 2, batchSize: 8, callbacks: [off] });
    try {
      await c.fit(d.X, d.y);
    } finally {
      setGradEnabled(true);
    }
    expect(c.history.length).toBe(2);
    expect(seen.slice(1).every((on) => on === false)).toBe(true); // the callbacks see the mode the app set
  });

  (getNativeBackend() ? test : test.skip)('setIsa or setBackend while fit runs: an Error naming both, not a mix', async () => {
    // it carried on with the other kernels: a history that matched neither family's
    const nb = getNativeBackend()!;
    const before = backend();
    const isa = nb.isa;
    const other = nb.info().isas.find((i) => i !== isa) ?? null;
    const switches: [string, () => void][] = [['js', () => void setBackend('js')]];
    if (other) switches.push([`native (${other})`, () => nb.setIsa(other)]);
    for (const [to, change] of switches) {
      setBackend('native');
      const from = `native (${isa})`;
      const at = { onEpochEnd: (_: TrainerView, e: { epoch: number }) => void (e.epoch === 1 && change()) };
      const net = tiny({ maxEpochs: 3, callbacks: [at] });
      try {
        const err = (await net.fit(d.X, d.y).catch((e: Error) => e)) as Error;
        expect(err.message).toBe(
          `fit: the kernels changed from ${from} to ${to} while fit ran (setBackend or setIsa): a fit runs on one ` +
            'backend and kernel family; change them before fit or after it settles',
        );
        expect(net.history.length).toBe(1);
      } finally {
        nb.setIsa(isa);
        setBackend(before);
      }
    }
    // a switch and a switch back is no change
    const flip = { onEpochEnd: () => void (setBackend('js'), setBackend(before)) };
    const ok = tiny({ maxEpochs: 2, callbacks: [flip] });
    await ok.fit(d.X, d.y);
    expect(ok.history.length).toBe(2);
  });

  test("X or validation.X transferred while fit runs: a TypeError naming it, on both backends", async () => {
    const transfer = (a: Float32Array | Float64Array): void => void structuredClone(a.buffer, { transfer: [a.buffer] });
    // by a callback between two epochs (no yield between it and the next batch's gather), and by a timer
    for (const when of ['epoch end', 'timer'] as const) {
      const X = Float32Array.from(d.X);
      const at = {
        onEpochEnd: (_: TrainerView, e: { epoch: number }) => when === 'epoch end' && e.epoch === 1 && transfer(X),
      };
      const net = tiny({ maxEpochs: 500, batchSize: 8, callbacks: [at] });
      const p = net.fit(X, d.y);
      if (when === 'timer') setTimeout(() => transfer(X), 5);
      const err = (await p.catch((e: Error) => e)) as Error;
      // it was the native binding's "src is detached" or the js backend's "idx[680] = 548 is not a row of src"
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toMatch(/^fit: 'X' was detached or resized while fit ran/);
    }
    const vX = Float32Array.from(d.X.subarray(0, 48 * 8));
    const at = { onEpochEnd: (_: TrainerView, e: { epoch: number }) => e.epoch === 1 && transfer(vX) };
    const net = tiny({ maxEpochs: 5, batchSize: 8, callbacks: [at] });
    const err = await net.fit(d.X, d.y, { validation: { X: vX, y: d.y.subarray(0, 48) } }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^fit: 'validation.X' was detached or resized while fit ran/);
    // a float64 X for a float32 model is converted into fit's own copy: transferring X after that harms nothing
    const X64 = Float64Array.from(d.X);
    const later = { onEpochEnd: (_: TrainerView, e: { epoch: number }) => e.epoch === 1 && transfer(X64) };
    const copy = tiny({ maxEpochs: 3, batchSize: 8, callbacks: [later] });
    await copy.fit(X64, d.y);
    expect(copy.history.length).toBe(3);
  });

  test('an abort in a validation batch\'s callback is the last callback: no later batch runs', async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    const net = tiny({
      maxEpochs: 3,
      batchSize: 8, // 48 validation rows: 6 batches, computed in one chunk on native
      callbacks: [{
        onBatchEnd: (_: TrainerView, b: { training: boolean; batch: number }) => {
          seen.push(`${b.training ? 't' : 'v'}${b.batch}`);
          if (!b.training && b.batch === 1) ac.abort();
        },
      }],
    });
    await expect(net.fit(d.X, d.y, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen.slice(-3)).toEqual(['t23', 'v0', 'v1']);
  });

  test('setParams while a fit runs takes effect at the next fit, not in that fit or the fitted model', async () => {
    const ref = tiny({ maxEpochs: 3, seed: 2 });
    await ref.fit(d.X, d.y);
    // set right after the call (the fit is converting X) and from a callback between epochs
    const net = tiny({
      maxEpochs: 3,
      seed: 2,
      callbacks: [{
        onEpochEnd: (v: TrainerView, e: { epoch: number }) => {
          if (e.epoch === 1) (v as NeuralNetClassifier).setParams({ batchSize: 7, shuffle: false, lr: 0.5 });
        },
      }],
    });
    const p = net.fit(d.X, d.y);
    net.setParams({ dtype: 'float64', seed: 9, module__hidden: [5] });
    await p;
    expect(net.getWeights()).toEqual(ref.getWeights());
    expect(net.history.epochs.map((e) => e.train_batch_count)).toEqual([6, 6, 6]);
    // the fitted model still predicts as fitted (it is float32; the estimator's dtype is float64 now)
    expect(Array.from(net.predict(d.X))).toEqual(Array.from(ref.predict(d.X)));
    expect(net.score(d.X, d.y)).toBe(ref.score(d.X, d.y));
    // and the next call builds from the new parameters, partialFit included
    await net.partialFit(d.X, d.y);
    const w = net.getWeights() as Record<string, Float32Array | Float64Array>;
    expect(w['fc1.weight']).toBeInstanceOf(Float64Array);
    expect(w['fc1.weight'].length).toBe(5 * 8);
    expect(net.history.length).toBe(1);
  });

  test('an optimizer parameter set during a fit builds a new optimizer at the next call', async () => {
    const net = tiny({ maxEpochs: 2, optimizerParams: { momentum: 0.9 } });
    const p = net.fit(d.X, d.y);
    net.setParams({ optimizer__momentum: 0 });
    await p;
    const ref = tiny({ maxEpochs: 2, optimizerParams: { momentum: 0.9 } });
    await ref.fit(d.X, d.y);
    expect(net.getWeights()).toEqual(ref.getWeights());
    expect(net.optimizer_).toBeNull();
    await net.partialFit(d.X, d.y);
    expect((net.optimizer_ as SGD).paramGroups[0].momentum).toBe(0);
  });

  test('criterion takes nn.CrossEntropyLoss as skorch does; a bad criterion, optimizer or module__dtype is refused', () => {
    for (const c of ['cross_entropy', nn.CrossEntropyLoss, new nn.CrossEntropyLoss()]) {
      expect(tiny({ criterion: c }).getParams().criterion).toBe('cross_entropy');
    }
    expectErrors([
      [() => tiny({ criterion: nn.MSELoss }), RangeError, /: criterion must be 'cross_entropy' or nn\.CrossEntropyLoss, got function MSELoss$/],
      [() => tiny({ criterion: new nn.CrossEntropyLoss({ reduction: 'sum' }) }), RangeError, /: criterion: CrossEntropyLoss\(.*reduction=sum.*\) is not what/],
      [() => tiny({ criterion: 'mse' }), RangeError, /got 'mse'$/],
      [() => tiny({ optimizer: 42 }), TypeError, /: optimizer must be 'sgd', 'adam', 'adamw' or an optimizer class, got 42$/],
      [() => tiny({ optimizer: null }), TypeError, /got null$/],
      [() => tiny({ moduleParams: { dtype: 'float64' } }), RangeError, /: module__dtype 'float64' differs from the estimator's dtype 'float32': set dtype/],
    ] as ErrorCase[]);
    expect(tiny({ dtype: 'float64', moduleParams: { dtype: 'float64' } }).getParams().dtype).toBe('float64');
  });
});

describe(`labels, fit options and a diverged model (${backend().name}/${backend().isa})`, () => {
  const d = blobs();
  const withLabel = (v: unknown): number[] => {
    const y: unknown[] = Array.from(d.y);
    y[4] = v;
    return y as number[];
  };
  const rows = (): unknown[][] => Array.from({ length: 200 }, (_, i) => Array.from(d.X.subarray(i * 8, i * 8 + 8)));

  test('labels are numbers up to 2^31 - 1 and row cells numbers: nothing becomes class 0 or wraps around', async () => {
    const net = tiny({ maxEpochs: 1 });
    await net.fit(d.X, d.y);
    for (const v of [null, '', ' ', false, [], [2], undefined]) {
      const err = await tiny().fit(d.X, withLabel(v)).catch((e) => e);
      expect([v, err instanceof TypeError, String(err)]).toEqual([
        v,
        true,
        expect.stringMatching(/^TypeError: y\[4\] must be a non-negative integer class label, got /),
      ]);
      expect(() => net.score(d.X, withLabel(v))).toThrow(TypeError);
    }
    for (const v of [2 ** 31, 2 ** 32, 1e10]) {
      await expect(tiny().fit(d.X, withLabel(v))).rejects.toThrow(
        new RegExp(`^y\\[4\\] must be a non-negative integer class label up to 2\\^31 - 1, got ${v}$`),
      );
    }
    for (const v of [null, '', '2.5', true]) {
      const X = rows();
      X[9][3] = v;
      await expect(tiny().fit(X as number[][], d.y)).rejects.toThrow(/^X\[9\]\[3\] must be a number, got /);
      expect(() => net.predict(X as number[][])).toThrow(/^X\[9\]\[3\] must be a number, got /);
    }
  });

  test('float64 inputs beyond float32\'s range are named as given, not as the Infinity they became', async () => {
    const X64 = Float64Array.from(d.X);
    X64[5 * 8 + 2] = 1e300;
    const over = /X\[5\]\[2\] = 1e\+300 is outside the range of the model's dtype float32 \(\|x\| <= 3.4e38\)/;
    await expect(tiny().fit(X64, d.y)).rejects.toThrow(new RegExp(`^fit: ${over.source}`));
    const net = tiny({ maxEpochs: 1 });
    await net.fit(d.X, d.y);
    expect(() => net.predict(X64)).toThrow(new RegExp(`^${over.source}`));
    X64[5 * 8 + 2] = Infinity;
    expect(() => net.predict(X64)).toThrow(/^X\[5\]\[2\] = Infinity: the inputs must be finite numbers/);
    const finite = X64.map((v) => Math.min(v, 1e300));
    await expect(tiny({ dtype: 'float64', maxEpochs: 1 }).fit(finite, d.y)).resolves.toBeTruthy();
  });

  test('fit and partialFit check their options by name, and leave the model as it was', async () => {
    const net = tiny({ maxEpochs: 1 });
    await net.fit(d.X, d.y);
    const w = net.getWeights();
    const calls: [() => Promise<unknown>, ErrorConstructor, RegExp][] = [
      [() => net.fit(d.X, d.y, null as never), TypeError, /^fit: options must be an object like \{ signal, validation/],
      [() => net.partialFit(d.X, d.y, null as never), TypeError, /^partialFit: options must be an object like/],
      [() => net.fit(d.X, d.y, { epochs: 5 } as never), TypeError, /^fit: unknown option 'epochs' \(fit trains/],
      [() => net.partialFit(d.X, d.y, { epoch: 5 } as never), TypeError, /'epoch'; known: signal, validation, epochs$/],
      [() => net.fit(d.X, d.y, { validaton: {} } as never), TypeError, /^fit: unknown option 'validaton'/],
      [
        () => net.fit(d.X, d.y, { signal: new AbortController() as never }),
        TypeError,
        /^fit: options.signal must be an AbortSignal \(controller.signal; an object with a boolean 'aborted'\), got Abort/,
      ],
      [() => net.fit(d.X, d.y, { validation: 5 as never }), TypeError, /^fit: options.validation must be an obj/],
      [() => net.fit(d.X, d.y, { validation: { X: d.X } as never }), TypeError, /options.validation must be an object/],
      [
        () => net.fit(d.X, d.y, { validation: { X: new Float32Array(0), y: new Int32Array(0) } }),
        RangeError,
        /^fit: validation.y must not be empty$/,
      ],
    ];
    for (const [call, type, re] of calls) {
      const err = (await call().catch((e: Error) => e)) as Error;
      expect([String(call), err instanceof type, err.message]).toEqual([String(call), true, expect.stringMatching(re)]);
    }
    expect(net.getWeights()).toEqual(w);
    // null means none; a signal of another implementation (the abort-controller package's) is read by 'aborted'
    await expect(tiny({ maxEpochs: 1 }).fit(d.X, d.y, { signal: null, validation: null })).resolves.toBeTruthy();
    class AbortSignal {
      aborted = false;
      reason: unknown = undefined;
    }
    const other = new AbortSignal();
    const stopping = tiny({ maxEpochs: 50, callbacks: [{ onEpochEnd: () => void (other.aborted = true) }] });
    await expect(stopping.fit(d.X, d.y, { signal: other as never })).rejects.toMatchObject({ name: 'AbortError' });
    expect(stopping.history.length).toBe(1);
  });

  test('a model a diverged fit left with NaN weights refuses to predict; overflowing outputs are named', async () => {
    const X = d.X.slice();
    for (let i = 0; i < 200; i++) X[i * 8 + 7] = 0; // Adam with eps 0: 0/0 in that column's weights
    const net = tiny({ optimizer: 'adam', optimizerParams: { eps: 0 }, batchSize: 16 });
    await expect(net.fit(X, d.y)).rejects.toThrow(TrainingDivergedError);
    const diverged = /^the model's 'fc1.weight' holds NaN\/Infinity \(a fit that diverged leaves its weights so\)/;
    expect(() => net.predict(X)).toThrow(diverged);
    expect(() => net.predictProba(X)).toThrow(diverged);
    expect(() => net.score(X, d.y)).toThrow(diverged);
    // finite weights whose outputs overflow float32 for large inputs: the row is named
    const ok = tiny({ maxEpochs: 1 });
    await ok.fit(d.X, d.y);
    for (const p of ok.module_!.parameters()) p.data.fill(p.shape.length === 2 ? 1e19 : 0);
    const big = new Float32Array(4 * 8).fill(1e-30);
    big.fill(1, 2 * 8, 3 * 8);
    expect(() => ok.predict(big)).toThrow(/^X\[2\]: the model's output is Infinity \(finite weights: an activation/);
  });

  test('a BatchNorm running variance that overflows is a divergence naming the buffer', async () => {
    const huge = d.X.map((v) => v * 1e20);
    const err = await tiny({ moduleParams: { batchNorm: true }, lr: 0.05 }).fit(huge, d.y).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.layer).toBe('bn1.runningVar');
    expect(err.message).toMatch(/^training diverged at epoch 1, batch 5: .*; buffer 'bn1.runningVar' holds NaN\/Inf/);
  });

  test('a 1-row last batch is refused before the first step with BatchNorm; a huge batchSize: one batch', async () => {
    const bn = tiny({ moduleParams: { batchNorm: true }, trainSplit: null, batchSize: 199, maxEpochs: 1 });
    await bn.fit(d.X.subarray(0, 100 * 8), d.y.subarray(0, 100)); // 100 rows: one batch
    const w = bn.getWeights();
    await expect(bn.fit(d.X, d.y)).rejects.toThrow(
      /^fit: batchSize 199 with 200 training rows leaves a batch of 1 row, which BatchNorm layer 'bn1' cannot/,
    );
    expect(bn.getWeights()).toEqual(w);
    const bs1 = tiny({ moduleParams: { batchNorm: true }, batchSize: 1 });
    await expect(bs1.fit(d.X, d.y)).rejects.toThrow(/batchSize 1 with/);
    // without BatchNorm a 1-row batch trains; a batchSize beyond the rows makes one batch of them all
    const one = tiny({ trainSplit: null, batchSize: 1e9, maxEpochs: 2, shuffle: false });
    await one.fit(d.X, d.y);
    const all = tiny({ trainSplit: null, batchSize: 200, maxEpochs: 2, shuffle: false });
    await all.fit(d.X, d.y);
    expect(one.getWeights()).toEqual(all.getWeights());
    expect(one.history.epochs.map((e) => e.train_batch_count)).toEqual([1, 1]);
  });

  test('the constructor\'s types take skorch-style flat names as the runtime does', () => {
    const net = new NeuralNetClassifier({ module__activation: 'tanh', optimizer__momentum: 0.5, verbose: 0 });
    expect(net.getParams()).toMatchObject({ module__activation: 'tanh', optimizer__momentum: 0.5 });
  });

  test('a flat X of whole rows with too few or many labels names the row counts too', async () => {
    const net = tiny({ maxEpochs: 1 });
    await net.fit(d.X, d.y);
    await expect(net.partialFit(d.X.subarray(0, 60 * 8), d.y.subarray(0, 48))).rejects.toThrow(
      /^partialFit: X has 10 features per row, the model takes 8 \(480 values for 48 labels; as rows of 8, X has 60 rows/,
    );
  });
});

describe(`save and load: training on from a file, checked entries (${backend().name}/${backend().isa})`, () => {
  const d = blobs(240);
  /** The history without the durations (which differ from run to run). */
  const scores = (n: NeuralNetClassifier) =>
    n.history.epochs.map(({ epoch, train_loss, valid_loss, valid_acc }) => ({
      epoch,
      train_loss,
      valid_loss,
      valid_acc,
    }));
  /** A fitted model's file, as JSON.parse reads it. */
  async function modelJSON(extra: Record<string, unknown> = {}): Promise<any> {
    const c = tiny({ maxEpochs: 1, ...extra });
    await c.fit(d.X, d.y);
    return JSON.parse(JSON.stringify(c.toModelJSON()));
  }
  /** fromModelJSON of a copy of `json` changed by `edit`. */
  const edited = (json: any, edit: (j: any) => void) => (): NeuralNetClassifier => {
    const j = JSON.parse(JSON.stringify(json));
    edit(j);
    return NeuralNetClassifier.fromModelJSON(j);
  };
  /** Sets value i of a float32 entry's base64 data. */
  const setValue = (j: any, name: string, i: number, v: number): void => {
    const b = Buffer.from(j.weights[name].data, 'base64');
    b.writeFloatLE(v, i * 4);
    j.weights[name].data = b.toString('base64');
  };
  /** A RegExp that matches the string s as it is. */
  const lit = (s: string): RegExp => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

  test('fit(k), then load, partialFit and save in turn, gives fit(k + m)\'s weights and history (SGD)', async () => {
    // The file holds the shuffle stream, the last epoch's order and the dropout stream: a load used to start over
    // from the seed, so every resumed epoch trained on epoch 1's order (and dropout masks).
    const dir = tmpDir();
    try {
      const file = path.join(dir, 'm.json');
      for (const extra of [{}, { trainSplit: null }, { dtype: 'float64' }, { moduleParams: { dropout: 0.3 } }]) {
        const whole = tiny({ maxEpochs: 3, seed: 4, ...extra });
        await whole.fit(d.X, d.y);
        const first = tiny({ maxEpochs: 1, seed: 4, ...extra });
        await first.fit(d.X, d.y);
        first.save(file);
        for (let e = 2; e <= 3; e++) {
          const l = NeuralNetClassifier.load(file);
          await l.partialFit(d.X, d.y);
          l.save(file);
        }
        const resumed = NeuralNetClassifier.load(file);
        expect([extra, resumed.getWeights()]).toEqual([extra, whole.getWeights()]);
        expect(scores(resumed)).toEqual(scores(whole));
        // a warm fit of a loaded model trains on the same way
        first.save(file);
        const warm = NeuralNetClassifier.load(file).setParams({ warmStart: true, maxEpochs: 2 });
        await warm.fit(d.X, d.y);
        expect(warm.getWeights()).toEqual(whole.getWeights());
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file without resume (written before it was) loads and trains on; a bad resume entry is named', async () => {
    const json = await modelJSON({ moduleParams: { dropout: 0.2 } });
    expect(Object.keys(json.resume).sort()).toEqual(['order', 'rng', 'rngStates', 'rngs']); // rows: the order sorted
    const { resume: _r, ...older } = json;
    const l = NeuralNetClassifier.fromModelJSON(older);
    const before = l.getWeights();
    await l.partialFit(d.X, d.y);
    expect(l.history.length).toBe(2);
    expect(l.getWeights()['fc1.weight']).not.toEqual(before['fc1.weight']);
    const order = (values: number[]) => Buffer.from(Int32Array.from(values).buffer).toString('base64');
    const n = Buffer.from(json.resume.order, 'base64').length / 4;
    const resume = (edit: (r: any) => void) => edited(json, (j) => edit(j.resume));
    const shifted = order(Array.from({ length: n }, (_, i) => i + 1));
    expectErrors([
      [edited(json, (j) => (j.resume = 'x')), TypeError, /^TypeError: cannot load this model: resume must be an obj/],
      [resume((r) => (r.rng = { s: [0, 0, 0, 0], spare: null })), RangeError, /resume\.rng: Rng\.setState/],
      [resume((r) => (r.order = order([0, 1, 1]))), RangeError, /resume\.order holds 1 twice/],
      [resume((r) => (r.order = order([-1, 2]))), RangeError, /resume\.order holds -1: /],
      [resume((r) => (r.order = 'AAA')), RangeError, /resume\.order holds 2 bytes, not a whole number/],
      [resume((r) => (r.rows = shifted)), RangeError, /resume\.order is not an order of resume\.rows/],
      [resume((r) => (r.rngs = { fc1: 0 })), RangeError, /resume\.rngs names 'fc1', which is not a module/],
      [resume((r) => (r.rngs.drop1 = 3)), RangeError, /resume\.rngs\['drop1'\] must be an index/],
    ]);
  });

  test("save's and load's file must be a path string; save refuses a directory and leaves no temporary file", async () => {
    // load(0) read stdin until it closed; save('') and save(dir) failed in the rename and left FILE.tmp-PID behind
    const c = tiny({ maxEpochs: 1 });
    await c.fit(d.X, d.y);
    for (const bad of [undefined, 12345, '']) {
      expect(() => NeuralNetClassifier.load(bad as any)).toThrow(
        new TypeError(`load: 'file' must be a non-empty path string, got ${bad === '' ? "''" : String(bad)}`),
      );
      expect(() => c.save(bad as any)).toThrow(TypeError);
    }
    const dir = tmpDir();
    try {
      fs.mkdirSync(path.join(dir, 'models'));
      expect(() => c.save(path.join(dir, 'models'))).toThrow(
        new RangeError(`save: 'file' must name a file, got '${path.join(dir, 'models')}' (a directory)`),
      );
      expect(fs.readdirSync(dir)).toEqual(['models']);
      c.save(path.join(dir, 'models', 'm.json'));
      expect(fs.readdirSync(path.join(dir, 'models'))).toEqual(['m.json']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('load refuses a negative BatchNorm running variance, naming the entry and index', async () => {
    const json = await modelJSON({ moduleParams: { batchNorm: true } });
    expect(NeuralNetClassifier.fromModelJSON(json).getWeights()['bn1.runningVar'].every((v) => v > 0)).toBe(true);
    expectErrors([
      [
        edited(json, (j) => setValue(j, 'bn1.runningVar', 5, -0.5)),
        RangeError,
        lit("RangeError: cannot load this model: weights['bn1.runningVar'][5] = -0.5: a running variance must be >= 0"),
      ],
    ]);
  });

  test('load refuses NaN/Infinity weights, naming the entry and index; save does not write them', async () => {
    const json = await modelJSON();
    expectErrors([
      [
        edited(json, (j) => setValue(j, 'fc1.bias', 0, NaN)),
        RangeError,
        lit("RangeError: cannot load this model: weights['fc1.bias'][0] = NaN: the weights must be finite numbers"),
      ],
      [
        edited(json, (j) => setValue(j, 'fc1.weight', 2 * 8 + 5, -Infinity)), // fc1.weight: [16, 8]
        RangeError,
        lit("weights['fc1.weight'][2][5] = -Infinity"),
      ],
    ]);
    const dir = tmpDir();
    try {
      const c = tiny({ maxEpochs: 1 });
      await c.fit(d.X, d.y);
      const file = path.join(dir, 'm.json');
      (c.module_ as nn.MLP).linears[1].bias!.data[1] = NaN;
      expect(() => c.save(file)).toThrow(
        /^cannot save this model: its parameter 'fc2.bias'\[1\] = NaN \(did training diverge\?\)/,
      );
      expect(() => c.toModelJSON()).toThrow(RangeError);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('load checks module, each weight entry\'s shape, dtype and data length, and names the entry', async () => {
    const json = await modelJSON(); // fc1 [16, 8] + [16], fc2 [3, 16] + [3], float32
    const entry = (name: string, edit: (e: any) => void) => edited(json, (j) => edit(j.weights[name]));
    const at = "cannot load this model: weights['fc1.bias']";
    expectErrors([
      [edited(json, (j) => (j.module = 'cnn')), RangeError, lit("'module' is 'cnn'; a model file holds an nn.MLP")],
      [edited(json, (j) => delete j.module), TypeError, lit("'module' is undefined")],
      [
        entry('fc1.bias', (e) => (e.shape = [17])),
        RangeError,
        lit(`${at}.shape is [17], the model's 'fc1.bias' has shape [16]`),
      ],
      [entry('fc2.weight', (e) => (e.shape = [16, 3])), RangeError, lit("weights['fc2.weight'].shape is [16, 3]")],
      [
        entry('fc1.bias', (e) => (e.shape = 'garbage')),
        TypeError,
        lit(`${at}.shape must be an array of non-negative integers, got 'garbage'`),
      ],
      [
        entry('fc1.bias', (e) => (e.dtype = 'int32')),
        RangeError,
        lit(`${at}.dtype must be 'float32' or 'float64', got 'int32'`),
      ],
      [entry('fc1.bias', (e) => delete e.dtype), TypeError, lit(`${at}.dtype must be 'float32' or 'float64', got un`)],
      [
        entry('fc1.bias', (e) => (e.dtype = 'float64')),
        RangeError,
        lit(`${at}.dtype is 'float64', the model's 'fc1.bias' is float32`),
      ],
      [edited(json, (j) => delete j.weights['fc2.bias']), RangeError, lit("weights has no entry 'fc2.bias'")],
      [
        edited(json, (j) => (j.weights['fc3.bias'] = j.weights['fc2.bias'])),
        RangeError,
        lit("weights['fc3.bias'] is no parameter or buffer of the model"),
      ],
    ]);
  });

  test('corrupt entries and files are errors that name the entry or the file', async () => {
    const json = await modelJSON();
    const entry = (name: string, edit: (e: any) => void) => edited(json, (j) => edit(j.weights[name]));
    const at = "cannot load this model: weights['fc1.bias']";
    const cut = (e: any): void => {
      const b = Buffer.from(e.data, 'base64');
      e.data = b.subarray(0, b.length - 2).toString('base64');
    };
    const history = (h: unknown) => edited(json, (j) => (j.history = typeof h === 'function' ? h(j.history) : h));
    expectErrors([
      [entry('fc1.bias', cut), RangeError, lit(`${at}.data holds 62 bytes, the shape's 16 float32 values are 64`)],
      [entry('fc1.bias', (e) => (e.data = '@@@@')), RangeError, lit(`${at}.data is not base64`)],
      [entry('fc1.bias', (e) => (e.data = null)), TypeError, lit(`${at}.data must be a base64 string, got null`)],
      [
        entry('fc1.bias', (e) => (e.data = new Array(16).fill(0.5))), // stateDict({ plain: true })'s form
        TypeError,
        lit(`${at}.data must be a base64 string, got an array`),
      ],
      [
        edited(json, (j) => (j.weights['fc1.bias'] = 'abc')),
        TypeError,
        lit(`${at} must be an object { shape, dtype, data }, got 'abc'`),
      ],
      [edited(json, (j) => (j.weights = [])), TypeError, lit("'weights' must be an object of { shape, dtype, data }")],
      [history({}), TypeError, lit("'history' must be an array of epoch records, got an object")],
      [history([null]), TypeError, lit("'history'[0] must be an epoch record (an object), got null")],
      [history([{ epoch: 1 }]), TypeError, lit("'history'[0].train_loss must be a number, got undefined")],
      [history([{ epoch: 1, train_loss: 1, batches: 3 }]), TypeError, lit("'history'[0].batches must be an array")],
      [
        () => History.fromJSON([{ epoch: 0, train_loss: 1 }]),
        TypeError,
        lit('History.fromJSON: records[0].epoch must be a positive integer'),
      ],
    ]);
    const dir = tmpDir();
    try {
      const file = path.join(dir, 'm.json');
      fs.writeFileSync(file, JSON.stringify(json).slice(0, 500));
      let err: unknown = null;
      try {
        NeuralNetClassifier.load(file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SyntaxError);
      expect((err as Error).message).toContain(`the model file '${file}' is not valid JSON`);
      expect((err as Error).cause).toBeInstanceOf(SyntaxError); // was the bare SyntaxError of JSON.parse
      const missing = path.join(dir, 'none.json');
      expect(() => NeuralNetClassifier.load(missing)).toThrow(`cannot read the model file '${missing}': ENOENT`);
      expect(() => NeuralNetClassifier.load(missing)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a float64 MLP whose activation factory builds float32 modules loads them as float32', async () => {
    const activation = () => new nn.PReLU({ init: 0.2 });
    const c = tiny({ maxEpochs: 1, dtype: 'float64', moduleParams: { hidden: [16, 8], activation } });
    await c.fit(d.X, d.y);
    const dtypes = (n: NeuralNetClassifier) =>
      Object.fromEntries(n.module_!.namedParameters().map(([k, p]) => [k, p.dtype]));
    expect(dtypes(c)).toMatchObject({ 'fc1.weight': 'float64', 'act1.weight': 'float32', 'act2.weight': 'float32' });
    const loaded = NeuralNetClassifier.fromModelJSON(JSON.parse(JSON.stringify(c.toModelJSON())));
    expect(dtypes(loaded)).toEqual(dtypes(c)); // act*.weight were float64
    expect(Array.from(loaded.predictProba(d.X))).toEqual(Array.from(c.predictProba(d.X)));
    await loaded.partialFit(d.X, d.y);
    await c.partialFit(d.X, d.y);
    expect(loaded.getWeights()).toEqual(c.getWeights()); // SGD without momentum: the same step
  });
});

describe(`validation with batch statistics, the shuffle stream, initialize during a fit (${backend().name})`, () => {
  const rng = new Rng(11);
  const make = (n: number): { X: Float32Array; y: Int32Array } => ({
    X: Float32Array.from({ length: n * 10 }, () => rng.normal()),
    y: Int32Array.from({ length: n }, (_, i) => i % 3),
  });
  const train = make(100);
  const bnNet = (extra: Record<string, unknown> = {}): NeuralNetClassifier =>
    new NeuralNetClassifier({
      module: () =>
        new nn.Sequential(
          new nn.Linear(10, 8, { seed: 1 }),
          new nn.BatchNorm1d(8, { trackRunningStats: false }),
          new nn.ReLU(),
          new nn.Linear(8, 3, { seed: 2 }),
        ),
      lr: 0.05,
      maxEpochs: 2,
      batchSize: 20,
      verbose: 0,
      ...extra,
    });

  test('a BatchNorm without running statistics: valid_loss is computed batch by batch, as training batches are', async () => {
    // it normalizes by the rows it is given even in eval mode: chunks of several batches (native) gave other
    // figures than batch by batch (js)
    const valid = make(40);
    const c = bnNet();
    await c.fit(train.X, train.y, { validation: valid });
    const m = c.module_!;
    m.eval();
    let sum = 0;
    for (let from = 0; from < 40; from += 20) {
      const xb = tensor(valid.X.slice(from * 10, (from + 20) * 10), { shape: [20, 10] });
      sum += crossEntropy(m.forward(xb), valid.y.slice(from, from + 20)).item() * 20;
    }
    expect(c.history.epochs[1].valid_loss).toBe(sum / 40);
  });

  test('a validation set whose last batch is 1 row is refused before the first step when a BatchNorm has no running stats', async () => {
    const c = bnNet();
    const err = await c.fit(train.X, train.y, { validation: make(41) }).catch((e) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toBe(
      "fit: batchSize 20 with 41 validation rows leaves a batch of 1 row, which BatchNorm layer '1' cannot normalize " +
        'without running statistics, even in eval mode: use another batchSize',
    );
    expect(c.history.epochs).toEqual([]);
    // with running statistics the eval pass uses them: 41 rows are fine
    const withStats = new NeuralNetClassifier({
      module: () => new nn.Sequential(new nn.Linear(10, 8, { seed: 1 }), new nn.BatchNorm1d(8), new nn.Linear(8, 3)),
      maxEpochs: 1,
      batchSize: 20,
      verbose: 0,
    });
    await withStats.fit(train.X, train.y, { validation: make(41) });
    expect(withStats.history.epochs.length).toBe(1);
  });

  test('the epoch shuffles come from the seed\'s shuffle stream, not from the weights\' stream of the same seed', async () => {
    const c = new NeuralNetClassifier({
      moduleParams: { inputs: 10, hidden: [4], outputs: 3 },
      maxEpochs: 1,
      batchSize: 50,
      seed: 9,
      trainSplit: null,
      verbose: 0,
    });
    await c.fit(train.X, train.y);
    // (the order of the last epoch, which the resume state keeps)
    const order = Array.from((c as any).lastOrder.order as Int32Array);
    const identity = Int32Array.from({ length: 100 }, (_, i) => i);
    expect(order).toEqual(Array.from(streamFor(9, Purpose.shuffle).shuffle(identity.slice())));
    expect(order).not.toEqual(Array.from(new Rng(9).shuffle(identity.slice())));
  });

  test('initialize() while a fit runs is refused (the fit trained a module that was no longer the model)', async () => {
    const c = bnNet({ maxEpochs: 3 });
    let err: unknown = null;
    const cb = {
      onEpochEnd: () => {
        try {
          c.initialize();
        } catch (e) {
          err ??= e;
        }
      },
    };
    c.setParams({ callbacks: [cb] });
    await c.fit(train.X, train.y);
    expect(err).toEqual(
      new Error('initialize: this estimator is training (a fit or partialFit has not ended): await it first'),
    );
    expect(c.history.epochs.length).toBe(3);
  });
});

describe(`X and labels checked as given: tensor shapes, row types, option types, a huge label (${backend().name})`, () => {
  const rng = new Rng(5);
  const X40 = Float32Array.from({ length: 40 }, () => rng.normal());
  const y20 = Int32Array.from({ length: 20 }, (_, i) => i % 2);
  const net = (inputs: number): NeuralNetClassifier =>
    new NeuralNetClassifier({ moduleParams: { inputs, hidden: [4], outputs: 2 }, verbose: 0, trainSplit: null, maxEpochs: 1 });

  test('a 2-D Tensor X is taken by its shape: its row count must match the labels (it was re-read as other rows)', async () => {
    const Xt = tensor(X40, { shape: [10, 4] });
    for (const inputs of [2, 4]) {
      await expect(net(inputs).fit(Xt, y20)).rejects.toEqual(new RangeError('X has shape [10, 4]: 10 rows for 20 labels'));
    }
    // a [n, 2, 2] tensor is n rows of 4 values; the right row count trains
    const c = net(4);
    await c.fit(tensor(X40, { shape: [10, 2, 2] }), y20.subarray(0, 10));
    expect(Array.from(c.predict(tensor(X40, { shape: [10, 2, 2] })))).toEqual(Array.from(c.predict(Xt)));
    await expect(c.fit(tensor(X40, { shape: [5, 8] }), y20.subarray(0, 5))).rejects.toEqual(
      new RangeError('fit: X has 8 features per row, the model takes 4 (40 values for 5 labels)'),
    );
  });

  test('rows that are typed arrays or of the wrong length get errors that say so', async () => {
    const typedRows = [Float32Array.of(1, 2), Float32Array.of(3, 4)];
    const c = net(2);
    await expect(c.fit(typedRows as never, [0, 1])).rejects.toThrow(
      new TypeError(
        'X is an array of Float32Array rows: rows must be plain arrays of numbers (number[][]), or pass one flat ' +
          'Float32Array/Float64Array of n * features values',
      ),
    );
    await c.fit([[1, 2], [3, 4]], [0, 1]);
    expect(() => c.predict([[1, 2], Float32Array.of(3, 4)] as never)).toThrow(
      new TypeError('X[1] must be an array of 2 numbers, got Float32Array'),
    );
    expect(() => c.predict([[1, 2], [3, 4, 5]])).toThrow(new RangeError('X[1] has 3 values, the rows before it 2'));
  });

  test('numeric options given as strings are TypeErrors that show the string; partialFit checks epochs first', async () => {
    expectErrors([
      [() => net(2).setParams({ batchSize: '64' }), TypeError, /batchSize must be a positive integer, got string "64"/],
      [() => net(2).setParams({ maxEpochs: '3' }), TypeError, /maxEpochs must be a positive integer, got string "3"/],
      [() => net(2).setParams({ lr: '0.1' }), TypeError, /lr must be a positive finite number, got string "0.1"/],
      [() => net(2).setParams({ trainSplit: '0.2' }), TypeError, /trainSplit must be a fraction in \[0, 1\) or null, got string "0.2"/],
      [() => net(2).setParams({ batchSize: 2.5 }), RangeError, /batchSize must be a positive integer, got 2.5/],
    ]);
    const bad = X40.slice();
    bad[0] = NaN;
    await expect(net(2).partialFit(bad, y20, { epochs: -1 })).rejects.toEqual(
      new RangeError('partialFit: options.epochs must be a positive integer, got -1'),
    );
    await expect(net(2).partialFit(X40, y20, { epochs: '3' as never })).rejects.toEqual(
      new TypeError('partialFit: options.epochs must be a positive integer, got string "3"'),
    );
  });

  test('a custom module meets a huge label at its first forward pass, before any class list is built', async () => {
    // a module that declares no outputs (a Sequential ending in a Linear declares them: labels checked up front)
    class Net extends nn.Module {
      fc = new nn.Linear(2, 3, { seed: 1 });
      forward(x: Tensor): Tensor {
        return this.fc.forward(x);
      }
    }
    const c = new NeuralNetClassifier({
      module: () => new Net(),
      verbose: 0,
      trainSplit: null,
      maxEpochs: 1,
    });
    const y = y20.slice();
    y[9] = 2_000_000_000; // classes 0..2e9 were built first: 100 s and 8 GB
    // (no timing here: the class list's absence below is what shows none was built)
    await expect(c.fit(X40, y)).rejects.toEqual(
      new RangeError("fit: 'y'[9] = 2000000000 is not a class of this model (outputs: 3)"),
    );
    expect(c.classes_).toBeNull();
    await c.fit(X40, y20);
    expect(Array.from(c.classes_!)).toEqual([0, 1]);
    // a validation label past the outputs is refused at the same point (it failed after a whole epoch)
    const vy = y20.slice();
    vy[3] = 7;
    await expect(c.fit(X40, y20, { validation: { X: X40, y: vy } })).rejects.toEqual(
      new RangeError("fit: 'validation.y'[3] = 7 is not a class of this model (outputs: 3)"),
    );
  });
});

describe(`classes of a module without declared outputs; validation chunks of library modules (${backend().name})`, () => {
  class Net extends nn.Module {
    l: nn.Linear;
    constructor(p: { k: number; seed: number }) {
      super();
      this.l = new nn.Linear(4, p.k, { seed: p.seed });
    }
    forward(x: Tensor): Tensor {
      return this.l.forward(x);
    }
  }
  const n = 30;
  const X = new Float32Array(n * 4).map((_, i) => Math.sin(i));
  const y3 = Int32Array.from({ length: n }, (_, i) => i % 3);
  const y2 = y3.map((v) => v % 2);

  test('a rebuilt model stopped before its first batch has no classes (not the last model\'s); they follow the outputs', async () => {
    const net = new NeuralNetClassifier({ module: Net, moduleParams: { k: 3 }, maxEpochs: 1, batchSize: 8, verbose: 0, trainSplit: null });
    await net.fit(X, y3);
    expect(Array.from(net.classes_!)).toEqual([0, 1, 2]);
    const ac = new AbortController();
    net.setParams({ moduleParams: { k: 2 }, callbacks: [{ onTrainBegin: () => ac.abort() }] });
    await expect(net.fit(X, y2, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(net.classes_).toBeNull(); // was [0, 1, 2] with a 2-output module
    net.setParams({ callbacks: [] });
    await net.partialFit(X, y2);
    expect(Array.from(net.classes_!)).toEqual([0, 1]);
  });

  (backend().name === 'native' ? test : test.skip)('an MLP of swish (whose module class has its own forward) is validated in chunks', async () => {
    const spy = jest.spyOn(nn.MLP.prototype, 'forward');
    try {
      const c = new NeuralNetClassifier({
        moduleParams: { inputs: 4, hidden: [8], outputs: 3, activation: 'swish' },
        maxEpochs: 1,
        batchSize: 10,
        verbose: 0,
      });
      await c.fit(Float32Array.from({ length: 4 * 600 }, (_, i) => Math.sin(i)), Int32Array.from({ length: 600 }, (_, i) => i % 3));
      // 120 validation rows in batches of 10: one forward over all of them (it was 12 of 10 rows)
      const rows = spy.mock.calls.map((args) => (args[0] as Tensor).shape[0]);
      expect(rows).toContain(120);
    } finally {
      spy.mockRestore();
    }
  });

  test('forward(X, n) with a tensor of another row count names n, not labels', () => {
    const c = new NeuralNetClassifier({ moduleParams: { inputs: 4, hidden: [3], outputs: 2 }, verbose: 0 });
    c.initialize();
    expect(() => c.forward(tensor(X.subarray(0, 20), { shape: [5, 4] }), 3)).toThrow(
      new RangeError('X has shape [5, 4]: 5 rows, not the n = 3 asked for'),
    );
    expect(c.forward(tensor(X.subarray(0, 20), { shape: [5, 4] }), 5).n).toBe(5);
  });

  test('streamFor refuses a purpose that is no integer in [0, 1023] (a typo gave the weights\' stream)', () => {
    expectErrors([
      [() => streamFor(3, 'dropout' as never), TypeError, /streamFor: 'purpose' must be an integer .*got string "dropout"/],
      [() => streamFor(3, undefined as never), TypeError, /streamFor: 'purpose' must be an integer/],
      [() => streamFor(3, -1), RangeError, /streamFor: 'purpose' must be an integer in \[0, 1023\], got -1/],
      [() => streamFor(3, 1.5), RangeError, /got 1.5/],
      [() => streamFor(3, 1e5), RangeError, /got 100000/],
    ]);
    expect(streamFor(3, 1023).nextUint32()).not.toBe(new Rng(3).nextUint32());
  });
});

describe('History best flags', () => {
  const rec = (epoch: number, train: number, valid: number | null, acc: number | null) => ({
    epoch,
    train_loss: train,
    valid_loss: valid,
    valid_acc: acc,
    dur: 0,
    train_batch_count: 1,
    valid_batch_count: 0,
    batches: [],
  });

  test('each flag says the value beats every earlier number (NaN, null skipped), also after the epochs were edited', () => {
    const r = new Rng(3);
    const pick = (): number | null => {
      const u = r.random();
      return u < 0.1 ? NaN : u < 0.2 ? null : Math.round(r.random() * 20) / 10;
    };
    const h = new History();
    const brute = (key: 'train_loss' | 'valid_loss' | 'valid_acc', lower: boolean, upTo: number): boolean | null => {
      const v = h.epochs[upTo][key] as number | null;
      if (v === null || Number.isNaN(v)) return key === 'train_loss' ? false : null;
      return h.epochs.slice(0, upTo).every((p) => {
        const pv = p[key] as number | null;
        return pv === null || Number.isNaN(pv) || (lower ? v < pv : v > pv);
      });
    };
    for (let i = 0; i < 400; i++) {
      if (i === 200) h.epochs.splice(50, 100); // edited from outside: the bests are rebuilt
      h.push(rec(i + 1, (pick() ?? 1) as number, pick(), pick()));
      const k = h.epochs.length - 1;
      expect([h.epochs[k].train_loss_best, h.epochs[k].valid_loss_best, h.epochs[k].valid_acc_best]).toEqual([
        brute('train_loss', true, k) === true,
        brute('valid_loss', true, k),
        brute('valid_acc', false, k),
      ]);
    }
  });

  test('a History from fromJSON (records pushed from outside) gives the next epoch flags against them', () => {
    const h = History.fromJSON([rec(1, 0.5, 0.25, 0.75), rec(2, 0.75, 0.5, 0.5)]);
    // worse than epoch 1 on every score: no flag
    const next = h.push(rec(3, 0.625, 0.375, 0.625));
    expect([next.train_loss_best, next.valid_loss_best, next.valid_acc_best]).toEqual([false, false, false]);
    const better = h.push(rec(4, 0.25, 0.125, 0.875));
    expect([better.train_loss_best, better.valid_loss_best, better.valid_acc_best]).toEqual([true, true, true]);
  });

  test('push reads no earlier record (it compared with every one: a fit of E epochs was O(E^2))', () => {
    const h = new History();
    for (let i = 0; i < 50; i++) h.push(rec(i + 1, 2 - i / 100, 1, 0.5));
    h.push(rec(51, 1, 1, 0.5)); // the bests are known from here on
    let reads = 0;
    for (const e of h.epochs) {
      for (const key of ['train_loss', 'valid_loss', 'valid_acc']) {
        const v = e[key];
        Object.defineProperty(e, key, { get: () => (reads++, v), enumerable: true, configurable: true });
      }
    }
    for (let i = 0; i < 100; i++) h.push(rec(52 + i, 0.5 - i / 1000, 0.9, 0.6));
    expect(reads).toBe(0);
    expect(h.epochs.slice(51).every((e) => e.train_loss_best)).toBe(true);
  });
});

describe('EarlyStopping on scripted scores (the stopping rule, epoch by epoch)', () => {
  /** Runs `es` over one fit whose monitored key takes `values`; returns the epoch it stopped at (null: none). */
  type Run = { stopped: number | null; restored: number };
  const run = (es: EarlyStopping, values: number[], key = 'valid_loss'): Run => {
    let current = 0; // the "weights" are the epoch they were taken at
    let restored = 0;
    const view: TrainerView = {
      history: { epochs: [] },
      stopTraining: false,
      getWeights: () => ({ w: Float64Array.of(current) }),
      setWeights: (w) => {
        restored = w.w[0];
      },
      save: () => undefined,
    };
    es.onTrainBegin(view, { validSize: 10 });
    for (let i = 0; i < values.length && !view.stopTraining; i++) {
      current = i + 1;
      const record = { epoch: i + 1, train_loss: 1, valid_loss: 1, valid_acc: 0.5, [key]: values[i] } as never;
      es.onEpochEnd(view, { epoch: i + 1, record });
    }
    es.onTrainEnd(view);
    return { stopped: es.stoppedEpoch, restored };
  };

  test('an equal score is no improvement; patience counts the misses since the last improvement', () => {
    // epoch 1 sets the best; epochs 2 and 3 equal it: 2 misses, patience 2 stops at 3
    expect(run(new EarlyStopping({ patience: 2 }), [1, 1, 1, 1]).stopped).toBe(3);
    // a worse epoch, then a better one resets the count: 2, 0.5 (best), 2 -> one miss only
    expect(run(new EarlyStopping({ patience: 2 }), [1, 2, 0.5, 2]).stopped).toBeNull();
    // patience 1: the first miss stops
    expect(run(new EarlyStopping({ patience: 1 }), [1, 0.5, 0.75]).stopped).toBe(3);
    // higher is better for valid_acc (by its name): equal accuracies are misses, a higher one is not
    const acc = new EarlyStopping({ monitor: 'valid_acc', patience: 2 });
    expect(acc.lowerIsBetter).toBe(false);
    expect(run(acc, [0.5, 0.5, 0.5], 'valid_acc').stopped).toBe(3);
    expect(run(acc, [0.5, 0.75, 0.875, 0.9375], 'valid_acc').stopped).toBeNull();
    expect(acc.bestEpoch).toBe(4);
  });

  test('minDelta: an improvement must beat the best by MORE than minDelta (powers of 2: exact)', () => {
    const es = new EarlyStopping({ patience: 2, minDelta: 0.25 });
    // 0.75 = best - minDelta: a miss; 0.5 beats it by 0.5: the new best (epoch 3); 0.3 is within 0.25: a miss
    expect(run(es, [1, 0.75, 0.5, 0.3, 0.3]).stopped).toBe(5);
    expect(es.bestEpoch).toBe(3);
    const up = new EarlyStopping({ monitor: 'valid_acc', patience: 1, minDelta: 0.25 });
    expect(run(up, [0.25, 0.5], 'valid_acc').stopped).toBe(2); // +0.25 exactly: not more than minDelta
    expect(up.bestEpoch).toBe(1);
  });

  test('restoreBest puts back the weights of the best epoch; a second fit starts from no best', () => {
    const es = new EarlyStopping({ patience: 2, restoreBest: true });
    expect(run(es, [1, 0.5, 0.75, 0.75])).toEqual({ stopped: 4, restored: 2 });
    // the second fit's scores are all worse than the first fit's best: its own first epoch is its best
    expect(run(es, [4, 3, 3.5, 3.5])).toEqual({ stopped: 4, restored: 2 });
    expect(es.bestEpoch).toBe(2);
    expect(run(es, [8, 9, 9])).toEqual({ stopped: 3, restored: 1 });
  });
});

describe(`predict and score run chunk by chunk (${backend().name})`, () => {
  test('predict gives the argmax of forward without keeping the n x classes logits; a bad row is named', async () => {
    const r = new Rng(2);
    const n = 9000; // three chunks of 4096 rows
    const X = Float32Array.from({ length: n * 6 }, () => r.normal());
    const y = Int32Array.from({ length: n }, (_, i) => i % 5);
    const c = new NeuralNetClassifier({ moduleParams: { inputs: 6, hidden: [8], outputs: 5 }, maxEpochs: 1, verbose: 0 });
    await c.fit(X, y);
    const { data, classes } = c.forward(X);
    const want = Int32Array.from({ length: n }, (_, i) => {
      let b = 0;
      for (let j = 1; j < classes; j++) if (data[i * classes + j] > data[i * classes + b]) b = j;
      return b;
    });
    const spy = jest.spyOn(c, 'forward');
    try {
      expect(Array.from(c.predict(X))).toEqual(Array.from(want));
      expect(c.score(X, y)).toBe(want.filter((p, i) => p === y[i]).length / n);
      expect(spy).not.toHaveBeenCalled(); // forward keeps the whole matrix; predict and score need one chunk
    } finally {
      spy.mockRestore();
    }
    // an output that overflows in the third chunk names its row
    const big = X.slice();
    // (each input at 3e38 with the sign of its first hidden unit's weight: that unit overflows to Infinity)
    const w = c.getWeights()['fc1.weight'];
    for (let k = 0; k < 6; k++) big[8500 * 6 + k] = Math.sign(w[k]) * 3e38;
    expect(() => c.predict(big)).toThrow(/^X\[8500\]: the model's output is/);
    expect(Array.from(c.predict(X.subarray(0, 0)))).toEqual([]);
  });
});

describe('save of a model past the longest string', () => {
  test('is a RangeError naming the size and the largest tensor before any encoding (it was V8\'s string error)', async () => {
    const c = new NeuralNetClassifier({ moduleParams: { inputs: 6, hidden: [40], outputs: 3 }, maxEpochs: 1, verbose: 0, trainSplit: null });
    await c.fit(Float32Array.from({ length: 60 }, (_, i) => Math.sin(i)), Int32Array.from({ length: 10 }, (_, i) => i % 3));
    const was = saveLimits.maxString;
    // fc1.weight: 240 float32 = 960 bytes = 1280 base64 characters; with fc1.bias 216, fc2.weight 640, fc2.bias 16: 2152
    saveLimits.maxString = (1 << 20) + 1000;
    try {
      // and the training order: 10 rows, 40 bytes = 56 characters (rows sorted: 56 more at most)
      expect(() => c.toModelJSON()).toThrow(
        new RangeError(
          "cannot save this model: its weights and training order take 2264 characters as base64 (the largest " +
            "weight, 'fc1.weight', 1280), over the 1000 a model file can give them (it is one JSON string, and a " +
            `JavaScript string holds at most ${(1 << 20) + 1000} characters): save the weights yourself ` +
            '(getWeights() or module.stateDict())',
        ),
      );
      saveLimits.maxString = (1 << 20) + 2264;
      expect(Object.keys((c.toModelJSON() as { weights: object }).weights)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    } finally {
      saveLimits.maxString = was;
    }
  });
});
