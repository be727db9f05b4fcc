/**
 * Hardened native boundary: fast-check throws random and hostile arguments at every native-facing function,
 *   1. through the public API (activations.get(...).forward/derivative/backward/paramGrad, gemm, gemmAsync,
 *      matmul/linearAct on tensors): each call returns the same result as on the TypeScript backend or
 *      throws a TypeError/RangeError (on both backends alike), and nothing is written when it throws;
 *   2. directly at the raw binding, bypassing every TypeScript check (test/helpers/fuzz_native.js): first in
 *      a child process, so that a crash is a failed test rather than a dead jest worker, then in this process.
 * Bounded runs (numRuns): the whole file takes a few seconds. FUZZ_SEED=n / FUZZ_RUNS=n vary them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import fc from 'fast-check';
import { backend, setBackend, getJsBackend, type Backend, type FloatArray } from '../lib/backend';
import { loadNativeBinding } from '../lib/backend/native/binding';
import * as activations from '../lib/activations';
import { gemm, gemmAsync } from '../lib/ops/gemm';
import { tensor, Tensor } from '../lib/autograd';
import { matmul, linearAct } from '../lib/ops';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { fuzzNative, materialize } = require('./helpers/fuzz_native.js');

const SEED = Number(process.env.FUZZ_SEED) || 20251122;
const RUNS = Number(process.env.FUZZ_RUNS) || 120;
const root = path.resolve(__dirname, '..');
const primary: Backend = backend();
const isNative = primary.name === 'native';

// ------------------------------------------------------------------------------------------------ helpers

type Outcome = { ok: true; value: unknown } | { ok: false; name: string; message: string };

function attempt(fn: () => unknown): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    const err = e as Error;
    return { ok: false, name: err?.name, message: err?.message };
  }
}

/** Runs fn on the primary backend and again on the js backend (fn builds fresh inputs each time). */
function onBoth<T>(fn: () => T): [Outcome, Outcome] {
  const got = attempt(fn);
  const prev = setBackend('js');
  try {
    return [got, attempt(fn)];
  } finally {
    setBackend(prev);
  }
}

function isArrayLike(v: unknown): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function closeEnough(got: unknown, want: unknown, tol: number, scale = 1): string | null {
  if (typeof want === 'number') {
    if (typeof got !== 'number') return `got ${typeof got}, want a number`;
    if (Number.isNaN(want)) return Number.isNaN(got) ? null : `got ${got}, want NaN`;
    if (!Number.isFinite(want)) return got === want ? null : `got ${got}, want ${want}`;
    return Math.abs(got - want) <= tol * Math.max(scale, Math.abs(want)) ? null : `got ${got}, want ${want}`;
  }
  if (isArrayLike(want)) {
    if (!isArrayLike(got) || got.length !== want.length) return 'different shapes';
    for (let i = 0; i < want.length; i++) {
      const bad = closeEnough(got[i], want[i], tol, scale);
      if (bad) return `element ${i}: ${bad}`;
    }
    return null;
  }
  return null;
}

/** The rule: both succeed with close results, or both throw the same TypeError/RangeError. */
function agree([got, want]: [Outcome, Outcome], tol: number, what: string, scale = 1): void {
  if (!got.ok && got.name !== 'TypeError' && got.name !== 'RangeError') {
    throw new Error(`${what}: threw ${got.name}: ${got.message}`);
  }
  if (got.ok !== want.ok) {
    throw new Error(
      `${what}: ${primary.name} ${got.ok ? 'succeeded' : `threw ${(got as any).name}: ${(got as any).message}`} but js ` +
        `${want.ok ? 'succeeded' : `threw ${(want as any).name}: ${(want as any).message}`}`,
    );
  }
  if (!got.ok && !want.ok) {
    if (got.name !== want.name) throw new Error(`${what}: ${got.name} on ${primary.name}, ${want.name} on js`);
    return;
  }
  const bad = closeEnough((got as any).value, (want as any).value, tol, scale);
  if (bad) throw new Error(`${what}: ${primary.name} and js disagree: ${bad}`);
}

function check(prop: fc.IProperty<any> | fc.IAsyncProperty<any>, runs = RUNS): Promise<void> | void {
  const r = fc.check(prop as any, { numRuns: runs, seed: SEED });
  const report = (res: fc.RunDetails<any>): void => {
    if (res.failed) {
      const err = res.errorInstance as Error | undefined;
      throw new Error(`${err?.message ?? String(err)}\n${fc.defaultReportMessage(res)}`);
    }
  };
  if (r instanceof Promise) return r.then(report);
  report(r as fc.RunDetails<any>);
}

