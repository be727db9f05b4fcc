/**
 * Large activation calls on the native backend are split over the thread pool (above 2^15 elements for the ops
 * that evaluate an exp/erf/division, 2^16 for the piecewise-linear ones). Every element must come out with the
 * same value (+0/-0 told apart) whatever the number of threads: the split only decides which thread computes
 * which range. Checked for every op, forward and backward (from x, from the saved y, with and without grad_out),
 * float32 and float64, on lengths that are not a multiple of the split grain, with edge values spread over the
 * array, on every native ISA; and for PReLU with per-channel alpha, where a chunk must start on a whole channel
 * period.
 * Runs in every `npm test` pass (the native binding is loaded directly).
 */
import { getNativeBackend, type NativeBackend } from '../lib/backend';
import { ACT_OPS, ActOp, type ActOpName } from '../lib/backend/ops';
import type { FloatArray } from '../lib/backend/types';
import { Rng } from '../lib';

const nb = getNativeBackend();

/** Parameters per op (a, b); ops with a unit fast path also run with a non-unit parameter. */
const PARAMS: Partial<Record<ActOpName, Array<[number, number]>>> = {
  softplus: [[1, 20], [2, 10]],
  leaky_relu: [[0.01, 0]],
  elu: [[1, 0]],
  swish: [[1, 0], [1.5, 0]],
  celu: [[1, 0], [0.5, 0]],
};
const EDGES = [0, -0, 1e-30, -1e-30, 20, -20, 88, -88, 1e4, -1e4, 3.4e38, -3.4e38, Infinity, -Infinity, NaN];
// 2^16 + 37 (above both thresholds) and 2^15 + 1 (above the transcendental ops' threshold only).
const SIZES = [(1 << 16) + 37, (1 << 15) + 1];

function filled(C: typeof Float32Array | typeof Float64Array, n: number, seed: number, lo: number, hi: number): FloatArray {
  const r = new Rng(seed);
  const a = new C(n);
  for (let i = 0; i < n; i++) a[i] = r.uniform(lo, hi);
  // Edge values around every multiple of 4096 (a chunk boundary for 2, 3 or 4 threads lies near one of them
  // only by chance; the bit comparison covers the whole array anyway).
  for (let k = 0, p = 0; p < n; k++, p = k * 4096 + (k % 61)) a[p] = EDGES[k % EDGES.length];
  return a;
}

/**
 * Equal element by element with Object.is (so +0 and -0 differ), every NaN equal to every NaN: a NaN's payload
 * and sign depend on which operand an instruction happened to propagate, which the compiler may order differently
 * in the unrolled and the single-vector loops; JavaScript does not see it (NaN is NaN) and neither do we.
 */
function sameValues(a: FloatArray, b: FloatArray): boolean {
  if (a.length !== b.length) return false;
  if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))) return true;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  }
  return true;
}

/** fn() under 1 thread, then under 2 and 3; every result must equal the 1-thread one. */
function sameUnderThreads(be: NativeBackend, fn: () => FloatArray[]): { threads: number; equal: boolean[] }[] {
  const prev = be.getThreads();
  try {
    be.setThreads(1);
    const ref = fn().map((a) => a.slice());
    return [2, 3].map((t) => {
      be.setThreads(t);
      const got = fn();
      return { threads: t, equal: got.map((a, i) => sameValues(a, ref[i])) };
    });
  } finally {
    be.setThreads(prev);
  }
}

function eachIsa(be: NativeBackend, fn: (isa: string) => void): void {
  const isa = be.info().isa;
  try {
    for (const i of be.info().isas) {
      be.setIsa(i);
      fn(i);
    }
  } finally {
    be.setIsa(isa);
  }
}

const describeNative = nb ? describe : describe.skip;
if (!nb && process.env.CI) throw new Error('CI needs the native binding for the thread-split tests');

