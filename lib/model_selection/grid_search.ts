/**
 * Cross-validation and grid search, scikit-learn's model: ParameterGrid, crossValidate, GridSearchCV with
 * cvResults (params, splitK_test_score, mean/std/rank, fit times), refit, progress lines, AbortSignal, and
 * parallel trials on worker_threads (nJobs) with results identical to a sequential run.
 */
import * as os from 'os';
import { NeuralNetClassifier, asLabels, asMatrixAsync, isMlpModule, scoreInPieces } from '../train/classifier';
import type { FloatArray } from '../train/classifier';
import { StratifiedKFold, KFold, CvSplitter, Fold } from './split';
import { takeRows } from '../data/batch';
import { runTrialsInWorkers, TrialResult, TrialSpec } from './pool';
import { SearchProgress, type ProgressOutput } from './progress';
import type { Callback } from '../train/callbacks';
import { isCustom } from '../activations/custom';
import { describeTyped } from '../activations/validate';
import * as nn from '../nn';
import { checkOptionKeys, checkSignalOption, withContext, type SignalLike } from '../util/errors';
import { displayWidth, padColumns } from '../util/text';
import { backendEnv, watchKernels } from '../backend';

export type ParamGrid = Record<string, unknown[]> | Record<string, unknown[]>[];

/** The most candidates parameterGrid builds: a larger grid is a RangeError before any is built. */
export const MAX_GRID_CANDIDATES = 1_000_000;

/**
 * The candidates of a grid (sklearn's ParameterGrid): the cartesian product of each dict, dicts in order. More
 * than MAX_GRID_CANDIDATES in all is a RangeError naming the count, counted before any candidate is built.
 */
export function parameterGrid(grid: ParamGrid): Record<string, unknown>[] {
  const grids = Array.isArray(grid) ? grid : [grid];
  if (grids.length === 0) throw new RangeError('paramGrid must not be an empty list');
  const out: Record<string, unknown>[] = [];
  let total = 0;
  const sizes: string[] = [];
  grids.forEach((g, gi) => {
    const where = `paramGrid${Array.isArray(grid) ? `[${gi}]` : ''}`;
    if (typeof g !== 'object' || g === null || Array.isArray(g)) {
      throw new TypeError(`${where} must be an object of arrays like { module__activation: ['relu', 'tanh'] }, got ${g === null ? 'null' : Array.isArray(g) ? 'Array' : typeof g}`);
    }
    const keys = Object.keys(g).sort(); // sklearn iterates keys in sorted order
    for (const k of keys) {
      if (!Array.isArray(g[k])) throw new TypeError(`${where}.${k} must be an array of values, got ${g[k] === null ? 'null' : typeof g[k]}`);
      if (g[k].length === 0) throw new RangeError(`${where}.${k} must not be empty`);
    }
    const count = keys.reduce((p, k) => p * g[k].length, 1);
    total += count;
    const shown = keys.length > 8 ? [...keys.slice(0, 8).map((k) => g[k].length), '...'] : keys.map((k) => g[k].length);
    sizes.push(keys.length === 1 ? `1 key of size ${shown[0]}` : `${keys.length} keys of sizes ${shown.join(' x ')}`);
    if (total > MAX_GRID_CANDIDATES) {
      const big = total < Infinity ? `about ${total.toExponential(2)}` : 'over 1e308';
      const n = total <= Number.MAX_SAFE_INTEGER ? String(total) : big;
      throw new RangeError(
        `paramGrid has ${n} candidates (${sizes.join('; ')}), more than the ${MAX_GRID_CANDIDATES} a search ` +
          'can hold: use fewer keys or values, or search in stages',
      );
    }
    const rec = (i: number, acc: Record<string, unknown>): void => {
      if (i === keys.length) {
        out.push({ ...acc });
        return;
      }
      for (const v of g[keys[i]]) rec(i + 1, { ...acc, [keys[i]]: v });
    };
    rec(0, {});
  });
  return out;
}

export type Scoring = 'accuracy' | ((est: NeuralNetClassifier, X: FloatArray, y: Int32Array) => number);

