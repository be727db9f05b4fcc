/**
 * Arrays that share memory, and arrays that change under a kernel: the row gather and the cross-entropy read their
 * indices once (a copy) so that an output written over them, or another thread, cannot send a read outside the
 * source; kernels refuse outputs that partially overlap their inputs however the overlap is hidden from the
 * TypeScript checks (two SharedArrayBuffer objects for one memory, a subclass with a lying `buffer` getter);
 * detached arrays are errors, not empty arrays. Runs on every backend; the checks only the native binding makes
 * are skipped on js. Calls that crashed the process run in a child first (a segfault would end the jest worker).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { MessageChannel, receiveMessageOnPort } from 'worker_threads';
import {
  activations,
  backend,
  gemm,
  gemmAsync,
  getJsBackend,
  getNativeBackend,
  ActOp,
  Adam,
  AdamW,
  SGD,
  Tensor,
  zeros,
} from '../lib';
import { takeRows } from '../lib/data/batch';
import type { FloatArray } from '../lib/backend';

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist', 'index.js');
const be = backend();
const nb = be.name === 'native' ? getNativeBackend()! : null;
const nativeTest = nb ? test : test.skip;

/**
 * Runs `body` in a child process on this process's backend and ISA, with `sn` (the compiled package) and `be`
 * (its active backend) in scope; the child prints one JSON line last. Fails on a crash or a non-zero exit.
 */
function child(body: string): unknown {
  if (!fs.existsSync(dist)) throw new Error('dist/ is missing: run `npm run build:ts` first (npm test does)');
  const env: NodeJS.ProcessEnv = { ...process.env, SWISHNET_BACKEND: be.name };
  if (be.name === 'native') env.SWISHNET_ISA = be.isa;
  const code = `'use strict'; const sn = require(${JSON.stringify(dist)}); const be = sn.backend();\n${body}`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 90_000, env });
  const out = `${r.stdout}${r.stderr}`;
  if (r.signal || r.status !== 0) {
    throw new Error(`child ${r.signal ? `died with ${r.signal}` : `exited ${r.status}`}:\n${out.slice(-3000)}`);
  }
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** A typed array whose ArrayBuffer has been transferred away (detached). */
function detached<T extends Float32Array | Float64Array | Int32Array>(a: T): T {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
  return a;
}

/** A second SharedArrayBuffer object for the memory of `sab` (a round trip through a MessageChannel). */
function sameMemory(sab: SharedArrayBuffer): SharedArrayBuffer {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(sab);
  const other = receiveMessageOnPort(port2)!.message as SharedArrayBuffer;
  port1.close();
  return other;
}

// The worker of the race tests: flips the last index between an invalid value and 0 until ctl[0] is set. The last
// index is checked last and used last: the widest window between the two reads (before the fix).
const FLIPPER = `
  const { Worker } = require('worker_threads');
  function flipper(sab, n) {
    const w = new Worker(\`
      const { workerData: sab } = require('worker_threads');
      const a = new Int32Array(sab, 8, \${n});
      const ctl = new Int32Array(sab, 0, 2);
      Atomics.store(ctl, 1, 1);
      Atomics.notify(ctl, 1);
      while (Atomics.load(ctl, 0) === 0) {
        Atomics.store(a, \${n} - 1, 0x7fffff00);
        Atomics.store(a, \${n} - 1, 0);
      }
    \`, { eval: true, workerData: sab });
    const ctl = new Int32Array(sab, 0, 2);
    Atomics.wait(ctl, 1, 0, 10000); // until the worker runs
    return { stop: () => Atomics.store(ctl, 0, 1), worker: w };
  }
  // Calls call() at least 2000 times and for at least 3 s (the worker's loop must be compiled before it flips fast
  // enough to hit the window) while the flipper runs; call() returns whether its result was right, and may throw
  // only a RangeError matching rejected. Prints the counts as the child's JSON line.
  function race(sab, n, call, rejected) {
    const { stop } = flipper(sab, n);
    const r = { calls: 0, ok: 0, rejected: 0, wrong: 0, other: null };
    for (const t0 = Date.now(); (r.calls < 2000 || Date.now() - t0 < 3000) && r.other === null; r.calls++) {
      try {
        if (!call()) r.wrong++;
        r.ok++;
      } catch (e) {
        if (e instanceof RangeError && rejected.test(e.message)) r.rejected++;
        else r.other = String(e);
      }
    }
    stop();
    console.log(JSON.stringify(r));
    process.exit(0);
  }
`;

