/** The pure-TypeScript backend: a complete, readable reference implementation of every kernel. */
import type { Backend, BackendArgs as P } from '../types';
import * as act from './activations';
import { gemm } from './gemm';
import { sgdStep } from './optim';
import { colSum, takeRows } from './rows';
import { crossEntropyForward } from './loss';
import { checkThreads } from '../settings';

export class JsBackend implements Backend {
  readonly name = 'js' as const;
  readonly isa = 'js';

  actForward(...a: P<'actForward'>): void {
    act.actForward(...a);
  }
  actBackward(...a: P<'actBackward'>): void {
    act.actBackward(...a);
  }
  preluForward(...a: P<'preluForward'>): void {
    act.preluForward(...a);
  }
  preluBackward(...a: P<'preluBackward'>): void {
    act.preluBackward(...a);
  }
  swishBetaGrad(...a: P<'swishBetaGrad'>): number {
    return act.swishBetaGrad(...a);
  }
  gemm(...a: P<'gemm'>): void {
    gemm(...a);
  }
  sgdStep(...a: P<'sgdStep'>): void {
    sgdStep(...a);
  }
  takeRows(...a: P<'takeRows'>): void {
    takeRows(...a);
  }
  colSum(...a: P<'colSum'>): void {
    colSum(...a);
  }
  crossEntropyForward(...a: P<'crossEntropyForward'>): void {
    crossEntropyForward(...a);
  }
  getThreads(): number {
    return 1;
  }
  setThreads(n: number): void {
    checkThreads(n); // single-threaded, but a bad count is the error it is on native
  }
}
