/**
 * worker_threads and the event loop:
 *  - the addon loads in 4 workers at once and in the main thread, and all five compute concurrently with
 *    results equal to the main thread's (same binary, same kernels: bit for bit) and to the js backend;
 *  - workers exit cleanly (exit code 0), also when terminated in the middle of native work, and new
 *    workers load the addon again afterwards;
 *  - 4 workers each train a small NeuralNetClassifier at once, with results equal to the same four runs
 *    done one after another;
 *  - the event loop keeps turning (a 5 ms timer fires within 50 ms) while fit runs.
 * Workers run the compiled package (dist/, built by `npm test` first); they inherit SWISHNET_BACKEND,
 * SWISHNET_ISA and SWISHNET_NATIVE_PATH from the environment, so every `npm test` pass checks its backend.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { backend, getJsBackend, ACT_OPS, type Backend, type FloatArray } from '../lib/backend';
import { NeuralNetClassifier } from '../lib/train/classifier';

const dist = path.resolve(__dirname, '..', 'dist', 'index.js');
const haveDist = fs.existsSync(dist);
const maybe = haveDist ? test : test.skip;
if (!haveDist) console.warn('workers.test: dist/ is missing, run `npm run build:ts` (npm test does it first)');

/**
 * The work every thread does (a function so the main thread runs the very same code; workers get its
 * source). Deterministic for a seed: every activation forward/backward on float32 and float64, and a few
 * GEMMs with an epilogue; returns the outputs and the worst disagreement with the js backend.
 */
function workload(sn: { backend(): Backend; getJsBackend(): Backend; ACT_OPS: readonly string[] }, seed: number, rounds: number) {
  let s = seed >>> 0 || 1;
  const rnd = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const be = sn.backend();
  const js = sn.getJsBackend();
  const outputs: number[][] = [];
  let worst = 0;
  // worst: the largest relative error divided by its tolerance (> 1 is a failure; NaN against a number: Infinity).
  const cmp = (got: FloatArray, want: FloatArray, tol: number): void => {
    for (let i = 0; i < got.length; i++) {
      const w = want[i];
      const g = got[i];
      if (Number.isNaN(w) && Number.isNaN(g)) continue;
      const err = Math.abs(g - w) / Math.max(1, Math.abs(w));
      worst = Math.max(worst, Number.isNaN(err) ? Infinity : err / tol);
    }
  };
  for (let r = 0; r < rounds; r++) {
    for (const C of [Float32Array, Float64Array]) {
      const tol = C === Float32Array ? 1e-4 : 1e-9;
      const n = 500 + Math.floor(rnd() * 50);
      const x = new C(n);
      for (let i = 0; i < n; i++) x[i] = rnd() * 12 - 6;
      const go = new C(n);
      for (let i = 0; i < n; i++) go[i] = rnd() * 2 - 1;
      for (let op = 0; op < sn.ACT_OPS.length; op++) {
        const a = op === 4 ? 1 : op === 5 ? 0.05 : 1; // softplus beta / leaky alpha / others: alpha or beta 1
        const b = op === 4 ? 20 : 0;
        const y = new C(n);
        const yr = new C(n);
        be.actForward(op, x, y, a, b);
        js.actForward(op, x, yr, a, b);
        cmp(y, yr, tol);
        const gi = new C(n);
        const gr = new C(n);
        be.actBackward(op, x, y, go, gi, a, b);
        js.actBackward(op, x, null, go, gr, a, b);
        cmp(gi, gr, tol * 10);
        if (r === rounds - 1) outputs.push(Array.from(y.subarray(0, 64)), Array.from(gi.subarray(0, 64)));
      }
      const m = 40 + Math.floor(rnd() * 30);
      const k = 50 + Math.floor(rnd() * 30);
      const nn = 30 + Math.floor(rnd() * 30);
      const A = new C(m * k).map(() => rnd() - 0.5);
      const B = new C(k * nn).map(() => rnd() - 0.5);
      const bias = new C(nn).map(() => rnd() - 0.5);
      const c = new C(m * nn);
      const cr = new C(m * nn);
      const ep = { bias, act: 3, a: 0, b: 0 };
      be.gemm(false, true, m, nn, k, 1, A, k, B, k, 0, c, nn, ep);
      js.gemm(false, true, m, nn, k, 1, A, k, B, k, 0, cr, nn, ep);
      cmp(c, cr, C === Float32Array ? 1e-5 * k : 1e-12 * k);
      if (r === rounds - 1) outputs.push(Array.from(c));
    }
  }
  return { backend: be.name, isa: be.isa, outputs, worst };
}