export interface CvOptions {
  /** Number of folds (StratifiedKFold without shuffling, as sklearn does for classifiers) or a splitter [5]. */
  cv?: number | CvSplitter;
  scoring?: Scoring;
  /** Parallel fits on worker_threads [1]; -1 = one per core. */
  nJobs?: number;
  /** 0 silent, 1 one line per finished fit [default], 2 also the estimators' epoch tables. */
  verbose?: 0 | 1 | 2;
  /** Stops the search (an AbortSignal, or another implementation's; null: none). */
  signal?: SignalLike | null;
  /** Modules each worker requires first (e.g. one that registers custom activations). */
  requires?: string[];
  /**
   * A progress bar while the fits run, drawn when this stream is a TTY (true: process.stderr) and verbose is 0 or
   * 1: fits done of the total, each running fit's epoch of maxEpochs, elapsed time and an ETA, cleared before each
   * finished fit's line and at the end. Nothing is drawn on another stream (the lines alone) [false].
   */
  progress?: boolean | ProgressOutput;
  /** Called with each finished fit (progress). */
  onFit?: (r: TrialResult & { candidate: number; split: number; total: number; done: number }) => void;
}

function resolveCv(cv: CvOptions['cv']): CvSplitter {
  if (cv === undefined) return new StratifiedKFold({ nSplits: 5 });
  if (typeof cv === 'number') {
    if (!Number.isInteger(cv) || cv < 2) throw new RangeError(`cv must be an integer >= 2 or a splitter, got ${cv}`);
    return new StratifiedKFold({ nSplits: cv });
  }
  if (cv instanceof StratifiedKFold || cv instanceof KFold || (typeof cv === 'object' && typeof (cv as CvSplitter).split === 'function')) return cv;
  throw new TypeError('cv must be a number of folds or a splitter with split(n, y)');
}

/** Scorings this package computes (sklearn's names). */
const SCORINGS = ['accuracy'];

/** TypeError/RangeError unless scoring is undefined, a supported name or a function (est, X, y) => number. */
function checkScoring(scoring: unknown): void {
  if (scoring === undefined || typeof scoring === 'function') return;
  if (typeof scoring !== 'string') {
    throw new TypeError(
      `scoring must be ${SCORINGS.map((n) => `'${n}'`).join(' or ')} or a function (estimator, X, y) => number, ` +
        `got ${describeTyped(scoring)}`,
    );
  }
  if (!SCORINGS.includes(scoring)) {
    throw new RangeError(
      `scoring '${scoring}' is not supported (supported: ${SCORINGS.map((n) => `'${n}'`).join(', ')}; ` +
        'for another metric pass a function (estimator, X, y) => number)',
    );
  }
}

function resolveJobs(n: unknown): number {
  if (n === undefined || n === 1) return 1;
  if (typeof n !== 'number') throw new TypeError(`nJobs must be a positive integer or -1, got ${describeTyped(n)}`);
  if (n === -1) return Math.max(1, os.cpus().length);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`nJobs must be a positive integer or -1, got ${n}`);
  return n;
}

/**
 * TypeError/RangeError naming the option unless the options of crossValidate / GridSearchCV are well formed (checked
 * before any fit: a bad onFit or verbose would otherwise surface only after the first fit has run).
 */
