/**
 * Backend registry and selection, done once at load time:
 *  - native when a binary loads (local build or prebuilds/), else js;
 *  - SWISHNET_BACKEND=js|native forces one (native forced but missing throws, listing every place tried);
 *  - SWISHNET_ISA=scalar|avx2|neon forces the native kernel family.
 */
import type { Backend } from './types';
import { JsBackend } from './js';
import { loadNativeBinding } from './native/binding';
import { NativeBackend } from './native';
import { ACT_OPS } from './ops';
import { MAX_THREADS, kernelChanges } from './settings';
import { describeTyped } from '../activations/validate';

/** How to build the addon: in a checkout of swishnet, and in a project that depends on it. */
const BUILD_HINT =
  '`npm run build:native` in a checkout of swishnet, `npm rebuild swishnet` in a project that depends on it';

export type { Backend, FloatArray, DType, GemmEpilogue } from './types';
export { ACT_OPS, ActOp } from './ops';
export { JsBackend } from './js';
export { NativeBackend } from './native';

let jsBackend: JsBackend | null = null;
let nativeBackend: NativeBackend | null | undefined;
let active: Backend | null = null;

export function getJsBackend(): JsBackend {
  if (!jsBackend) jsBackend = new JsBackend();
  return jsBackend;
}

/** The native backend, or null when no binary loads. */
export function getNativeBackend(): NativeBackend | null {
  if (nativeBackend !== undefined) return nativeBackend;
  const r = loadNativeBinding();
  if (!r.binding) {
    nativeBackend = null;
    return null;
  }
  const nb = new NativeBackend(r.binding, r.path!);
  const names = nb.info().activations;
  if (names.length !== ACT_OPS.length || names.some((n, i) => n !== ACT_OPS[i])) {
    throw new Error(
      `swishnet: native binding at ${r.path} has a different activation table ` +
        `(${names.join(',')}) than this TypeScript layer (${ACT_OPS.join(',')}); rebuild it (${BUILD_HINT})`,
    );
  }
  const isa = process.env.SWISHNET_ISA;
  if (isa) {
    const available = nb.info().isas;
    if (!available.includes(isa)) {
      throw new RangeError(
        `SWISHNET_ISA=${isa} is not available here; available kernel families: ${available.join(', ')}`,
      );
    }
    nb.setIsa(isa);
  }
  const threads = process.env.SWISHNET_THREADS;
  if (threads) {
    const t = Number(threads);
    if (!Number.isInteger(t) || t < 1 || t > MAX_THREADS) {
      throw new RangeError(`SWISHNET_THREADS must be an integer in [1, ${MAX_THREADS}], got '${threads}'`);
    }
    nb.setThreads(t);
  }
  nativeBackend = nb;
  return nb;
}

function select(): Backend {
  const forced = process.env.SWISHNET_BACKEND;
  if (forced && forced !== 'js' && forced !== 'native') {
    throw new RangeError(`SWISHNET_BACKEND must be 'js' or 'native', got '${forced}'`);
  }
  if (forced === 'js') return getJsBackend();
  const nb = getNativeBackend();
  if (nb) return nb;
  // a binary named by SWISHNET_NATIVE_PATH is asked for as much as SWISHNET_BACKEND=native: no silent fallback
  const explicit = process.env.SWISHNET_NATIVE_PATH;
  if (forced === 'native' || explicit) {
    const why = forced === 'native' ? 'SWISHNET_BACKEND=native' : `SWISHNET_NATIVE_PATH=${explicit}`;
    throw nativeUnavailable(why, `unset ${why.split('=')[0]}`);
  }
  return getJsBackend();
}

/**
 * @internal The error for a native backend that was asked for (`why`: by what) and cannot be loaded: every place
 * tried and why, how to build one, and how to use the TypeScript backend instead (`instead`).
 */
