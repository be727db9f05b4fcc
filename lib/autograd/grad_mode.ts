/**
 * Grad mode: whether operations record autograd nodes. A JS-side flag (Node runs one JS thread per isolate, and
 * each worker_thread has its own module instance, so this is per-thread state like PyTorch's).
 */
let enabled = true;

/** True when operations on tensors that require grad are being recorded. */
export function isGradEnabled(): boolean {
  return enabled;
}

/** Sets grad mode and returns the previous value. Prefer noGrad(fn) / enableGrad(fn). */
export function setGradEnabled(on: boolean): boolean {
  if (typeof on !== 'boolean') throw new TypeError(`setGradEnabled: 'on' must be a boolean, got ${typeof on}`);
  const prev = enabled;
  enabled = on;
  return prev;
}

/**
 * fn run with recording on or off, the mode restored after. The mode is process-wide, so it cannot span an await:
 * an fn that returns a Promise is a TypeError (what it runs after its first await would see the outer mode).
 */
function withMode<T>(on: boolean, fn: () => T, where: string): T {
  if (typeof fn !== 'function') throw new TypeError(`${where}: 'fn' must be a function, got ${typeof fn}`);
  const prev = enabled;
  enabled = on;
  let r: T;
  try {
    r = fn();
  } finally {
    enabled = prev;
  }
  if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
    // fn has run up to its first await and goes on: its promise is the error's `promise` (a rejection no one
    // awaits is kept from crashing the process; awaiting e.promise sees it)
    const promise = r as unknown as Promise<unknown>;
    promise.then(undefined, () => undefined);
    const e = new TypeError(
      `${where}: 'fn' returned a Promise, but the grad mode is process-wide and cannot span an await (the code after ` +
        `its first await runs with gradients ${prev ? 'on' : 'off'}); call ${where} around the synchronous parts. ` +
        "fn has started and keeps running: its promise is this error's 'promise'",
    );
    Object.defineProperty(e, 'promise', { value: promise, enumerable: false, configurable: true, writable: true });
    throw e;
  }
  return r;
}

/** Runs fn with gradient recording disabled (torch.no_grad()); returns what fn returns (fn must be synchronous). */
export function noGrad<T>(fn: () => T): T {
  return withMode(false, fn, 'noGrad');
}

/** Runs fn with gradient recording enabled (torch.enable_grad()), even inside noGrad (fn must be synchronous). */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn, 'enableGrad');
}