function checkCvOptions(options: unknown, grid: boolean): CvOptions & GridSearchOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'Array' : describeTyped(options)}`);
  }
  const o = options as Record<string, unknown>;
  const known = ['cv', 'scoring', 'nJobs', 'verbose', 'signal', 'requires', 'progress', 'onFit'];
  if (grid) known.push('refit');
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new TypeError(`unknown option '${k}' (known: ${known.join(', ')})`);
  }
  resolveCv(o.cv as CvOptions['cv']);
  resolveJobs(o.nJobs);
  checkScoring(o.scoring);
  if (o.verbose !== undefined && o.verbose !== 0 && o.verbose !== 1 && o.verbose !== 2) {
    throw new RangeError(`verbose must be 0, 1 or 2, got ${describeTyped(o.verbose)}`);
  }
  checkSignalOption(o.signal, 'signal');
  if (o.requires !== undefined && (!Array.isArray(o.requires) || o.requires.some((r) => typeof r !== 'string'))) {
    throw new TypeError(`requires must be an array of module paths (strings), got ${describeTyped(o.requires)}`);
  }
  const p = o.progress;
  const stream = p !== null && typeof p === 'object' && typeof (p as ProgressOutput).write === 'function';
  if (p !== undefined && typeof p !== 'boolean' && !stream) {
    const got = describeTyped(p);
    throw new TypeError(`progress must be true, false or a stream (an object with write(text)), got ${got}`);
  }
  if (o.onFit !== undefined && typeof o.onFit !== 'function') {
    throw new TypeError(`onFit must be a function, got ${describeTyped(o.onFit)}`);
  }
  if (grid && o.refit !== undefined && typeof o.refit !== 'boolean') {
    throw new TypeError(`refit must be true or false, got ${describeTyped(o.refit)}`);
  }
  return o as CvOptions & GridSearchOptions;
}

/** The folds of a splitter; a RangeError when it yields none (every score would be NaN, every candidate first). */
function foldsOf(cv: CvSplitter, labels: Int32Array): Fold[] {
  const folds = [...cv.split(labels.length, labels)];
  if (folds.length === 0) throw new RangeError('cv: the splitter yielded no folds (split(n, y) gave nothing to fit)');
  return folds;
}

/**
 * Each candidate's estimator, with its MLP and optimizer built once when `build` (nothing is trained), so that a
 * bad module or optimizer parameter (an unknown activation, hidden: [0]) is an error before any fit, not after the
 * earlier candidates' fits have run. Only the built-in MLP ('mlp' or the class nn.MLP) is built: a custom module
 * class or factory is the user's code, called at fit. Returns the input width the candidates' MLPs share, or
 * undefined when it is not known or not shared.
 */
function candidateInputs(
  estimator: NeuralNetClassifier,
  candidates: Record<string, unknown>[],
  build: boolean,
): number | undefined {
  const widths = new Set<unknown>();
  for (const c of candidates) {
    const est = estimator.clone().setParams(c); // throws naming an unknown parameter
    const { module, module__inputs: inputs } = est.getParams();
    if (!isMlpModule(module)) {
      widths.add(undefined); // a custom module: its width is not known
      continue;
    }
    try {
      if (build) est.initialize();
    } catch (e) {
      // the message names the candidate: a grid's values are often modules or objects the error does not show
      throw withContext(e, briefParams(c));
    }
    widths.add(inputs);
  }
  const [w] = widths;
  return widths.size === 1 && typeof w === 'number' ? w : undefined;
}

/**
 * X as a matrix for y's labels; with the candidates' input width known, X must have exactly that many per row.
 * `build`: build the candidates' MLPs first (candidateInputs), where the constructor has not already. The
 * conversion (an array of rows, or float32 to float64) runs in pieces with the event loop let run and the signal
 * checked between them (a 30000 x 784 array of rows held it for 0.15 s in one piece).
 */
async function matrixFor(
  estimator: NeuralNetClassifier,
  candidates: Record<string, unknown>[],
  X: FloatArray | number[][],
  labels: Int32Array,
  build: boolean,
  signal: SignalLike | null | undefined,
): Promise<{ data: FloatArray; features: number }> {
  if (signal?.aborted) throw abortError(signal);
  const inputs = candidateInputs(estimator, candidates, build);
  // float64 where any fit trains in float64 (a grid over dtype): X rounded to float32 once would reach those fits
  // rounded; each fit converts the matrix to its own dtype (exactly, from float64)
  const wide = [estimator.getParams(), ...candidates].some((p) => p.dtype === 'float64');
  return asMatrixAsync(X, labels.length, wide ? 'float64' : 'float32', pauseFor(signal), 'X', inputs);
}

/** takeRows in pieces of 4096 rows with `pause` between them (a fold of 30000 MNIST rows, 94 MB, took ~40 ms). */
async function takeRowsInPieces(
  X: FloatArray,
  features: number,
  rows: Int32Array,
  pause: () => Promise<void>,
): Promise<FloatArray> {
  const out = X instanceof Float32Array ? new Float32Array(rows.length * features) : new Float64Array(rows.length * features);
  for (let from = 0; from < rows.length; from += 4096) {
    const to = Math.min(rows.length, from + 4096);
    takeRows(X, features, rows.subarray(from, to), out.subarray(from * features, to * features));
    await pause();
  }
  return out;
}

/** A turn of the event loop, then the abort check: what runs between the pieces of the synchronous work. */
function pauseFor(signal: SignalLike | null | undefined): () => Promise<void> {
  return async () => {
    await yieldNow();
    if (signal?.aborted) throw abortError(signal);
  };
}

function fmtParams(p: Record<string, unknown>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/** A candidate in an error message: module__activation=tanh, module__activation=Linear module, lr=0.1. */
function briefParams(p: Record<string, unknown>): string {
  const brief = (v: unknown): string => {
    if (v instanceof nn.Module) return `${v.constructor.name} module`;
    const s = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    return s.length > 60 ? s.slice(0, 60) + '…' : s;
  };
  const entries = Object.entries(p);
  return entries.length === 0 ? 'the estimator' : entries.map(([k, v]) => `${k}=${brief(v)}`).join(', ');
}

/** A parameter value in formatTable as given (1e-7, 8; not toFixed), an object as its JSON (as fmtParams does). */
function paramCell(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/**
 * The error of a fit or a scoring with `label` in front of its message (and its stack's first line), as a worker's
 * error is rebuilt with it: a new error of the same class with the same own fields (a TrainingDivergedError's
 * epoch, batch, layer; its cause). It is a real Error (new Error, then the class's prototype: structured clone and
 * util.types.isNativeError see one); a DOMException (a TimeoutError from AbortSignal.timeout) is rebuilt as one.
 * The thrown object itself is left as it was: a caller's error object may be thrown again by the next search,
 * which labelled it once more. An AbortError, or an error that cannot be copied, is returned as it is.
 */
function labelled(e: unknown, label: string): unknown {
  if (!(e instanceof Error) || e.name === 'AbortError') return e;
  try {
    const message = label + e.message;
    const stack = e.stack; // formatted now, with the old message
    let copy: Error;
    if (typeof DOMException === 'function' && e instanceof DOMException) {
      copy = new DOMException(message, e.name); // its name and code are getters on its own internal slots
    } else {
      copy = new Error(message, Object.hasOwn(e, 'cause') ? { cause: e.cause } : undefined);
      Object.setPrototypeOf(copy, Object.getPrototypeOf(e));
      for (const k of Reflect.ownKeys(e)) {
        if (k === 'message' || k === 'stack' || k === 'cause') continue;
        Object.defineProperty(copy, k, Object.getOwnPropertyDescriptor(e, k)!);
      }
    }
    if (typeof stack === 'string') {
      const head = `${e.name}: ${e.message}`;
      const rest = stack.startsWith(head) ? stack.slice(head.length) : `\n${stack.split('\n').slice(1).join('\n')}`;
      Object.defineProperty(copy, 'stack', {
        value: `${e.name}: ${message}${rest}`,
        writable: true,
        configurable: true,
        enumerable: false,
      });
    }
    return copy;
  } catch {
    return e; // an error object no copy can be made of: as thrown, without the label
  }
}

/** Lets timers, I/O and signal handlers run between the synchronous steps of a trial (each 50-200 ms on MNIST). */
const yieldNow = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

function abortError(signal?: SignalLike | null): Error {
  const e = new Error('grid search was aborted', signal?.reason === undefined ? undefined : { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

/**
 * The bar of options.progress, or null: no progress, a stream that is no TTY, or verbose 2 with the fits run one at
 * a time (their epoch tables are the progress then; the workers' come whole at the end of each fit).
 */
function progressBar(options: CvOptions, total: number): SearchProgress | null {
  const p = options.progress;
  if (p === undefined || p === false) return null;
  if ((options.verbose ?? 1) >= 2 && Math.min(resolveJobs(options.nJobs), total) <= 1) return null;
  const out: ProgressOutput = p === true ? process.stderr : p;
  return out.isTTY ? new SearchProgress(out, total) : null;
}

/** The kernels a search runs on: those in use when it was called (the workers are started later). */
interface SearchKernels {
  watch: ReturnType<typeof watchKernels>;
  env: Record<string, string>;
}

function searchKernels(): SearchKernels {
  return { watch: watchKernels(), env: backendEnv() };
}

/** An Error when setBackend/setIsa changed the kernels since the search began (its fits would mix them). */
function checkSearchKernels(k: SearchKernels): void {
  const to = k.watch.changedTo();
  if (to === null) return;
  throw new Error(
    `grid search: the kernels changed from ${k.watch.name} to ${to} while the search ran (setBackend or ` +
      'setIsa): its fits run on one backend and kernel family; change them before the search or after it settles',
  );
}

/** Runs every (candidate, fold) fit, sequentially or on workers; results in task order. */
async function runTrials(
  estimator: NeuralNetClassifier,
  X: FloatArray,
  features: number,
  y: Int32Array,
  candidates: Record<string, unknown>[],
  folds: Fold[],
  options: CvOptions,
  kernels: SearchKernels,
): Promise<TrialResult[]> {
  const bar = progressBar(options, candidates.length * folds.length);
  try {
    return await runTrialsShown(bar, estimator, X, features, y, candidates, folds, options, kernels);
  } finally {
    bar?.close(); // also on an abort or an error
  }
}

async function runTrialsShown(
  bar: SearchProgress | null,
  ...[estimator, X, features, y, candidates, folds, options, kernels]: Parameters<typeof runTrials>
): Promise<TrialResult[]> {
  const tasks: TrialSpec[] = [];
  candidates.forEach((params, ci) => folds.forEach((fold, si) => tasks.push({ candidate: ci, split: si, params, train: fold.train, test: fold.test })));
  const jobs = Math.min(resolveJobs(options.nJobs), tasks.length);
  const verbose = options.verbose ?? 1;
  let done = 0;
  const baseEpochs = estimator.getParams().maxEpochs as number;
  // each fit's maxEpochs: the candidate's, or the estimator's (a candidate's undefined leaves it, as in clone)
  const maxEpochs = (i: number): number => (tasks[i].params.maxEpochs as number | undefined) ?? baseEpochs;
  // what a fit's or a scoring's error starts with: the same [CV k/n] and parameters as its END line
  const taskLabel = (i: number): string => {
    const t = tasks[i];
    const params = Object.keys(t.params).length === 0 ? '' : ` ${briefParams(t.params)}`;
    return `[CV ${t.split + 1}/${folds.length}]${params}: `;
  };
  const report = (r: TrialResult): void => {
    done++;
    const print = (): void => {
      const t = tasks[r.index];
      options.onFit?.({ ...r, candidate: t.candidate, split: t.split, total: tasks.length, done });
      if (verbose >= 1) {
        console.log(
          `[CV ${t.split + 1}/${folds.length}] END ${fmtParams(t.params)}; score=${r.testScore.toFixed(4)} ` +
            `total time=${(r.fitTime + r.scoreTime).toFixed(1)}s (${done}/${tasks.length})`,
        );
      }
    };
    // the bar is cleared first: what onFit and the line print starts at the beginning of the line
    if (bar) bar.finished(r.index, print);
    else print();
  };
  if (jobs > 1) {
    if (typeof options.scoring === 'function') throw new TypeError('a scoring function cannot run on workers: use nJobs: 1 or scoring: "accuracy"');
    const custom = customActivationsIn([estimator.getParams(), ...candidates]);
    if (custom.length > 0 && (options.requires ?? []).length === 0) {
      // a TypeError, as every parameter the workers cannot rebuild is
      throw new TypeError(
        `the custom activation${custom.length > 1 ? 's' : ''} ${custom.map((n) => `'${n}'`).join(', ')} ` +
          `${custom.length > 1 ? 'are' : 'is'} registered in this thread only: pass requires: ['./module-that-registers-them.js'] ` +
          `so that the nJobs workers register ${custom.length > 1 ? 'them' : 'it'} too (or use nJobs: 1)`,
      );
    }
    return runTrialsInWorkers(estimator.getParams(), X, features, y, tasks, jobs, {
      signal: options.signal,
      backendEnv: kernels.env, // as when the search was called (the workers start after the conversion of X)
      requires: options.requires ?? [],
      estimatorVerbose: verbose >= 2 ? 1 : 0,
      onResult: report,
      taskLabel,
      printLog: (text: string) => {
        const write = (): void => void process.stdout.write(text);
        if (bar) bar.above(write);
        else write();
      },
      ...(bar && {
        onStart: (i: number) => bar.start(i, maxEpochs(i)),
        onEpoch: (i: number, epoch: number) => bar.epoch(i, epoch),
      }),
    });
  }
  const results: TrialResult[] = [];
  for (let i = 0; i < tasks.length; i++) {
    if (options.signal?.aborted) throw abortError(options.signal);
    const t = tasks[i];
    const est = estimator.clone({ ...t.params, verbose: verbose >= 2 ? 1 : 0 }); // its own copies of modules, callbacks
    const callbacks = est.getParams().callbacks as Callback[];
    if (bar) {
      bar.start(i, maxEpochs(i));
      // the clone's first fit: its history's epoch numbers count this fit's epochs
      const onEpoch: Callback = { onEpochEnd: (_, e) => bar.epoch(i, e.epoch) };
      est.setParams({ callbacks: [...callbacks, onEpoch] }); // for this fit only (taken off before scoring)
    }
    // The gathers and the scoring run in pieces with a yield between them, so that a Ctrl-C (an abort) or a timer
    // waits for one piece, not for all of them.
    const pause = pauseFor(options.signal);
    const Xtr = await takeRowsInPieces(X, features, t.train, pause);
    const Xte = await takeRowsInPieces(X, features, t.test, pause);
    const ytr = gatherLabels(y, t.train);
    const yte = gatherLabels(y, t.test);
    await pause();
    const t0 = performance.now();
    try {
      await est.fit(Xtr, ytr, { signal: options.signal });
    } catch (e) {
      // the search's AbortError ('grid search was aborted', as on workers), not the fit's
      if (options.signal?.aborted && e instanceof Error && e.name === 'AbortError') throw abortError(options.signal);
      throw labelled(e, taskLabel(i));
    }
    const t1 = performance.now();
    if (bar) est.setParams({ callbacks }); // a scoring function sees the callbacks the fit was given
    await pause();
    const t1s = performance.now();
    let score: number;
    try {
      // the default accuracy in pieces (the test rows in one predict held the event loop 0.14 s on MNIST)
      const s = typeof options.scoring === 'function'
        ? options.scoring(est, Xte, yte)
        : await scoreInPieces(est, Xte, yte, features, pause);
      if (typeof s !== 'number') {
        throw new TypeError(`scoring must return a number, got ${s === null ? 'null' : describeTyped(s)}`);
      }
      score = s;
    } catch (e) {
      throw labelled(e, taskLabel(i));
    }
    const t2 = performance.now();
    await yieldNow();
    const r: TrialResult = { index: i, testScore: score, fitTime: (t1 - t0) / 1000, scoreTime: (t2 - t1s) / 1000 };
    // each fit checks its own run; this, the whole task (the gathers before the fit, the scoring after it)
    checkSearchKernels(kernels);
    results.push(r);
    report(r);
  }
  return results;
}

/** The user-registered activation names among parameter values ('my_act', { name: 'my_act', ... }). */
function customActivationsIn(paramSets: Record<string, unknown>[]): string[] {
  const found = new Set<string>();
  const look = (v: unknown): void => {
    const name = typeof v === 'string'
      ? v
      : v !== null && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string'
        ? (v as { name: string }).name
        : null;
    if (name !== null && isCustom(name)) found.add(name);
  };
  for (const ps of paramSets) {
    for (const [k, v] of Object.entries(ps)) {
      look(v);
      // a moduleParams value ({ inputs, hidden, activation: 'my_act', ... }) names its activation inside
      if (k === 'moduleParams' && v !== null && typeof v === 'object') Object.values(v).forEach(look);
    }
  }
  return [...found];
}

function gatherLabels(y: Int32Array, idx: ArrayLike<number>): Int32Array {
  const out = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = y[idx[i]];
  return out;
}

function mean(a: number[]): number {
  return a.reduce((s, v) => s + v, 0) / a.length;
}
function std(a: number[]): number {
  const m = mean(a);
  return Math.sqrt(a.reduce((s, v) => s + (v - m) * (v - m), 0) / a.length);
}

/** sklearn's rankdata(method='min') on negated scores: ties share the best rank. */
function rankMin(scores: number[]): number[] {
  return scores.map((s) => 1 + scores.filter((o) => o > s || (Number.isNaN(s) && !Number.isNaN(o))).length);
}

export interface CrossValidateResult {
  test_score: number[];
  fit_time: number[];
  score_time: number[];
}

/** Fits and scores the estimator on each fold (sklearn's cross_validate). */
export async function crossValidate(
  estimator: NeuralNetClassifier,
  X: FloatArray | number[][],
  y: ArrayLike<number>,
  options: CvOptions = {},
): Promise<CrossValidateResult> {
  if (!(estimator instanceof NeuralNetClassifier)) throw new TypeError('estimator must be a NeuralNetClassifier');
  const opts = checkCvOptions(options, false);
  const kernels = searchKernels();
  // the estimator as it is now: a setParams on it while the folds run (from onFit, say) changes no fold, as on
  // workers, which are sent its parameters once
  const base = estimator.clone();
  const labels = asLabels(y);
  const { data, features } = await matrixFor(base, [{}], X, labels, true, opts.signal);
  const folds = foldsOf(resolveCv(opts.cv), labels);
  const r = await runTrials(base, data, features, labels, [{}], folds, opts, kernels);
  return { test_score: r.map((t) => t.testScore), fit_time: r.map((t) => t.fitTime), score_time: r.map((t) => t.scoreTime) };
}

export interface CvResultRow {
  params: Record<string, unknown>;
  [key: string]: unknown;
  mean_test_score: number;
  std_test_score: number;
  rank_test_score: number;
  mean_fit_time: number;
  std_fit_time: number;
  mean_score_time: number;
  std_score_time: number;
}

export interface GridSearchOptions extends CvOptions {
  /** Refit the best candidate on all the data (bestEstimator) [true]. */
  refit?: boolean;
}

/** The third argument of GridSearchCV#fit and #refitBest. */
export interface SearchFitOptions {
  /** Stops this call in place of the constructor's signal option (null: none; undefined: the constructor's). */
  signal?: SignalLike | null;
}

/** refitBest's options: fit's, and the refit's verbose. */
export interface RefitOptions extends SearchFitOptions {
  /** The refit estimator's verbose while it trains (0: quiet, the default; 1: its epoch table; 2: and a bar). */
  verbose?: 0 | 1 | 2;
}

/** The signal a fit or refitBest call uses: its own options.signal where given, else the constructor's. */
function searchSignal(
  options: unknown,
  where: string,
  fallback: SignalLike | null | undefined,
  keys: readonly string[] = ['signal'],
): SignalLike | null {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object like { signal }, got ${describeTyped(options)}`);
  }
  checkOptionKeys(options, keys, where);
  const sig = (options as SearchFitOptions).signal;
  checkSignalOption(sig, `${where}: options.signal`);
  return (sig === undefined ? fallback : sig) ?? null;
}

