/** The native backend: thin forwarding to the N-API binding (arguments already validated in lib/). */
import type { Backend, BackendArgs as P } from '../types';
import type { NativeBinding } from './binding';
import { checkIsa, checkThreads, kernelChanges } from '../settings';

/** Backend.gemm's arguments as the binding takes them: the optional epilogue flattened, with its defaults. */
function bindingGemmArgs(args: P<'gemm'>): Parameters<NativeBinding['gemm']> {
  const [transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep] = args;
  const epilogue = [ep?.bias ?? null, ep?.act ?? -1, ep?.a ?? 0, ep?.b ?? 0, ep?.preact ?? null] as const;
  return [transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ...epilogue];
}

export class NativeBackend implements Backend {
  readonly name = 'native' as const;
  constructor(
    private readonly b: NativeBinding,
    readonly path: string,
  ) {}

  get isa(): string {
    return this.b.info().isa;
  }
  /** The kernel family: one of info().isas (a TypeError/RangeError naming 'name' otherwise). */
  setIsa(isa: string): void {
    this.b.setIsa(checkIsa(isa, this.b.info().isas));
    kernelChanges.count++;
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
  gemm(...args: P<'gemm'>): void {
    this.b.gemm(...bindingGemmArgs(args));
  }
  /** gemm on a libuv worker thread (operands copied at call time; c written when the promise resolves). */
  gemmAsync(...args: P<'gemm'>): Promise<void> {
    const f = this.b.gemmAsync;
    try {
      if (typeof f === 'function') return f.call(this.b, ...bindingGemmArgs(args));
      this.gemm(...args); // an older binary without gemmAsync: run synchronously
      return Promise.resolve();
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
  /** Returns at once; a GEMM running on a libuv thread (gemmAsync) finishes on the threads it started with. */
  setThreads(n: number): void {
    this.b.setThreads(checkThreads(n));
  }
}
