/**
 * Parallel trials on worker_threads: the data go to the workers once through SharedArrayBuffers; each worker
 * builds the estimator from its (serializable) parameters, uses one GEMM thread (more once other workers have
 * run out of tasks), and fits the tasks it is handed. Results come back in task order, so a parallel search
 * equals the sequential one for the same seeds.
 */
import { MAX_THREADS } from '../backend/settings';
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { TrainingDivergedError } from '../train/classifier';
import type { FloatArray } from '../train/classifier';
import { callbackFromSpec, callbackSpec } from '../train/callbacks';
import type { Callback, CallbackSpec } from '../train/callbacks';
import { AnomalyError } from '../autograd/anomaly';
import { PACKAGE_ROOT } from '../backend/native/binding';
import { backendEnv } from '../backend';
import { resolveRequire } from '../util/resolve';
import type { SignalLike } from '../util/errors';
import { MLP } from '../nn/mlp';
import { Module } from '../nn/module';
import { Rng } from '../util/random';
import type { ModuleJSON, StateDict } from '../nn/module';
import { applyModuleExtras, fromJSON, moduleExtras, type ModuleExtras } from '../nn/from_json';

export interface TrialSpec {
  candidate: number;
  split: number;
  params: Record<string, unknown>;
  train: Int32Array;
  test: Int32Array;
}

export interface TrialResult {
  index: number;
  testScore: number;
  fitTime: number;
  scoreTime: number;
  /** GEMM threads the fit ended with (workers start with 1 and may get more when others run out of tasks). */
  threads?: number;
}

export function workerScript(): string {
  const here = path.join(__dirname, 'worker.js');
  if (fs.existsSync(here)) return here;
  // Running from TypeScript sources (ts-jest): use the compiled worker.
  const built = path.join(PACKAGE_ROOT, 'dist', 'model_selection', 'worker.js');
  if (fs.existsSync(built)) return built;
  throw new Error('swishnet: parallel grid search needs the compiled package (run `npm run build:ts`)');
}

/**
 * Marks a Module sent to a worker as its architecture (Module.toJSON, shared modules and parameters included),
 * state (stateDict) and what nn.copyModule also keeps (frozen parameters, eval mode, rng states).
 */
const MODULE_TAG = '__swishnetModule';

interface SentModule {
  [MODULE_TAG]: ModuleJSON;
  state: StateDict;
  extras: ModuleExtras;
}

/** The module a worker builds from a SentModule: the copy nn.copyModule makes of the module sent. */
function receivedModule(s: SentModule): Module {
  return applyModuleExtras(fromJSON(s[MODULE_TAG]).loadStateDict(s.state), s.extras);
}

/** The class name of a value, for error messages. */
function className(v: unknown): string {
  const c = v !== null && typeof v === 'object' ? (v as { constructor?: { name?: string } }).constructor : undefined;
  return c?.name || (v === null ? 'null' : typeof v);
}

/**
 * A built-in callback as it crosses to a worker: its spec, with the standard stream left out (the worker's own
 * stdout/stderr reach this process's). TypeError, naming it, for a callback a worker cannot rebuild.
 */
function sendableCallback(cb: unknown, where: string): CallbackSpec {
  const s = cb !== null && typeof cb === 'object' ? callbackSpec(cb as Callback) : null;
  if (s === null) {
    throw new TypeError(
      `${where} (${className(cb)}) is not a built-in callback (EarlyStopping, Checkpoint, PrintLog, ProgressBar) ` +
        'and cannot be rebuilt on a worker: use nJobs: 1',
    );
  }
  if (s.type === 'Checkpoint' && s.options.file !== undefined) {
    throw new TypeError(
      `${where}: a Checkpoint with a file would be written by every worker's fits at once: use nJobs: 1, ` +
        'or a Checkpoint without file',
    );
  }
  if (s.type === 'PrintLog' || s.type === 'ProgressBar') {
    const std = s.type === 'PrintLog' ? 'stdout' : 'stderr';
    if (s.options.out !== process[std]) {
      throw new TypeError(
        `${where}: a ${s.type} writing to a stream other than process.${std} cannot run on a worker: use nJobs: 1`,
      );
    }
    const { out: _out, ...options } = s.options;
    return { ...s, options } as CallbackSpec;
  }
  return s;
}