export class GridSearchCV {
  readonly candidates: Record<string, unknown>[];
  cvResults: CvResultRow[] = [];
  bestParams: Record<string, unknown> | null = null;
  bestScore: number | null = null;
  bestIndex: number | null = null;
  bestEstimator: NeuralNetClassifier | null = null;
  nSplits = 0;
  refitTime: number | null = null;

  constructor(
    readonly estimator: NeuralNetClassifier,
    readonly paramGrid: ParamGrid,
    readonly options: GridSearchOptions = {},
  ) {
    if (!(estimator instanceof NeuralNetClassifier)) throw new TypeError('estimator must be a NeuralNetClassifier');
    this.candidates = parameterGrid(paramGrid);
    checkCvOptions(options, true);
    // Fail early: on unknown parameter names (setParams throws naming them), and on bad module or optimizer
    // parameters (each candidate's MLP is built once, not trained).
    candidateInputs(estimator, this.candidates, true);
  }

  /**
   * Runs the search. `options.signal`, where given (not undefined), stops this fit (and its refit) in place of the
   * constructor's signal option, as NeuralNetClassifier#fit(X, y, { signal }) does.
   */
  async fit(X: FloatArray | number[][], y: ArrayLike<number>, options: SearchFitOptions = {}): Promise<this> {
    const signal = searchSignal(options, 'GridSearchCV.fit', this.options.signal);
    this.checkIdle('GridSearchCV.fit');
    const kernels = searchKernels();
    this.#running = true;
    try {
      return await this.run(X, y, signal, kernels);
    } finally {
      this.#running = false;
    }
  }

