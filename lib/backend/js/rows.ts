/** Row kernels of the TypeScript backend (the reference the native ones match bit for bit). */
import type { FloatArray } from '../types';

export function takeRows(src: FloatArray, features: number, idx: Int32Array, from: number, to: number, dst: FloatArray): void {
  const rows = src.length / features;
  // A fresh view per row is several times faster than subarray() here (no species lookup).
  const View = src instanceof Float32Array ? Float32Array : Float64Array;
  const bpe = src.BYTES_PER_ELEMENT;
  const buf = src.buffer as ArrayBuffer;
  const off = src.byteOffset;
  // As the native kernel: the indices are copied, all checked, then used, so that writing dst (which may share
  // memory with idx) or another thread (idx on a SharedArrayBuffer) cannot change them in between.
  const ix = idx.slice(from, to);
  for (let r = 0; r < ix.length; r++) {
    const i = ix[r];
    if (!(i >= 0 && i < rows)) {
      throw new RangeError(`takeRows: idx[${from + r}] = ${i} is not a row of src (${rows} rows)`);
    }
  }
  for (let r = 0; r < ix.length; r++) dst.set(new View(buf, off + ix[r] * features * bpe, features), r * features);
}

export function colSum(src: FloatArray, rows: number, cols: number, dst: FloatArray, accumulate: boolean): void {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) acc[j] += src[o + j];
  }
  if (!accumulate) {
    dst.set(acc);
    return;
  }
  // round the sum to dst's type first, then add (one rounding each, as the native kernel)
  const rounded = dst instanceof Float32Array ? Float32Array.from(acc) : acc;
  for (let j = 0; j < cols; j++) dst[j] += rounded[j];
}
