/** The native backend: thin forwarding to the N-API binding (arguments already validated in lib/). */
import type { Backend, FloatArray, GemmEpilogue } from '../types';
import type { NativeBinding } from './binding';

export class NativeBackend implements Backend {
  readonly name = 'native' as const;
  constructor(
    private readonly b: NativeBinding,
    readonly path: string,
  ) {}

  get isa(): string {
    return this.b.info().isa;
  }
  setIsa(isa: string): void {
    this.b.setIsa(isa);
  }
  info(): ReturnType<NativeBinding['info']> {
    return this.b.info();
  }

  actForward(op: number, x: FloatArray, y: FloatArray, a: number, b: number): void {
    this.b.actForward(op, x, y, a, b);
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
    this.b.actBackward(op, x, y, go, gi, a, b);
  }
  preluForward(x: FloatArray, y: FloatArray, alpha: FloatArray, channels: number, inner: number): void {
    this.b.preluForward(x, y, alpha, channels, inner);
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
    this.b.preluBackward(x, go, gi, alpha, channels, inner, galpha);
  }
  swishBetaGrad(x: FloatArray, go: FloatArray | null, beta: number): number {
    return this.b.swishBetaGrad(x, go, beta);
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
    this.b.gemm(
      transA,
      transB,
      m,
      n,
      k,
      alpha,
      a,
      lda,
      b,
      ldb,
      beta,
      c,
      ldc,
      ep?.bias ?? null,
      ep?.act ?? -1,
      ep?.a ?? 0,
      ep?.b ?? 0,
      ep?.preact ?? null,
    );
  }
  /** gemm on a libuv worker thread (operands copied at call time; c written when the promise resolves). */
  gemmAsync(
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
  ): Promise<void> {
    const f = this.b.gemmAsync;
    if (typeof f !== 'function') {
      // An older binary without gemmAsync: run synchronously.
      try {
        this.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    }
    try {
      return f.call(
      this.b,
      transA,
      transB,
      m,
      n,
      k,
      alpha,
      a,
      lda,
      b,
      ldb,
      beta,
      c,
      ldc,
      ep?.bias ?? null,
      ep?.act ?? -1,
      ep?.a ?? 0,
      ep?.b ?? 0,
      ep?.preact ?? null,
      );
    } catch (e) {
      return Promise.reject(e);
    }
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
    this.b.sgdStep(w, g, buf, lr, momentum, dampening, weightDecay, nesterov, maximize, first);
  }
  takeRows(src: FloatArray, features: number, idx: Int32Array, from: number, to: number, dst: FloatArray): void {
    this.b.takeRows(src, features, idx, from, to, dst);
  }
  colSum(src: FloatArray, rows: number, cols: number, dst: FloatArray, accumulate: boolean): void {
    this.b.colSum(src, rows, cols, dst, accumulate);
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
    this.b.crossEntropyForward(x, n, c, targets, ignore, e, sums, per);
  }
  getThreads(): number {
    return this.b.getThreads();
  }
  setThreads(n: number): void {
    this.b.setThreads(n);
  }
}