describeNative('native activation calls split over threads give the 1-thread results', () => {
  const be = nb as NativeBackend;

  for (const C of [Float32Array, Float64Array]) {
    test(`every op, forward and backward, ${C.name}`, () => {
      const mismatches: string[] = [];
      eachIsa(be, (isa) => {
        for (const n of SIZES) {
          const x = filled(C, n, 11 + n, -12, 12);
          const go = filled(C, n, 12 + n, -2, 2);
          for (const op of ACT_OPS) {
            for (const [a, b] of PARAMS[op] ?? [[0, 0]]) {
              const y = new C(n);
              const out = sameUnderThreads(be, () => {
                const fwd = new C(n);
                be.actForward(ActOp[op], x, fwd, a, b);
                y.set(fwd);
                const fromX = new C(n);
                be.actBackward(ActOp[op], x, null, go, fromX, a, b);
                const fromY = new C(n);
                be.actBackward(ActOp[op], x, y, go, fromY, a, b);
                const deriv = new C(n);
                be.actBackward(ActOp[op], x, y, null, deriv, a, b);
                const inPlace = Float64Array === C ? Float64Array.from(x) : Float32Array.from(x);
                be.actForward(ActOp[op], inPlace, inPlace, a, b);
                return [fwd, fromX, fromY, deriv, inPlace];
              });
              for (const { threads, equal } of out) {
                equal.forEach((ok, k) => {
                  if (!ok)
                    mismatches.push(
                      `${isa} ${op}(${a},${b}) n=${n} ${['forward', 'backward(x)', 'backward(y)', 'derivative', 'in place'][k]} ${threads} threads`,
                    );
                });
              }
            }
          }
        }
      });
      expect(mismatches).toEqual([]);
    });

    test(`prelu with per-channel alpha, ${C.name}`, () => {
      const mismatches: string[] = [];
      eachIsa(be, (isa) => {
        // (channels, inner): one channel; a channel period of 3 * 1000 elements; 7 channels of one element each.
        for (const [channels, inner] of [[1, 70001], [3, 1000], [7, 1]]) {
          const n = 70001 - (70001 % (channels * inner)) + (channels === 1 ? 0 : inner + 5);
          const x = filled(C, n, 21, -5, 5);
          const go = filled(C, n, 22, -1, 1);
          const alpha = new C(channels);
          for (let c = 0; c < channels; c++) alpha[c] = 0.1 + 0.2 * c;
          const out = sameUnderThreads(be, () => {
            const y = new C(n);
            be.preluForward(x, y, alpha, channels, inner);
            const gi = new C(n);
            be.preluBackward(x, go, gi, alpha, channels, inner, null);
            const gi2 = new C(n);
            const galpha = new C(channels);
            be.preluBackward(x, go, gi2, alpha, channels, inner, galpha);
            return [y, gi, gi2, galpha];
          });
          for (const { threads, equal } of out) {
            equal.forEach((ok, k) => {
              if (!ok) mismatches.push(`${isa} prelu c=${channels} inner=${inner} ${['forward', 'gradIn', 'gradIn with gradAlpha', 'gradAlpha'][k]} ${threads} threads`);
            });
          }
          // And the values are PReLU's: y = x > 0 ? x : alpha[c] x with c = floor(i / inner) % channels.
          const y = new C(n);
          const prev = be.getThreads();
          be.setThreads(2);
          try {
            be.preluForward(x, y, alpha, channels, inner);
          } finally {
            be.setThreads(prev);
          }
          let bad = 0;
          for (let i = 0; i < n; i++) {
            const c = Math.floor(i / inner) % channels;
            const want = x[i] > 0 ? x[i] : C === Float32Array ? Math.fround(alpha[c] * x[i]) : alpha[c] * x[i];
            if (!Object.is(y[i], want) && !(Number.isNaN(y[i]) && Number.isNaN(want))) bad++;
          }
          if (bad) mismatches.push(`${isa} prelu c=${channels} inner=${inner}: ${bad} values differ from x > 0 ? x : alpha[c] x`);
        }
      });
      expect(mismatches).toEqual([]);
    });

    // The alpha gradient is summed in fixed pieces of >= 2^16 elements on whichever thread, then added in piece
    // order: more pieces than threads here, and the sums must match a float64 reference as well as each other.
    test(`prelu's alpha gradient over many pieces on 1-3 threads, ${C.name}`, () => {
      const problems: string[] = [];
      eachIsa(be, (isa) => {
        for (const [channels, inner] of [[1, 1], [5, 999], [64, 1]]) {
          const n = 300007;
          const x = new C(n);
          const go = new C(n);
          const r = new Rng(31 + channels);
          for (let i = 0; i < n; i++) (x[i] = r.uniform(-4, 4)), (go[i] = r.uniform(-1, 1));
          const alpha = new C(channels).fill(0.25);
          const want = new Float64Array(channels).fill(0.5);
          const scale = new Float64Array(channels).fill(0.5);
          for (let i = 0; i < n; i++) {
            const c = Math.floor(i / inner) % channels;
            if (!(x[i] > 0)) (want[c] += x[i] * go[i]), (scale[c] += Math.abs(x[i] * go[i]));
          }
          let galpha = new C(channels); // the last call's (3 threads), checked against the reference below
          const out = sameUnderThreads(be, () => {
            galpha = new C(channels).fill(0.5);
            be.preluBackward(x, go, null, alpha, channels, inner, galpha);
            return [galpha];
          });
          for (const { threads, equal } of out) {
            if (!equal[0]) problems.push(`${isa} c=${channels} ${threads} threads differ`);
          }
          const tol = C === Float32Array ? 1e-6 : 1e-13;
          for (let c = 0; c < channels; c++) {
            if (!(Math.abs(galpha[c] - want[c]) <= tol * scale[c])) {
              problems.push(`${isa} c=${channels}: galpha[${c}] = ${galpha[c]}, want ${want[c]}`);
            }
          }
        }
      });
      expect(problems).toEqual([]);
    });
  }
});