  /** A second fit or refitBest while one runs would mix two runs' results (and models): refused. */
  private checkIdle(where: string): void {
    if (this.#running) {
      throw new Error(`${where}: this search is already running (fit or refitBest): await it before calling again`);
    }
  }

  #running = false;
  /** The estimator as the last fit took it (its folds and refit used it): refitBest refits it. */
  #base: NeuralNetClassifier | null = null;

  private async run(
    X: FloatArray | number[][],
    y: ArrayLike<number>,
    signal: SignalLike | null,
    kernels: ReturnType<typeof searchKernels>,
  ): Promise<this> {
    // A fit that is stopped or fails must not leave the results of an earlier fit mixed with its own: everything
    // is reset first and set from this run only.
    this.resetResults();
    // The estimator as it is now, for every fold and the refit: a setParams on it while the search runs changes
    // nothing in this search (as on workers, which are sent its parameters once; as scikit-learn's clone at fit).
    const base = this.estimator.clone();
    this.#base = base;
    const labels = asLabels(y);
    const { data, features } = await matrixFor(base, this.candidates, X, labels, false, signal);
    const folds = foldsOf(resolveCv(this.options.cv), labels);
    const opts = { ...this.options, signal };
    const results = await runTrials(base, data, features, labels, this.candidates, folds, opts, kernels);
    const rows: CvResultRow[] = this.candidates.map((params, ci) => {
      const mine = results.filter((r, i) => Math.floor(i / folds.length) === ci);
      const scores = mine.map((r) => r.testScore);
      const row: CvResultRow = {
        params,
        mean_test_score: mean(scores),
        std_test_score: std(scores),
        rank_test_score: 0,
        mean_fit_time: mean(mine.map((r) => r.fitTime)),
        std_fit_time: std(mine.map((r) => r.fitTime)),
        mean_score_time: mean(mine.map((r) => r.scoreTime)),
        std_score_time: std(mine.map((r) => r.scoreTime)),
      };
      for (const [k, v] of Object.entries(params)) row[`param_${k}`] = v;
      scores.forEach((s, si) => (row[`split${si}_test_score`] = s));
      return row;
    });
    const ranks = rankMin(rows.map((r) => r.mean_test_score));
    rows.forEach((r, i) => (r.rank_test_score = ranks[i]));
    this.cvResults = rows;
    this.nSplits = folds.length;
    this.bestIndex = ranks.indexOf(1);
    this.bestParams = rows[this.bestIndex].params;
    this.bestScore = rows[this.bestIndex].mean_test_score;
    if (this.options.refit ?? true) await this.refit(base, data, labels, signal, 0);
    return this;
  }

