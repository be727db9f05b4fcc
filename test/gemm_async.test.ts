/**
 * gemmAsync: the same product and checks as gemm, off the main thread on the native backend (a libuv worker
 * with operand copies), synchronously in a resolved promise on the TypeScript backend. Runs under whichever
 * backend is active; the off-thread properties (event loop turns, operand snapshot, detaching c) only where
 * native is active.
 */
import { backend, getJsBackend, type FloatArray } from '../lib/backend';
import { gemm, gemmAsync, type GemmOptions } from '../lib/ops/gemm';
import { Rng } from '../lib/util/random';

const rng = new Rng(7);
const isNative = backend().name === 'native';
const nativeTest = isNative ? test : test.skip;

function rand<T extends FloatArray>(C: { new (n: number): T }, n: number): T {
  const x = new C(n);
  for (let i = 0; i < n; i++) x[i] = rng.uniform(-1, 1);
  return x;
}

/** c computed by the js backend (the readable reference) with the same options. */
function jsRef<T extends FloatArray>(a: T, b: T, c0: T, o: GemmOptions): T {
  const c = c0.slice() as T;
  const tA = !!o.transA;
  const tB = !!o.transB;
  const lda = o.lda ?? (tA ? o.m : o.k);
  const ldb = o.ldb ?? (tB ? o.k : o.n);
  const ldc = o.ldc ?? o.n;
  getJsBackend().gemm(tA, tB, o.m, o.n, o.k, o.alpha ?? 1, a, lda, b, ldb, o.beta ?? 0, c, ldc, null);
  return c;
}

// Errors made by the addon belong to Node's main realm, not to jest's test context, so they are matched by
// name, not with instanceof / toThrow(Class).
async function rejection(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => null,
    (err: unknown) => err as Error,
  );
  if (e === null) throw new Error('expected the promise to reject');
  return e;
}
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