/**
 * Calls whose arrays outgrow the last-level cache write their output with non-temporal stores (the AVX2 kernels;
 * info().streamMinBytes is the threshold while they are active: bytes read + written by one kernel call). The
 * values must be those of small calls, which store normally: checked on arrays sized just past the threshold (also
 * when the call is split over 2 threads, so that each half streams too), against the same backend run on
 * 1M-element slices.
 */
describeNative('native activation calls above the streaming threshold give the small-call results', () => {
  const be = nb as NativeBackend;
  test('relu and tanh, float32, forward and backward, 1 and 2 threads', () => {
    // info() reports the threshold while a streaming family (AVX2) is active, null otherwise (SWISHNET_ISA=scalar
    // runs this file too): read it with each family in turn.
    const reported = new Map<string, number | null>();
    eachIsa(be, (isa) => reported.set(isa, be.info().streamMinBytes));
    for (const [isa, v] of reported) {
      if (isa === 'avx2') expect(v).toBeGreaterThanOrEqual(1 << 20);
      else expect(v).toBeNull();
    }
    const min = reported.get('avx2') ?? 32 << 20; // no streaming family here (arm64): the same sizes anyway
    // Forward reads x and writes y (8 bytes per element); per half on 2 threads that must still reach the threshold.
    const n = Math.ceil((2 * min) / 8) + 4101;
    const x = filled(Float32Array, n, 31, -12, 12);
    const go = filled(Float32Array, n, 32, -2, 2);
    const mismatches: string[] = [];
    eachIsa(be, (isa) => {
      for (const op of ['relu', 'tanh'] as const) {
        const slice = 1 << 20;
        const refY = new Float32Array(n);
        const refG = new Float32Array(n);
        const prev = be.getThreads();
        try {
          be.setThreads(1);
          for (let i = 0; i < n; i += slice) {
            const e = Math.min(n, i + slice);
            be.actForward(ActOp[op], x.subarray(i, e), refY.subarray(i, e), 0, 0);
            be.actBackward(ActOp[op], x.subarray(i, e), null, go.subarray(i, e), refG.subarray(i, e), 0, 0);
          }
          for (const threads of [1, 2]) {
            be.setThreads(threads);
            // An output that starts 1 element past the buffer's start: the plain-store head before the first
            // aligned vector is not empty.
            const yBuf = new Float32Array(n + 1);
            const gBuf = new Float32Array(n + 1);
            const y = yBuf.subarray(1);
            const g = gBuf.subarray(1);
            be.actForward(ActOp[op], x, y, 0, 0);
            be.actBackward(ActOp[op], x, null, go, g, 0, 0);
            if (!sameValues(y, refY)) mismatches.push(`${isa} ${op} forward, ${threads} threads`);
            if (!sameValues(g, refG)) mismatches.push(`${isa} ${op} backward, ${threads} threads`);
            if (yBuf[0] !== 0 || gBuf[0] !== 0) mismatches.push(`${isa} ${op}: wrote before the output`);
          }
        } finally {
          be.setThreads(prev);
        }
      }
    });
    expect(mismatches).toEqual([]);
  });
});
