/** Cross-entropy forward of the TypeScript backend (the reference of the native kernel). */
import type { FloatArray } from '../types';

const exp = Math.exp;
const log = Math.log;

/** Offset of class 0 of sample i (i runs over n = N * inner samples); class k sits `k * inner` further. */
export function classOffset(i: number, c: number, inner: number): number {
  if (inner === 1) return i * c;
  const s = (i / inner) | 0;
  return s * c * inner + (i - s * inner);
}

/**
 * n samples of c class logits; logit k of sample i sits at x[(i / inner | 0) * c * inner + k * inner + i % inner]
 * (inner = 1: row-major n x c). e[i * c + k] = exp(x_k - M) with M the sample's max (NaN if a logit is NaN, 0
 * if it is infinite), sums[i] = sum_k e, per[i] = log(sums[i]) - (x_t - M), or 0 where targets[i] is `ignore`.
 */
export function crossEntropyForward(
  x: FloatArray,
  n: number,
  c: number,
  targets: Int32Array,
  ignore: number,
  e: Float64Array,
  sums: Float64Array,
  per: Float64Array,
  inner = 1,
): void {
  // As the native kernel: a copy of the targets is checked, then used, so that writing e (which may share memory
  // with them) or another thread (a SharedArrayBuffer) cannot change a target after its check.
  const t0 = targets.slice(0, n);
  for (let i = 0; i < n; i++) {
    const t = t0[i];
    if (t !== ignore && !(t >= 0 && t < c)) throw new RangeError(`targets[${i}] = ${t} is not a class in [0, c)`);
  }
  for (let i = 0; i < n; i++) {
    const b = classOffset(i, c, inner);
    let m = -Infinity;
    for (let k = 0; k < c; k++) {
      const v = x[b + k * inner];
      if (v > m || v !== v) m = v;
    }
    // all -inf: m = 0 gives exp(-inf) = 0 terms, s = 0, a NaN or infinite loss; a +inf max stays, so x - m is NaN
    // for it and every term and the loss are NaN (PyTorch's x - max).
    if (m === -Infinity) m = 0;
    let s = 0;
    const eo = i * c;
    for (let k = 0; k < c; k++) {
      const ek = exp(x[b + k * inner] - m);
      e[eo + k] = ek;
      s += ek;
    }
    sums[i] = s;
    const t = t0[i];
    per[i] = t === ignore ? 0 : log(s) - (x[b + t * inner] - m); // lse - x_t, with (x_t - M) formed first
  }
}