interface RaceCounts {
  calls: number;
  ok: number;
  rejected: number;
  wrong: number;
  other: string | null;
}
/** A race run: no other error, no wrong result, every call right or refused. */
function expectRaceClean(res: RaceCounts): void {
  expect(res.other).toBeNull();
  expect(res.wrong).toBe(0);
  expect(res.calls).toBeGreaterThanOrEqual(2000);
  expect(res.ok + res.rejected).toBe(res.calls);
}

describe(`memory shared between arguments [${be.name}/${be.isa}]`, () => {
  describe('takeRows reads its indices once', () => {
    // dst[r] is idx[r + 1]: each row written turns the next index into the bits of a float (a huge row number).
    const aliasScript = (mode: 'raw' | 'public'): string => `
      const { takeRows } = require(${JSON.stringify(path.join(root, 'dist', 'data', 'batch.js'))});
      const res = [];
      for (const T of [Float32Array, Float64Array]) {
        const X = T.from({ length: 1000 }, (_, i) => i + 1);
        const buf = new ArrayBuffer(64 * 8);
        const idx = new Int32Array(buf, 0, 32);
        for (let i = 0; i < idx.length; i++) idx[i] = 999 - 7 * i;
        const want = Array.from(idx.subarray(0, 16), (r) => X[r]);
        const dst = new T(buf, 8, 16);
        if (${JSON.stringify(mode)} === 'raw') be.takeRows(X, 1, idx, 0, 16, dst);
        else takeRows(X, 1, idx.subarray(0, 16), dst);
        res.push({ got: Array.from(dst), want });
      }
      console.log(JSON.stringify(res));
    `;

    test.each(['raw', 'public'] as const)('%s: dst sharing memory with idx gets the rows idx held then', (mode) => {
      const res = child(aliasScript(mode)) as { got: number[]; want: number[] }[];
      expect(res).toHaveLength(2);
      for (const { got, want } of res) expect(got).toEqual(want);
    });

    test('raw: idx on a SharedArrayBuffer flipped by another thread: each call throws or is right', () => {
      const res = child(`${FLIPPER}
        const N = 256, F = 64; // under 128 KiB: one thread gathers, the flipping worker keeps a core of its own
        const sab = new SharedArrayBuffer(8 + N * 4);
        const idx = new Int32Array(sab, 8, N);
        const src = Float32Array.from({ length: 4 * F }, (_, i) => (i < F ? i + 1 : -1)); // only row 0 is positive
        const dst = new Float32Array(N * F).fill(NaN);
        race(sab, N, () => {
          be.takeRows(src, F, idx, 0, N, dst);
          let right = true;
          for (let i = 0; i < dst.length && right; i++) right = dst[i] === (i % F) + 1;
          dst.fill(NaN); // a refused call writes nothing: rows left by this one must not pass for the next
          return right;
        }, /is not a row of src/);
      `) as RaceCounts;
      expectRaceClean(res);
    });

    test('public: out overlapping X is a RangeError (X is read after rows of out are written)', () => {
      for (const T of [Float32Array, Float64Array]) {
        const X = new T(12);
        for (let i = 0; i < 12; i++) X[i] = i;
        const before = Array.from(X);
        expect(() => takeRows(X, 3, [1, 0], X.subarray(6, 12))).toThrow(/out must not overlap X/);
        expect(() => takeRows(X, 3, [1], X.subarray(3, 6))).toThrow(RangeError);
        expect(Array.from(X)).toEqual(before); // nothing written
        const big = new T(24);
        big.set(X);
        expect(Array.from(takeRows(big.subarray(0, 12), 3, Int32Array.from([3, 1]), big.subarray(12, 18)))).toEqual([
          9, 10, 11, 3, 4, 5,
        ]); // disjoint views of one buffer are fine
      }
    });

    nativeTest('raw native: dst overlapping src is a RangeError; disjoint views of one buffer are fine', () => {
      const buf = new Float32Array(40).map((_, i) => i);
      const idx = Int32Array.from([3, 0]);
      expect(() => nb!.takeRows(buf.subarray(0, 32), 8, idx, 0, 2, buf.subarray(24, 40))).toThrow(
        /dst must not overlap src/,
      );
      const src = buf.subarray(0, 16);
      const dst = new Float32Array(buf.buffer, 16 * 4, 8);
      nb!.takeRows(src, 4, Int32Array.from([2, 0]), 0, 2, dst);
      expect(Array.from(dst)).toEqual([8, 9, 10, 11, 0, 1, 2, 3]);
    });
  });

  describe('crossEntropyForward reads its targets once', () => {
    test('raw: targets sharing memory with e give the loss of the targets at the call', () => {
      // Writing e's row 0 (exp(0) = 1.0 = 0x3FF00000_00000000) turns targets[1] into 0x3FF00000.
      const res = child(`
        const n = 4, c = 2;
        const out = [];
        for (const T of [Float32Array, Float64Array]) {
          const x = new T(n * c);
          for (let i = 0; i < n; i++) x[i * c + 1] = 1; // class 1 is the likelier one
          const buf = new ArrayBuffer(8 * n * c);
          const e = new Float64Array(buf);
          const targets = new Int32Array(buf, 0, n).fill(0);
          const sums = new Float64Array(n), per = new Float64Array(n);
          be.crossEntropyForward(x, n, c, targets, -100, e, sums, per);
          out.push({ per: Array.from(per), sums: Array.from(sums) });
        }
        console.log(JSON.stringify(out));
      `) as { per: number[]; sums: number[] }[];
      expect(res).toHaveLength(2);
      for (const { per, sums } of res) {
        // max logit 1: e = [exp(-1), 1], per = log(sum) - (x_0 - 1) = log(1 + exp(-1)) + 1
        for (const s of sums) expect(s).toBeCloseTo(1 + Math.exp(-1), 14);
        for (const p of per) expect(p).toBeCloseTo(Math.log(1 + Math.exp(-1)) + 1, 14);
      }
    });

    test('raw: targets on a SharedArrayBuffer flipped by another thread: each call throws or is right', () => {
      const res = child(`${FLIPPER}
        const n = 512, c = 4;
        const sab = new SharedArrayBuffer(8 + n * 4);
        const t = new Int32Array(sab, 8, n);
        const x = new Float64Array(n * c), e = new Float64Array(n * c), sums = new Float64Array(n);
        const per = new Float64Array(n);
        race(sab, n, () => {
          per.fill(NaN);
          be.crossEntropyForward(x, n, c, t, -100, e, sums, per);
          return per.every((p) => Math.abs(p - Math.log(c)) <= 1e-12);
        }, /is not a class in \\[0, c\\)/);
      `) as RaceCounts;
      expectRaceClean(res);
    });

    nativeTest('raw native: e, sums or per overlapping x or one another is a RangeError', () => {
      const n = 2, c = 3;
      const t = Int32Array.from([0, 2]);
      const x = new Float64Array(16);
      const f = (xs: Float64Array, e: Float64Array, sums: Float64Array, per: Float64Array) => () =>
        nb!.crossEntropyForward(xs, n, c, t, -100, e, sums, per);
      expect(f(x.subarray(0, 6), x.subarray(2, 8), new Float64Array(2), new Float64Array(2))).toThrow(
        /e must not overlap x/,
      );
      expect(f(x.subarray(0, 6), new Float64Array(6), x.subarray(6, 8), x.subarray(7, 9))).toThrow(
        /per must not overlap sums/,
      );
      expect(f(x.subarray(0, 6), x.subarray(6, 12), x.subarray(12, 14), x.subarray(14, 16))).not.toThrow();
    });
  });

  describe('gemm: bias must not overlap what the epilogue writes', () => {
    const m = 4, n = 8, k = 3;
    const a = Float32Array.from({ length: m * k }, (_, i) => i + 1);
    const b = Float32Array.from({ length: k * n }, (_, i) => (i % 3) - 1);

    nativeTest('raw native: bias inside c or preact is a RangeError; bias disjoint in one buffer matches js', () => {
      const run = (bias: Float32Array, c: Float32Array, preact: Float32Array | null, target = nb!) =>
        target.gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n, { bias, act: ActOp.relu, preact });
      const buf = new Float32Array(m * n + 2 * n).fill(1);
      const c = buf.subarray(0, m * n);
      expect(() => run(c.subarray(0, n), c, null)).toThrow(/bias must not overlap c or preact/);
      expect(() => run(c.subarray((m - 1) * n, m * n), c, null)).toThrow(/bias must not overlap/);
      const big = new Float32Array(m * n + n).fill(1);
      const c2 = new Float32Array(m * n);
      expect(() => run(big.subarray(0, n), c2, big.subarray(n / 2, n / 2 + m * n))).toThrow(
        /bias must not overlap c or preact/,
      );
      // bias right after c and preact right after bias, all in one buffer
      const one = new Float32Array(2 * m * n + n);
      const bias = one.subarray(m * n, m * n + n).fill(0.5);
      const cn = one.subarray(0, m * n), pn = one.subarray(m * n + n);
      run(bias, cn, pn);
      const cj = new Float32Array(m * n), pj = new Float32Array(m * n);
      run(Float32Array.from(bias), cj, pj, getJsBackend() as never);
      expect(Array.from(cn)).toEqual(Array.from(cj));
      expect(Array.from(pn)).toEqual(Array.from(pj));
    });

    nativeTest('raw native: the dtype message names a as the reference', () => {
      expect(() =>
        nb!.gemm(false, false, m, n, k, 1, a, k, b, n, 0, new Float32Array(m * n), n, {
          bias: new Float64Array(n) as never,
        }),
      ).toThrow(/bias must have the same dtype as a$/);
    });
  });

  describe('partial overlap hidden from the TypeScript check', () => {
    const sig = activations.get('sigmoid');
    const N = 64;
    const fill = (x: Float32Array): void => {
      for (let i = 0; i < N; i++) x[i] = (i % 16) - 8;
    };

    test('public: a subclass whose `buffer` getter lies cannot hide a shifted out', () => {
      class Lying extends Float32Array {}
      Object.defineProperty(Lying.prototype, 'buffer', { get: () => new ArrayBuffer(8) });
      const base = new ArrayBuffer((N + 1) * 4);
      const x = new Lying(base, 0, N);
      const out = new Lying(base, 4, N);
      fill(x);
      expect(() => sig.forward(x, out)).toThrow(/^out partially overlaps x \(same buffer, shifted by 4 bytes\)/);
      expect(() => sig.backward(x, out)).toThrow(/^gradOut partially overlaps x/);
      expect(Array.from(x.subarray(0, 4))).toEqual([-8, -7, -6, -5]); // nothing written
      expect(() => gemm(x.subarray(0, 16), new Lying(16), out.subarray(0, 16), { m: 4, n: 4, k: 4 })).toThrow(
        /'c' must not overlap 'a'/,
      );
    });

    test('public: two SharedArrayBuffer objects for one memory: a shifted out gets the values of x at the call', () => {
      const ref = (f: (a: Float32Array) => Float32Array, v: number[]): number[] => Array.from(f(Float32Array.from(v)));
      type Call = [string, (x: Float32Array, out: Float32Array) => Float32Array, (a: Float32Array) => Float32Array];
      const gelu = activations.get('gelu');
      const prelu = activations.get('prelu', { alpha: [0.1, 0.2, 0.3, 0.4] });
      const ones = new Float32Array(N).fill(1.5);
      const calls: Call[] = [
        ['forward', (x, out) => sig.forward(x, out), (a) => sig.forward(a)],
        ['derivative', (x, out) => gelu.derivative(x, out), (a) => gelu.derivative(a)],
        ['backward', (x, out) => sig.backward(ones, x, out), (a) => sig.backward(ones, a)],
        [
          'backward, y',
          (x, out) => sig.backward(ones, ones, out, { y: x }),
          (a) => sig.backward(ones, ones, null, { y: a }),
        ],
        ['backward, x', (x, out) => gelu.backward(x, ones, out), (a) => gelu.backward(a, ones)],
        ['prelu forward', (x, out) => prelu.forward(x, out), (a) => prelu.forward(a)],
      ];
      for (const [name, call, plain] of calls) {
        for (const shift of [1, -1, 0]) {
          const sab = new SharedArrayBuffer((N + 1) * 4);
          const x = new Float32Array(sab, shift < 0 ? 4 : 0, N);
          const out = new Float32Array(sameMemory(sab), shift < 0 ? 0 : 4 * shift, N); // out[i] is x[i + shift]
          fill(x);
          const before = Array.from(x);
          expect([name, shift, Array.from(call(x, out))]).toEqual([name, shift, ref(plain, before)]);
        }
      }
    });

    test('public takeRows and SGD: arrays over each other through two SharedArrayBuffer objects', () => {
      for (const f64 of [false, true]) {
        const view = (buf: SharedArrayBuffer, at: number, n: number): FloatArray =>
          f64 ? new Float64Array(buf, 8 * at, n) : new Float32Array(buf, 4 * at, n);
        const sab = new SharedArrayBuffer(8 * 24);
        const X = view(sab, 0, 24); // 12 rows of 2
        X.set(Array.from({ length: 24 }, (_, i) => i + 1));
        const idx = Int32Array.of(11, 10, 9, 8, 7, 6);
        const want = Array.from(takeRows(X.slice(), 2, idx));
        const out = view(sameMemory(sab), 0, 12); // rows 0-5 of X: written while rows 6-11 are read
        expect(Array.from(takeRows(X, 2, idx, out))).toEqual(want);
      }
      // indices read as the rows are written (the number-list path): dst[i] over indices[i + 1]
      const isab = new SharedArrayBuffer(32);
      const ids = new Uint32Array(isab, 0, 4);
      ids.set([3, 2, 1, 0]);
      const dst: Float32Array = new Float32Array(sameMemory(isab), 4, 4);
      const src: Float32Array = Float32Array.of(1e9, 2e9, 3e9, 4e9);
      expect(Array.from(takeRows(src, 1, ids, dst))).toEqual([4e9, 3e9, 2e9, 1e9]);
      // optimizers: p.grad over p.data (shifted either way, or the same elements) through another object or the same
      // one: the step of a separate gradient holding the values before the step
      const opts = [
        ['SGD', (ps: Tensor[]) => new SGD(ps, { lr: 0.5 })],
        ['Adam', (ps: Tensor[]) => new Adam(ps, { lr: 0.5 })],
        ['AdamW', (ps: Tensor[]) => new AdamW(ps, { lr: 0.5, weightDecay: 0.1 })],
      ] as const;
      for (const [name, make] of opts) {
        for (const [shift, other] of [[1, true], [-1, true], [0, true], [0, false], [1, false]] as const) {
          const sab = new SharedArrayBuffer(4 * 10);
          const w = new Tensor(new Float32Array(sab, 4, 8), [8], true);
          w.data.set([1, 2, 3, 4, 5, 6, 7, 8]);
          w.grad = new Tensor(new Float32Array(other ? sameMemory(sab) : sab, 4 + 4 * shift, 8), [8]);
          const w2 = new Tensor(w.data.slice(), [8], true);
          w2.grad = new Tensor(w.grad.data.slice(), [8]);
          make([w]).step();
          make([w2]).step();
          expect([name, shift, other, Array.from(w.data)]).toEqual([name, shift, other, Array.from(w2.data)]);
        }
      }
    });

    test('public gemm/gemmAsync: c over a through another SharedArrayBuffer object: the product of a', async () => {
      // a: 8 x 1 at the start of the memory, b: 1 x 1, c: 8 x 1 over a[4..] (through the other object)
      for (const f64 of [false, true]) {
        const view = (buf: SharedArrayBuffer, at: number, n: number): FloatArray =>
          f64 ? new Float64Array(buf, 8 * at, n) : new Float32Array(buf, 4 * at, n);
        for (const run of ['gemm', 'gemmAsync'] as const) {
          const sab = new SharedArrayBuffer(8 * 24);
          const a = view(sab, 0, 8);
          a.set([1, 2, 3, 4, 5, 6, 7, 8]);
          const c = view(sameMemory(sab), 4, 8);
          const b = f64 ? Float64Array.of(10) : Float32Array.of(10);
          const o = { m: 8, n: 1, k: 1 };
          const out = run === 'gemm' ? gemm(a, b, c, o) : await gemmAsync(a, b, c, o);
          expect(out).toBe(c);
          expect(Array.from(c)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]); // js wrote 100, 200, ... from c
        }
      }
      // beta != 0 and a row stride: c's old values are used, the padding between its rows is left alone
      const sab = new SharedArrayBuffer(8 * 16);
      const a: FloatArray = new Float64Array(sab, 0, 6);
      a.set([1, 2, 3, 4, 5, 6]); // 3 x 2
      const c: FloatArray = new Float64Array(sameMemory(sab), 8 * 2, 9); // 3 x 2 at stride 3 over a[2..]: c[0] is a[2]
      c[2] = -7; // padding of row 0, which is a[4]
      c[8] = 9; // padding of the last row, not read
      const [a0, c0] = [Array.from(a), Array.from(c)];
      const b: FloatArray = Float64Array.from([1, 0, 0, 1]); // identity: c = a + c / 2 on rows, padding kept
      await gemmAsync(a, b, c, { m: 3, n: 2, k: 2, beta: 0.5, ldc: 3 });
      const want = c0.map((v, i) => (i % 3 === 2 ? v : a0[2 * Math.floor(i / 3) + (i % 3)] + 0.5 * v));
      // row 1 is c[0], c[1] (written first) and row 2 holds a[4] = c[2]: read before any write
      expect(want).toEqual([1 + 3 / 2, 2 + 4 / 2, -7, 3 + 6 / 2, 4 + 0, 0, -7 + 0, 6 + 0, 9]);
      expect(Array.from(c)).toEqual(want);
      // the same memory through two objects, disjoint: unchanged results
      const f: FloatArray = new Float32Array(sab, 0, 4).fill(2);
      const g: FloatArray = new Float32Array(sameMemory(sab), 64, 4);
      const ones4: FloatArray = new Float32Array(4).fill(1);
      expect(Array.from(gemm(f, ones4, g, { m: 2, n: 2, k: 2 }))).toEqual([4, 4, 4, 4]);
    });

    nativeTest('raw native: c overlapping a through two SharedArrayBuffer objects names c and a like gemm does', () => {
      const sab = new SharedArrayBuffer(8 * 4);
      const a = new Float32Array(sab, 0, 4);
      const c = new Float32Array(sameMemory(sab), 8, 4);
      const b = new Float32Array(1);
      expect(() => nb!.gemm(false, false, 4, 1, 1, 1, a, 1, b, 1, 0, c, 1)).toThrow(
        /^swishnet native: gemm: 'c' must not overlap 'a' \(the same memory\)$/,
      );
      const bOverC = new Float32Array(sab, 12, 1);
      expect(() => nb!.gemm(false, false, 4, 1, 1, 1, new Float32Array(4), 1, bOverC, 1, 0, c, 1)).toThrow(
        /^swishnet native: gemm: 'c' must not overlap 'b' \(the same memory\)$/,
      );
    });

    nativeTest('raw native: every kernel that writes refuses a partial overlap, allows in place where valid', () => {
      const f32 = (n: number, at = 0): Float32Array => Float32Array.from({ length: n }, (_, i) => ((i + at) % 16) - 8);
      const buf = f32(65);
      expect(() => nb!.actForward(ActOp.sigmoid, buf.subarray(0, 64), buf.subarray(1, 65), 0, 0)).toThrow(
        /y partially overlaps x \(shifted by 4 bytes, 256 and 256 bytes long\)/,
      );
      expect(Array.from(buf)).toEqual(Array.from(f32(65))); // refused before any write
      const x = f32(64), go = f32(65);
      expect(() => nb!.actBackward(ActOp.tanh, x, null, go.subarray(1), go.subarray(0, 64), 0, 0)).toThrow(
        /gradIn partially overlaps gradOut/,
      );
      expect(() => nb!.actBackward(ActOp.tanh, x, x.subarray(0, 64), null, f32(64), 0, 0)).not.toThrow();
      const xs = f32(64);
      nb!.actBackward(ActOp.tanh, xs, null, null, xs, 0, 0); // in place
      const ref = f32(64);
      getJsBackend().actBackward(ActOp.tanh, f32(64), null, null, ref, 0, 0);
      for (let i = 0; i < 64; i++) expect(xs[i]).toBeCloseTo(ref[i], 6);
      // PReLU: y over alpha, gradIn over alpha, gradAlpha over gradIn
      const pb = new Float64Array(8);
      pb.set([0.5, 0.25]);
      const xm = Float64Array.from([-1, -1, -1, -1]);
      expect(() => nb!.preluForward(xm, pb.subarray(0, 4), pb.subarray(0, 2), 2, 1)).toThrow(
        /y partially overlaps alpha/,
      );
      expect(() => nb!.preluBackward(xm, null, pb.subarray(0, 4), pb.subarray(0, 2), 2, 1, null)).toThrow(
        /gradIn partially overlaps alpha/,
      );
      const g = new Float64Array(6);
      const alpha = Float64Array.from([0.5, 0.25]);
      expect(() => nb!.preluBackward(xm, null, g.subarray(0, 4), alpha, 2, 1, g.subarray(3, 5))).toThrow(
        /gradAlpha must not overlap gradIn/,
      );
      // SGD (the kernel restricts its three arrays): no overlap at all
      const w = Float32Array.from({ length: 33 }, (_, i) => i);
      expect(() => nb!.sgdStep(w.subarray(1, 33), w.subarray(0, 32), null, 0.5, 0, 0, 0, false, false, true)).toThrow(
        /grad must not overlap param/,
      );
      const sgd = (buf: Float32Array) => () =>
        nb!.sgdStep(w.subarray(0, 8), w.subarray(8, 16), buf, 0.5, 0.9, 0, 0, false, false, true);
      expect(sgd(w.subarray(4, 12))).toThrow(/momentumBuffer must not overlap param/);
      expect(sgd(w.subarray(12, 20))).toThrow(/momentumBuffer must not overlap grad/);
      expect(sgd(w.subarray(16, 24))).not.toThrow();
      // colSum: dst inside src
      const src = Float64Array.from({ length: 12 }, (_, i) => i + 1);
      expect(() => nb!.colSum(src, 3, 4, src.subarray(4, 8), false)).toThrow(/dst must not overlap src/);
      // raw calls see through two SharedArrayBuffer objects too
      const sab = new SharedArrayBuffer(65 * 4);
      const shifted = new Float32Array(sameMemory(sab), 4, 64);
      expect(() => nb!.actForward(ActOp.relu, new Float32Array(sab, 0, 64), shifted, 0, 0)).toThrow(
        /y partially overlaps x/,
      );
    });
  });

  describe('detached arrays are errors, not empty arrays', () => {
    const relu = activations.get('relu');

    test('public activation API: x, out and gradOut name themselves', () => {
      for (const T of [Float32Array, Float64Array]) {
        expect(() => relu.forward(detached(new T(8)))).toThrow(TypeError);
        expect(() => relu.forward(detached(new T(8)))).toThrow(/^'x' is detached/);
        expect(() => relu.forward(new T(8), detached(new T(8)))).toThrow(/^'out' is detached/);
        expect(() => relu.derivative(detached(new T(8)))).toThrow(/^'x' is detached/);
        expect(() => relu.backward(new T(8), detached(new T(8)))).toThrow(/^'gradOut' is detached/);
        expect(() => activations.get('swish').paramGrad!(detached(new T(8)))).toThrow(/^'x' is detached/);
        // empty arrays that are not detached still work
        expect(relu.forward(new T(0))).toHaveLength(0);
        expect(relu.forward(new T(new ArrayBuffer(16), 16))).toHaveLength(0);
        expect(relu.forward(new T(new SharedArrayBuffer(0) as unknown as ArrayBuffer))).toHaveLength(0);
      }
    });

    test('public gemm and gemmAsync', async () => {
      const ok = { m: 2, n: 2, k: 2 };
      expect(() => gemm(detached(new Float32Array(4)), new Float32Array(4), new Float32Array(4), ok)).toThrow(
        /^gemm: 'a' is detached/,
      );
      const f = (n: number): Float32Array => new Float32Array(n);
      expect(() => gemm(f(4), f(4), detached(f(4)), ok)).toThrow(TypeError);
      await expect(gemmAsync(f(4), detached(f(4)), f(4), ok)).rejects.toThrow(/^gemmAsync: 'b' is detached/);
      // m = 0 touches nothing: empty live arrays pass
      expect(gemm(new Float32Array(0), new Float32Array(0), new Float32Array(0), { m: 0, n: 2, k: 2 })).toHaveLength(0);
    });

    // Node 18 has no resizable ArrayBuffer (ArrayBuffer.prototype.resize)
    const resizable = typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === 'function';
    (resizable ? test : test.skip)('a view out of its shrunk resizable ArrayBuffer is refused, as detached', () => {
      const RAB = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & {
        resize(n: number): void;
      };
      for (const T of [Float32Array, Float64Array]) {
        const rab = new RAB(128, { maxByteLength: 256 });
        const x = new T(rab, 16, 8); // fixed length: past the end once the buffer shrinks, it reads as length 0
        const tracking = new T(rab); // follows the buffer's length: never out of bounds
        rab.resize(32);
        expect(x.length).toBe(0);
        expect(() => relu.forward(x)).toThrow(TypeError);
        expect(() => relu.forward(x)).toThrow(/^'x' is out of its ArrayBuffer's bounds/);
        expect(() => relu.forward(new T(0), x)).toThrow(/^'out' is out of its ArrayBuffer's bounds/);
        const none = new T(0) as Float32Array;
        expect(() => gemm(none, none, x as Float32Array, { m: 0, n: 0, k: 0 })).toThrow(/^gemm: 'c' is out of/);
        expect(relu.forward(tracking)).toHaveLength(32 / T.BYTES_PER_ELEMENT);
      }
    });

    nativeTest('raw native: a detached array is a TypeError naming it', () => {
      const f = (n: number): Float32Array => new Float32Array(n);
      expect(() => nb!.actForward(ActOp.relu, detached(f(8)), detached(f(8)), 0, 0)).toThrow(/x is detached/);
      expect(() => nb!.actForward(ActOp.relu, f(0), detached(f(8)), 0, 0)).toThrow(/y is detached/);
      expect(() => nb!.actForward(ActOp.relu, f(0), f(0), 0, 0)).not.toThrow();
    });
  });

  describe('messages', () => {
    test('gemm: a BigInt dimension is shown as a BigInt', () => {
      const f = new Float32Array(16);
      expect(() => gemm(f, f.slice(), f.slice(), { m: 2n as never, n: 2, k: 2 })).toThrow(/'m'.*got 2n/);
      // a dimension of the wrong type is a TypeError (as alpha's and transA's are); a bad number a RangeError
      const bad = (o: object): unknown => {
        try {
          gemm(f, f.slice(), f.slice(), { m: 2, n: 2, k: 2, ...o });
        } catch (e) {
          return e;
        }
      };
      expect(bad({ m: 2n })).toBeInstanceOf(TypeError);
      expect(bad({ k: '2' })).toEqual(new TypeError(`gemm: 'k' must be a number, got "2"`));
      expect(bad({ lda: '2' })).toEqual(new TypeError(`gemm: 'lda' must be a number, got "2"`));
      expect(bad({ n: 2.5 })).toBeInstanceOf(RangeError);
      expect(bad({ ldb: 1 })).toBeInstanceOf(RangeError);
    });

    test('a BigInt in a shape is a TypeError that shows it (JSON.stringify threw its own TypeError)', () => {
      const msg = `zeros: 'shape' must hold non-negative integers, got [2n, 3]`;
      expect(() => zeros([2n, 3] as never)).toThrow(new TypeError(msg));
      expect(() => zeros([2, '3'] as never)).toThrow(TypeError);
      expect(() => zeros([2, -3])).toThrow(RangeError);
      const cyclic: unknown[] = [];
      cyclic.push(cyclic);
      expect(() => zeros([2, cyclic] as never)).toThrow(/got \[2, \[object Array\]\]/);
    });

    nativeTest('raw native: softplus beta <= 0, celu alpha out of range: RangeErrors; a NaN elsewhere flows', () => {
      const x = new Float64Array([-1, -0.5, 0.5]);
      const y = new Float64Array(3);
      expect(() => nb!.actForward(ActOp.celu, x, y, -2, 0)).toThrow(/celu alpha must be in \[1e-20, 1e20\]/);
      expect(() => nb!.actForward(ActOp.celu, x, y, 1e300, 0)).toThrow(/celu alpha must be in/);
      expect(() => nb!.actBackward(ActOp.celu, x, null, null, y, 0, 0)).toThrow(/celu alpha must be in/);
      expect(() => nb!.actForward(ActOp.softplus, x, y, -1, 20)).toThrow(/softplus beta must be > 0/);
      expect(() => nb!.actForward(ActOp.softplus, x, y, NaN, 20)).toThrow(/softplus beta must be > 0/);
      // a diverged learned parameter (swish beta) gives NaN, which training reports as divergence
      nb!.actForward(ActOp.swish, x, y, NaN, 0);
      expect(Array.from(y).every(Number.isNaN)).toBe(true);
      nb!.actForward(ActOp.celu, x, y, 2, 0); // in the domain: celu(x) = 2 expm1(x / 2) for x < 0
      expect(y[0]).toBeCloseTo(2 * Math.expm1(-0.5), 15);
    });

    nativeTest('raw native: a size above 2^53 is "too large", not "not an integer"', () => {
      const f = new Float32Array(4);
      expect(() => nb!.preluForward(f, new Float32Array(4), new Float32Array(2), 2, 2 ** 60)).toThrow(
        /inner is too large/,
      );
      expect(() => nb!.preluForward(f, new Float32Array(4), new Float32Array(2), 2, 1.5)).toThrow(
        /inner must be a non-negative integer/,
      );
    });
  });
});
