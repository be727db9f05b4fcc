/**
 * Property-based fuzzing of the RAW native binding (no TypeScript validation in front of it), shared by
 * test/fuzz.test.ts (in the jest process) and by a child process that test spawns, so that a crash shows up
 * as a failed test instead of killing jest:
 *
 *   node test/helpers/fuzz_native.js <binding.node> <js-backend module> [numRuns] [seed]
 *
 * Every exported function gets random and hostile arguments: wrong types (other typed arrays, DataView,
 * ArrayBuffer, arrays, strings, BigInt, Symbol, Proxy, null), lengths off by one, detached buffers
 * (structuredClone transfer: refused like a wrong type), subarrays at odd element offsets, SharedArrayBuffer
 * and resizable-buffer backed arrays, typed-array subclasses, huge and negative sizes, NaN/Infinity parameters,
 * m*k overflow.
 * The rule checked for each call:
 *   - arguments the binding's contract accepts: no throw, and the result equals the TypeScript backend's
 *     (run on copies with the same aliasing) within a loose tolerance that only garbage fails;
 *   - anything else: a TypeError or RangeError (by name: addon errors belong to Node's main realm) and
 *     nothing written;
 *   - always: guard cells around every array (and the padding between a strided matrix's rows) unchanged.
 * A property failure throws (fast-check's report names the shrunk counterexample).
 */
'use strict';

const ACT_COUNT = 16;
const SENTINEL = -123456.75; // exactly representable in float32 and float64
const GUARD = 5;

// ---------------------------------------------------------------------------------------------- arrays

/** xorshift32: content of materialized arrays, reproducible from fast-check's seed. */
function prng(seed) {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30, 1e-40, 40.5, -88];

/**
 * An array spec (plain data, shrinkable) -> a live value plus checks. Float kinds get GUARD sentinel cells
 * before and after the visible elements in the same buffer.
 */
function materialize(spec) {
  const C = spec.dtype === 'f64' ? Float64Array : Float32Array;
  const rnd = prng(spec.seed);
  const fill = (arr) => {
    for (let i = 0; i < arr.length; i++) {
      const u = rnd();
      arr[i] = spec.specials && u < 0.08 ? SPECIALS[Math.floor(u * 125) % SPECIALS.length] : rnd() * 8 - 4;
    }
  };
  const len = spec.len;
  const off = spec.offset;
  switch (spec.kind) {
    case 'wrong':
      return { value: wrongValue(spec.wrong, len), float: false, guardsOk: () => true };
    case 'detached': {
      const a = new C(len);
      structuredClone(a.buffer, { transfer: [a.buffer] });
      return { value: a, float: true, guardsOk: () => true };
    }
    default: {
      const total = GUARD + off + len + GUARD;
      let buf;
      if (spec.kind === 'sab') buf = new SharedArrayBuffer(total * C.BYTES_PER_ELEMENT);
      else if (spec.kind === 'resizable' && typeof ArrayBuffer.prototype.resize === 'function') {
        buf = new ArrayBuffer(total * C.BYTES_PER_ELEMENT, { maxByteLength: 2 * total * C.BYTES_PER_ELEMENT });
      } else buf = new ArrayBuffer(total * C.BYTES_PER_ELEMENT);
      const whole = new C(buf);
      whole.fill(SENTINEL);
      let value;
      if (spec.kind === 'subclass') {
        const Sub = spec.dtype === 'f64' ? class F64Sub extends Float64Array {} : class F32Sub extends Float32Array {};
        value = new Sub(buf, (GUARD + off) * C.BYTES_PER_ELEMENT, len);
      } else value = new C(buf, (GUARD + off) * C.BYTES_PER_ELEMENT, len);
      fill(value);
      const lo = whole.subarray(0, GUARD + off);
      const hi = whole.subarray(GUARD + off + len);
      return {
        value,
        float: true,
        guardsOk: () => lo.every((v) => v === SENTINEL) && hi.every((v) => v === SENTINEL),
      };
    }
  }
}

function wrongValue(which, len) {
  switch (which) {
    case 0:
      return new Int32Array(len);
    case 1:
      return new Uint8Array(len * 4);
    case 2:
      return new DataView(new ArrayBuffer(len * 4));
    case 3:
      return new ArrayBuffer(len * 4);
    case 4:
      return Array.from({ length: len }, (_, i) => i);
    case 5:
      return 'Float32Array';
    case 6:
      return 3;
    case 7:
      return BigInt(len);
    case 8:
      return Symbol('x');
    case 9:
      return new Proxy(new Float32Array(len), {});
    case 10:
      return { length: len, 0: 1 };
    case 11:
      return new BigInt64Array(len);
    case 12:
      return undefined;
    default:
      return null;
  }
}

function arbs(fc) {
  const dtype = fc.constantFrom('f32', 'f64');
  const floatKind = fc.constantFrom('plain', 'plain', 'plain', 'sub', 'sab', 'resizable', 'subclass', 'detached');
  const spec = (len, dt, kindArb = floatKind) =>
    fc.record({
      kind: kindArb,
      dtype: dt,
      len: fc.constant(len),
      offset: fc.integer({ min: 0, max: 3 }),
      seed: fc.integer({ min: 1, max: 0x7fffffff }),
      specials: fc.boolean(),
      wrong: fc.integer({ min: 0, max: 13 }),
    });
  /** Mostly an array like `base` (same dtype, same length); sometimes off by one, other dtype, wrong type. */
  const like = (len, dt) =>
    fc.oneof(
      { weight: 8, arbitrary: spec(len, fc.constant(dt)) },
      { weight: 1, arbitrary: spec(len + 1, fc.constant(dt)) },
      { weight: 1, arbitrary: spec(Math.max(0, len - 1), fc.constant(dt)) },
      { weight: 1, arbitrary: spec(len, fc.constant(dt === 'f32' ? 'f64' : 'f32')) },
      { weight: 1, arbitrary: spec(len, fc.constant(dt), fc.constant('wrong')) },
    );
  const finite = fc.double({ min: -4, max: 4, noNaN: true });
  const param = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: 0.25, max: 3, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e300, -1e-300, 20) },
    { weight: 1, arbitrary: fc.constantFrom('1', null, undefined, true, 1n, {}) },
  );
  const size = (typical) =>
    fc.oneof(
      { weight: 10, arbitrary: typical },
      {
        weight: 1,
        arbitrary: fc.constantFrom(-1, -0, 0.5, NaN, Infinity, 2 ** 31, 2 ** 32 + 1, 2 ** 53, 2 ** 53 - 1, 2 ** 64, 1e300, '2', null),
      },
    );
  const op = fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0, max: ACT_COUNT - 1 }) },
    { weight: 1, arbitrary: fc.constantFrom(-1, ACT_COUNT, 1.5, NaN, Infinity, -0, 2 ** 53, '3', null, 1e10) },
  );
  return { dtype, spec, like, finite, param, size, op, floatKind };
}