  private resetResults(): void {
    this.#base = null;
    this.cvResults = [];
    this.bestParams = null;
    this.bestScore = null;
    this.bestIndex = null;
    this.bestEstimator = null;
    this.nSplits = 0;
    this.refitTime = null;
  }

  /**
   * Fits a copy of the estimator with bestParams on all of X, y (what fit does with refit on): sets bestEstimator
   * and refitTime (seconds). For a search run with refit: false, e.g. to keep its cvResults when the refit is
   * stopped (options.signal) or fails: bestEstimator and refitTime stay null then. `options.signal`, where given
   * (not undefined), stops the refit in place of the constructor's signal option; `options.verbose` is the refit's
   * (0, quiet, by default).
   */
  async refitBest(
    X: FloatArray | number[][],
    y: ArrayLike<number>,
    options: RefitOptions = {},
  ): Promise<NeuralNetClassifier> {
    const signal = searchSignal(options, 'GridSearchCV.refitBest', this.options.signal, ['signal', 'verbose']);
    const verbose = options.verbose ?? 0;
    if (verbose !== 0 && verbose !== 1 && verbose !== 2) {
      throw new RangeError(`GridSearchCV.refitBest: options.verbose must be 0, 1 or 2, got ${describeTyped(verbose)}`);
    }
    this.checkIdle('GridSearchCV.refitBest');
    if (this.bestParams === null) throw new Error('refitBest needs the results of fit first');
    this.#running = true;
    try {
      return await this.refit(this.#base ?? this.estimator, X, asLabels(y), signal, verbose);
    } finally {
      this.#running = false;
    }
  }

  private async refit(
    base: NeuralNetClassifier,
    X: FloatArray | number[][],
    labels: Int32Array,
    signal: SignalLike | null,
    verbose: number,
  ): Promise<NeuralNetClassifier> {
    const t0 = performance.now();
    const est = base.clone({ ...this.bestParams, verbose });
    // fit converts X to the best candidate's dtype (in pieces, the signal checked between them)
    await est.fit(X, labels, { signal });
    this.bestEstimator = est;
    this.refitTime = (performance.now() - t0) / 1000;
    return est;
  }

  /** cvResults as plain JSON rows (parameter objects such as activation specs kept as JSON). */
  toJSON(): Record<string, unknown> {
    return {
      candidates: this.candidates.length,
      nSplits: this.nSplits,
      bestParams: this.bestParams,
      bestScore: this.bestScore,
      bestIndex: this.bestIndex,
      refitTime: this.refitTime,
      cvResults: this.cvResults,
    };
  }

  /** A text table of cvResults, like the pandas view of cv_results_ in the seed notebook. */
  formatTable(): string {
    if (!this.cvResults.length) return '(no results: call fit first)';
    // The columns of every row: a list of grids gives rows with different param_* keys (blank where missing).
    const paramKeys = [...new Set(this.cvResults.flatMap((r) => Object.keys(r).filter((k) => k.startsWith('param_'))))];
    const splitKeys = Object.keys(this.cvResults[0]).filter((k) => /^split\d+_test_score$/.test(k));
    const cols = [...paramKeys, ...splitKeys, 'mean_test_score', 'std_test_score', 'rank_test_score', 'mean_fit_time'];
    const cell = (k: string, v: unknown): string => {
      if (v === undefined) return '';
      if (k.startsWith('param_')) return paramCell(v); // as given: 1e-7, 8
      if (typeof v !== 'number') return String(v);
      return k === 'rank_test_score' ? String(v) : k.endsWith('_time') ? v.toFixed(2) : v.toFixed(6);
    };
    const body = this.cvResults.map((r) => cols.map((k) => cell(k, r[k])));
    // in terminal columns, not UTF-16 units: a CJK value takes two a character, a combining accent none
    const widths = cols.map((c, i) => Math.max(displayWidth(c), ...body.map((b) => displayWidth(b[i]))));
    const line = (cells: string[]): string =>
      cells.map((c, i) => padColumns(c, widths[i], i < paramKeys.length ? 'end' : 'start')).join('  ');
    return [line(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
  }
}
