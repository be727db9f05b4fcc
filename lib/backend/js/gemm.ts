/**
 * GEMM for the pure-TypeScript backend, in the BLIS shape scaled down to what V8 does well:
 *
 *   C = act(alpha * op(A) op(B) + beta * C + bias)      row-major; op(A) is m x k, op(B) is k x n.
 *
 *   for jc in [0, n) step NC:                 block of columns of op(B)
 *     pack op(B)[:, jc:jc+NC] into k x NR panels       (transB is handled here)
 *     for ic in [0, m) step MR:
 *       pack op(A)[ic:ic+MR, :] into one MR x k panel  (transA is handled here)
 *       for jr in the block step NR:
 *         micro-kernel: MR x NR accumulators over all of k, then write the tile back to C
 *   then, if asked, copy C to preact and apply the activation row by row (./activations).
 *
 * Packing copies both operands into plain JS arrays of doubles whatever the dtype, so the micro-kernel
 * sees exactly one type (monomorphic), reads both panels contiguously, and accumulates in double: a
 * float32 result is rounded once, when written to C. Panels are zero-padded to whole MR / NR, so the
 * micro-kernel has no edge cases; edge tiles are clipped in the write-back. There is no k blocking: a
 * full-length A panel (MR * k doubles) stays in L1 for ordinary k, each B panel streams from L2, and a JS
 * micro-kernel is bound by instruction throughput (bounds-checked loads, scalar mul + add), not memory.
 *
 * Why plain arrays and 4 x 4. Measured inside this driver (Zen 3, Node 20; 120x128x60, 60x784x32 and the
 * MNIST MLP training step): loading from a PACKED_DOUBLE_ELEMENTS array costs fewer instructions than from
 * a Float64Array (no base + external pointer sum), ~3.8 vs ~3.5 GFLOP/s. Among tiles, 4x4 was best with
 * arrays (5x4 and 4x5 ~3.2-3.5); with Float64Arrays 3x4 to 6x4 were within ~5%; 8x4 and 4x6 lose to
 * register spills; 2x2, the fastest in an isolated kernel loop, was the slowest in the driver (~2.6).
 * Unrolling k did not help.
 *
 * k == 0 or alpha == 0 gives C = beta * C (+ bias, act) without reading A or B (BLAS semantics). beta == 0
 * never reads C, so NaN or garbage there is ignored.
 * Arguments are not validated here (lib/ops/gemm.ts does that); all arrays share one dtype.
 */
import type { BackendArgs, FloatArray } from '../types';
import { actForward } from './activations';

/** Register block: the micro-kernel keeps MR x NR accumulators in local variables. */
export const GEMM_MR = 4;
export const GEMM_NR = 4;
/**
 * Upper bound (in doubles, 1 MiB) on the packed block of op(B). It only bounds memory: the micro-kernel is
 * compute-bound, and 128x784x128 measured ~4% slower at 256 KiB (op(A) is repacked once per block).
 */
const B_BLOCK_DOUBLES = 1 << 17;
/** Packing buffers larger than this (in doubles, 4 MiB) are released after the call instead of kept. */
const KEEP_DOUBLES = 1 << 19;

/**
 * A PACKED_DOUBLE_ELEMENTS array of `len` numbers. Built by push from an empty literal with a non-integer
 * first value so that it is never holey and never has Smi elements; the packers then only store numbers
 * into it, which keeps that elements kind (and the micro-kernel's feedback) stable.
 */
function doubles(len: number): number[] {
  const x: number[] = [];
  for (let i = 0; i < len; i++) x.push(0.5);
  return x;
}

// Packing buffers and the tile, reused across calls (grown on demand). JS is single-threaded per isolate
// and nothing below re-enters gemm, so sharing them is safe; every worker_thread has its own copy.
let packA = doubles(GEMM_MR * 256);
let packB = doubles(GEMM_NR * 256);
const tile = new Float64Array(GEMM_MR * GEMM_NR);

function ensureA(len: number): number[] {
  if (packA.length < len) packA = doubles(Math.max(len, packA.length * 2));
  return packA;
}
function ensureB(len: number): number[] {
  if (packB.length < len) packB = doubles(Math.max(len, packB.length * 2));
  return packB;
}

/**
 * Packs rows [i0, i0 + mr) of op(A) (mr <= MR = 4) into `ap` as k groups of MR values:
 * ap[p * MR + ii] = op(A)[i0 + ii][p], zero for ii >= mr.
 */