// ---------------------------------------------------------------------------------------------- rules

// (ArrayBuffer.isView excludes a Proxy around a typed array, which passes instanceof but is no typed array.)
/** A view of a detached buffer reads as empty; the binding refuses it (a TypeError naming it), as a non-array. */
function isDetached(v) {
  if (v.length !== 0) return false;
  try {
    new Uint8Array(v.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}
const isFloat = (v) =>
  ArrayBuffer.isView(v) && (v instanceof Float32Array || v instanceof Float64Array) && !isDetached(v);
const dt = (v) => (v instanceof Float64Array ? 'f64' : 'f32');
const sameDt = (a, b) => isFloat(a) && isFloat(b) && dt(a) === dt(b);
const isNum = (v) => typeof v === 'number';
const isSize = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const optArr = (v, x, len) => v === null || v === undefined || (sameDt(v, x) && v.length === len);
/**
 * Parameter values inside every op's documented domain (the public API refuses e.g. softplus beta <= 0 and
 * celu alpha == 0; far outside [0.01, 100] the two backends may legitimately saturate differently). Outside
 * it a call must still not crash nor write out of bounds, but its values are not compared.
 */
const inDomain = (a, b) => Number.isFinite(a) && Number.isFinite(b) && Math.abs(a) >= 0.01 && Math.abs(a) <= 100 && Math.abs(b) <= 100;
const okOp = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < ACT_COUNT;
const SOFTPLUS = 4; // Act::Softplus, Act::Celu (swishnet/activations.h)
const CELU = 15;
/** The binding's contract for an op's (a, b) (napi/util.h get_act_params): numbers; softplus a > 0, celu a in
 * [1e-20, 1e20]. */
const paramsOk = (op, a, b) =>
  isNum(a) && isNum(b) && !(op === SOFTPLUS && !(a > 0)) && !(op === CELU && !(a >= 1e-20 && a <= 1e20));

/** Copy of a float array (same dtype; a detached one gives an empty copy). */
function copyOf(v) {
  if (!isFloat(v)) return v;
  const C = v instanceof Float64Array ? Float64Array : Float32Array;
  const out = new C(v.length); // (constructing from a detached array throws; its length is 0)
  for (let i = 0; i < v.length; i++) out[i] = v[i];
  return out;
}
const opt = (v) => (v === undefined ? null : v);

/**
 * Loose agreement: |got - want| <= tol * max(scale, |want|), NaN with NaN, infinities exactly. The precise
 * tolerances are the conformance suites' business; this only has to catch garbage (stray reads, wrong
 * elements), which is off by O(1) or more.
 */
const TOL = { act: { f32: 1e-4, f64: 1e-9 }, gemm: { f32: 1e-5, f64: 1e-12 } };
function close(got, want, tol, scale = 1) {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= tol * Math.max(scale, Math.abs(want));
}

function sameArrays(got, want, tol, scale = 1) {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    if (!close(got[i], want[i], tol, scale)) return `element ${i}: got ${got[i]}, want ${want[i]}`;
  }
  return null;
}

function snapshot(vals) {
  return vals.map((v) => (isFloat(v) ? Array.from(copyOf(v)) : null));
}
function unchanged(vals, snap) {
  for (let i = 0; i < vals.length; i++) {
    const s = snap[i];
    if (s === null) continue;
    const v = vals[i];
    if (v.length !== s.length) return false;
    for (let j = 0; j < s.length; j++) if (!Object.is(v[j], s[j]) && !(Number.isNaN(v[j]) && Number.isNaN(s[j]))) return false;
  }
  return true;
}

class FuzzFailure extends Error {}
function fail(msg) {
  throw new FuzzFailure(msg);
}

/**
 * Calls fn; returns { threw: Error|null, value }. A throw that is not TypeError/RangeError is a failure,
 * and so is a throw where `valid` says the call must succeed (and success where it must throw).
 */
function outcome(fn, valid, what) {
  let value;
  try {
    value = fn();
  } catch (e) {
    const name = e && e.name;
    if (name !== 'TypeError' && name !== 'RangeError') fail(`${what}: threw ${name}: ${e && e.message}`);
    if (valid) fail(`${what}: valid arguments were refused: ${name}: ${e.message}`);
    return { threw: e, value: undefined };
  }
  if (!valid) fail(`${what}: invalid arguments were accepted`);
  return { threw: null, value };
}

async function outcomeAsync(fn, valid, what) {
  let value;
  try {
    value = await fn();
  } catch (e) {
    const name = e && e.name;
    if (name !== 'TypeError' && name !== 'RangeError') fail(`${what}: rejected with ${name}: ${e && e.message}`);
    if (valid) fail(`${what}: valid arguments were refused: ${name}: ${e.message}`);
    return { threw: e, value: undefined };
  }
  if (!valid) fail(`${what}: invalid arguments were accepted`);
  return { threw: null, value };
}

// ---------------------------------------------------------------------------------------------- properties

function properties(fc, binding, js) {
  const A = arbs(fc);
  const props = {};

  // actForward(op, x, y, a, b)
  props.actForward = fc.property(
    A.op,
    fc.integer({ min: 0, max: 40 }).chain((n) =>
      A.dtype.chain((d) => fc.tuple(A.spec(n, fc.constant(d)), A.like(n, d), fc.boolean())),
    ),
    A.param,
    A.param,
    (op, [xs, ys, inPlace], a, b) => {
      const X = materialize(xs);
      const Y = inPlace ? X : materialize(ys);
      const x = X.value;
      const y = Y.value;
      const valid = okOp(op) && isFloat(x) && sameDt(x, y) && y.length === x.length && paramsOk(op, a, b);
      const x0 = copyOf(x);
      const snap = snapshot([y]);
      const r = outcome(() => binding.actForward(op, x, y, a, b), valid, 'actForward');
      if (!X.guardsOk() || !Y.guardsOk()) fail('actForward wrote outside its arrays');
      if (r.threw) {
        if (!unchanged([y], snap)) fail('actForward threw after writing');
        return;
      }
      if (!inDomain(a, b)) return; // any value; no crash, no stray write
      const want = inPlace ? copyOf(x0) : copyOf(y);
      js.actForward(op, x0, want, a, b);
      const bad = sameArrays(y, want, TOL.act[dt(x)]);
      if (bad) fail(`actForward op ${op} (${dt(x)}, n=${x.length}, a=${a}, b=${b}): ${bad}`);
    },
  );

  // actBackward(op, x, y|null, go|null, gi, a, b)
  props.actBackward = fc.property(
    A.op,
    fc.integer({ min: 0, max: 40 }).chain((n) =>
      A.dtype.chain((d) =>
        fc.tuple(
          A.spec(n, fc.constant(d)),
          fc.option(A.like(n, d), { nil: null }),
          fc.option(A.like(n, d), { nil: null }),
          A.like(n, d),
          fc.constantFrom('none', 'x', 'go'),
        ),
      ),
    ),
    A.param,
    A.param,
    (op, [xs, ysp, gos, gis, alias], a, b) => {
      const X = materialize(xs);
      const Yv = ysp ? materialize(ysp) : null;
      const G = gos ? materialize(gos) : null;
      const GI = alias === 'x' ? X : alias === 'go' && G ? G : materialize(gis);
      const x = X.value;
      const y = Yv ? Yv.value : null;
      const go = G ? G.value : null;
      const gi = GI.value;
      const n = isFloat(x) ? x.length : -1;
      const valid =
        okOp(op) && isFloat(x) && optArr(y, x, n) && optArr(go, x, n) && sameDt(gi, x) && gi.length === n && paramsOk(op, a, b);
      // y is the saved forward output (kernels may derive f' from it): make it f(x) when it is usable.
      if (isFloat(x) && y && sameDt(y, x) && y.length === n && okOp(op) && isNum(a) && isNum(b)) js.actForward(op, copyOf(x), y, a, b);
      const x0 = copyOf(x);
      const go0 = copyOf(go);
      const snap = snapshot([gi]);
      const r = outcome(() => binding.actBackward(op, x, y, go, gi, a, b), valid, 'actBackward');
      for (const M of [X, Yv, G, GI]) if (M && !M.guardsOk()) fail('actBackward wrote outside its arrays');
      if (r.threw) {
        if (!unchanged([gi], snap)) fail('actBackward threw after writing');
        return;
      }
      if (!inDomain(a, b)) return;
      const want = copyOf(gi).fill(0);
      js.actBackward(op, x0, null, go0 === undefined ? null : go0, want, a, b);
      const bad = sameArrays(gi, want, TOL.act[dt(x)]);
      if (bad) fail(`actBackward op ${op} (${dt(x)}, n=${n}, a=${a}, b=${b}, go ${go ? 'given' : 'null'}): ${bad}`);
    },
  );

  // preluForward(x, y, alpha, channels, inner)
  props.preluForward = fc.property(
    fc.integer({ min: 0, max: 30 }).chain((n) =>
      A.dtype.chain((d) =>
        fc.integer({ min: 1, max: 4 }).chain((ch) =>
          fc.tuple(A.spec(n, fc.constant(d)), A.like(n, d), A.like(ch, d), fc.constant(ch), A.size(fc.constant(ch)), A.size(fc.integer({ min: 1, max: 5 }))),
        ),
      ),
    ),
    ([xs, ys, als, _ch, channels, inner]) => {
      const X = materialize(xs);
      const Y = materialize(ys);
      const AL = materialize(als);
      const [x, y, alpha] = [X.value, Y.value, AL.value];
      const valid =
        isFloat(x) && sameDt(x, y) && y.length === x.length && sameDt(x, alpha) && isSize(channels) && isSize(inner) &&
        channels >= 1 && inner >= 1 && alpha.length === channels;
      const snap = snapshot([y]);
      const r = outcome(() => binding.preluForward(x, y, alpha, channels, inner), valid, 'preluForward');
      for (const M of [X, Y, AL]) if (!M.guardsOk()) fail('preluForward wrote outside its arrays');
      if (r.threw) {
        if (!unchanged([y], snap)) fail('preluForward threw after writing');
        return;
      }
      const want = copyOf(y);
      js.preluForward(copyOf(x), want, copyOf(alpha), channels, inner);
      const bad = sameArrays(y, want, TOL.act[dt(x)]);
      if (bad) fail(`preluForward (channels ${channels}, inner ${inner}): ${bad}`);
    },
  );

  // preluBackward(x, go|null, gi|null, alpha, channels, inner, galpha|null)
  props.preluBackward = fc.property(
    fc.integer({ min: 0, max: 30 }).chain((n) =>
      A.dtype.chain((d) =>
        fc.integer({ min: 1, max: 4 }).chain((ch) =>
          fc.tuple(
            A.spec(n, fc.constant(d)),
            fc.option(A.like(n, d), { nil: null }),
            fc.option(A.like(n, d), { nil: null }),
            A.like(ch, d),
            A.size(fc.constant(ch)),
            A.size(fc.integer({ min: 1, max: 5 })),
            fc.option(A.like(ch, d), { nil: null }),
          ),
        ),
      ),
    ),
    ([xs, gos, gis, als, channels, inner, gas]) => {
      const X = materialize(xs);
      const G = gos ? materialize(gos) : null;
      const GI = gis ? materialize(gis) : null;
      const AL = materialize(als);
      const GA = gas ? materialize(gas) : null;
      const x = X.value;
      const go = G ? G.value : null;
      const gi = GI ? GI.value : null;
      const alpha = AL.value;
      const galpha = GA ? GA.value : null;
      const n = isFloat(x) ? x.length : -1;
      const valid =
        isFloat(x) && optArr(go, x, n) && optArr(gi, x, n) && sameDt(alpha, x) && isSize(channels) && isSize(inner) &&
        channels >= 1 && inner >= 1 && alpha.length === channels && optArr(galpha, x, channels);
      const snap = snapshot([gi, galpha]);
      const wantGi = gi && isFloat(gi) ? copyOf(gi) : null;
      const wantGa = galpha && isFloat(galpha) ? copyOf(galpha) : null;
      const r = outcome(() => binding.preluBackward(x, go, gi, alpha, channels, inner, galpha), valid, 'preluBackward');
      for (const M of [X, G, GI, AL, GA]) if (M && !M.guardsOk()) fail('preluBackward wrote outside its arrays');
      if (r.threw) {
        if (!unchanged([gi, galpha], snap)) fail('preluBackward threw after writing');
        return;
      }
      js.preluBackward(copyOf(x), go === undefined ? null : copyOf(go), wantGi, copyOf(alpha), channels, inner, wantGa);
      const tol = TOL.act[dt(x)];
      const bad = (gi && sameArrays(gi, wantGi, tol)) || (galpha && sameArrays(galpha, wantGa, tol, 1 + n * 16));
      if (bad) fail(`preluBackward (channels ${channels}, inner ${inner}): ${bad}`);
    },
  );

  // swishBetaGrad(x, go|null, beta) -> number
  props.swishBetaGrad = fc.property(
    fc.integer({ min: 0, max: 40 }).chain((n) =>
      A.dtype.chain((d) => fc.tuple(A.spec(n, fc.constant(d)), fc.option(A.like(n, d), { nil: null }))),
    ),
    A.param,
    ([xs, gos], beta) => {
      const X = materialize(xs);
      const G = gos ? materialize(gos) : null;
      const x = X.value;
      const go = G ? G.value : null;
      const valid = isFloat(x) && optArr(go, x, x.length) && isNum(beta);
      const r = outcome(() => binding.swishBetaGrad(x, go, beta), valid, 'swishBetaGrad');
      if (!X.guardsOk() || (G && !G.guardsOk())) fail('swishBetaGrad wrote outside its arrays');
      if (r.threw) return;
      if (typeof r.value !== 'number') fail(`swishBetaGrad returned ${typeof r.value}`);
      if (!inDomain(beta, 0)) return;
      const want = js.swishBetaGrad(copyOf(x), go === undefined ? null : copyOf(go), beta);
      let scale = 1;
      for (let i = 0; i < x.length; i++) scale += Math.abs(x[i] * x[i] * (go ? go[i] : 1));
      if (!Number.isFinite(scale)) return; // special inputs: the sum's value depends on summation order
      if (!close(r.value, want, TOL.act[dt(x)], scale)) fail(`swishBetaGrad: got ${r.value}, want ${want}`);
    },
  );

  // gemm / gemmAsync: 18 arguments
  const gemmArgs = fc
    .record({
      tA: fc.oneof({ weight: 12, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 'true', null) }),
      tB: fc.oneof({ weight: 12, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 'true', null) }),
      m: A.size(fc.integer({ min: 0, max: 9 })),
      n: A.size(fc.integer({ min: 0, max: 9 })),
      k: A.size(fc.integer({ min: 0, max: 9 })),
      ldPad: fc.tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: -1, max: 3 }), fc.integer({ min: -1, max: 3 })),
      lenPad: fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })),
      hostileLd: fc.option(fc.constantFrom(-1, NaN, 2 ** 53, 2 ** 32, 1.5, 'x'), { nil: null }),
      alpha: fc.oneof({ weight: 8, arbitrary: A.finite }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, '1', null) }),
      beta: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 1, -0.5, 2) }, { weight: 1, arbitrary: fc.constantFrom(NaN, -Infinity, undefined) }),
      dtype: A.dtype,
      kinds: fc.tuple(A.floatKind, A.floatKind, A.floatKind),
      wrongAt: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 8, nil: null }),
      wrong: fc.integer({ min: 0, max: 13 }),
      otherDtypeAt: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 10, nil: null }),
      bias: fc.option(fc.integer({ min: -1, max: 1 }), { nil: null }),
      preact: fc.option(fc.integer({ min: -1, max: 1 }), { nil: null }),
      act: fc.oneof({ weight: 6, arbitrary: fc.constant(-1) }, { weight: 6, arbitrary: fc.integer({ min: 0, max: ACT_COUNT - 1 }) }, { weight: 1, arbitrary: fc.constantFrom(-2, ACT_COUNT, 0.5, NaN) }),
      overlap: fc.constantFrom('none', 'none', 'none', 'none', 'ca', 'cb', 'disjoint'),
      seed: fc.integer({ min: 1, max: 0x7fffffff }),
      offsets: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
    });

  function buildGemm(g) {
    const sz = (v) => (isSize(v) && v <= 64 ? v : 4); // storage for hostile dims: small, so checks must catch them
    const tA = g.tA === true;
    const tB = g.tB === true;
    const [m, n, k] = [sz(g.m), sz(g.n), sz(g.k)];
    const aCols = tA ? m : k;
    const aRows = tA ? k : m;
    const bCols = tB ? k : n;
    const bRows = tB ? n : k;
    const lda = g.hostileLd !== null && g.ldPad[0] < 0 ? g.hostileLd : Math.max(0, aCols + g.ldPad[0]);
    const ldb = Math.max(0, bCols + g.ldPad[1]);
    const ldc = Math.max(0, n + g.ldPad[2]);
    const span = (r, c, ld) => (r === 0 || c === 0 ? 0 : (r - 1) * (isSize(ld) && ld <= 64 ? ld : c) + c);
    const lens = [
      Math.max(0, span(aRows, aCols, lda) + g.lenPad[0]),
      Math.max(0, span(bRows, bCols, ldb) + g.lenPad[1]),
      Math.max(0, span(m, n, ldc) + g.lenPad[2]),
    ];
    const dts = [g.dtype, g.dtype, g.dtype, g.dtype, g.dtype];
    if (g.otherDtypeAt !== null) dts[g.otherDtypeAt] = g.dtype === 'f32' ? 'f64' : 'f32';
    const mk = (i, len, kind) =>
      materialize({
        kind: g.wrongAt === i ? 'wrong' : kind,
        dtype: dts[i],
        len,
        offset: g.offsets[i % 3],
        seed: g.seed + i,
        specials: false,
        wrong: g.wrong,
      });
    let Am = mk(0, lens[0], g.kinds[0]);
    const Bm = mk(1, lens[1], g.kinds[1]);
    let Cm = mk(2, lens[2], g.kinds[2]);
    // c sharing a's buffer: overlapping ('ca'), or disjoint halves of one buffer ('disjoint').
    if ((g.overlap === 'ca' || g.overlap === 'disjoint') && g.wrongAt === null && dts[0] === dts[2]) {
      const C = dts[0] === 'f64' ? Float64Array : Float32Array;
      const whole = new C(lens[0] + lens[2] + 2);
      for (let i = 0; i < whole.length; i++) whole[i] = ((i * 7919) % 17) / 8 - 1;
      const a = whole.subarray(0, lens[0]);
      const c = g.overlap === 'ca' ? whole.subarray(Math.min(1, lens[0]), Math.min(1, lens[0]) + lens[2]) : whole.subarray(lens[0] + 1, lens[0] + 1 + lens[2]);
      Am = { value: a, float: true, guardsOk: () => true };
      Cm = { value: c, float: true, guardsOk: () => true };
    }
    if (g.overlap === 'cb' && g.wrongAt === null && isFloat(Bm.value) && dts[1] === dts[2]) {
      Cm = { value: Bm.value, float: true, guardsOk: () => true };
    }
    const Bias = g.bias === null ? null : mk(3, Math.max(0, n + g.bias), 'plain');
    const Pre = g.preact === null ? null : mk(4, Math.max(0, m * n + g.preact), 'plain');
    const args = [
      g.tA, g.tB, g.m, g.n, g.k, g.alpha, Am.value, lda, Bm.value, ldb, g.beta, Cm.value, ldc,
      Bias ? Bias.value : null, g.act, 0.5, 3, Pre ? Pre.value : null,
    ];
    return { args, mats: [Am, Bm, Cm, Bias, Pre] };
  }

  /** The binding's contract for gemm arguments (napi/gemm_napi.cc unpack_gemm). */
  function gemmValid(args) {
    const [tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, pa, pb, pre] = args;
    if (typeof tA !== 'boolean' || typeof tB !== 'boolean') return false;
    if (![m, n, k, lda, ldb, ldc].every(isSize)) return false;
    if (!isNum(alpha) || !isNum(beta) || !isNum(pa) || !isNum(pb)) return false;
    if (!Number.isFinite(alpha) || !Number.isFinite(beta)) return false;
    if (!isFloat(a) || !sameDt(a, b) || !sameDt(a, c)) return false;
    if (!(isNum(act) && Number.isInteger(act) && act >= -1 && act < ACT_COUNT)) return false;
    if (!paramsOk(act, pa, pb)) return false;
    const LIM = 2 ** 53;
    const fits = (v, rows, cols, ld) => {
      if (rows === 0 || cols === 0) return true;
      if (ld < cols) return false;
      const s = (rows - 1) * ld;
      if (s > LIM || s + cols > LIM) return false;
      return v.length >= s + cols;
    };
    if (!fits(a, tA ? k : m, tA ? m : k, lda) || !fits(b, tB ? n : k, tB ? k : n, ldb) || !fits(c, m, n, ldc)) return false;
    if (m * n > LIM) return false;
    if (bias !== null && bias !== undefined && (!sameDt(a, bias) || bias.length < n)) return false;
    if (pre !== null && pre !== undefined && (!sameDt(a, pre) || pre.length < m * n)) return false;
    const used = m > 0 && n > 0 && k > 0;
    const span = (r, cc, ld) => (r === 0 || cc === 0 ? 0 : (r - 1) * ld + cc);
    const sa = used ? span(tA ? k : m, tA ? m : k, lda) : 0;
    const sb = used ? span(tB ? n : k, tB ? k : n, ldb) : 0;
    const sc = span(m, n, ldc);
    const sp = pre ? m * n : 0;
    const ov = (x, nx, y, ny) =>
      nx > 0 && ny > 0 && x.buffer === y.buffer && x.byteOffset < y.byteOffset + ny * y.BYTES_PER_ELEMENT && y.byteOffset < x.byteOffset + nx * x.BYTES_PER_ELEMENT;
    if (ov(c, sc, a, sa) || ov(c, sc, b, sb)) return false;
    if (pre && (ov(pre, sp, c, sc) || ov(pre, sp, a, sa) || ov(pre, sp, b, sb))) return false;
    return true;
  }

  function checkGemmResult(args, before, what) {
    const [tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, pa, pb, pre] = args;
    const [a0, b0, c0, bias0, pre0] = before;
    const want = copyOf(c0);
    const wantPre = pre ? copyOf(pre0) : null;
    if (m > 0 && n > 0) {
      js.gemm(tA, tB, m, n, k, alpha, a0, lda, b0, ldb, beta, want, ldc, {
        bias: bias ? bias0 : null, act, a: pa, b: pb, preact: wantPre,
      });
    }
    const tol = TOL.gemm[dt(a)];
    // Scale: k products of values in [-4, 4] (plus beta c and bias).
    const bad = sameArrays(c, want, tol, 16 * k + 16) || (pre && sameArrays(pre, wantPre, tol, 16 * k + 16));
    if (bad) fail(`${what} (tA ${tA}, tB ${tB}, m ${m}, n ${n}, k ${k}, lda ${lda}, ldb ${ldb}, ldc ${ldc}, act ${act}, ${dt(a)}): ${bad}`);
    if (!unchanged([a, b], snapshot([a0, b0]))) fail(`${what} modified a or b`);
  }

  props.gemm = fc.property(gemmArgs, (g) => {
    const { args, mats } = buildGemm(g);
    const valid = gemmValid(args);
    const outs = [args[11], args[17]];
    const snap = snapshot(outs.map(opt));
    const before = [args[6], args[8], args[11], args[13], args[17]].map(copyOf);
    const r = outcome(() => binding.gemm(...args), valid, 'gemm');
    for (const M of mats) if (M && !M.guardsOk()) fail('gemm wrote outside its arrays');
    if (r.threw) {
      if (!unchanged(outs.map(opt), snap)) fail('gemm threw after writing');
      return;
    }
    checkGemmResult(args, before, 'gemm');
  });

  if (typeof binding.gemmAsync === 'function') {
    props.gemmAsync = fc.asyncProperty(gemmArgs, async (g) => {
      const { args, mats } = buildGemm(g);
      const valid = gemmValid(args);
      const outs = [args[11], args[17]];
      const snap = snapshot(outs.map(opt));
      const before = [args[6], args[8], args[11], args[13], args[17]].map(copyOf);
      const r = await outcomeAsync(() => binding.gemmAsync(...args), valid, 'gemmAsync');
      for (const M of mats) if (M && !M.guardsOk()) fail('gemmAsync wrote outside its arrays');
      if (r.threw) {
        if (!unchanged(outs.map(opt), snap)) fail('gemmAsync failed after writing');
        return;
      }
      checkGemmResult(args, before, 'gemmAsync');
    });
  }

  // Int32Array index/label arrays: values mostly in [0, limit), some out of range; sometimes another type.
  const int32Arg = (len, limit, g) => {
    if (g.wrongIdx !== null) return wrongValue(g.wrongIdx, len);
    const a = new Int32Array(len + g.off).subarray(g.off);
    const rnd = prng(g.seed);
    for (let i = 0; i < len; i++) {
      const u = rnd();
      a[i] = g.hostile && u < 0.2 ? [-1, limit, 2 ** 31 - 1, -(2 ** 31)][Math.floor(u * 20) % 4] : Math.floor(rnd() * Math.max(1, limit));
    }
    return a;
  };
  const intArgs = fc.record({
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
    off: fc.integer({ min: 0, max: 2 }),
    wrongIdx: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 13 }) }),
    hostile: fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 5, arbitrary: fc.constant(false) }),
  });
  const isI32 = (v) => v instanceof Int32Array && ArrayBuffer.isView(v);

  // takeRows(src, features, idx, from, to, dst)
  props.takeRows = fc.property(
    fc.integer({ min: 0, max: 6 }),
    fc.integer({ min: 1, max: 9 }),
    fc.integer({ min: 0, max: 8 }),
    A.dtype,
    fc.record({ from: A.size(fc.constant(-1)), to: A.size(fc.constant(-1)), a: fc.double({ min: 0, max: 1, noNaN: true }), b: fc.double({ min: 0, max: 1, noNaN: true }), features: A.size(fc.constant(-1)) }),
    intArgs,
    fc.integer({ min: 0, max: 13 }).chain((nd) => fc.tuple(fc.constant(nd), fc.integer({ min: 0, max: 2 }))),
    fc.integer({ min: 0, max: 1 << 30 }),
    (rows, f0, nIdx, d, dims, ig, [dstRows, dstPad], seed) => {
      const features = dims.features === -1 ? f0 : dims.features;
      // mostly 0 <= from <= to <= nIdx (dims.a, dims.b place them), sometimes hostile values
      const lo = Math.floor(Math.min(dims.a, dims.b) * (nIdx + 1));
      const hi = Math.min(nIdx, Math.floor(Math.max(dims.a, dims.b) * (nIdx + 1)));
      const from = dims.from === -1 ? Math.min(lo, hi) : dims.from;
      const to = dims.to === -1 ? hi : dims.to;
      const S = materialize({ kind: 'plain', dtype: d, len: rows * f0 + (seed % 17 === 0 ? 1 : 0), offset: seed % 3, seed, specials: true, wrong: 0 });
      const idx = int32Arg(nIdx, rows, ig);
      const D = materialize({ kind: seed % 13 === 0 ? 'wrong' : 'plain', dtype: seed % 11 === 0 ? (d === 'f32' ? 'f64' : 'f32') : d, len: (seed % 7 === 0 || !isSize(from) || !isSize(to) || to - from > 16 ? dstRows : Math.max(dstRows, to - from)) * f0 + dstPad, offset: 1, seed: seed + 1, specials: false, wrong: seed % 13 });
      const src = S.value;
      const dst = D.value;
      const valid =
        isSize(features) && features >= 1 && src.length % features === 0 && isI32(idx) && isSize(from) && isSize(to) && from <= to &&
        to <= idx.length && sameDt(dst, src) && to - from <= Math.floor(dst.length / features) &&
        Array.from(idx.subarray(from, to)).every((i) => i >= 0 && i < src.length / features);
      const snap = snapshot([dst]);
      const r = outcome(() => binding.takeRows(src, features, idx, from, to, dst), valid, 'takeRows');
      for (const M of [S, D]) if (!M.guardsOk()) fail('takeRows wrote outside its arrays');
      if (r.threw) {
        if (!unchanged([dst], snap)) fail('takeRows threw after writing');
        return;
      }
      for (let r0 = 0; r0 < to - from; r0++) {
        for (let j = 0; j < features; j++) {
          if (!Object.is(dst[r0 * features + j], src[idx[from + r0] * features + j])) fail(`takeRows: row ${r0} element ${j} is wrong`);
        }
      }
      for (let i = (to - from) * features; i < dst.length; i++) if (!Object.is(dst[i], snap[0][i])) fail('takeRows wrote past its rows');
    },
  );

  // colSum(src, rows, cols, dst, accumulate)
  props.colSum = fc.property(
    fc.integer({ min: 0, max: 7 }),
    fc.integer({ min: 0, max: 9 }),
    A.dtype,
    fc.record({ rows: A.size(fc.constant(-1)), cols: A.size(fc.constant(-1)), srcPad: fc.integer({ min: -1, max: 2 }) }),
    fc.oneof({ weight: 8, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 'true', null) }),
    fc.integer({ min: 1, max: 1 << 30 }),
    (r0, c0, d, dims, accumulate, seed) => {
      const rows = dims.rows === -1 ? r0 : dims.rows;
      const cols = dims.cols === -1 ? c0 : dims.cols;
      const S = materialize({ kind: seed % 9 === 0 ? 'wrong' : 'plain', dtype: d, len: Math.max(0, r0 * c0 + dims.srcPad), offset: seed % 3, seed, specials: true, wrong: seed % 13 });
      const D = materialize({ kind: 'plain', dtype: seed % 7 === 0 ? (d === 'f32' ? 'f64' : 'f32') : d, len: seed % 10 === 0 ? c0 + 1 : c0, offset: 2, seed: seed + 3, specials: seed % 2 === 0, wrong: 0 });
      const src = S.value;
      const dst = D.value;
      const valid =
        isFloat(src) && isSize(rows) && isSize(cols) && sameDt(dst, src) && typeof accumulate === 'boolean' &&
        (cols === 0 || rows <= Math.floor(src.length / cols)) && dst.length === cols;
      const snap = snapshot([dst]);
      const want = copyOf(dst);
      const r = outcome(() => binding.colSum(src, rows, cols, dst, accumulate), valid, 'colSum');
      for (const M of [S, D]) if (!M.guardsOk()) fail('colSum wrote outside its arrays');
      if (r.threw) {
        if (!unchanged([dst], snap)) fail('colSum threw after writing');
        return;
      }
      js.colSum(src, rows, cols, want, accumulate);
      for (let j = 0; j < cols; j++) if (!Object.is(dst[j], want[j]) && !(Number.isNaN(dst[j]) && Number.isNaN(want[j]))) fail(`colSum: column ${j}: ${dst[j]} != ${want[j]}`);
    },
  );

  // crossEntropyForward(x, n, c, targets, ignore, e, sums, per)
  props.crossEntropyForward = fc.property(
    fc.integer({ min: 0, max: 6 }),
    fc.integer({ min: 0, max: 5 }),
    A.dtype,
    fc.record({ n: A.size(fc.constant(-1)), c: A.size(fc.constant(-1)), xPad: fc.integer({ min: -1, max: 1 }), outBad: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 9 }) }) }),
    fc.oneof({ weight: 12, arbitrary: fc.constantFrom(-100, -1, 0, 2) }, { weight: 1, arbitrary: fc.constantFrom(1.5, NaN, 2 ** 31, '-100', null) }),
    intArgs,
    fc.integer({ min: 1, max: 1 << 30 }),
    (n0, c0, d, dims, ignore, ig, seed) => {
      const n = dims.n === -1 ? n0 : dims.n;
      const c = dims.c === -1 ? c0 : dims.c;
      const X = materialize({ kind: seed % 19 === 0 ? 'wrong' : 'plain', dtype: d, len: Math.max(0, n0 * c0 + (seed % 8 === 0 ? dims.xPad : 0)), offset: seed % 3, seed, specials: true, wrong: seed % 13 });
      const t = int32Arg(n0, c0, ig);
      if (isI32(t) && n0 > 1 && typeof ignore === 'number' && (ignore | 0) === ignore) t[seed % n0] = ignore;
      const mk = (len, j) => {
        const bad = dims.outBad === j + 1 ? 'len' : dims.outBad === j + 4 ? 'dtype' : dims.outBad === j + 7 ? 'wrong' : null;
        return materialize({ kind: bad === 'wrong' ? 'wrong' : 'plain', dtype: bad === 'dtype' ? 'f32' : 'f64', len: bad === 'len' ? len + 1 : len, offset: j, seed: seed + j, specials: false, wrong: seed % 13 });
      };
      const outs = [mk(n0 * c0, 0), mk(n0, 1), mk(n0, 2)];
      const x = X.value;
      const [e, sums, per] = outs.map((o) => o.value);
      const isF64 = (v) => isFloat(v) && v instanceof Float64Array;
      const valid =
        isFloat(x) && isSize(n) && isSize(c) && c >= 1 && x.length === n * c && isI32(t) && t.length === n &&
        typeof ignore === 'number' && (ignore | 0) === ignore && isF64(e) && e.length === n * c && isF64(sums) && sums.length === n &&
        isF64(per) && per.length === n && Array.from(t).every((v) => v === ignore || (v >= 0 && v < c));
      const snap = snapshot([e, sums, per]);
      const r = outcome(() => binding.crossEntropyForward(x, n, c, t, ignore, e, sums, per), valid, 'crossEntropyForward');
      for (const M of [X, ...outs]) if (!M.guardsOk()) fail('crossEntropyForward wrote outside its arrays');
      if (r.threw) {
        if (!unchanged([e, sums, per], snap)) fail('crossEntropyForward threw after writing');
        return;
      }
      const we = new Float64Array(n * c);
      const ws = new Float64Array(n);
      const wp = new Float64Array(n);
      js.crossEntropyForward(x, n, c, t, ignore, we, ws, wp);
      const bad = sameArrays(e, we, 1e-14) || sameArrays(sums, ws, 1e-14) || sameArrays(per, wp, 1e-14);
      if (bad) fail(`crossEntropyForward (${dt(x)}, n=${n}, c=${c}): ${bad}`);
    },
  );

  // sgdStep(w, g, buf, lr, momentum, dampening, weightDecay, nesterov, maximize, first)
  props.sgdStep = fc.property(
    fc.integer({ min: 0, max: 40 }).chain((n) =>
      A.dtype.chain((d) => fc.tuple(A.spec(n, fc.constant(d)), A.like(n, d), fc.option(A.like(n, d), { nil: null }))),
    ),
    fc.record({
      lr: A.param,
      momentum: fc.oneof(fc.constantFrom(0, 0.9), A.param),
      dampening: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 0.1) }, { weight: 1, arbitrary: fc.constant('x') }),
      wd: fc.constantFrom(0, 1e-3, NaN),
      nesterov: fc.oneof({ weight: 12, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom(0, null) }),
      maximize: fc.boolean(),
      first: fc.boolean(),
    }),
    ([ws, gs, bs], o) => {
      const W = materialize(ws);
      const G = materialize(gs);
      const B = bs ? materialize(bs) : null;
      const w = W.value;
      const g = G.value;
      const buf = B ? B.value : null;
      const nums = [o.lr, o.momentum, o.dampening, o.wd].every(isNum);
      const bools = [o.nesterov, o.maximize, o.first].every((v) => typeof v === 'boolean');
      const valid =
        isFloat(w) && isFloat(g) && (buf === null || isFloat(buf)) && nums && bools && sameDt(g, w) && g.length === w.length &&
        (o.momentum === 0 || (buf !== null && sameDt(buf, w) && buf.length === w.length));
      const want = [copyOf(w), copyOf(g), copyOf(buf)];
      const snap = snapshot([w, buf]);
      const r = outcome(() => binding.sgdStep(w, g, buf, o.lr, o.momentum, o.dampening, o.wd, o.nesterov, o.maximize, o.first), valid, 'sgdStep');
      for (const M of [W, G, B]) if (M && !M.guardsOk()) fail('sgdStep wrote outside its arrays');
      if (r.threw) {
        if (!unchanged([w, buf], snap)) fail('sgdStep threw after writing');
        return;
      }
      js.sgdStep(want[0], want[1], o.momentum === 0 ? null : want[2], o.lr, o.momentum, o.dampening, o.wd, o.nesterov, o.maximize, o.first);
      if (!unchanged([w], [Array.from(want[0])])) fail(`sgdStep (${dt(w)}): parameters differ from the js reference`);
      if (o.momentum !== 0 && !unchanged([buf], [Array.from(want[2])])) fail(`sgdStep (${dt(w)}): momentum buffer differs from the js reference`);
    },
  );

  // info / getThreads / setThreads / setIsa
  props.control = fc.property(
    fc.constantFrom('setThreads', 'setIsa', 'info', 'getThreads'),
    fc.oneof(
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom(0, -1, 257, 1.5, NaN, Infinity, 2 ** 53, '2', null, undefined, 'scalar', 'avx2', 'neon', 'avx512', '', {}, Symbol('isa')),
    ),
    (fn, v) => {
      const info = binding.info();
      const threads = binding.getThreads();
      try {
        let valid = true;
        if (fn === 'setThreads') valid = isSize(v) && v >= 1 && v <= 256;
        if (fn === 'setIsa') valid = typeof v === 'string' && info.isas.includes(v);
        outcome(() => binding[fn](v), valid, `${fn}(${typeof v === 'symbol' ? 'Symbol' : String(v)})`);
        if (fn === 'setThreads' && valid && binding.getThreads() < 1) fail('setThreads left no thread');
      } finally {
        binding.setThreads(threads);
        binding.setIsa(info.isa);
      }
    },
  );

  return props;
}

