/** The pure-TypeScript backend: a complete, readable reference implementation of every kernel. */
import type { Backend, FloatArray, GemmEpilogue } from '../types';
import * as act from './activations';
import { gemm } from './gemm';
import { sgdStep } from './optim';
import { colSum, takeRows } from './rows';
import { crossEntropyForward } from './loss';

export class JsBackend implements Backend {
  readonly name = 'js' as const;
  readonly isa = 'js';

  actForward(op: number, x: FloatArray, y: FloatArray, a: number, b: number): void {
    act.actForward(op, x, y, a, b);
  }
  actBackward(
    op: number,
    x: FloatArray,
    y: FloatArray | null,
    go: FloatArray | null,
    gi: FloatArray,
    a: number,
    b: number,
  ): void {
    act.actBackward(op, x, y, go, gi, a, b);
  }
  preluForward(x: FloatArray, y: FloatArray, alpha: FloatArray, channels: number, inner: number): void {
    act.preluForward(x, y, alpha, channels, inner);
  }
  preluBackward(
    x: FloatArray,
    go: FloatArray | null,
    gi: FloatArray | null,
    alpha: FloatArray,
    channels: number,
    inner: number,
    galpha: FloatArray | null,
  ): void {
    act.preluBackward(x, go, gi, alpha, channels, inner, galpha);
  }
  swishBetaGrad(x: FloatArray, go: FloatArray | null, beta: number): number {
    return act.swishBetaGrad(x, go, beta);
  }
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: FloatArray,
    lda: number,
    b: FloatArray,
    ldb: number,
    beta: number,
    c: FloatArray,
    ldc: number,
    ep?: GemmEpilogue | null,
  ): void {
    gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep ?? null);
  }
  sgdStep(
    w: FloatArray,
    g: FloatArray,
    buf: FloatArray | null,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    maximize: boolean,
    first: boolean,
  ): void {
    sgdStep(w, g, buf, lr, momentum, dampening, weightDecay, nesterov, maximize, first);
  }
  takeRows(src: FloatArray, features: number, idx: Int32Array, from: number, to: number, dst: FloatArray): void {
    takeRows(src, features, idx, from, to, dst);
  }
  colSum(src: FloatArray, rows: number, cols: number, dst: FloatArray, accumulate: boolean): void {
    colSum(src, rows, cols, dst, accumulate);
  }
  crossEntropyForward(
    x: FloatArray,
    n: number,
    c: number,
    targets: Int32Array,
    ignore: number,
    e: Float64Array,
    sums: Float64Array,
    per: Float64Array,
  ): void {
    crossEntropyForward(x, n, c, targets, ignore, e, sums, per);
  }
  getThreads(): number {
    return 1;
  }
  setThreads(_n: number): void {
    /* single-threaded */
  }
}