// Array specs (see fuzz_native.js: plain, subarray at an odd offset, SharedArrayBuffer, resizable buffer,
// subclass, detached, or a wrong type), materialized afresh for every backend run.
const dtypeArb = fc.constantFrom('f32', 'f64');
const kindArb = fc.constantFrom('plain', 'plain', 'sub', 'sab', 'resizable', 'subclass', 'detached');
function specArb(len: number, dt: fc.Arbitrary<string>, kind: fc.Arbitrary<string> = kindArb) {
  return fc.record({
    kind,
    dtype: dt,
    len: fc.constant(len),
    offset: fc.integer({ min: 0, max: 3 }),
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
    specials: fc.boolean(),
    wrong: fc.integer({ min: 0, max: 13 }),
  });
}
function likeArb(len: number, dt: string) {
  return fc.oneof(
    { weight: 8, arbitrary: specArb(len, fc.constant(dt)) },
    { weight: 1, arbitrary: specArb(len + 1, fc.constant(dt)) },
    { weight: 1, arbitrary: specArb(Math.max(0, len - 1), fc.constant(dt)) },
    { weight: 1, arbitrary: specArb(len, fc.constant(dt === 'f32' ? 'f64' : 'f32')) },
    { weight: 1, arbitrary: specArb(len, fc.constant(dt), fc.constant('wrong')) },
  );
}
const mat = (spec: unknown): any => materialize(spec).value;

// Activation names and parameter values, valid and hostile.
const NAMES = activations.names();
const hostileNumber = fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, -1, 1e300, 1e-300, '1', null, true, [1, 2], {});
function paramsArb(name: string) {
  const s = activations.spec(name);
  const entries = s.params.map((p) => {
    let typical: fc.Arbitrary<unknown>;
    if (name === 'prelu' && p.name === 'alpha') {
      // A scalar (the leaky_relu kernel) or one alpha per channel (the PReLU kernels).
      typical = fc.oneof(fc.double({ min: -1, max: 1, noNaN: true }), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }));
    } else if (name === 'prelu' && p.name === 'inner') {
      typical = fc.integer({ min: 1, max: 4 });
    } else if (typeof p.default === 'number') typical = fc.double({ min: 0.05, max: 3, noNaN: true });
    else if (typeof p.default === 'boolean') typical = fc.boolean();
    else typical = fc.constant(p.default);
    return [p.name, fc.option(fc.oneof({ weight: 6, arbitrary: typical }, { weight: 1, arbitrary: hostileNumber }), { nil: undefined })] as const;
  });
  return fc.record(Object.fromEntries(entries) as Record<string, fc.Arbitrary<unknown>>);
}

// ------------------------------------------------------------------------------------------------ tests