/**
 * A parameter value as it crosses to a worker (structured clone): built-in callbacks travel as their specs and
 * Modules as their architecture and state (a fresh copy per fit, as clone() gives each sequential fit); other
 * objects with toJSON (Activation objects from activations.get) as their JSON, { name, ...params }, which the
 * worker resolves by name. Functions, custom callbacks and custom Modules cannot cross (a TypeError naming them).
 */
function transferable(key: string, v: unknown): unknown {
  if (key === 'module' && v === MLP) return 'mlp'; // the built-in class, by the name the classifier also takes
  if (typeof v === 'function') throw new TypeError(`parameter '${key}' is a function and cannot be sent to a worker: use nJobs: 1`);
  if (key === 'callbacks' && Array.isArray(v)) return v.map((cb, i) => sendableCallback(cb, `callbacks[${i}]`));
  if (key === 'moduleParams' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, mv]) => [k, transferable(`moduleParams.${k}`, mv)]));
  }
  if (v instanceof Rng) {
    // sequential fits share the one stream (each goes on where the last stopped); a worker would get a copy
    throw new TypeError(
      `parameter '${key}' is an Rng, whose one stream the fits share: workers cannot, so their scores would differ ` +
        'from nJobs: 1. Give a seed instead, or use nJobs: 1',
    );
  }
  if (v instanceof Module) {
    try {
      const sent: SentModule = { [MODULE_TAG]: v.toJSON(), state: v.stateDict(), extras: moduleExtras(v) };
      receivedModule(sent); // what the worker will do (it reads sent, never changes it), here, before any fit
      return sent;
    } catch (e) {
      throw new TypeError(
        `parameter '${key}' is a ${className(v)} module, which a worker cannot rebuild (${(e as Error).message}): ` +
          'use nJobs: 1',
      );
    }
  }
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    return (v as { toJSON(): unknown }).toJSON();
  }
  return v;
}

/**
 * transferable(key, v), checked by a structured clone here, before any worker starts: a value postMessage cannot
 * copy (a Proxy, such as a framework's reactive state; a symbol) is a TypeError naming its parameter, not a
 * DataCloneError from the middle of the search.
 */
function sendable(key: string, v: unknown): unknown {
  const sent = transferable(key, v);
  try {
    structuredClone(sent);
  } catch (e) {
    throw new TypeError(
      `parameter '${key}' cannot be copied to a worker (${(e as Error).message}): give plain data, or use nJobs: 1`,
    );
  }
  return sent;
}

/** A worker's parameters as the classifier takes them: each callback and Module rebuilt (new ones per call). */
export function receivedParams(params: Record<string, unknown>): Record<string, unknown> {
  const value = (key: string, v: unknown): unknown => {
    if (key === 'callbacks' && Array.isArray(v)) return v.map((s: CallbackSpec) => callbackFromSpec(s));
    if (v === null || typeof v !== 'object') return v;
    if (key === 'moduleParams') return Object.fromEntries(Object.entries(v).map(([k, mv]) => [k, value(k, mv)]));
    if (MODULE_TAG in v) return receivedModule(v as SentModule);
    return v;
  };
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, value(k, v)]));
}

/** The fields of an error that cross to this thread (own primitive values: epoch, batch, layer, ...). */
export function errorFields(e: Error): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'name' || k === 'message' || k === 'stack') continue;
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) out[k] = v;
  }
  return out;
}

/** An error as it crosses from a worker: name, message, stack, fields, and its cause the same way. */
export interface SentError {
  name: unknown;
  message: unknown;
  stack?: unknown;
  fields?: Record<string, any>;
  /** An Error cause as a SentError (causes of causes too, a few deep); another cause as String(cause). */
  cause?: SentError | string;
}

/** The error `e` of a worker as it is posted to this thread (see workerError). */
export function sentError(e: unknown, depth = 0): SentError {
  const err = e instanceof Error ? e : new Error(String(e));
  const { name, message, stack } = err;
  const out: SentError = { name, message, stack, fields: errorFields(err) };
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined && depth < 4) {
    out.cause = cause instanceof Error ? sentError(cause, depth + 1) : String(cause);
  }
  return out;
}