type WorkResult = ReturnType<typeof workload>;

function runWorker(code: string, workerData: unknown): { worker: Worker; done: Promise<{ result: any; exitCode: number }> } {
  const worker = new Worker(code, { eval: true, workerData });
  const done = new Promise<{ result: any; exitCode: number }>((resolve, reject) => {
    let result: any = null;
    worker.on('message', (m) => {
      result = m;
    });
    worker.on('error', reject);
    worker.on('exit', (exitCode) => resolve({ result, exitCode }));
  });
  return { worker, done };
}

const WORKLOAD_WORKER = `
const { parentPort, workerData } = require('worker_threads');
const sn = require(workerData.dist);
const workload = ${workload.toString()};
// Start together: wait on the shared start flag.
Atomics.wait(new Int32Array(workerData.gate), 0, 0);
const out = workload(sn, workerData.seed, workerData.rounds);
parentPort.postMessage({ ...out, info: sn.backendInfo().backend });
`;

describe(`worker_threads (${backend().name})`, () => {
  maybe('4 workers and the main thread compute concurrently; results match the main thread and js', async () => {
    const rounds = 3;
    const seeds = [11, 22, 33, 44];
    const gate = new SharedArrayBuffer(4);
    const runs = seeds.map((seed) => runWorker(WORKLOAD_WORKER, { dist, seed, rounds, gate }));
    // Give the workers a moment to load, then release all at once and work here too.
    await new Promise((r) => setTimeout(r, 200));
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    const mainResult = workload({ backend, getJsBackend, ACT_OPS }, 99, rounds);
    const results = await Promise.all(runs.map((r) => r.done));
    expect(mainResult.worst).toBeLessThanOrEqual(1);
    for (const { result, exitCode } of results) {
      expect(exitCode).toBe(0);
      expect(result.info).toBe(backend().name);
      expect(result.backend).toBe(backend().name);
      expect(result.isa).toBe(backend().isa);
      expect(result.worst).toBeLessThanOrEqual(1); // within tolerance of the js backend
    }
    // Bit for bit what the main thread computes for the same seeds.
    for (let i = 0; i < seeds.length; i++) {
      const here: WorkResult = workload({ backend, getJsBackend, ACT_OPS }, seeds[i], rounds);
      expect(results[i].result.outputs).toEqual(here.outputs);
    }
  });

  maybe('workers terminated in the middle of native work exit without crashing; new ones load again', async () => {
    const busy = `
      const { parentPort, workerData } = require('worker_threads');
      const sn = require(workerData.dist);
      const n = 256;
      const a = new Float32Array(n * n).fill(0.5), b = new Float32Array(n * n).fill(0.25);
      parentPort.postMessage('ready');
      for (;;) {
        sn.gemm(a, b, new Float32Array(n * n), { m: n, n, k: n });
        sn.gemmAsync(a, b, new Float32Array(n * n), { m: n, n, k: n }); // left in flight on purpose
        sn.activations.get('swish').forward(a);
      }`;
    for (let round = 0; round < 2; round++) {
      const workers = [0, 1, 2].map(() => new Worker(busy, { eval: true, workerData: { dist } }));
      await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
      await new Promise((r) => setTimeout(r, 50));
      const codes = await Promise.all(workers.map((w) => w.terminate()));
      for (const c of codes) expect(c).toBe(1); // terminate()'s code: 1 (stopped), no crash
    }
    // The process is alive and a fresh worker computes correctly.
    const gate = new SharedArrayBuffer(4);
    Atomics.store(new Int32Array(gate), 0, 1);
    const { result, exitCode } = await runWorker(WORKLOAD_WORKER, { dist, seed: 5, rounds: 1, gate }).done;
    expect(exitCode).toBe(0);
    expect(result.worst).toBeLessThanOrEqual(1);
  });

  maybe('4 workers train a NeuralNetClassifier at once; results equal the same runs one after another', async () => {
    const train = `
      const { parentPort, workerData } = require('worker_threads');
      const sn = require(workerData.dist);
      const { seed } = workerData;
      let s = seed;
      const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
      const n = 240, f = 10;
      const X = new Float32Array(n * f).map(() => rnd() * 2 - 1);
      const y = Int32Array.from({ length: n }, (_, i) => (X[i * f] + X[i * f + 1] > 0 ? 1 : 0) + (X[i * f + 2] > 0.5 ? 1 : 0));
      const net = new sn.NeuralNetClassifier({
        moduleParams: { inputs: f, hidden: [16], outputs: 3, activation: 'swish' },
        maxEpochs: 4, batchSize: 32, lr: 0.1, seed, verbose: 0,
      });
      net.fit(X, y).then(() => {
        const w = net.getWeights();
        parentPort.postMessage({
          losses: net.history.epochs.map((r) => r.train_loss),
          weights: Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Array.from(v)])),
          predictions: Array.from(net.predict(X)),
          backend: sn.backendInfo().backend,
        });
      });`;
    const seeds = [1, 2, 3, 4];
    const t0 = performance.now();
    const concurrent = await Promise.all(seeds.map((seed) => runWorker(train, { dist, seed }).done));
    const tConcurrent = performance.now() - t0;
    const sequential = [];
    for (const seed of seeds) sequential.push(await runWorker(train, { dist, seed }).done);
    for (let i = 0; i < seeds.length; i++) {
      expect(concurrent[i].exitCode).toBe(0);
      expect(sequential[i].exitCode).toBe(0);
      expect(concurrent[i].result.backend).toBe(backend().name);
      expect(concurrent[i].result.losses).toHaveLength(4);
      expect(concurrent[i].result.losses.every(Number.isFinite)).toBe(true);
      expect(concurrent[i].result).toEqual(sequential[i].result); // bit for bit
    }
    // Different seeds really give different runs (the comparison above is not vacuous).
    expect(concurrent[0].result.weights).not.toEqual(concurrent[1].result.weights);
    expect(tConcurrent).toBeGreaterThan(0);
  });
});