describe(`fuzz: public API (${primary.name} vs js)`, () => {
  test('activations: forward / derivative / backward / paramGrad', () => {
    const arb = fc
      .constantFrom(...NAMES)
      .chain((name) =>
        fc.tuple(
          fc.constant(name),
          paramsArb(name),
          fc.integer({ min: 0, max: 33 }).chain((n) => dtypeArb.chain((d) => fc.tuple(specArb(n, fc.constant(d)), likeArb(n, d), likeArb(n, d)))),
          fc.constantFrom('forward', 'derivative', 'backward', 'backwardY', 'paramGrad', 'inPlace'),
        ),
      );
    check(
      fc.property(arb, ([name, params, [xs, gs, os], method]) => {
        const res = onBoth(() => {
          const act = activations.get(name, params as Record<string, unknown>) as any;
          const x = mat(xs);
          switch (method) {
            case 'forward':
              return act.forward(x, mat(os));
            case 'inPlace':
              return act.forward(x, x);
            case 'derivative':
              return act.derivative(x, mat(os));
            case 'backward':
              return act.backward(x, mat(gs), mat(os));
            case 'backwardY': {
              const y = act.forward(x);
              return act.backward(x, mat(gs), null, { y });
            }
            default:
              return typeof act.paramGrad === 'function' ? act.paramGrad(x, mat(gs)) : null;
          }
        });
        const scale = method === 'paramGrad' ? 1 + 16 * 33 * 40 : 1;
        agree(res, xs.dtype === 'f32' ? 2e-4 : 1e-9, `${name}(${JSON.stringify(params)}).${method}`, scale);
      }),
      RUNS * 3,
    );
  });

  const gemmOptsArb = fc.record(
    {
      m: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 8 }) }, { weight: 1, arbitrary: hostileNumber }),
      n: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 2 ** 53, 2 ** 31, 1.5) }),
      k: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 40, NaN, -0) }),
      transA: fc.oneof({ weight: 8, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom(1, 'yes', null) }),
      transB: fc.boolean(),
      alpha: fc.oneof({ weight: 8, arbitrary: fc.double({ min: -2, max: 2, noNaN: true }) }, { weight: 1, arbitrary: hostileNumber }),
      beta: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 1, 0.5) }, { weight: 1, arbitrary: hostileNumber }),
      lda: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constantFrom(2 ** 50, -1, NaN)),
      ldb: fc.integer({ min: 0, max: 12 }),
      ldc: fc.integer({ min: 0, max: 12 }),
      extra: fc.constantFrom(undefined, 'bogus'),
    },
    { requiredKeys: ['m', 'n', 'k'] },
  );
  const gemmCallArb = fc.tuple(
    gemmOptsArb,
    dtypeArb.chain((d) => fc.tuple(specArb(40, fc.constant(d)), likeArb(40, d), likeArb(40, d))),
    fc.integer({ min: -1, max: 40 }),
    fc.constantFrom('none', 'none', 'none', 'ca', 'cb'),
  );
  function buildGemmCall([opts, [as, bs, cs], cut, overlap]: any): [any, any, any, any] {
    const o: any = { ...opts };
    if (o.extra === undefined) delete o.extra;
    else {
      o[o.extra] = 1;
      delete o.extra;
    }
    for (const key of ['transA', 'transB', 'alpha', 'beta', 'lda', 'ldb', 'ldc']) if (o[key] === undefined) delete o[key];
    const a = mat(as);
    const b = mat(bs);
    let c = mat(cs);
    if (cut >= 0 && isArrayLike(c) && c.length > 0 && (c as any).subarray) c = (c as any).subarray(0, Math.min(cut, c.length));
    if (overlap === 'ca' && isArrayLike(a) && (a as any).subarray && a.length > 2) c = (a as any).subarray(1);
    if (overlap === 'cb') c = b;
    return [a, b, c, o];
  }

  test('gemm: hostile options and arrays', () => {
    check(
      fc.property(gemmCallArb, (call) => {
        const res = onBoth(() => {
          const [a, b, c, o] = buildGemmCall(call);
          const before = isArrayLike(c) ? Array.from(c) : null;
          const r = attempt(() => gemm(a, b, c, o));
          if (!r.ok) {
            if (before && !before.every((v, i) => Object.is(v, (c as any)[i]) || (Number.isNaN(v) && Number.isNaN((c as any)[i])))) {
              throw new Error('gemm wrote into c and then threw');
            }
            const e = new Error(r.message);
            e.name = r.name;
            throw e;
          }
          return c;
        });
        agree(res, call[1][0].dtype === 'f32' ? 1e-5 : 1e-12, `gemm(${JSON.stringify(call[0])})`, 64);
      }),
      RUNS * 2,
    );
  });

  test('gemmAsync: hostile options and arrays (rejections only, never a throw)', async () => {
    await check(
      fc.asyncProperty(gemmCallArb, async (call) => {
        const run = async (): Promise<Outcome> => {
          const [a, b, c, o] = buildGemmCall(call);
          let p: Promise<unknown>;
          try {
            p = gemmAsync(a, b, c, o);
          } catch (e) {
            throw new Error(`gemmAsync threw synchronously (${(e as Error).name}) instead of rejecting`);
          }
          try {
            const v = await p;
            if (v !== c) throw new Error('gemmAsync resolved to something other than c');
            return { ok: true, value: c };
          } catch (e) {
            return { ok: false, name: (e as Error).name, message: (e as Error).message };
          }
        };
        const got = await run();
        const prev = setBackend('js');
        let want: Outcome;
        try {
          want = await run();
        } finally {
          setBackend(prev);
        }
        agree([got, want], call[1][0].dtype === 'f32' ? 1e-5 : 1e-12, `gemmAsync(${JSON.stringify(call[0])})`, 64);
      }),
      RUNS,
    );
  });

  test('tensor ops on random and mismatched shapes: matmul, linearAct', () => {
    const dimArb = fc.integer({ min: 1, max: 6 });
    const arb = fc.tuple(
      fc.tuple(dimArb, dimArb, dimArb, fc.integer({ min: -1, max: 1 })),
      dtypeArb,
      fc.constantFrom('matmul', 'linear', 'linearAct'),
      fc.constantFrom(null, 'relu', 'swish', 'gelu', { name: 'leaky_relu', alpha: 0.2 }, { name: 'prelu', alpha: [0.1, 0.2] }),
      fc.integer({ min: 1, max: 1000 }),
    );
    check(
      fc.property(arb, ([[m, n, k, skew], dt, op, act, seed]) => {
        const C = dt === 'f32' ? Float32Array : Float64Array;
        const dtype = dt === 'f32' ? 'float32' : 'float64';
        const fill = (len: number, s: number): FloatArray => {
          const v = new C(len);
          for (let i = 0; i < len; i++) v[i] = Math.sin(i * 12.9898 + s) * 2;
          return v;
        };
        const res = onBoth(() => {
          const x = tensor(fill(m * k, seed), { shape: [m, k], dtype });
          const w = tensor(fill(n * (k + skew), seed + 1), { shape: [n, k + skew], dtype });
          const bias = tensor(fill(n, seed + 2), { shape: [n], dtype });
          let y: Tensor;
          if (op === 'matmul') y = matmul(x, tensor(fill((k + skew) * n, seed + 3), { shape: [k + skew, n], dtype }));
          else y = linearAct(x, w, op === 'linear' ? null : bias, op === 'linear' ? null : (act as any));
          return y.data;
        });
        agree(res, dt === 'f32' ? 1e-5 : 1e-12, `${op}(${m}x${k}, ${n}x${k + skew}, ${JSON.stringify(act)})`, 64);
      }),
      RUNS,
    );
  });
});