function expectClose(got: FloatArray, want: FloatArray, k: number): void {
  expect(got.length).toBe(want.length);
  const tol = (got instanceof Float32Array ? 2 ** -22 : 2 ** -50) * (k + 4);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe(`gemmAsync (${backend().name})`, () => {
  const cases: [string, GemmOptions][] = [
    ['plain', { m: 37, n: 29, k: 41 }],
    ['transA transB, alpha, beta', { m: 13, n: 70, k: 9, transA: true, transB: true, alpha: -0.5, beta: 2 }],
    ['strided', { m: 20, n: 8, k: 16, lda: 19, ldb: 11, ldc: 10, beta: 1 }],
    ['strided, beta 0 (the padding between rows of c is left alone)', { m: 7, n: 3, k: 5, ldc: 6, transB: true }],
    ['k = 0 scales c', { m: 5, n: 6, k: 0, beta: 3 }],
  ];
  for (const C of [Float32Array, Float64Array] as { new (n: number): FloatArray; name: string }[]) {
    for (const [name, o] of cases) {
      test(`${C.name} ${name}: resolves to c, equal to gemm and to the js reference`, async () => {
        const aRows = o.transA ? o.k : o.m;
        const bRows = o.transB ? o.n : o.k;
        const lda = o.lda ?? (o.transA ? o.m : o.k);
        const ldb = o.ldb ?? (o.transB ? o.k : o.n);
        const ldc = o.ldc ?? o.n;
        const a = rand(C, Math.max(1, aRows * lda));
        const b = rand(C, Math.max(1, bRows * ldb));
        const c0 = rand(C, o.m * ldc);
        const want = jsRef(a, b, c0, o);
        const cSync = gemm(a, b, c0.slice(), o);
        const c = c0.slice();
        const p = gemmAsync(a, b, c, o);
        expect(typeof p.then).toBe('function');
        const r = await p;
        expect(r).toBe(c);
        expect(Array.from(c)).toEqual(Array.from(cSync)); // same kernels, same result
        expectClose(c, want, o.k);
      });
    }
  }

  test('beta 0: c is written without being read (NaN in c is ignored; the padding between rows is left)', async () => {
    for (const C of [Float32Array, Float64Array] as { new (n: number): FloatArray }[]) {
      const o = { m: 67, n: 35, k: 19, ldc: 40 };
      const a = rand(C, o.m * o.k);
      const b = rand(C, o.k * o.n);
      const c = new C(o.m * o.ldc).fill(NaN);
      await gemmAsync(a, b, c, o);
      const want = gemm(a, b, new C(o.m * o.ldc), o);
      for (let i = 0; i < o.m; i++) {
        for (let j = 0; j < o.ldc; j++) {
          if (j < o.n) expect(c[i * o.ldc + j]).toBe(want[i * o.ldc + j]);
          else expect(c[i * o.ldc + j]).toBeNaN();
        }
      }
    }
  });

  test('bad arguments reject with a named TypeError/RangeError and leave c untouched', async () => {
    const a = new Float32Array(12);
    const b = new Float32Array(12);
    const c = new Float32Array(9).fill(5);
    await expect(gemmAsync(a, b, c, { m: 3, n: 3, k: 5 })).rejects.toThrow(RangeError);
    await expect(gemmAsync(a, b, c, { m: 3, n: 3, k: 5 })).rejects.toThrow(/gemmAsync: 'a' has length 12/);
    await expect(gemmAsync(a, new Float64Array(12) as any, c, { m: 3, n: 3, k: 4 })).rejects.toThrow(TypeError);
    await expect(gemmAsync(a, b, c, { m: -1, n: 3, k: 4 })).rejects.toThrow(/'m' must be a non-negative/);
    await expect(gemmAsync(a, b, c, { m: 3, n: 3, k: 4, alpha: NaN })).rejects.toThrow(/'alpha' must be finite/);
    await expect(gemmAsync(a, b, a, { m: 3, n: 3, k: 4 })).rejects.toThrow(/overlap/);
    await expect(gemmAsync([1, 2] as any, b, c, { m: 1, n: 1, k: 1 })).rejects.toThrow(TypeError);
    expect(Array.from(c)).toEqual(new Array(9).fill(5));
  });

  test('many concurrent calls all resolve with correct results', async () => {
    const jobs = Array.from({ length: 12 }, (_, i) => {
      const o = { m: 16 + i, n: 24, k: 32 + 3 * i };
      const a = rand(Float32Array, o.m * o.k);
      const b = rand(Float32Array, o.k * o.n);
      const c = new Float32Array(o.m * o.n);
      return { o, a, b, c, want: jsRef(a, b, c, o) };
    });
    await Promise.all(jobs.map((j) => gemmAsync(j.a, j.b, j.c, j.o)));
    for (const j of jobs) expectClose(j.c, j.want, j.o.k);
  });

  (isNative ? test.skip : test)('the TypeScript backend computes synchronously and returns a resolved promise', async () => {
    const a = rand(Float64Array, 6);
    const b = rand(Float64Array, 6);
    const c = new Float64Array(4);
    const p = gemmAsync(a, b, c, { m: 2, n: 2, k: 3 });
    expect(Array.from(c)).toEqual(Array.from(jsRef(a, b, new Float64Array(4), { m: 2, n: 2, k: 3 })));
    expect(await p).toBe(c);
  });

  nativeTest('the event loop keeps turning while a large product runs', async () => {
    const n = 1200; // ~3.5 GFLOP: tens of milliseconds even at full speed
    const a = rand(Float32Array, n * n);
    const b = rand(Float32Array, n * n);
    const c = new Float32Array(n * n);
    const t0 = performance.now();
    gemm(a, b, c, { m: n, n, k: n });
    const syncMs = performance.now() - t0;
    let ticks = 0;
    let done = false;
    const tick = (): void => {
      if (done) return;
      ticks++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const c2 = new Float32Array(n * n);
    const tAsync = performance.now();
    const p = gemmAsync(a, b, c2, { m: n, n, k: n }).then(() => {
      done = true;
    });
    expect(c2[0]).toBe(0); // not written yet: the result arrives with the promise
    await p;
    const asyncMs = performance.now() - tAsync;
    expect(Array.from(c2.subarray(0, 1000))).toEqual(Array.from(c.subarray(0, 1000)));
    // While the product runs off the main thread the loop turns many times (a blocking call: 0 ticks).
    expect(syncMs).toBeGreaterThan(5);
    expect(asyncMs).toBeGreaterThan(5);
    expect(ticks).toBeGreaterThan(1);
  });

  nativeTest('setThreads while a product runs returns at once; getThreads tells the new count; same bits', async () => {
    const be = backend();
    const prev = be.getThreads();
    const n = 1200;
    const o = { m: n, n, k: n };
    const a = rand(Float32Array, n * n);
    const b = rand(Float32Array, n * n);
    const want = new Float32Array(n * n);
    const same = (x: Float32Array): boolean => Buffer.from(x.buffer).equals(Buffer.from(want.buffer));
    try {
      be.setThreads(2);
      const t0 = performance.now();
      gemm(a, b, want, o);
      const syncMs = performance.now() - t0;
      const c = new Float32Array(n * n);
      const p = gemmAsync(a, b, c, o);
      await new Promise((r) => setTimeout(r, syncMs / 5)); // the product runs on a libuv thread now
      const t1 = performance.now();
      be.setThreads(1); // waited (spinning on the main thread) for the product to finish before
      const blockedMs = performance.now() - t1;
      expect(be.getThreads()).toBe(1);
      await p;
      expect(blockedMs).toBeLessThan(syncMs / 3);
      expect(same(c)).toBe(true);
      const c1 = new Float32Array(n * n); // the next product runs on the new count: the same bits
      gemm(a, b, c1, o);
      expect(same(c1)).toBe(true);
      be.setThreads(3);
      expect(be.getThreads()).toBe(3);
      const c3 = new Float32Array(n * n);
      await gemmAsync(a, b, c3, o);
      expect(same(c3)).toBe(true);
    } finally {
      be.setThreads(prev);
    }
  });

  nativeTest('operands are snapshotted at call time: later writes to a and b do not change the result', async () => {
    const o = { m: 64, n: 64, k: 64 };
    const a = rand(Float64Array, 64 * 64);
    const b = rand(Float64Array, 64 * 64);
    const want = jsRef(a, b, new Float64Array(64 * 64), o);
    const c = new Float64Array(64 * 64);
    const p = gemmAsync(a, b, c, o);
    a.fill(NaN);
    b.fill(0);
    await p;
    expectClose(c, want, 64);
  });

  nativeTest('detaching c before the result arrives rejects with a TypeError (no write, no crash)', async () => {
    const o = { m: 200, n: 200, k: 200 };
    const a = rand(Float32Array, 200 * 200);
    const b = rand(Float32Array, 200 * 200);
    const c = new Float32Array(200 * 200);
    const p = gemmAsync(a, b, c, o);
    const moved = structuredClone(c.buffer, { transfer: [c.buffer] });
    expect(c.length).toBe(0);
    const e = await rejection(p);
    expect(e.name).toBe('TypeError');
    expect(e.message).toMatch(/'c' was detached or resized/);
    expect(new Float32Array(moved).every((v) => v === 0)).toBe(true);
  });

  nativeTest('the raw binding checks its arguments like gemm', async () => {
    const raw = (backend() as any).b;
    const a = new Float32Array(4);
    const c = new Float32Array(4);
    expect(thrown(() => raw.gemmAsync(false, false, 2, 2, 3, 1, a, 3, a, 2, 0, c, 2, null, -1, 0, 0, null)).name).toBe('RangeError');
    expect(thrown(() => raw.gemmAsync(false, false, 2, 2, 2, 1, a, 1, a, 2, 0, c, 2, null, -1, 0, 0, null)).name).toBe('RangeError');
    expect(thrown(() => raw.gemmAsync(false, false, 2, 2, 2, 1, a, 2, a, 2, 0, 'c', 2, null, -1, 0, 0, null)).name).toBe('TypeError');
    expect(thrown(() => raw.gemmAsync()).name).toBe('TypeError');
    await raw.gemmAsync(false, false, 2, 2, 2, 1, Float32Array.of(1, 2, 3, 4), 2, Float32Array.of(1, 0, 0, 1), 2, 0, c, 2, null, -1, 0, 0, null);
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
  });
});
