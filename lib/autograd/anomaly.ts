/**
 * Anomaly detection (torch.autograd.detect_anomaly): while it is on, every Function's forward output and
 * every gradient its backward returns is scanned for NaN and +-Infinity, and the first one found throws an
 * AnomalyError naming the Function (the op), the phase and the element, so a diverging model points at the
 * op that produced the first bad value instead of failing epochs later in the loss.
 *
 *   setDetectAnomaly(true);                   // global switch (returns the previous state)
 *   detectAnomaly(() => loss.backward());     // on for one call (also for an async function, until it settles)
 *
 * It costs one pass over every op's output, so it is off by default (one boolean test per op).
 * This module must not load ./tensor at run time (see ./function.ts): it only reads `.data`.
 */
import { firstNonFinite } from './util'; // (util loads no tensor)

let enabled = false;
let depth = 0; // nested detectAnomaly() scopes

/** True while anomaly detection is on (setDetectAnomaly(true) or inside detectAnomaly()). */
export function isAnomalyEnabled(): boolean {
  return enabled || depth > 0;
}

/** Turns anomaly detection on or off globally; returns the previous global setting. */
export function setDetectAnomaly(on: boolean): boolean {
  if (typeof on !== 'boolean') throw new TypeError(`setDetectAnomaly(on): 'on' must be a boolean, got ${typeof on}`);
  const prev = enabled;
  enabled = on;
  return prev;
}

/**
 * Runs fn with anomaly detection on and returns its result. If fn returns a promise (an async training
 * loop), detection stays on until it settles. Other code running meanwhile (the event loop keeps turning)
 * is checked too: the switch is per thread, not per call stack.
 */
export function detectAnomaly<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`detectAnomaly(fn): 'fn' must be a function, got ${typeof fn}`);
  depth++;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    depth--;
    throw e;
  }
  if (result && typeof (result as any).then === 'function') {
    return (result as any).then(
      (v: unknown) => {
        depth--;
        return v;
      },
      (e: unknown) => {
        depth--;
        throw e;
      },
    ) as T;
  }
  depth--;
  return result;
}

/** A NaN or Infinity found by anomaly detection. */
export class AnomalyError extends Error {
  constructor(
    message: string,
    /** The Function's name, e.g. 'LinearAct' (backward: the node's name, 'LinearActBackward'). */
    readonly op: string,
    readonly phase: 'forward' | 'backward',
    /** Forward: -1 (the output); backward: the forward argument whose gradient is bad. */
    readonly argument: number,
    /** Flat index of the first bad element and its value. */
    readonly index: number,
    readonly value: number,
  ) {
    super(message);
    this.name = 'AnomalyError';
  }
}

interface HasData {
  data: ArrayLike<number>;
  shape?: readonly number[];
}

function hasData(x: unknown): x is HasData {
  return typeof x === 'object' && x !== null && ArrayBuffer.isView((x as HasData).data);
}

function fmt(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** Called by Function.apply with the forward output; `args` are the forward arguments. */
export function checkForward(op: string, out: HasData, args: readonly unknown[]): void {
  const i = firstNonFinite(out.data);
  if (i < 0) return;
  const bad: number[] = [];
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    if (hasData(a) && firstNonFinite(a.data) >= 0) bad.push(k);
  }
  const v = out.data[i];
  const cause =
    bad.length === 0
      ? 'from finite inputs'
      : `; its input${bad.length > 1 ? 's' : ''} ${bad.join(', ')} already held NaN/Infinity (they came from outside the graph)`;
  throw new AnomalyError(
    `anomaly detected: ${op}.forward produced ${fmt(v)} (output element ${i}) ${cause}`.replace(' ;', ';'),
    op,
    'forward',
    -1,
    i,
    v,
  );
}

/** Called by the engine's callBackward with the gradients a node returned (one per forward argument). */
export function checkBackward(node: string, grads: readonly (HasData | null)[]): void {
  for (let k = 0; k < grads.length; k++) {
    const g = grads[k];
    if (!g) continue;
    const i = firstNonFinite(g.data);
    if (i < 0) continue;
    const v = g.data[i];
    throw new AnomalyError(
      `anomaly detected: ${node} returned ${fmt(v)} in the gradient of its argument ${k} (element ${i})`,
      node,
      'backward',
      k,
      i,
      v,
    );
  }
}