describe('fuzz: raw native binding', () => {
  const load = loadNativeBinding();
  const binding = isNative ? load.binding : null;
  const bindingPath = isNative ? load.path : null;
  const maybe = binding ? test : test.skip;
  const jsModule = path.join(root, 'dist', 'backend', 'js', 'index.js');

  maybe('in a child process: no crash, every call correct or a TypeError/RangeError', () => {
    if (!fs.existsSync(jsModule)) throw new Error('dist/ is missing: run `npm run build:ts` first (npm test does)');
    const r = spawnSync(
      process.execPath,
      [path.join(__dirname, 'helpers', 'fuzz_native.js'), bindingPath!, jsModule, String(RUNS * 2), String(SEED + 1)],
      { encoding: 'utf8', timeout: 90_000, env: process.env },
    );
    const out = `${r.stdout}${r.stderr}`;
    if (r.signal || r.status !== 0) {
      throw new Error(`fuzz child ${r.signal ? `died with ${r.signal}` : `exited ${r.status}`}:\n${out.slice(-4000)}`);
    }
    expect(out).toMatch(/fuzz_native: ok/);
  });

  maybe('in this process (after the child survived)', async () => {
    const done = await fuzzNative(fc, binding, getJsBackend(), { numRuns: RUNS, seed: SEED });
    expect(Object.keys(done)).toEqual(
      expect.arrayContaining(['actForward', 'actBackward', 'preluForward', 'preluBackward', 'swishBetaGrad', 'gemm', 'gemmAsync', 'control']),
    );
  });

  test('the hostile-argument generators really produce hostile values', () => {
    // Guards the fuzzer itself: detached, SharedArrayBuffer, offset views and wrong types are all made.
    const d = materialize({ kind: 'detached', dtype: 'f32', len: 8, offset: 0, seed: 1, specials: false, wrong: 0 });
    expect(d.value.length).toBe(0);
    expect(d.value.buffer.byteLength).toBe(0);
    const s = materialize({ kind: 'sab', dtype: 'f64', len: 8, offset: 2, seed: 1, specials: false, wrong: 0 });
    expect(s.value.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect((s.value.byteOffset / 8) % 2).toBe(1); // an odd element offset: not 16-byte aligned
    const w = materialize({ kind: 'wrong', dtype: 'f32', len: 8, offset: 0, seed: 1, specials: false, wrong: 9 });
    expect(ArrayBuffer.isView(w.value)).toBe(false); // a Proxy around a Float32Array
    const g = materialize({ kind: 'plain', dtype: 'f32', len: 4, offset: 1, seed: 1, specials: false, wrong: 0 });
    expect(g.guardsOk()).toBe(true);
    new Float32Array(g.value.buffer)[0] = 1; // touching a guard cell is noticed
    expect(g.guardsOk()).toBe(false);
  });
});