function packPanelA(transA: boolean, a: FloatArray, lda: number, i0: number, mr: number, k: number, ap: number[]): void {
  if (!transA) {
    // op(A)[i][p] = a[i * lda + p]: one element from each of the MR rows per p.
    if (mr === 4) {
      const r0 = i0 * lda;
      const r1 = r0 + lda;
      const r2 = r1 + lda;
      const r3 = r2 + lda;
      for (let p = 0, d = 0; p < k; p++, d += 4) {
        ap[d] = a[r0 + p];
        ap[d + 1] = a[r1 + p];
        ap[d + 2] = a[r2 + p];
        ap[d + 3] = a[r3 + p];
      }
    } else {
      for (let ii = 0; ii < GEMM_MR; ii++) {
        if (ii < mr) {
          const r = (i0 + ii) * lda;
          for (let p = 0; p < k; p++) ap[p * GEMM_MR + ii] = a[r + p];
        } else {
          for (let p = 0; p < k; p++) ap[p * GEMM_MR + ii] = 0;
        }
      }
    }
  } else {
    // A is stored k x m: op(A)[i][p] = a[p * lda + i], so each p reads MR contiguous values.
    if (mr === 4) {
      for (let p = 0, s = i0, d = 0; p < k; p++, s += lda, d += 4) {
        ap[d] = a[s];
        ap[d + 1] = a[s + 1];
        ap[d + 2] = a[s + 2];
        ap[d + 3] = a[s + 3];
      }
    } else {
      for (let p = 0, s = i0, d = 0; p < k; p++, s += lda, d += GEMM_MR) {
        let ii = 0;
        for (; ii < mr; ii++) ap[d + ii] = a[s + ii];
        for (; ii < GEMM_MR; ii++) ap[d + ii] = 0;
      }
    }
  }
}

/**
 * Packs columns [j0, j0 + nc) of op(B) into `bp` as ceil(nc / NR) panels of k x NR (NR = 4):
 * bp[panel * k * NR + p * NR + jj] = op(B)[p][j0 + panel * NR + jj], zero past the last column.
 */
function packBlockB(transB: boolean, b: FloatArray, ldb: number, j0: number, nc: number, k: number, bp: number[]): void {
  let d = 0;
  for (let jp = 0; jp < nc; jp += GEMM_NR) {
    const nr = nc - jp < GEMM_NR ? nc - jp : GEMM_NR;
    const j = j0 + jp;
    if (!transB) {
      // B is stored k x n: op(B)[p][j] = b[p * ldb + j], NR contiguous values per p.
      if (nr === 4) {
        for (let p = 0, s = j; p < k; p++, s += ldb, d += 4) {
          bp[d] = b[s];
          bp[d + 1] = b[s + 1];
          bp[d + 2] = b[s + 2];
          bp[d + 3] = b[s + 3];
        }
      } else {
        for (let p = 0, s = j; p < k; p++, s += ldb, d += GEMM_NR) {
          let jj = 0;
          for (; jj < nr; jj++) bp[d + jj] = b[s + jj];
          for (; jj < GEMM_NR; jj++) bp[d + jj] = 0;
        }
      }
    } else {
      // B is stored n x k: op(B)[p][j] = b[j * ldb + p], one element from each of NR rows per p.
      if (nr === 4) {
        const r0 = j * ldb;
        const r1 = r0 + ldb;
        const r2 = r1 + ldb;
        const r3 = r2 + ldb;
        for (let p = 0; p < k; p++, d += 4) {
          bp[d] = b[r0 + p];
          bp[d + 1] = b[r1 + p];
          bp[d + 2] = b[r2 + p];
          bp[d + 3] = b[r3 + p];
        }
      } else {
        for (let jj = 0; jj < GEMM_NR; jj++) {
          if (jj < nr) {
            const r = (j + jj) * ldb;
            for (let p = 0; p < k; p++) bp[d + p * GEMM_NR + jj] = b[r + p];
          } else {
            for (let p = 0; p < k; p++) bp[d + p * GEMM_NR + jj] = 0;
          }
        }
        d += k * GEMM_NR;
      }
    }
  }
}

/**
 * The 4 x 4 micro-kernel: t[ii * 4 + jj] = sum_p ap[p * 4 + ii] * bp[bo + p * 4 + jj].
 * Sixteen accumulators in locals; four B values and one A value live per step. The panels are always
 * packed double arrays and t a Float64Array, so every access here is monomorphic.
 */
function kernel4x4(k: number, ap: number[], bp: number[], bo: number, t: Float64Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0, ao = 0; p < k; p++, ao += 4, bo += 4) {
    const b0 = bp[bo];
    const b1 = bp[bo + 1];
    const b2 = bp[bo + 2];
    const b3 = bp[bo + 3];
    let a = ap[ao];
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
    a = ap[ao + 1];
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
    a = ap[ao + 2];
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
    a = ap[ao + 3];
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
  }
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
}

/** C[i0.., j0..] (mr x nr, clipped) = alpha * t + beta * C + bias[j]; beta == 0 does not read C. */
function storeTile(
  t: Float64Array,
  mr: number,
  nr: number,
  alpha: number,
  beta: number,
  c: FloatArray,
  co: number,
  ldc: number,
  bias: FloatArray | null,
  j0: number,
): void {
  for (let ii = 0; ii < mr; ii++, co += ldc) {
    const to = ii * GEMM_NR;
    for (let jj = 0; jj < nr; jj++) {
      let v = alpha * t[to + jj];
      if (beta !== 0) v += beta * c[co + jj];
      if (bias !== null) v += bias[j0 + jj];
      c[co + jj] = v;
    }
  }
}

