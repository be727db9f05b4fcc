/** The native backend: thin forwarding to the N-API binding (arguments already validated in lib/). */
import type { Backend, FloatArray, GemmEpilogue } from '../types';
import type { NativeBinding } from './binding';

/** A method's parameters, as the Backend interface declares them (the one place they are spelled out). */
type P<K extends keyof Backend> = Backend[K] extends (...args: infer A) => unknown ? A : never;

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

  actForward(...a: P<'actForward'>): void {
    this.b.actForward(...a);
  }
  actBackward(...a: P<'actBackward'>): void {
    this.b.actBackward(...a);
  }
  preluForward(...a: P<'preluForward'>): void {
    this.b.preluForward(...a);
  }
  preluBackward(...a: P<'preluBackward'>): void {
    this.b.preluBackward(...a);
  }
  swishBetaGrad(...a: P<'swishBetaGrad'>): number {
    return this.b.swishBetaGrad(...a);
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
  sgdStep(...a: P<'sgdStep'>): void {
    this.b.sgdStep(...a);
  }
  takeRows(...a: P<'takeRows'>): void {
    this.b.takeRows(...a);
  }
  colSum(...a: P<'colSum'>): void {
    this.b.colSum(...a);
  }
  crossEntropyForward(...a: P<'crossEntropyForward'>): void {
    this.b.crossEntropyForward(...a);
  }
  getThreads(): number {
    return this.b.getThreads();
  }
  setThreads(n: number): void {
    this.b.setThreads(n);
  }
}