/**
 * A worker's error in this thread, of the class it had there (TrainingDivergedError with its epoch, batch and
 * layer, AnomalyError, TypeError, RangeError; another error keeps its name and fields on an Error), with its
 * cause rebuilt the same way.
 */
export function workerError(m: SentError, prefix = 'grid search worker failed: '): Error {
  const message = `${prefix}${String(m.message)}`;
  const f = m.fields ?? {};
  let e: Error;
  if (m.name === 'TrainingDivergedError') e = new TrainingDivergedError(message, f.epoch, f.batch, f.layer);
  else if (m.name === 'AnomalyError') e = new AnomalyError(message, f.op, f.phase, f.argument, f.index, f.value);
  else if (m.name === 'TypeError') e = new TypeError(message);
  else if (m.name === 'RangeError') e = new RangeError(message);
  else {
    e = Object.assign(new Error(message), f);
    if (typeof m.name === 'string' && m.name !== '') e.name = m.name;
  }
  // Keep this message first (a printed stack starts with it) and the worker's frames after it.
  const frames = String(m.stack ?? '').split('\n').filter((l: string) => /^\s+at /.test(l));
  e.stack = [`${e.name}: ${e.message}`, ...frames].join('\n');
  if (m.cause !== undefined) {
    const cause = typeof m.cause === 'string' ? m.cause : workerError(m.cause, '');
    Object.defineProperty(e, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  }
  return e;
}

/** Bytes copied between two yields of toShared (full MNIST X, 188 MB, copies in ~200 ms). */
const SHARE_CHUNK = 16 << 20;

/** A copy of a in a SharedArrayBuffer, made in chunks with the event loop let run between them. */
async function toShared(a: FloatArray | Int32Array): Promise<SharedArrayBuffer> {
  const sab = new SharedArrayBuffer(a.byteLength);
  const src = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const dst = new Uint8Array(sab);
  for (let o = 0; o < src.length; o += SHARE_CHUNK) {
    if (o > 0) await new Promise<void>((r) => setImmediate(r));
    dst.set(src.subarray(o, o + SHARE_CHUNK), o);
  }
  return sab;
}

export async function runTrialsInWorkers(
  estimatorParams: Record<string, unknown>,
  X: FloatArray,
  features: number,
  y: Int32Array,
  tasks: TrialSpec[],
  jobs: number,
  opts: {
    signal?: SignalLike | null;
    requires: string[];
    estimatorVerbose: 0 | 1;
    onResult?: (r: TrialResult) => void;
    /** A task was handed to a worker. */
    onStart?: (index: number) => void;
    /** Task `index` finished `epoch` epochs (the workers report them only when this is given). */
    onEpoch?: (index: number, epoch: number) => void;
    /** What an error of task `index` starts with ('[CV 2/3] lr=0.1: '); other worker errors say the worker failed. */
    taskLabel?: (index: number) => string;
    /** The backend's environment for the workers (default: backendEnv() now). */
    backendEnv?: Record<string, string>;
    /** Writes a task's epoch tables (default: to stdout), right before its result or error is handled. */
    printLog?: (text: string) => void;
  },
): Promise<TrialResult[]> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(estimatorParams)) params[k] = sendable(k, v);
  const init = {
    type: 'init',
    X: await toShared(X),
    dtype: X instanceof Float32Array ? 'float32' : 'float64',
    features,
    y: await toShared(y),
    params,
    requires: opts.requires.map(resolveRequire),
    verbose: opts.estimatorVerbose,
    // the epoch tables come back in each task's result message and are printed here: colored as a PrintLog on
    // this stdout is
    color: !!process.stdout.isTTY,
    progress: opts.onEpoch !== undefined,
  };
  const script = workerScript();
  // One GEMM thread each, and the backend (and native ISA) this thread uses now, setBackend() included.
  const workerEnv = { ...process.env, ...(opts.backendEnv ?? backendEnv()), SWISHNET_THREADS: '1' };
  const results: TrialResult[] = new Array(tasks.length);
  let next = 0;
  let finished = 0;
  const workers: Worker[] = [];
  const retired = new Set<Worker>(); // terminated by us (no task left): their exit code 1 is expected
  const taskParams = tasks.map((t) => Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, sendable(k, v)])));

  return new Promise<TrialResult[]>((resolve, reject) => {
    let settled = false;
    let stopWatching = (): void => {}; // the abort listener's removal (set below)
    // Settles only after every worker has exited, so no worker outlives the search (nor an aborted one).
    const finish = (fn: () => void): void => {
      settled = true;
      stopWatching();
      for (const w of workers) retired.add(w);
      void Promise.allSettled(workers.map((w) => w.terminate())).then(fn);
    };
    const fail = (e: Error): void => {
      if (settled) return;
      finish(() => reject(e));
    };
    const onAbort = (): void => {
      const reason = opts.signal?.reason;
      const e = new Error('grid search was aborted', reason === undefined ? undefined : { cause: reason });
      e.name = 'AbortError';
      fail(e);
    };
    if (opts.signal?.aborted) return onAbort();
    // A signal of another implementation may have no addEventListener: it is polled then (every 50 ms).
    const sig = opts.signal;
    if (sig instanceof EventTarget) {
      sig.addEventListener('abort', onAbort, { once: true });
      stopWatching = () => sig.removeEventListener('abort', onAbort);
    } else if (sig) {
      const poll = setInterval(() => {
        if (sig.aborted) onAbort();
      }, 50);
      stopWatching = () => clearInterval(poll);
    }

    const post = (w: Worker, message: unknown): boolean => {
      try {
        w.postMessage(message);
        return true;
      } catch (e) {
        fail(e instanceof Error ? e : new Error(String(e)));
        return false;
      }
    };
    // Workers that are fitting. When one runs out of tasks, its GEMM thread goes to those still fitting (the
    // last fits of a search otherwise leave cores idle); thread counts change speed only, never results.
    const busy = new Set<Worker>();
    const dispatch = (w: Worker): void => {
      if (next >= tasks.length) {
        busy.delete(w);
        retired.add(w);
        void w.terminate();
        if (busy.size > 0) {
          const n = Math.min(MAX_THREADS, Math.max(1, Math.floor(jobs / busy.size)));
          for (const b of busy) b.postMessage({ type: 'threads', n });
        }
        return;
      }
      busy.add(w);
      const i = next++;
      const t = tasks[i];
      // (sendable checked the parameters; a failure here still rejects the search rather than escaping from
      // the message listener as an uncaught exception)
      if (!post(w, { type: 'task', index: i, params: taskParams[i], train: t.train, test: t.test })) return;
      opts.onStart?.(i);
    };
    for (let j = 0; j < jobs; j++) {
      const w = new Worker(script, { env: workerEnv });
      workers.push(w);
      w.on('message', (m: any) => {
        if (settled) return; // aborted or failed: late results are dropped
        // the task's epoch tables, right before its result (END line) or error
        if (m.log) (opts.printLog ?? ((t: string) => void process.stdout.write(t)))(m.log);
        if (m.type === 'result') {
          results[m.index] = { index: m.index, testScore: m.testScore, fitTime: m.fitTime, scoreTime: m.scoreTime, threads: m.threads };
          finished++;
          // The caller's onFit runs inside this listener: a throw there must reject the search (as it does in a
          // sequential one), not escape as an uncaught exception that takes the process down.
          try {
            opts.onResult?.(results[m.index]);
          } catch (e) {
            fail(e instanceof Error ? e : new Error(String(e)));
            return;
          }
          if (finished === tasks.length) finish(() => resolve(results));
          else dispatch(w);
        } else if (m.type === 'error') {
          fail(typeof m.index === 'number' && opts.taskLabel ? workerError(m, opts.taskLabel(m.index)) : workerError(m));
        } else if (m.type === 'epoch') {
          opts.onEpoch?.(m.index, m.epoch);
        }
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (!settled && !retired.has(w) && finished < tasks.length) fail(new Error(`grid search worker exited with code ${code}`));
      });
      if (!post(w, init)) return;
      dispatch(w);
    }
  });
}