/** k == 0 or alpha == 0: C = beta * C + bias (beta == 0 writes zeros without reading C). */
function scaleC(m: number, n: number, beta: number, c: FloatArray, ldc: number, bias: FloatArray | null): void {
  for (let i = 0, co = 0; i < m; i++, co += ldc) {
    for (let j = 0; j < n; j++) {
      let v = beta === 0 ? 0 : beta * c[co + j];
      if (bias !== null) v += bias[j];
      c[co + j] = v;
    }
  }
}

/** The activation epilogue: preact <- C (dense m x n), then C <- act(C) in place, row by row. */
function epilogueAct(m: number, n: number, c: FloatArray, ldc: number, act: number, pa: number, pb: number, preact: FloatArray | null): void {
  if (ldc === n) {
    const all = c.subarray(0, m * n);
    if (preact !== null) preact.set(all);
    if (act >= 0) actForward(act, all, all, pa, pb);
    return;
  }
  for (let i = 0; i < m; i++) {
    const row = c.subarray(i * ldc, i * ldc + n);
    if (preact !== null) preact.set(row, i * n);
    if (act >= 0) actForward(act, row, row, pa, pb);
  }
}

/** gemm for m <= MR, n <= NR (its arguments): each sum over p in order, in float64, as the packed kernel's. */
function smallGemm(...[transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep]: BackendArgs<'gemm'>): void {
  // A(i, p) at a[ai + p * sa], B(p, j) at b[bj + p * sb]; the sums go to the tile storeTile writes out
  const sa = transA ? lda : 1;
  const sb = transB ? 1 : ldb;
  for (let i = 0; i < m; i++) {
    const ai = transA ? i : i * lda;
    for (let j = 0; j < n; j++) {
      const bj = transB ? j * ldb : j;
      let acc = 0;
      for (let p = 0, x = ai, y = bj; p < k; p++, x += sa, y += sb) acc += a[x] * b[y];
      tile[i * GEMM_NR + j] = acc;
    }
  }
  storeTile(tile, m, n, alpha, beta, c, 0, ldc, ep?.bias ?? null, 0);
}

/** Backend.gemm (see there for the arguments). */
export function gemm(...[transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep]: BackendArgs<'gemm'>): void {
  if (m === 0 || n === 0) return;
  const bias = ep?.bias ?? null;
  const act = ep?.act ?? -1;
  const preact = ep?.preact ?? null;

  if (k === 0 || alpha === 0) {
    // As in BLAS, alpha == 0 does not read A or B (NaN or Inf there does not reach C).
    scaleC(m, n, beta, c, ldc, bias);
  } else if (m <= GEMM_MR && n <= GEMM_NR) {
    // One tile (a dot product, a few of them): the sums read A and B where they are, in the packed kernel's order
    // (the same bits). Packing a full-k panel for it cost 10x the inputs' memory and ran 150-250x slower than a loop.
    smallGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep);
  } else {
    const t = tile;
    const ap = ensureA(GEMM_MR * k);
    // Columns per packed block of op(B): a multiple of NR, at least one panel.
    const ncMax = Math.max(GEMM_NR, Math.floor(B_BLOCK_DOUBLES / (k * GEMM_NR)) * GEMM_NR);
    const bp = ensureB(Math.min(ncMax, Math.ceil(n / GEMM_NR) * GEMM_NR) * k);
    const panelLen = k * GEMM_NR;
    for (let jc = 0; jc < n; jc += ncMax) {
      const nc = Math.min(ncMax, n - jc);
      packBlockB(transB, b, ldb, jc, nc, k, bp);
      for (let i0 = 0; i0 < m; i0 += GEMM_MR) {
        const mr = m - i0 < GEMM_MR ? m - i0 : GEMM_MR;
        packPanelA(transA, a, lda, i0, mr, k, ap);
        const rowOff = i0 * ldc;
        for (let jp = 0, bo = 0; jp < nc; jp += GEMM_NR, bo += panelLen) {
          kernel4x4(k, ap, bp, bo, t);
          const j0 = jc + jp;
          const nr = nc - jp < GEMM_NR ? nc - jp : GEMM_NR;
          storeTile(t, mr, nr, alpha, beta, c, rowOff + j0, ldc, bias, j0);
        }
      }
    }
  }

  if (act >= 0 || preact !== null) epilogueAct(m, n, c, ldc, act, ep?.a ?? 0, ep?.b ?? 0, preact);
  // Keep ordinary packing buffers for the next call, but do not hold on to a huge one (k in the millions).
  if (packA.length > KEEP_DOUBLES) packA = doubles(GEMM_MR * 256);
  if (packB.length > KEEP_DOUBLES) packB = doubles(GEMM_NR * 256);
}