export function nativeUnavailable(why: string, instead: string): Error {
  const r = loadNativeBinding();
  return new Error(
    `swishnet: ${why} but no native binary could be loaded. Tried:\n` +
      r.errors.map((e) => `  - ${e}`).join('\n') +
      `\nBuild it with ${BUILD_HINT} (needs a C++ compiler) or ${instead} to use the TypeScript backend.`,
  );
}

/** The backend every op uses. */
export function backend(): Backend {
  if (!active) active = select();
  return active;
}

/** The methods every Backend has (those of the TypeScript one). */
function backendMethods(): string[] {
  const names = new Set<string>();
  for (let o: object | null = getJsBackend(); o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) {
      if (k !== 'constructor' && typeof (o as Record<string, unknown>)[k] === 'function') names.add(k);
    }
  }
  return [...names];
}

/** setBackend's argument, checked before the active backend changes (a typo would leave no working backend). */
function checkBackendArg(b: unknown): void {
  if (b === 'js' || b === 'native') return;
  if (typeof b === 'string') throw new RangeError(`setBackend: 'b' must be 'js' or 'native', got '${b}'`);
  if (typeof b !== 'object' || b === null) {
    throw new TypeError(`setBackend: 'b' must be 'js', 'native' or a Backend object, got ${describeTyped(b)}`);
  }
  const missing = backendMethods().filter((k) => typeof (b as Record<string, unknown>)[k] !== 'function');
  if (missing.length > 0) {
    const some = missing.slice(0, 4).join(', ') + (missing.length > 4 ? `, ... (${missing.length} in all)` : '');
    throw new TypeError(`setBackend: 'b' is not a Backend: it lacks the methods ${some}`);
  }
}

/**
 * Switch backends at run time (tests and benchmarks); returns the previous one. setBackend('js') also works where
 * the environment's choice fails (SWISHNET_BACKEND=native without a binary): the previous one is then js.
 */
export function setBackend(b: Backend | 'js' | 'native'): Backend {
  checkBackendArg(b);
  let prev: Backend;
  try {
    prev = backend();
  } catch (e) {
    if (b !== 'js' && b !== getJsBackend()) throw e;
    prev = getJsBackend();
  }
  if (b === 'js') active = getJsBackend();
  else if (b === 'native') {
    const nb = getNativeBackend();
    if (!nb) throw nativeUnavailable("setBackend('native') was called", "call setBackend('js')");
    active = nb;
  } else active = b;
  kernelChanges.count++;
  return prev;
}

/** The kernels in use, for messages: 'native (avx2)', 'native (scalar)', 'js'. */
export function kernelsInUse(): string {
  const b = backend();
  return b.isa === b.name ? b.name : `${b.name} (${b.isa})`;
}

/**
 * The kernels in use now, and a check that they still are: `changedTo()` gives the kernels in use when setBackend
 * or setIsa has switched to others since, else null. It reads a counter, and the kernels themselves (an N-API call
 * for native, ~5 us) only after a call of either, once: a fit checks it at every batch.
 */
export function watchKernels(): { readonly name: string; changedTo(): string | null } {
  const name = kernelsInUse();
  let seen = kernelChanges.count;
  return {
    name,
    changedTo(): string | null {
      if (kernelChanges.count === seen) return null;
      const now = kernelsInUse();
      if (now !== name) return now;
      seen = kernelChanges.count; // switched and back, or set to the same: no change
      return null;
    },
  };
}

/**
 * The environment variables that make a worker thread (grid search nJobs) use the backend this thread uses now,
 * setBackend() included, and for native its kernel family (setIsa() included). Empty for a Backend object of the
 * caller's own: a worker then chooses as this process did at load.
 */
export function backendEnv(): Record<string, string> {
  const b = backend();
  if (b === jsBackend) return { SWISHNET_BACKEND: 'js' };
  if (nativeBackend && b === nativeBackend) return { SWISHNET_BACKEND: 'native', SWISHNET_ISA: nativeBackend.isa };
  return {};
}