describe(`event loop during fit (${backend().name})`, () => {
  test('a 5 ms timer keeps firing within 50 ms while a fit runs', async () => {
    const n = 2000;
    const f = 32;
    let s = 7;
    const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const X = new Float32Array(n * f).map(() => rnd() * 2 - 1);
    const y = Int32Array.from({ length: n }, (_, i) => (X[i * f] > 0 ? 1 : 0));
    // Gaps between timer callbacks from the end of the first batch (the cold start: JIT, first allocations)
    // to the end of the fit. fit yields every ~10 ms, so a gap is about 10 ms plus one batch.
    const measure = async (): Promise<{ gaps: number[]; fitMs: number }> => {
      const gaps: number[] = [];
      let last = -1;
      const net = new NeuralNetClassifier({
        moduleParams: { inputs: f, hidden: [64, 64], outputs: 2 },
        maxEpochs: 3,
        batchSize: 32,
        lr: 0.05,
        verbose: 0,
        callbacks: [
          {
            onBatchEnd: () => {
              if (last < 0) last = performance.now();
            },
          },
        ],
      });
      const timer = setInterval(() => {
        if (last < 0) return;
        const now = performance.now();
        gaps.push(now - last);
        last = now;
      }, 5);
      const t0 = performance.now();
      try {
        await net.fit(X, y);
      } finally {
        clearInterval(timer);
      }
      gaps.push(performance.now() - last);
      return { gaps, fitMs: performance.now() - t0 };
    };
    // Wall-clock gaps also grow when the machine is busy (jest runs test files in parallel on few cores: a CI run
    // saw 61 ms in the best of three while the grid tests' workers ran beside it; alone the worst gap is 10-12 ms),
    // so the best of five fits counts; a fit that does not yield (gaps of its whole duration) fails all five.
    let best = await measure();
    for (let i = 0; i < 4 && Math.max(...best.gaps) >= 50; i++) {
      const r = await measure();
      if (Math.max(...r.gaps) < Math.max(...best.gaps)) best = r;
    }
    expect(best.gaps.length).toBeGreaterThan(Math.floor(best.fitMs / 50)); // the timer ran throughout the fit
    expect(Math.max(...best.gaps)).toBeLessThan(50);
  });
});