/** Runs every property; returns { name: runs } or throws the first failure. */
async function fuzzNative(fc, binding, js, { numRuns = 150, seed = 42 } = {}) {
  const props = properties(fc, binding, js);
  const done = {};
  for (const [name, p] of Object.entries(props)) {
    const runs = name === 'gemmAsync' ? Math.max(20, Math.floor(numRuns / 2)) : numRuns;
    const res = name === 'gemmAsync' ? await fc.check(p, { numRuns: runs, seed }) : fc.check(p, { numRuns: runs, seed });
    if (res.failed) {
      const err = res.errorInstance;
      const why = err && err.message ? err.message : String(err);
      const msg = fc.defaultReportMessage(res) || `property ${name} failed`;
      throw new Error(`raw binding fuzz: ${name}: ${why}\n${msg}`);
    }
    done[name] = runs;
  }
  return done;
}

module.exports = { fuzzNative, materialize, ACT_COUNT };

if (require.main === module) {
  const [bindingPath, jsPath, runs, seed] = process.argv.slice(2);
  const fc = require('fast-check');
  const binding = require(bindingPath);
  const { JsBackend } = require(jsPath);
  fuzzNative(fc, binding, new JsBackend(), { numRuns: Number(runs) || 150, seed: Number(seed) || 42 }).then(
    (done) => {
      console.log(`fuzz_native: ok ${JSON.stringify(done)}`);
    },
    (e) => {
      console.error(e && e.message);
      process.exitCode = 1;
    },
  );
}
