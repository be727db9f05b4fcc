/**
 * NeuralNetClassifier — skorch's NeuralNetClassifier for swishnet: fit/predict/score on typed arrays, a
 * stratified 80/20 validation split, per-epoch history, callbacks, get/set params with `module__x` /
 * `optimizer__x` names (so grid search can vary anything), save/load, AbortSignal, and an event loop that
 * keeps turning while it trains.
 */
import * as fs from 'fs';
import * as path from 'path';
import { constants as bufferConstants } from 'buffer';
import { tensor, noGrad, setGradEnabled, Tensor } from '../autograd';
import { alloc, firstNonFinite, fmtShape, multiIndex, sameShape } from '../autograd/util';
import * as nn from '../nn';
import { crossEntropy } from '../ops';
import { SGD, Adam, AdamW } from '../optim';
import { checkSeed, Purpose, Rng, streamFor, type RngState } from '../util/random';
import { backend, watchKernels } from '../backend';
import { trainValidSplit } from '../data/split';
import { has as hasActivation } from '../activations';
import { describeTyped } from '../activations/validate';
import { checkSignalOption, type SignalLike } from '../util/errors';
import { moduleExtras } from '../nn/from_json';
import { History, BatchRecord, checkRecords, described } from './history';
import { Callback, copyCallback, PrintLog, ProgressBar, TrainEndInfo, TrainerView } from './callbacks';
import { checkOutputFile, writeFileAtomic } from '../util/files';

export type FloatArray = Float32Array | Float64Array;

/** @internal The longest string toModelJSON may build (V8's limit; lowered by a test). */
export const saveLimits = { maxString: bufferConstants.MAX_STRING_LENGTH };
/**
 * What a module factory gets: moduleParams, with the fit's seed and dtype filled in where moduleParams does not
 * set them (seed it with params.seed: `new nn.Dropout(p, { seed: params.seed })`, or several Dropout layers with
 * one `{ rng: streamFor(params.seed, Purpose.dropout) }`).
 */
export interface ModuleFactoryParams {
  seed: number;
  dtype: 'float32' | 'float64';
  [key: string]: unknown;
}
export type ModuleFactory = (params: ModuleFactoryParams) => nn.Module;
type ModuleCtor = new (params: any) => nn.Module;

export interface NeuralNetClassifierOptions {
  /** A Module class (constructed with moduleParams), a factory, or 'mlp' [nn.MLP]. */
  module?: ModuleCtor | ModuleFactory | 'mlp';
  /** Constructor parameters of the module (grid search names them module__x). */
  moduleParams?: Record<string, unknown>;
  /**
   * The loss: cross-entropy from logits, the only one a classifier trains with [default]: 'cross_entropy', the
   * class nn.CrossEntropyLoss (skorch's criterion=nn.CrossEntropyLoss) or an instance with its default options.
   */
  criterion?: 'cross_entropy' | typeof nn.CrossEntropyLoss | nn.CrossEntropyLoss;
  /**
   * 'sgd' [default], 'adam' or 'adamw', or an optimizer class taking (params, options). save() writes SGD, Adam
   * and AdamW by name; another class is left out of the file (with a note in it): a loaded model predicts
   * without it, and trains further with the default optimizer unless one is set.
   */
  optimizer?: 'sgd' | 'adam' | 'adamw' | (new (params: Tensor[], options: any) => OptimizerLike);
  lr?: number;
  /** Optimizer options besides lr (grid search names them optimizer__x), e.g. { momentum: 0.95 }. */
  optimizerParams?: Record<string, unknown>;
  maxEpochs?: number;
  batchSize?: number;
  /** Validation fraction for the stratified split [0.2, skorch's ValidSplit(5)]; 0 or null: no validation. */
  trainSplit?: number | null;
  /** Shuffle the training set each epoch [true]. */
  shuffle?: boolean;
  /** Seed for weight init, shuffling and dropout [0]: a safe integer. The validation split is not seeded. */
  seed?: number;
  callbacks?: Callback[];
  /** 0: silent, 1: the epoch table [default], 2: also a progress bar on a TTY. */
  verbose?: 0 | 1 | 2;
  dtype?: 'float32' | 'float64';
  /** Keep the current weights on the next fit instead of re-initializing. */
  warmStart?: boolean;
  /** skorch-style flat names, as grid search uses them: module__activation: 'tanh' is moduleParams.activation. */
  [moduleParam: `module__${string}`]: unknown;
  /** optimizer__momentum: 0.9 is optimizerParams.momentum. */
  [optimizerParam: `optimizer__${string}`]: unknown;
}

export interface OptimizerLike {
  step(): void;
  /** setToNone false: keep the .grad buffers, zero-filled (optimizers that ignore it still work). */
  zeroGrad(setToNone?: boolean): void;
}

export interface FitOptions {
  /**
   * An AbortSignal (or another implementation's: an object with a boolean `aborted`); null: none. Aborting stops
   * training at the next yield (about every 10 ms), the preparation of X included: the callbacks' onTrainEnd runs
   * with { aborted: true } (when training had begun), then the call rejects with an AbortError.
   */
  signal?: SignalLike | null;
  /** Explicit validation data instead of the split. */
  validation?: { X: FloatArray | number[][]; y: ArrayLike<number> } | null;
}

/** Training produced NaN or Infinity, or an epoch's mean loss over DIVERGED_LOSS_FACTOR times a uniform guess's. */
export class TrainingDivergedError extends Error {
  constructor(
    message: string,
    readonly epoch: number,
    readonly batch: number,
    readonly layer: string | null,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'TrainingDivergedError';
  }
}

/** fit() stops with a TrainingDivergedError when an epoch's mean train_loss exceeds this many times ln(classes). */
export const DIVERGED_LOSS_FACTOR = 100;

const DEFAULTS = {
  criterion: 'cross_entropy' as const,
  optimizer: 'sgd' as const,
  lr: 0.01,
  maxEpochs: 10,
  batchSize: 128,
  trainSplit: 0.2 as number | null,
  shuffle: true,
  seed: 0,
  verbose: 1 as 0 | 1 | 2,
  dtype: 'float32' as const,
  warmStart: false,
};

/** The AbortError fit rejects with; its cause is the signal's reason (an AbortSignal.timeout()'s TimeoutError). */
function abortError(signal?: SignalLike | null): Error {
  const e = new Error('training was aborted', signal?.reason === undefined ? undefined : { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function shown(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : v === null ? 'null' : typeof v === 'object' ? typeof v : String(v);
}

/**
 * The criterion a classifier trains with, cross-entropy from logits, from the ways of naming it: 'cross_entropy',
 * the class nn.CrossEntropyLoss (skorch's criterion=nn.CrossEntropyLoss), or an instance of it with its defaults.
 */
function criterionName(v: unknown): 'cross_entropy' {
  if (v === 'cross_entropy' || v === nn.CrossEntropyLoss) return 'cross_entropy';
  if (v instanceof nn.CrossEntropyLoss) {
    if (v.reduction === 'mean' && v.ignoreIndex === -100) return 'cross_entropy';
    throw new RangeError(
      `criterion: ${v.toString()} is not what the classifier trains with: the mean cross-entropy over every row ` +
        "(nn.CrossEntropyLoss's defaults)",
    );
  }
  const got = typeof v === 'function' ? `function ${v.name || '(anonymous)'}` : shown(v);
  throw new RangeError(`criterion must be 'cross_entropy' or nn.CrossEntropyLoss, got ${got}`);
}

/** A TypeError for what is no number ('64' read as 64 in the message before), a RangeError for a bad number. */
function checkPositiveInt(v: unknown, name: string): void {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a positive integer, got ${describeTyped(v)}`);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/** Values converted or copied between two yields of asMatrixAsync (~1-3 ms). */
const MATRIX_PIECE = 1 << 20;

/**
 * asMatrix's work as steps: checks, then the conversion or copy in pieces of about MATRIX_PIECE values, yielding
 * between them (asMatrix runs them in one go, asMatrixAsync lets the event loop turn between them). Returns the
 * matrix.
 */
function* matrixSteps(
  X: unknown,
  n: number,
  dtype: 'float32' | 'float64',
  name: string,
  features: number | undefined,
): Generator<void, { data: FloatArray; features: number }> {
  if (X instanceof Float32Array || X instanceof Float64Array) {
    if (features !== undefined) {
      if (X.length !== n * features) {
        const want = `${n} rows of ${features} features (${n * features})`;
        throw new RangeError(`${name} has ${X.length} values, expected ${want}`);
      }
    } else if (n === 0 || X.length % n !== 0) {
      throw new RangeError(`${name} has ${X.length} values, not a multiple of ${n} samples`);
    }
    const f = features ?? X.length / n;
    if ((dtype === 'float32') === X instanceof Float32Array) return { data: X, features: f };
    const data = alloc(dtype, X.length);
    for (let at = 0; at < X.length; at += MATRIX_PIECE) {
      if (at > 0) yield;
      data.set(X.subarray(at, Math.min(X.length, at + MATRIX_PIECE)), at);
    }
    return { data, features: f };
  }
  if (X instanceof Tensor) {
    // a tensor of rows ([n, features], or [n, ...] as a flattened row each): its shape is checked, not re-read as
    // n rows of whatever width the values divide into (a [10, 4] X with 20 labels trained as 20 rows of 2)
    if (X.shape.length >= 2) {
      const shape = `[${X.shape.join(', ')}]`;
      const width = X.shape.slice(1).reduce((a, d) => a * d, 1);
      if (features !== undefined && width !== features) {
        throw new RangeError(`${name} has shape ${shape}: ${width} features per row, the model takes ${features}`);
      }
      if (X.shape[0] !== n) throw new RangeError(`${name} has shape ${shape}: ${X.shape[0]} rows for ${n} labels`);
      return yield* matrixSteps(X.data, n, dtype, name, width);
    }
    return yield* matrixSteps(X.data, n, dtype, name, features);
  }
  if (Array.isArray(X)) {
    if (X.length !== n) throw new RangeError(`${name} has ${X.length} rows but y has ${n} labels`);
    if (n === 0 && features !== undefined) {
      return { data: alloc(dtype, 0), features };
    }
    if (!Array.isArray(X[0])) {
      const first = ArrayBuffer.isView(X[0]) ? `${X[0].constructor.name} rows` : `${describeTyped(X[0])} at ${name}[0]`;
      throw new TypeError(
        `${name} is an array of ${first}: rows must be plain arrays of numbers (number[][]), or pass one flat ` +
          'Float32Array/Float64Array of n * features values',
      );
    }
    const f = (X[0] as number[]).length;
    if (f === 0) throw new RangeError(`${name}[0] is an empty row: rows must have one value per feature`);
    if (features !== undefined && f !== features) {
      throw new RangeError(`${name}[0] has ${f} values, the model takes ${features} features per row`);
    }
    const data = alloc(dtype, n * f);
    const rowsPerPiece = Math.max(1, Math.floor(MATRIX_PIECE / f));
    for (let i = 0; i < n; i++) {
      if (i > 0 && i % rowsPerPiece === 0) yield;
      const row = X[i] as number[];
      if (!Array.isArray(row)) throw new TypeError(`${name}[${i}] must be an array of ${f} numbers, got ${describeTyped(row)}`);
      if (row.length !== f) throw new RangeError(`${name}[${i}] has ${row.length} values, the rows before it ${f}`);
      for (let j = 0; j < f; j++) {
        const v = row[j];
        // numbers only: a plain assignment would make null and '' 0, true 1 and '2.5' 2.5
        if (typeof v !== 'number') throw new TypeError(`${name}[${i}][${j}] must be a number, got ${describeTyped(v)}`);
        data[i * f + j] = v;
      }
    }
    return { data, features: f };
  }
  throw new TypeError(`${name} must be a Float32Array/Float64Array (n*features), an array of rows, or a Tensor`);
}

/**
 * Normalizes X to a dense row-major typed array of the wanted dtype and returns its feature count. With
 * `features` (the model's inputs), X must have exactly n rows of that many values (n = 0: an empty matrix).
 */
export function asMatrix(
  X: unknown,
  n: number,
  dtype: 'float32' | 'float64',
  name = 'X',
  features?: number,
): { data: FloatArray; features: number } {
  const steps = matrixSteps(X, n, dtype, name, features);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * asMatrix, running `pause` (a yield to the event loop, and fit's abort check) between pieces of a conversion or
 * copy (MNIST as float64: ~0.6 s).
 */
export async function asMatrixAsync(
  X: unknown,
  n: number,
  dtype: 'float32' | 'float64',
  pause: () => Promise<void>,
  name = 'X',
  features?: number,
): Promise<{ data: FloatArray; features: number }> {
  const steps = matrixSteps(X, n, dtype, name, features);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await pause();
  }
}

/** Whether the `module` parameter names nn.MLP itself ('mlp', the class, or the default), not a factory. */
export function isMlpModule(m: unknown): boolean {
  return m === 'mlp' || m === undefined || m === nn.MLP;
}

/**
 * The activation of an nn.MLP as savedActivation takes it: its name or spec; for a module or a factory ('custom'),
 * the shared module itself when the MLP holds one (its child 'activation'), else a stand-in factory
 * (savedActivation then writes the spec of the modules the MLP holds, one per layer).
 */
function mlpActivation(m: nn.MLP): unknown {
  const spec = m.activationConfig();
  if (spec !== 'custom') return spec;
  const shared = m.namedChildren().find(([name]) => name === 'activation');
  if (shared) return shared[1];
  return () => m.activations[0];
}

/** What fit and partialFit hand to train(): the calling method's name (for messages) and how to train. */
type TrainArgs = [
  fn: string,
  X: FloatArray | number[][] | Tensor,
  y: ArrayLike<number> | Tensor,
  options: FitOptions,
  epochs: number,
  reinit: boolean,
];

/** How long a fit runs between yields to the event loop (shared by the fits running at once: fitsRunning). */
const YIELD_MS = 10;
let fitsRunning = 0;

/** Yields to the event loop (setImmediate: timers and I/O callbacks run first). */
const yieldNow = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

/**
 * net.score(X, y) for X of `features` values per row, predicted in pieces of 256 rows with `pause` (a turn of the
 * event loop; a caller's abort check) at least every ~10 ms: one predict of a whole test set holds the event loop
 * for 0.1 s on the native backend and seconds on the TypeScript one. A row's prediction does not depend on the
 * rows predicted with it, so the accuracy is score's.
 */
export async function scoreInPieces(
  net: NeuralNetClassifier,
  X: FloatArray,
  y: ArrayLike<number>,
  features: number,
  pause: () => Promise<void> = yieldNow,
): Promise<number> {
  const n = y.length;
  if (n === 0 || X.length !== n * features) return net.score(X, y); // its errors
  let right = 0;
  let last = performance.now();
  for (let from = 0; from < n; from += 256) {
    const to = Math.min(n, from + 256);
    const pred = net.predict(X.subarray(from * features, to * features));
    for (let i = 0; i < pred.length; i++) if (pred[i] === y[from + i]) right++;
    if (to < n && performance.now() - last >= YIELD_MS) {
      await pause();
      last = performance.now();
    }
  }
  return right / n;
}

/** The value the caller gave for element i of a row-major matrix converted from X (undefined if unknown). */
function sourceValue(X: unknown, i: number, features: number): unknown {
  if (X instanceof Tensor) return X.data[i];
  if (X instanceof Float32Array || X instanceof Float64Array) return X[i];
  if (!Array.isArray(X)) return undefined;
  const row: unknown = X[Math.floor(i / features)];
  return Array.isArray(row) ? row[i % features] : undefined;
}

/**
 * RangeError naming values[i], the first NaN/Infinity of data[from, to) (a row-major matrix converted from
 * `source`), if there is one. A finite source value that became Infinity in the conversion is named as itself.
 */
function checkFinitePiece(
  data: FloatArray,
  from: number,
  to: number,
  features: number,
  name: string,
  fn: string,
  source?: unknown,
): void {
  for (let i = from; i < to; i++) {
    if (!Number.isFinite(data[i])) {
      const row = Math.floor(i / features);
      const where = `${fn ? `${fn}: ` : ''}${name}[${row}][${i - row * features}]`;
      const given = sourceValue(source, i, features);
      if (typeof given === 'number' && Number.isFinite(given)) {
        throw new RangeError(
          `${where} = ${given} is outside the range of the model's dtype float32 (|x| <= 3.4e38): ` +
            'scale the inputs, or use dtype float64',
        );
      }
      throw new RangeError(`${where} = ${data[i]}: the inputs must be finite numbers`);
    }
  }
}

/**
 * RangeError naming the first NaN/Infinity of a row-major matrix by row and column. Scans 2^21 values (a few
 * ms) at a time and runs `pause` between them: the full MNIST training set is 47M values, ~90 ms in one piece.
 */
async function checkFinite(
  data: FloatArray,
  features: number,
  name: string,
  fn: string,
  pause: () => Promise<void>,
  source?: unknown,
): Promise<void> {
  const piece = 1 << 21;
  for (let at = 0; at < data.length; at += piece) {
    if (at > 0) await pause();
    checkFinitePiece(data, at, Math.min(data.length, at + piece), features, name, fn, source);
  }
}

/** RangeError naming the first label the model has no output for. */
function checkLabelRange(labels: Int32Array, outputs: number, name: string, fn: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= outputs) {
      throw new RangeError(`${fn}: '${name}'[${i}] = ${labels[i]} is not a class of this model (outputs: ${outputs})`);
    }
  }
}

function isBuiltinModule(m: nn.Module): boolean {
  try {
    nn.fromJSON(m.toJSON());
    return true;
  } catch {
    return false;
  }
}

/**
 * fit's and partialFit's options, by name (before anything is touched): a misspelt key (`validaton`, `epochs` for
 * fit) would otherwise be ignored, and a signal that is not an AbortSignal would never stop the training.
 */
function checkFitOptions(options: unknown, fn: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${fn}: options must be an object like { signal, validation }, got ${describeTyped(options)}`);
  }
  const known = fn === 'partialFit' ? ['signal', 'validation', 'epochs'] : ['signal', 'validation'];
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      const hint = k === 'epochs' ? ' (fit trains maxEpochs; partialFit takes { epochs })' : '';
      throw new TypeError(`${fn}: unknown option '${k}'${hint}; known: ${known.join(', ')}`);
    }
  }
  const o = options as FitOptions & { epochs?: unknown };
  checkSignalOption(o.signal, `${fn}: options.signal`);
  // before X is converted and checked (an X error hid a bad epochs)
  if (o.epochs !== undefined) checkPositiveInt(o.epochs, `${fn}: options.epochs`);
  const v: unknown = o.validation;
  if (v != null && (typeof v !== 'object' || !('X' in v) || !('y' in v))) {
    throw new TypeError(`${fn}: options.validation must be an object { X, y } or null, got ${describeTyped(v)}`);
  }
}

/**
 * BatchNorm normalizes a batch by its own statistics in training mode and refuses a batch of one row (as PyTorch's
 * does): a training set whose last batch would be one row fails here, before the first step, not mid-epoch. A
 * BatchNorm without running statistics normalizes by the batch in eval mode too: the validation batches are checked
 * for it (`validation` names them).
 */
function checkBatchNormBatches(
  module: nn.Module,
  rows: number,
  batchSize: number,
  fn: string,
  validation = false,
): void {
  if (rows % batchSize !== 1 && !(batchSize === 1 && rows > 0)) return;
  const bn = module.namedModules().find(([, m]) => m instanceof nn.BatchNorm1d && (!validation || !m.runningMean));
  if (!bn) return;
  const mode = validation ? 'without running statistics, even in eval mode' : 'in training mode';
  throw new RangeError(
    `${fn}: batchSize ${batchSize} with ${rows} ${validation ? 'validation' : 'training'} rows leaves a batch of ` +
      `1 row, which BatchNorm layer '${bn[0]}' cannot normalize ${mode}: use another batchSize`,
  );
}

/**
 * Library modules whose eval-mode output for a row depends on that row only (a BatchNorm1d with running
 * statistics), as instances of these very classes (not of a user's subclass) with their class's forward.
 */
const ROWWISE: ReadonlySet<unknown> = new Set([
  nn.Linear, nn.Activation, nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Softsign, nn.Softplus, nn.LeakyReLU, nn.ELU, nn.CELU,
  nn.SELU, nn.GELU, nn.Mish, nn.Hardswish, nn.Hardsigmoid, nn.ReLU6, nn.SiLU, nn.Swish, nn.PReLU, nn.Dropout,
  nn.Identity, nn.Flatten, nn.Sequential, nn.MLP, nn.BatchNorm1d,
]);

/**
 * Whether the module's eval-mode output row i depends on input row i only, so rows can be computed in chunks of
 * several batches with the same figures. A user's module (or a library module with its forward replaced) might mix
 * rows; a BatchNorm without running statistics does (it normalizes by the batch it is given).
 */
function rowwise(module: nn.Module): boolean {
  return module.namedModules().every(([, m]) => {
    const C = m.constructor as { prototype: nn.Module };
    return ROWWISE.has(C) && m.forward === C.prototype.forward && !(m instanceof nn.BatchNorm1d && !m.runningMean);
  });
}

/** Modules whose output has their input's width (elementwise, or per feature): they pass the width on. */
function keepsWidth(m: nn.Module): boolean {
  return m instanceof nn.Activation || m instanceof nn.PReLU || m instanceof nn.Dropout ||
    m instanceof nn.BatchNorm1d || m instanceof nn.Identity;
}

/**
 * The module's input width when it declares one (nn.MLP, nn.Linear, a Sequential whose first Linear comes after
 * width-keeping modules only, nested Sequentials too); else null. fit checks X against it, predict takes it.
 */
function declaredInputs(m: nn.Module): number | null {
  if (m instanceof nn.MLP) return m.inputs;
  if (m instanceof nn.Linear) return m.inFeatures;
  if (m instanceof nn.Sequential) {
    const first = m.namedChildren().map(([, c]) => c).find((c) => !keepsWidth(c));
    return first ? declaredInputs(first) : null;
  }
  return null;
}

/**
 * The module's output count when it declares one (as declaredInputs, from the last Linear; or an `outputs`
 * property); else null. fit checks the labels against it.
 */
function declaredOutputs(m: nn.Module): number | null {
  if (m instanceof nn.MLP) return m.outputs;
  if (m instanceof nn.Linear) return m.outFeatures;
  if (m instanceof nn.Sequential) {
    const last = m.namedChildren().map(([, c]) => c).reverse().find((c) => !keepsWidth(c));
    return last ? declaredOutputs(last) : null;
  }
  const o = (m as unknown as { outputs?: unknown }).outputs;
  return typeof o === 'number' && Number.isSafeInteger(o) && o > 0 ? o : null;
}

/** The largest class label: labels are held as Int32 (2^31 would wrap to a negative class). */
const MAX_LABEL = 0x7fffffff;

export function asLabels(y: unknown, name = 'y'): Int32Array {
  if (y instanceof Tensor) return asLabels(y.data, name);
  if (!(ArrayBuffer.isView(y) || Array.isArray(y))) throw new TypeError(`${name} must be an array of integer class labels`);
  const a = y as ArrayLike<unknown>;
  const out = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const raw = a[i];
    // numbers (or BigInts from a BigInt64Array) only: Number() would make null, '', false and [] class 0
    if (typeof raw !== 'number' && typeof raw !== 'bigint') {
      throw new TypeError(`${name}[${i}] must be a non-negative integer class label, got ${describeTyped(raw)}`);
    }
    const v = Number(raw);
    if (!Number.isInteger(v) || v < 0 || v > MAX_LABEL) {
      throw new RangeError(
        `${name}[${i}] must be a non-negative integer class label${v > MAX_LABEL ? ` up to 2^31 - 1` : ''}, got ${raw}`,
      );
    }
    out[i] = v;
  }
  return out;
}

export class NeuralNetClassifier implements TrainerView {
  private opts: Required<Omit<NeuralNetClassifierOptions, 'module' | 'moduleParams' | 'optimizerParams' | 'callbacks' | 'optimizer'>> & {
    module: NeuralNetClassifierOptions['module'];
    optimizer: NonNullable<NeuralNetClassifierOptions['optimizer']>;
    moduleParams: Record<string, unknown>;
    optimizerParams: Record<string, unknown>;
    callbacks: Callback[];
  };
  module_: nn.Module | null = null;
  optimizer_: OptimizerLike | null = null;
  history = new History();
  stopTraining = false;
  classes_: Int32Array | null = null;
  /** X's width in the last fit: what predict takes for a module that does not declare its inputs. */
  private fitFeatures: number | null = null;
  private rng: Rng | null = null;
  /**
   * The last epoch's order of the training rows, and the rows it orders: a call that trains on with the same rows
   * (partialFit, a warm start) shuffles on from that order, so fit(k) then partialFit(m) gives fit(k + m)'s model.
   */
  private lastOrder: { rows: Int32Array; order: Int32Array } | null = null;
  private initialized = false;
  private fitting = false;
  /**
   * Counts of setParams calls that change the module / the optimizer. A fit works from the parameters it started
   * with; one set while it runs takes effect at the next fit, as one set between fits does (train()).
   */
  private moduleChanges = 0;
  private optimizerChanges = 0;
  /**
   * What module_ was built from (initialize): save() describes that module, not parameters set since (a
   * setParams({ module__hidden }) applies at the next fit; until then the weights are those of the old shape).
   */
  private built: { module: NeuralNetClassifierOptions['module']; moduleParams: Record<string, unknown>; dtype: string; seed: number } | null =
    null;

  constructor(options: NeuralNetClassifierOptions = {}) {
    this.opts = {
      ...DEFAULTS,
      module: 'mlp',
      moduleParams: {},
      optimizerParams: {},
      callbacks: [],
    } as any;
    this.setParams(flattenOptions(options));
  }

  // ----- parameters (sklearn/skorch style) -------------------------------------------------------------

  /** All parameters, with module__x / optimizer__x for the nested ones. */
  getParams(): Record<string, unknown> {
    const p: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.opts)) {
      if (k === 'moduleParams' || k === 'optimizerParams') continue;
      p[k] = v;
    }
    for (const [k, v] of Object.entries(this.opts.moduleParams)) p[`module__${k}`] = v;
    for (const [k, v] of Object.entries(this.opts.optimizerParams)) p[`optimizer__${k}`] = v;
    return p;
  }

  /**
   * Sets parameters; a changed module__x re-initializes the module on the next fit, optimizer__x the optimizer.
   * All of them are checked before any is set: a refused call changes nothing.
   */
  setParams(params: Record<string, unknown>): this {
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      throw new TypeError(`setParams: 'params' must be an object of parameter values, got ${shown(params)}`);
    }
    const next = { ...this.opts };
    let moduleChanged = false;
    let optimizerChanged = false;
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined) continue;
      if (key.startsWith('module__')) {
        next.moduleParams = { ...next.moduleParams, [key.slice(8)]: value };
        moduleChanged = true;
      } else if (key.startsWith('optimizer__')) {
        next.optimizerParams = { ...next.optimizerParams, [key.slice(11)]: value };
        optimizerChanged = true;
      } else if (key === 'moduleParams' || key === 'optimizerParams') {
        checkParamsObject(value, key);
        (next as any)[key] = { ...(value as object) };
        if (key === 'moduleParams') moduleChanged = true;
        else optimizerChanged = true;
      } else if (key === 'criterion') {
        next.criterion = criterionName(value);
      } else if (Object.hasOwn(DEFAULTS, key) || key === 'module' || key === 'callbacks' || key === 'optimizer') {
        (next as any)[key] = value;
        if (key === 'module' || key === 'dtype' || key === 'seed') moduleChanged = true;
        if (key === 'optimizer' || key === 'lr') optimizerChanged = true;
      } else {
        throw new RangeError(
          `NeuralNetClassifier: unknown parameter '${key}' (known: ${[...Object.keys(DEFAULTS), 'module', 'optimizer', 'callbacks', 'module__<name>', 'optimizer__<name>'].join(', ')})`,
        );
      }
    }
    NeuralNetClassifier.validateOptions(next);
    this.opts = next;
    if (moduleChanged) this.moduleChanged();
    if (optimizerChanged) this.optimizerChanged();
    return this;
  }

  private moduleChanged(): void {
    this.initialized = false;
    this.moduleChanges++;
  }

  private optimizerChanged(): void {
    this.optimizer_ = null;
    this.optimizerChanges++;
  }

  /**
   * An unfitted copy with the same parameters, then `params` set on it (as setParams). Fits of clones share no
   * state: a built-in Module value (module__activation: new nn.PReLU()) is copied with its current weights
   * (nn.copyModule), and a built-in callback (EarlyStopping, Checkpoint, PrintLog, ProgressBar) is a new one with
   * the same options. A custom Module or callback object cannot be copied: the clones share it. Callbacks given
   * in `params` are copied too (read a callback's state from the clone: clone.getParams().callbacks).
   */
  clone(params: Record<string, unknown> = {}): NeuralNetClassifier {
    const copy = (v: unknown): unknown => (v instanceof nn.Module && isBuiltinModule(v) ? nn.copyModule(v) : v);
    const fresh = (p: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(
        Object.entries(p).map(([k, v]) => {
          if (k === 'callbacks' && Array.isArray(v)) return [k, v.map(copyCallback)];
          if (k === 'moduleParams' && v !== null && typeof v === 'object') {
            return [k, Object.fromEntries(Object.entries(v).map(([mk, mv]) => [mk, copy(mv)]))];
          }
          return [k, copy(v)];
        }),
      );
    return new NeuralNetClassifier({}).setParams(fresh(this.getParams())).setParams(fresh(params));
  }

  /** The checks of a complete set of parameters (setParams runs them on what it is about to set). */
  private static validateOptions(o: NeuralNetClassifier['opts']): void {
    if (typeof o.lr !== 'number') throw new TypeError(`lr must be a positive finite number, got ${describeTyped(o.lr)}`);
    if (!(Number.isFinite(o.lr) && o.lr > 0)) throw new RangeError(`lr must be a positive finite number, got ${o.lr}`);
    checkPositiveInt(o.maxEpochs, 'maxEpochs');
    checkPositiveInt(o.batchSize, 'batchSize');
    if (o.trainSplit !== null && typeof o.trainSplit !== 'number') {
      throw new TypeError(`trainSplit must be a fraction in [0, 1) or null, got ${describeTyped(o.trainSplit)}`);
    }
    if (o.trainSplit !== null && !(o.trainSplit >= 0 && o.trainSplit < 1))
      throw new RangeError(`trainSplit must be a fraction in [0, 1) or null, got ${o.trainSplit}`);
    checkSeed(o.seed, 'NeuralNetClassifier');
    if (o.dtype !== 'float32' && o.dtype !== 'float64') throw new RangeError(`dtype must be 'float32' or 'float64', got ${o.dtype}`);
    if (typeof o.optimizer === 'string' && o.optimizer !== 'sgd' && o.optimizer !== 'adam' && o.optimizer !== 'adamw')
      throw new RangeError(`optimizer must be 'sgd', 'adam', 'adamw' or an optimizer class, got '${o.optimizer}'`);
    if (typeof o.optimizer !== 'string' && typeof o.optimizer !== 'function') {
      throw new TypeError(`optimizer must be 'sgd', 'adam', 'adamw' or an optimizer class, got ${shown(o.optimizer)}`);
    }
    const md: unknown = o.moduleParams.dtype;
    if (md !== undefined && md !== o.dtype) {
      // the module gets the estimator's dtype: the inputs are converted to it, so another one fails in the forward
      throw new RangeError(
        `module__dtype ${shown(md)} differs from the estimator's dtype '${o.dtype}': set dtype, which the module gets`,
      );
    }
    for (const k of ['shuffle', 'warmStart'] as const) {
      if (typeof o[k] !== 'boolean') throw new TypeError(`${k} must be a boolean, got ${shown(o[k])}`);
    }
    if (o.verbose !== 0 && o.verbose !== 1 && o.verbose !== 2) {
      throw new RangeError(`verbose must be 0, 1 or 2, got ${shown(o.verbose)}`);
    }
    if (o.module !== 'mlp' && typeof o.module !== 'function') {
      throw new TypeError(`module must be 'mlp', a Module class or a factory function, got ${shown(o.module)}`);
    }
    if (!Array.isArray(o.callbacks)) throw new TypeError('callbacks must be an array');
    o.callbacks.forEach((cb, i) => {
      if (cb === null || typeof cb !== 'object') {
        throw new TypeError(`callbacks[${i}] must be a callback object (onEpochEnd, ... methods), got ${shown(cb)}`);
      }
    });
  }

  // ----- initialization --------------------------------------------------------------------------------

  /** Builds the module (seeded) and the optimizer. Called by fit unless warmStart and already initialized. */
  initialize(): this {
    // during a fit, the fit would go on training the module it built while module_ and history were replaced:
    // it would end claiming its epochs for an untrained model
    if (this.fitting) {
      throw new Error('initialize: this estimator is training (a fit or partialFit has not ended): await it first');
    }
    return this.initializeFrom(this.opts);
  }

  /** initialize() from the parameters `o` (a fit's, taken when it started). */
  private initializeFrom(o: typeof this.opts): this {
    // the seed's shuffle stream: independent of the weights' (the module's, seeded with the same seed) and of the
    // dropout masks' (Purpose)
    this.rng = streamFor(o.seed, Purpose.shuffle);
    this.lastOrder = null;
    // A built-in Module value (activation: new nn.PReLU()) is copied, so that each fit starts from the weights it
    // was given and the caller's instance is not trained: a second fit gives the same model. The trained one is
    // in module_. (A custom Module class cannot be copied: it is used, and trained, as given.)
    const params = Object.fromEntries(
      Object.entries(o.moduleParams).map(([k, v]) => [
        k,
        v instanceof nn.Module && isBuiltinModule(v) ? nn.copyModule(v) : v,
      ]),
    ) as typeof o.moduleParams;
    if (params.seed === undefined) params.seed = o.seed;
    if (params.dtype === undefined) params.dtype = o.dtype;
    const m = o.module;
    if (m === 'mlp' || m === undefined) this.module_ = new nn.MLP(params as any);
    else if (typeof m === 'function' && m.prototype instanceof nn.Module) this.module_ = new (m as ModuleCtor)(params);
    else if (typeof m === 'function') this.module_ = (m as ModuleFactory)(params as ModuleFactoryParams);
    else throw new TypeError('module must be a Module class, a factory function or "mlp"');
    if (!(this.module_ instanceof nn.Module)) throw new TypeError('module factory must return an nn.Module');
    this.initializeOptimizer(o);
    this.history = new History();
    this.initialized = true;
    this.built = { module: o.module, moduleParams: { ...o.moduleParams }, dtype: o.dtype, seed: o.seed };
    return this;
  }

  private initializeOptimizer(from: typeof this.opts = this.opts): void {
    const params = this.module_!.parameters();
    const o = { lr: from.lr, ...from.optimizerParams };
    const opt = from.optimizer;
    if (opt === 'sgd') this.optimizer_ = new SGD(params, o as any);
    else if (opt === 'adam') this.optimizer_ = new Adam(params, o as any);
    else if (opt === 'adamw') this.optimizer_ = new AdamW(params, o as any);
    else this.optimizer_ = new opt(params, o);
  }

  // ----- training --------------------------------------------------------------------------------------

  /**
   * Trains from scratch (or continues with warmStart). Resolves to this.
   *
   * X, y, the validation data, the signal and the labels against the model's outputs are all checked before
   * the model is (re-)initialized: a call that fails a check leaves the model and its history as they were.
   * On abort (options.signal), onTrainEnd runs with { aborted: true } and the call rejects with an AbortError;
   * the history holds the completed epochs, and the updates of the interrupted epoch stay in the weights unless
   * a callback restores others (EarlyStopping({ restoreBest: true }) does, at onTrainEnd).
   */
  async fit(X: FloatArray | number[][] | Tensor, y: ArrayLike<number> | Tensor, options: FitOptions = {}): Promise<this> {
    checkFitOptions(options, 'fit');
    return this.train('fit', X, y, options, this.opts.maxEpochs, !this.opts.warmStart || !this.initialized);
  }

  /** Trains `epochs` more epochs [1] on the current weights (checked as fit() checks them). */
  async partialFit(
    X: FloatArray | number[][] | Tensor,
    y: ArrayLike<number> | Tensor,
    options: FitOptions & { epochs?: number } = {},
  ): Promise<this> {
    checkFitOptions(options, 'partialFit'); // before options.epochs is read
    return this.train('partialFit', X, y, options, options.epochs ?? 1, !this.initialized);
  }

  /**
   * One fit or partialFit at a time per estimator: a second one started while the first awaits would train
   * another module into the same history (a service retraining a model on two requests at once). Checked and set
   * before the first await.
   */
  private async train(...args: TrainArgs): Promise<this> {
    const fn = args[0];
    if (this.fitting) {
      throw new Error(
        `${fn}: this estimator is already training (a fit or partialFit has not ended): await it, or train a clone()`,
      );
    }
    this.fitting = true;
    fitsRunning++;
    const changes = [this.moduleChanges, this.optimizerChanges];
    try {
      return await this.trainOnce(...args);
    } finally {
      this.fitting = false;
      fitsRunning--;
      // set while this call ran, after it had built the module or optimizer: for the next call to build
      if (this.moduleChanges !== changes[0]) this.initialized = false;
      if (this.optimizerChanges !== changes[1]) this.optimizer_ = null;
    }
  }

  private async trainOnce(...[fn, X, y, options, epochs, reinit]: TrainArgs): Promise<this> {
    // The parameters as they are now: setParams while this call runs takes effect at the next one.
    const o = { ...this.opts };
    const signal = options.signal;
    if (signal?.aborted) throw abortError(signal);
    // The caller's typed arrays (X's, validation.X's), whose buffers the caller could transfer (postMessage,
    // structuredClone) or shrink while this call waits: their pieces would then read as empty (zeros) and the
    // batches as rows of nothing. Checked after each yield.
    // Once converted, an array is watched only where training reads it itself (a copy in the model's dtype is fit's).
    let watched: { name: string; arr: ArrayLike<number>; length: number }[] = [];
    const watch = (name: string, v: unknown): void => {
      const arr = v instanceof Tensor ? v.data : v instanceof Float32Array || v instanceof Float64Array ? v : null;
      if (arr !== null) watched.push({ name, arr, length: arr.length });
    };
    const keepWatching = (name: string, read: FloatArray): void => {
      watched = watched.filter((w) => w.name !== name || w.arr === read);
    };
    watch('X', X);
    const checkIntact = (): void => {
      for (const w of watched) {
        if (w.arr.length !== w.length) {
          throw new TypeError(
            `${fn}: '${w.name}' was detached or resized while ${fn} ran (its ArrayBuffer was transferred or ` +
              `shrunk): keep it unchanged until ${fn} settles`,
          );
        }
      }
    };
    // between the pieces of the preparation (~0.6 s on MNIST as float64): an abort is seen there too
    const pause = async (): Promise<void> => {
      await yieldNow();
      if (signal?.aborted) throw abortError(signal);
      checkIntact();
    };
    const labels = asLabels(y);
    const n = labels.length;
    if (n === 0) throw new RangeError('y must not be empty');
    const { data, features } = await asMatrixAsync(X, n, o.dtype, pause);
    keepWatching('X', data);
    await checkFinite(data, features, 'X', fn, pause, X);
    checkPositiveInt(epochs, 'epochs');

    // The module: built only now, and put back as it was when X or the labels do not fit it. It is checked against
    // X and y before the split, whose errors would otherwise hide a mismatch.
    const before = reinit
      ? {
          module: this.module_,
          optimizer: this.optimizer_,
          history: this.history,
          rng: this.rng,
          init: this.initialized,
          built: this.built,
          classes: this.classes_,
          lastOrder: this.lastOrder,
        }
      : null;
    // An error before the first step (checks here, a callback's onTrainBegin) leaves the model as it was.
    const restore = (): void => {
      if (!before) return;
      this.module_ = before.module;
      this.optimizer_ = before.optimizer;
      this.history = before.history;
      this.rng = before.rng;
      this.initialized = before.init;
      this.built = before.built;
      this.classes_ = before.classes;
      this.lastOrder = before.lastOrder;
    };
    let trainIdx: Int32Array;
    let validX: FloatArray | null = null;
    let validY: Int32Array | null = null;
    try {
      if (reinit) this.initializeFrom(o);
      const inputs = declaredInputs(this.module_!);
      if (inputs !== null && inputs !== features) {
        // a flat X whose values are whole rows of the model's width: the row count may be what differs
        const flat = !Array.isArray(X) && !(X instanceof Tensor && X.shape.length >= 2);
        const asRows = flat && data.length % inputs === 0
          ? `; as rows of ${inputs}, X has ${data.length / inputs} rows for ${n} labels`
          : '';
        throw new RangeError(
          `${fn}: X has ${features} features per row, the model takes ${inputs} ` +
            `(${data.length} values for ${n} labels${asRows})`,
        );
      }
      const outputs = declaredOutputs(this.module_!);
      if (outputs !== null) checkLabelRange(labels, outputs, 'y', fn);

      // Split.
      if (options.validation) {
        validY = asLabels(options.validation.y, 'validation.y');
        if (validY.length === 0) throw new RangeError(`${fn}: validation.y must not be empty`);
        watch('validation.X', options.validation.X);
        validX = (await asMatrixAsync(options.validation.X, validY.length, o.dtype, pause, 'validation.X', features))
          .data;
        keepWatching('validation.X', validX);
        await checkFinite(validX, features, 'validation.X', fn, pause, options.validation.X);
        if (outputs !== null) checkLabelRange(validY, outputs, 'validation.y', fn);
        trainIdx = Int32Array.from({ length: n }, (_, i) => i);
      } else if (o.trainSplit) {
        await pause(); // after initialize (~20 ms for the reference MLP)
        const s = this.split(labels, o.trainSplit, fn);
        await pause(); // the split: 5-30 ms on MNIST
        trainIdx = Int32Array.from(s.train);
        validY = new Int32Array(s.valid.length);
        const len = s.valid.length * features;
        validX = alloc(o.dtype, len);
        for (let i = 0; i < s.valid.length; i++) validY[i] = labels[s.valid[i]];
        // the validation rows' gather (37 MB on MNIST) in pieces of about MATRIX_PIECE values
        const rows = Math.max(1, Math.floor(MATRIX_PIECE / Math.max(1, features)));
        for (let from = 0; from < s.valid.length; from += rows) {
          if (from > 0) await pause();
          const to = Math.min(s.valid.length, from + rows);
          backend().takeRows(data, features, s.valid, from, to, validX.subarray(from * features, to * features));
        }
      } else {
        trainIdx = Int32Array.from({ length: n }, (_, i) => i);
      }
      checkBatchNormBatches(this.module_!, trainIdx.length, o.batchSize, fn);
      if (validY) checkBatchNormBatches(this.module_!, validY.length, o.batchSize, fn, true);
      await pause();
    } catch (e) {
      restore();
      throw e;
    }
    if (!this.optimizer_) this.initializeOptimizer(o);

    // Classes: 0..max label (cross-entropy over the module's outputs). A call that trains on (partialFit, a warm
    // start) keeps the classes the model already has: a batch without the last class does not drop it.
    let maxLabel = !reinit && this.classes_ ? this.classes_.length - 1 : 0;
    for (let i = 0; i < n; i++) if (labels[i] > maxLabel) maxLabel = labels[i];
    let maxValid = -1;
    if (validY && options.validation) for (let i = 0; i < validY.length; i++) maxValid = Math.max(maxValid, validY[i]);
    // A module that declares its outputs had every label checked against them above. Another one's labels are
    // checked against the first forward pass's width, and the classes are built then: built here, one label of
    // 2e9 took 100 s and 8 GB before that forward pass refused it.
    const outputsKnown = declaredOutputs(this.module_!) !== null;
    const classesUpTo = (max: number): Int32Array => Int32Array.from({ length: max + 1 }, (_, i) => i);
    const labelClasses = outputsKnown ? classesUpTo(maxLabel) : null;

    const callbacks = this.activeCallbacks(o);
    const view = this as TrainerView;
    this.stopTraining = false;
    const begin = { maxEpochs: epochs, trainSize: trainIdx.length, validSize: validY ? validY.length : 0 };
    try {
      for (const cb of callbacks) cb.onTrainBegin?.(view, begin);
    } catch (e) {
      restore();
      throw e;
    }
    // only now: a callback that refused the fit leaves a warm model's classes as they were; a rebuilt module whose
    // outputs are known only at its first forward pass has no classes until then (not the last model's)
    if (labelClasses) this.classes_ = labelClasses;
    else if (reinit) this.classes_ = null;
    let classesChecked = labelClasses !== null;
    this.fitFeatures = features;

    const bs = o.batchSize;
    const module = this.module_!;
    const optimizer = this.optimizer_!;
    const rng = this.rng!;
    const Ctor = o.dtype === 'float32' ? Float32Array : Float64Array;
    // a batchSize over the training rows makes one batch of them all: the buffer holds no more (1e7 x 784 would
    // not fit)
    const batchBuf = new Ctor(Math.min(bs, trainIdx.length) * features);
    const be = backend();
    const last = this.lastOrder;
    const resume = !reinit && last !== null && sameRows(last.rows, trainIdx);
    const order = resume ? last.order : Int32Array.from(trainIdx);
    this.lastOrder = { rows: trainIdx, order };
    let lastYield = performance.now();
    // Every call sees an abort (a property read), also one made by a callback in the last 10 ms of training. The
    // 10 ms between yields are shared by the fits running in this process: each resumes in the same turn of the
    // event loop, so k fits of 10 ms each held it k x 10 ms (80 ms measured with 2).
    // One fit runs on one backend and kernel family: setBackend or setIsa while it runs (between two batches)
    // would carry on with the other kernels, and a history that matches neither.
    const kernels = watchKernels();
    // What other code may have changed since the last check: X or validation.X transferred or shrunk, the kernels
    // switched. Run where other code may have run: after the callbacks (a batch's, right at maybeYield; an epoch's,
    // before the epoch's first batch) and after each yield.
    const checkRun = (): void => {
      checkIntact();
      const to = kernels.changedTo();
      if (to === null) return;
      throw new Error(
        `${fn}: the kernels changed from ${kernels.name} to ${to} while ${fn} ran (setBackend or setIsa): ` +
          `a fit runs on one backend and kernel family; change them before ${fn} or after it settles`,
      );
    };
    const maybeYield = async (): Promise<void> => {
      if (signal?.aborted) throw abortError(signal);
      checkRun();
      const now = performance.now();
      if (now - lastYield >= YIELD_MS / Math.max(1, fitsRunning)) {
        await yieldNow();
        lastYield = performance.now();
        if (signal?.aborted) throw abortError(signal);
        checkRun();
      }
    };
    // A mean loss this far above a uniform guess's (ln classes) is a divergence that has not reached NaN yet
    // (Adam at lr 1e6: 1e22; saturated sigmoid/tanh layers: 1e6-1e7), not a model that is learning.
    const lossLimit = (classes: number): number => DIVERGED_LOSS_FACTOR * Math.log(Math.max(2, classes));
    let classes = 2;

    let aborted: Error | null = null;
    try {
      for (let e = 0; e < epochs && !this.stopTraining; e++) {
        // by a callback at the end of the last epoch: no batch of the next
        if (signal?.aborted) throw abortError(signal);
        const epoch = this.history.length + 1;
        const t0 = performance.now();
        const nb = Math.ceil(order.length / bs);
        for (const cb of callbacks) cb.onEpochBegin?.(view, { epoch, batches: nb });
        checkRun(); // the callbacks since the last batch: the last epoch's end, this one's beginning
        if (o.shuffle) rng.shuffle(order);
        module.train();
        const batches: BatchRecord[] = [];
        let lossSum = 0;
        for (let b = 0; b < nb; b++) {
          const from = b * bs;
          const to = Math.min(order.length, from + bs);
          const m = to - from;
          const xb = m * features === batchBuf.length ? batchBuf : new Ctor(m * features);
          be.takeRows(data, features, order, from, to, xb);
          const yb = new Int32Array(m);
          for (let i = 0; i < m; i++) yb[i] = labels[order[from + i]];
          const input = tensor(xb, { shape: [m, features], dtype: o.dtype, copy: false });
          // The step records its graph whatever the process-wide grad mode is (a caller's setGradEnabled(false)
          // for inference, before the fit or while it waited, made backward() fail with "does not require grad");
          // the caller's mode is back before the callbacks and the yield.
          const gradWas = setGradEnabled(true);
          let lv: number;
          try {
            let logits: Tensor;
            try {
              logits = module.forward(input);
            } catch (err) {
              // a parameter that overflowed at the last step can be refused by its op (swish's learned beta at
              // +-Infinity): that is a divergence, reported as one
              if (nonFiniteState(this.module_!) === null) throw err;
              throw this.divergence(epoch, b + 1, 'forward pass', undefined, err);
            }
            classes = logits.shape[1] ?? classes;
            if (!classesChecked) {
              if (maxLabel >= classes) checkLabelRange(labels, classes, 'y', fn);
              if (maxValid >= classes) checkLabelRange(validY!, classes, 'validation.y', fn);
              // (a warm model's classes past the outputs: its module changed since; the outputs bound them)
              this.classes_ = classesUpTo(Math.min(maxLabel, classes - 1));
              classesChecked = true;
            }
            const loss = crossEntropy(logits, yb);
            lv = loss.item();
            if (!Number.isFinite(lv)) throw this.divergence(epoch, b + 1, 'loss', input);
            // keep the .grad buffers (zeroed): the backward adds into them in place instead of allocating
            optimizer.zeroGrad(false);
            loss.backward();
            optimizer.step();
          } finally {
            setGradEnabled(gradWas);
          }
          lossSum += lv * m;
          batches.push({ train_loss: lv, train_batch_size: m });
          for (const cb of callbacks) cb.onBatchEnd?.(view, { epoch, batch: b, batches: nb, training: true, batchSize: m, loss: lv });
          await maybeYield();
        }
        const trainLoss = lossSum / order.length;
        if (nonFiniteState(module)) throw this.divergence(epoch, nb, 'state after the last step');
        if (trainLoss > lossLimit(classes)) {
          throw new TrainingDivergedError(
            `training diverged at epoch ${epoch}: the mean train_loss ${trainLoss.toPrecision(3)} is over ` +
              `${DIVERGED_LOSS_FACTOR} times that of a uniform guess (ln ${classes} = ${Math.log(classes).toFixed(3)}). ` +
              'Lower the learning rate or standardize the inputs.',
            epoch,
            nb,
            null,
          );
        }

        let validLoss: number | null = null;
        let validAcc: number | null = null;
        let validBatches = 0;
        if (validX && validY) {
          const r = await this.evaluate(validX, validY, features, o, maybeYield, (b, nbv, loss, size) => {
            batches.push({ valid_loss: loss, valid_batch_size: size });
            for (const cb of callbacks) cb.onBatchEnd?.(view, { epoch, batch: b, batches: nbv, training: false, batchSize: size, loss });
            // as after a training batch: no more batches (nor callbacks) once the signal is aborted
            if (signal?.aborted) throw abortError(signal);
          });
          validLoss = r.loss;
          validAcc = r.acc;
          validBatches = r.batches;
          if (!Number.isFinite(validLoss)) throw this.divergence(epoch, nb, 'validation loss');
        }
        const record = this.history.push({
          epoch,
          train_loss: trainLoss,
          valid_loss: validLoss,
          valid_acc: validAcc,
          dur: (performance.now() - t0) / 1000,
          train_batch_count: nb,
          valid_batch_count: validBatches,
          batches,
        });
        for (const cb of callbacks) cb.onEpochEnd?.(view, { epoch, record });
      }
      if (signal?.aborted) throw abortError(signal); // aborted by the last epoch's callbacks
    } catch (e) {
      // an abort still ends the training for the callbacks (EarlyStopping restores, a report is finished)
      if (!(signal?.aborted && e instanceof Error && e.name === 'AbortError')) {
        for (const cb of callbacks) {
          try {
            cb.onTrainError?.(view, { error: e });
          } catch {
            // the training's error is the one to report
          }
        }
        throw e;
      }
      aborted = e;
    } finally {
      module.eval();
    }
    const end: TrainEndInfo = aborted ? { aborted: true, reason: signal!.reason } : { aborted: false };
    for (const cb of callbacks) cb.onTrainEnd?.(view, end);
    if (aborted) throw aborted;
    return this;
  }

  /** The stratified train/validation split of trainSplit, its errors in terms of trainSplit. */
  private split(labels: Int32Array, f: number, fn: string): { train: Int32Array; valid: Int32Array } {
    try {
      return trainValidSplit(labels, { validFraction: f });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      const k = Math.round(1 / f);
      const counts = new Map<number, number>();
      for (const v of labels) counts.set(v, (counts.get(v) ?? 0) + 1);
      let largest = 0; // (a spread of 125k+ classes would overflow the call stack)
      for (const c of counts.values()) largest = Math.max(largest, c);
      const need = Math.abs(1 / f - k) < 1e-9
        ? `a validation fraction of ${f} (1 in ${k}, stratified) needs a class with at least ${k} samples`
        : `a validation fraction of ${f} leaves no sample for training or for validation`;
      throw new RangeError(
        `${fn}: trainSplit ${f}: ${need}; y has ${labels.length} samples, ${largest} in its largest class. ` +
          'Use more data, another trainSplit, trainSplit: null (no validation) or options.validation',
        { cause: e },
      );
    }
  }

  private activeCallbacks(o: typeof this.opts): Callback[] {
    const cbs: Callback[] = [];
    if (o.verbose >= 2) cbs.push(new ProgressBar());
    if (o.verbose >= 1) cbs.push(new PrintLog());
    return [...cbs, ...o.callbacks];
  }

  /** `failed`: the error `where` threw (a non-finite parameter it refused) instead of giving a non-finite value. */
  private divergence(
    epoch: number,
    batch: number,
    where: string,
    input?: Tensor,
    failed?: unknown,
  ): TrainingDivergedError {
    const bad = nonFiniteState(this.module_!);
    let layer = bad?.name ?? null;
    let at = bad ? `; ${bad.kind} '${bad.name}' holds NaN/Infinity` : '';
    if (!layer && input) {
      // Finite parameters but a non-finite loss: an activation overflowed. Name the first layer whose output did.
      layer = this.firstNonFiniteOutput(input);
      if (layer) at = `; layer '${layer}' produced NaN/Infinity from finite parameters`;
    }
    const what = failed === undefined ? 'is not finite' : 'failed';
    const why = failed === undefined ? '' : ` (${failed instanceof Error ? failed.message : String(failed)})`;
    return new TrainingDivergedError(
      `training diverged at epoch ${epoch}, batch ${batch}: the ${where} ${what}${at}${why}. ` +
        'Lower the learning rate or standardize the inputs.',
      epoch,
      batch,
      layer,
      failed === undefined ? undefined : { cause: failed },
    );
  }

  /**
   * Re-runs the forward pass of `input` and returns the name of the first submodule that outputs NaN/Infinity.
   * nn.MLP runs unfused for it: a fused Linear + activation node calls no submodule's forward.
   */
  private firstNonFiniteOutput(input: Tensor): string | null {
    const root = this.module_!;
    let found: string | null = null;
    const patched: nn.Module[] = [];
    const unfused: nn.MLP[] = [];
    for (const m of root.modules()) {
      if (m instanceof nn.MLP && m.fuse) {
        m.fuse = false;
        unfused.push(m);
      }
    }
    for (const [name, m] of root.namedModules()) {
      if (m === root || Object.prototype.hasOwnProperty.call(m, 'forward')) continue;
      const orig = m.forward;
      (m as any).forward = function (this: nn.Module, ...args: unknown[]): unknown {
        const out = orig.apply(this, args as any);
        if (found === null && out instanceof Tensor && out.data.some((v: number) => !Number.isFinite(v))) found = name;
        return out;
      };
      patched.push(m);
    }
    try {
      noGrad(() => root.forward(input));
    } catch {
      /* the diagnosis is best effort */
    } finally {
      for (const m of patched) delete (m as any).forward;
      for (const m of unfused) m.fuse = true;
    }
    return found;
  }

  private async evaluate(
    X: FloatArray,
    y: Int32Array,
    features: number,
    o: { batchSize: number; dtype: 'float32' | 'float64' },
    maybeYield: () => Promise<void>,
    onBatch?: (b: number, nb: number, loss: number, size: number) => void,
  ): Promise<{ loss: number; acc: number; batches: number }> {
    const module = this.module_!;
    module.eval();
    const n = y.length;
    const bs = o.batchSize;
    const nb = Math.ceil(n / bs);
    // The forward pass runs over chunks of whole batches (about 1024 rows: fewer, larger GEMMs), the loss per
    // batch as before, when each row's logits do not depend on the rows computed with it (`rowwise`): the figures
    // are the same as batch by batch. Otherwise (a BatchNorm without running statistics, a user's module) batch by
    // batch, as training's batches are.
    // One batch at a time on the TypeScript backend, where 1024 rows take ~100 ms: the event loop waits for a chunk.
    const perChunk = backend().name === 'js' || !rowwise(module) ? 1 : Math.max(1, Math.floor(1024 / bs));
    let lossSum = 0;
    let correct = 0;
    for (let b0 = 0; b0 < nb; b0 += perChunk) {
      const from0 = b0 * bs;
      const to0 = Math.min(n, (b0 + perChunk) * bs);
      const res = noGrad(() => {
        const logits = module.forward(tensor(X.subarray(from0 * features, to0 * features), { shape: [to0 - from0, features], dtype: o.dtype, copy: false }));
        const classes = logits.shape[1];
        const out: { loss: number; right: number; m: number }[] = [];
        for (let from = from0; from < to0; from += bs) {
          const to = Math.min(to0, from + bs);
          const m = to - from;
          const yb = y.subarray(from, to);
          const lb = logits.data.subarray((from - from0) * classes, (to - from0) * classes);
          const l = crossEntropy(tensor(lb, { shape: [m, classes], dtype: o.dtype, copy: false }), yb).item();
          out.push({ loss: l, right: countCorrect(lb, m, classes, yb), m });
        }
        return out;
      });
      for (let j = 0; j < res.length; j++) {
        lossSum += res[j].loss * res[j].m;
        correct += res[j].right;
        onBatch?.(b0 + j, nb, res[j].loss, res[j].m);
      }
      await maybeYield();
    }
    return { loss: lossSum / n, acc: correct / n, batches: nb };
  }

  // ----- inference -------------------------------------------------------------------------------------

  private requireFitted(): nn.Module {
    if (!this.module_) throw new Error('NeuralNetClassifier: call fit() (or load a model) before predicting');
    return this.module_;
  }

  /**
   * Logits for X, row-major n x classes. X holds rows of the model's input size: a flat typed array (or 1-D
   * Tensor) of n * inputs values, an n x inputs Tensor, or an array of rows; no rows give an empty result.
   */
  forward(X: FloatArray | number[][] | Tensor, n?: number): { data: FloatArray; n: number; classes: number } {
    return this.inEvalMode((module) => this.forwardEval(module, X, n));
  }

  /**
   * `run` with the fitted module in eval mode. predict() in a fit's pause (a service answering while it retrains)
   * must not leave the module in eval mode for the rest of that epoch (no dropout, BatchNorm on running
   * statistics): the mode is put back at the end.
   */
  private inEvalMode<T>(run: (module: nn.Module) => T): T {
    const module = this.requireFitted();
    const modes = [...module.modules()].map((m) => [m, m.training] as const);
    module.eval();
    try {
      return run(module);
    } finally {
      for (const [m, training] of modes) m.training = training;
    }
  }

  /**
   * The logits of X (rows checked as forward documents), n x classes; with `each`, handed over chunk by chunk
   * (`from`: the chunk's first row) and not kept: predict and score need one row of them at a time (1M rows of
   * 1000 classes are 4 GB).
   */
  private forwardEval(
    module: nn.Module,
    X: FloatArray | number[][] | Tensor,
    n: number | undefined,
    each?: (logits: FloatArray, from: number, classes: number, n: number) => void,
  ): { data: FloatArray; n: number; classes: number } {
    const features = this.inputFeatures(X);
    const matrix = X instanceof Tensor && X.shape.length === 2;
    let count = n ?? (matrix ? (X as Tensor).shape[0] : Array.isArray(X) ? X.length : 0);
    const flat = X instanceof Tensor ? X.data : X;
    if (n === undefined && !matrix && (flat instanceof Float32Array || flat instanceof Float64Array)) {
      if (flat.length % features !== 0) {
        throw new RangeError(
          `X has ${flat.length} values, not a whole number of rows of the model's ${features} input features`,
        );
      }
      count = flat.length / features;
    }
    // the fitted module's dtype: a setParams({ dtype }) since applies at the next fit
    const dtype = (this.built?.dtype ?? this.opts.dtype) as 'float32' | 'float64';
    if (n !== undefined && X instanceof Tensor && X.shape.length >= 2 && X.shape[0] !== n) {
      throw new RangeError(`X has shape [${X.shape.join(', ')}]: ${X.shape[0]} rows, not the n = ${n} asked for`);
    }
    const { data } = asMatrix(X, count, dtype, 'X', features);
    // as fit refuses them: NaN/Infinity inputs would give NaN probabilities and an arbitrary class, not an error
    checkFinitePiece(data, 0, data.length, features, 'X', '', X);
    const chunk = 4096;
    let out: FloatArray | null = null;
    let classes = 0;
    noGrad(() => {
      for (let from = 0; from < count; from += chunk) {
        const to = Math.min(count, from + chunk);
        const logits = module.forward(tensor(data.subarray(from * features, to * features), { shape: [to - from, features], dtype, copy: false }));
        classes = logits.shape[1];
        this.checkFiniteOutput(logits.data, classes, from);
        if (each) {
          each(logits.data, from, classes, count);
          continue;
        }
        if (!out) out = new (data instanceof Float32Array ? Float32Array : Float64Array)(count * classes);
        out.set(logits.data, from * classes);
      }
    });
    return { data: out ?? alloc(dtype, 0), n: count, classes };
  }

  /**
   * Logits must be finite: NaN ones (weights a diverged fit left, or an activation that overflowed) would give NaN
   * probabilities and class 0 for every row, and Infinity ones NaN probabilities.
   */
  private checkFiniteOutput(logits: FloatArray, classes: number, firstRow = 0): void {
    const i = firstNonFinite(logits);
    if (i < 0) return;
    const bad = nonFiniteState(this.module_!);
    if (bad !== null) {
      throw new Error(
        `the model's '${bad.name}' holds NaN/Infinity (a fit that diverged leaves its weights so): fit it again ` +
          'before predicting',
      );
    }
    const row = firstRow + Math.floor(i / Math.max(1, classes));
    throw new RangeError(
      `X[${row}]: the model's output is ${logits[i]} (finite weights: an activation or product overflowed); ` +
        'scale the inputs',
    );
  }

  /** Class probabilities (softmax of the logits), row-major n x classes. */
  predictProba(X: FloatArray | number[][] | Tensor): FloatArray {
    const { data, n, classes } = this.forward(X);
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let j = 0; j < classes; j++) mx = Math.max(mx, data[i * classes + j]);
      let s = 0;
      for (let j = 0; j < classes; j++) s += data[i * classes + j] = Math.exp(data[i * classes + j] - mx);
      for (let j = 0; j < classes; j++) data[i * classes + j] /= s;
    }
    return data;
  }

  /** Predicted class per row. */
  predict(X: FloatArray | number[][] | Tensor): Int32Array {
    let out = new Int32Array(0); // no rows: no chunk
    this.inEvalMode((module) =>
      this.forwardEval(module, X, undefined, (logits, from, classes, n) => {
        if (from === 0) out = new Int32Array(n);
        const rows = classes > 0 ? logits.length / classes : 0;
        for (let i = 0; i < rows; i++) out[from + i] = argmaxRow(logits, i * classes, classes);
      }),
    );
    return out;
  }

  /** Accuracy on (X, y). */
  score(X: FloatArray | number[][] | Tensor, y: ArrayLike<number> | Tensor): number {
    const labels = asLabels(y);
    const pred = this.predict(X);
    if (pred.length !== labels.length) throw new RangeError(`X has ${pred.length} rows but y has ${labels.length} labels`);
    if (labels.length === 0) {
      throw new RangeError('score: X and y have no rows (the accuracy of no samples is undefined)');
    }
    let right = 0;
    for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) right++;
    return right / labels.length;
  }

  /**
   * The width predict/score take: the module's declared input size, else the width the last fit trained on (a
   * custom module), else X's own (rows, or a 2-D Tensor: a loaded model whose module declares none).
   */
  private inputFeatures(X: FloatArray | number[][] | Tensor): number {
    const declared = declaredInputs(this.requireFitted());
    if (declared !== null) return declared;
    if (this.fitFeatures !== null) return this.fitFeatures;
    if (X instanceof Tensor && X.shape.length === 2) return X.shape[1];
    if (Array.isArray(X) && Array.isArray(X[0])) return (X[0] as unknown[]).length;
    throw new RangeError(
      "X: this model's module does not declare its input width and was not fitted in this process: pass X as rows " +
        '(number[][]) or as a 2-D Tensor',
    );
  }

  // ----- weights, save and load ------------------------------------------------------------------------

  getWeights(): Record<string, Float32Array | Float64Array> {
    const out: Record<string, Float32Array | Float64Array> = {};
    for (const [name, p] of this.requireFitted().namedParameters()) out[name] = p.data.slice();
    for (const [name, b] of namedBuffers(this.module_!)) out[name] = b.data.slice();
    return out;
  }

  /**
   * @internal The model as an epoch end leaves it: its weights and what save() writes to train on (`resume`: the
   * shuffle stream, the last order, the dropout streams). `swishnet train` puts it back when Ctrl-C stops an epoch
   * half-way, so that the file it saves trains on as the model its history describes: the interrupted epoch has
   * already shuffled the order and drawn from the streams.
   */
  epochState(): { weights: Record<string, Float32Array | Float64Array>; resume: Record<string, unknown> | null } {
    const weights = this.getWeights();
    return { weights, resume: this.rng ? this.resumeJSON(this.module_!) : null };
  }

  /** @internal Puts back what epochState() returned. */
  restoreEpochState(s: ReturnType<NeuralNetClassifier['epochState']>): void {
    this.setWeights(s.weights);
    if (s.resume) this.restoreResume(s.resume);
  }

  /**
   * Sets every parameter and buffer from `w` (name -> Float32Array/Float64Array, as getWeights returns). All of
   * it is checked before anything is written (names, types, lengths, finite values, the modules' own rules such
   * as BatchNorm's variance >= 0), so a refused call leaves the model as it was.
   */
  setWeights(w: Record<string, Float32Array | Float64Array>): void {
    this.setWeightsAs(w, (name) => `setWeights: '${name}'`);
  }

  /** setWeights, with `at(name)` naming an entry in the errors of the modules' own rules (load names its own). */
  private setWeightsAs(w: Record<string, Float32Array | Float64Array>, at: (name: string) => string): void {
    const module = this.requireFitted();
    if (w === null || typeof w !== 'object' || Array.isArray(w)) {
      throw new TypeError(`setWeights: 'weights' must be an object of name -> Float32Array/Float64Array, got ${
        w === null ? 'null' : Array.isArray(w) ? 'an array' : typeof w}`);
    }
    const all = [...module.namedParameters(), ...namedBuffers(module)];
    const names = new Set(all.map(([name]) => name));
    const unexpected = Object.keys(w).filter((k) => !names.has(k));
    if (unexpected.length > 0) {
      throw new RangeError(
        `setWeights: ${unexpected.map((k) => `'${k}'`).join(', ')} ${unexpected.length === 1 ? 'is' : 'are'} no ` +
          `parameter or buffer of the model (it has ${[...names].join(', ')})`,
      );
    }
    const state: nn.StateDict = {};
    for (const [name, p] of all) {
      const src = w[name];
      if (src === undefined) throw new RangeError(`setWeights: missing '${name}'`);
      if (!(src instanceof Float32Array || src instanceof Float64Array)) {
        throw new TypeError(`setWeights: '${name}' must be a Float32Array or Float64Array, got ${describeTyped(src)}`);
      }
      if (src.length !== p.data.length) {
        throw new RangeError(`setWeights: '${name}' has ${src.length} values, expected ${p.data.length}`);
      }
      const bad = firstNonFinite(src);
      if (bad >= 0) {
        throw new RangeError(`setWeights: '${name}'${indexOf(bad, p.shape)} = ${src[bad]}: weights must be finite numbers`);
      }
      state[name] = { shape: [...p.shape], dtype: p.dtype, data: src };
    }
    module.loadStateAs(state, true, at); // checks the modules' rules for every entry before it copies any
  }

  /**
   * The model as JSON: architecture (module params, activation names and parameters), weights, parameters,
   * history, classes_, and what training on needs besides (`resume`: the shuffle stream, the last epoch's order,
   * the dropout streams). Not the optimizer's state (momentum buffers, Adam's moments and step counts): a model
   * loaded from it trains on (warmStart, partialFit) with a fresh optimizer. A model with a NaN/Infinity weight
   * (training diverged) is refused: the file would predict garbage, and load() refuses it.
   */
  toModelJSON(): Record<string, unknown> {
    const module = this.requireFitted();
    const o = this.opts;
    const built = this.built ?? { module: o.module, moduleParams: o.moduleParams, dtype: o.dtype, seed: o.seed };
    const why = this.saveProblem();
    if (why) throw new Error(why);
    const weights: Record<string, { shape: number[]; dtype: string; data: string }> = {};
    const bad = nonFiniteState(module);
    if (bad) {
      const { kind, name, tensor: t, index } = bad;
      throw new RangeError(
        `cannot save this model: its ${kind} '${name}'${indexOf(index, t.shape)} = ${t.data[index]} (did training ` +
          'diverge?); a model with NaN/Infinity weights predicts garbage. Lower the learning rate and fit again',
      );
    }
    // The file is one JSON string with each tensor in base64: past V8's longest string (~512M characters: a 400 MB
    // tensor, or ~400 MB of weights in all) it cannot be built. Said here, naming the size, rather than V8's
    // "Cannot create a string longer than 0x1fffffe8 characters".
    const entries = [...module.namedParameters(), ...namedBuffers(module)];
    const b64 = (bytes: number): number => 4 * Math.ceil(bytes / 3);
    const chars = (t: Tensor): number => b64(t.data.byteLength);
    // the resume state's order (and rows) are base64 too: 4 bytes a training row
    const last = this.lastOrder;
    const state = last ? b64(last.order.byteLength) + b64(last.rows.byteLength) : 0;
    const total = entries.reduce((a, [, p]) => a + chars(p), 0) + state;
    // V8's longest string, less 1 MiB for the rest of the file (parameters, history, the JSON around the data)
    const limit = saveLimits.maxString - (1 << 20);
    if (total > limit) {
      const [big, t] = entries.reduce((a, e) => (chars(e[1]) > chars(a[1]) ? e : a));
      throw new RangeError(
        `cannot save this model: its weights${state ? ' and training order' : ''} take ${total} characters as ` +
          `base64 (the largest weight, '${big}', ${chars(t)}), over the ${limit} a model file can give them (it is ` +
          `one JSON string, and a JavaScript string holds at most ${saveLimits.maxString} characters): save the ` +
          'weights yourself (getWeights() or module.stateDict())',
      );
    }
    for (const [name, p] of entries) {
      const bytes = Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength);
      weights[name] = { shape: [...p.shape], dtype: p.dtype, data: bytes.toString('base64') };
    }
    const notes: string[] = [];
    const params = Object.fromEntries(
      Object.entries(this.getParams()).filter(
        ([k]) => !k.startsWith('module__') && k !== 'callbacks' && k !== 'module',
      ),
    );
    params.dtype = built.dtype;
    params.seed = built.seed;
    const opt = this.opts.optimizer;
    if (typeof opt === 'function') {
      const name = opt === SGD ? 'sgd' : opt === Adam ? 'adam' : opt === AdamW ? 'adamw' : null;
      if (name) params.optimizer = name;
      else {
        delete params.optimizer;
        notes.push(
          `optimizer: the class ${opt.name || '(anonymous)'} is not saved (a class cannot be written); ` +
            'the loaded model predicts without it and trains with the default optimizer unless one is set',
        );
      }
    }
    // an nn.MLP a factory built is written as the module 'mlp' with that MLP's own parameters (the factory itself
    // cannot be written: the loaded estimator builds nn.MLP directly when it fits from scratch)
    let moduleParams: Record<string, unknown> = built.moduleParams;
    if (!isMlpModule(built.module) && module instanceof nn.MLP) {
      const { activation: _spec, ...own } = module.config();
      moduleParams = { ...own, activation: mlpActivation(module) };
      notes.push(
        "module: the factory is not saved (a function cannot be written); its nn.MLP is, as module 'mlp' with the " +
          'parameters it was built with',
      );
    }
    return {
      format: 'swishnet-model',
      formatVersion: 1,
      module: 'mlp',
      moduleParams: serializableParams({
        ...moduleParams,
        ...this.savedActivation(module, moduleParams.activation, notes),
      }),
      architecture: typeof (module as any).toJSON === 'function' ? (module as any).toJSON() : null,
      params: serializableParams(params),
      weights,
      history: this.history.toJSON(),
      ...(this.classes_ ? { classes: Array.from(this.classes_) } : {}),
      ...(this.rng ? { resume: this.resumeJSON(module) } : {}),
      ...(notes.length > 0 ? { notes } : {}),
    };
  }

  /**
   * What a fit that trains on (partialFit, a warm start) needs besides the weights, so that a loaded model goes on
   * as this estimator would: the shuffle stream's state, the last epoch's order of the training rows (Int32 in
   * base64), the rows it orders only where they are not that order sorted (the whole set and the stratified split
   * are), and the modules' own random streams (the dropout masks'), a stream shared by several modules once.
   */
  private resumeJSON(module: nn.Module): Record<string, unknown> {
    const out: Record<string, unknown> = { rng: this.rng!.getState() };
    const last = this.lastOrder;
    if (last) {
      out.order = int32Base64(last.order);
      if (!increasing(last.rows)) out.rows = int32Base64(last.rows);
    }
    const { rngs, rngStates } = moduleExtras(module);
    if (rngStates.length > 0) Object.assign(out, { rngs, rngStates });
    return out;
  }

  /**
   * The activation as load() rebuilds it: a shared Module instance as its { type, config } (one module, as
   * trained), a factory or class as the { name, ...params } spec of the module it built (one per layer).
   */
  private savedActivation(module: nn.Module, act: unknown, notes: string[]): { activation?: unknown } {
    // An activation load() cannot rebuild (a custom Module) is written as { unsaved: its class name } with a note,
    // not refused: the file still holds the weights and history (a Checkpoint must not stop training for it), and
    // load() says what is missing.
    const unsaved = (what: string, name: string): { activation: unknown } => {
      notes.push(
        `activation: ${what} ${name} is not a built-in nn module and cannot be rebuilt by load(); the weights are ` +
          'in the file (load them with module.loadStateDict), or register the activation by name (registerActivation)',
      );
      return { activation: { unsaved: name } };
    };
    if (act instanceof nn.Module) {
      if (!isBuiltinModule(act)) return unsaved('the module', act.constructor.name);
      return { activation: act.toJSON() };
    }
    if (typeof act !== 'function' || !(module instanceof nn.MLP)) return {};
    const built = module.activations;
    const first = built[0];
    if (first === undefined) return { activation: 'relu' }; // no hidden layer: the activation is never used
    if (!isBuiltinModule(first) || built.some((m) => m.constructor !== first.constructor)) {
      return unsaved('the factory-built module', first.constructor.name);
    }
    return { activation: first.config() };
  }

  /**
   * Why save() would refuse this estimator's module (a module other than nn.MLP), or null. Checkpoint({ file })
   * asks before the first epoch.
   */
  saveProblem(): string | null {
    if (isMlpModule((this.built ?? { module: this.opts.module }).module)) return null;
    // a factory: saveable when what it built is an nn.MLP (known once the module is built)
    return this.module_ instanceof nn.MLP
      ? null
      : 'save/load supports the built-in nn.MLP module (given as such or built by a factory); save custom modules ' +
          'with module.stateDict()';
  }

  /**
   * Writes the model (toModelJSON) to `file`, through a temporary file in its folder renamed over it
   * (writeFileAtomic: a reader never sees half a file, a failed write leaves no temporary file behind, a symlink is
   * written through). A folder this process cannot write is a RangeError before the model is serialized.
   */
  save(file: string): void {
    checkModelPath(file, 'save');
    checkOutputFile(file, "save: 'file'", { viaTemp: true });
    writeFileAtomic(file, JSON.stringify(this.toModelJSON()));
  }

  /**
   * Restores a model written by save(). Every entry is checked before it is used, and a bad one is named: the
   * module ('mlp'), each weight entry's shape, dtype and data (base64 of the shape's count of finite values) against
   * the rebuilt model's parameter, the history's records, `resume`. Unknown activation names fail loudly. A file
   * without `resume` (written before it was) loads too: it trains on from the seed's shuffle stream.
   */
  static fromModelJSON(json: any): NeuralNetClassifier {
    if (!json || json.format !== 'swishnet-model') throw new Error('not a swishnet model file (format !== "swishnet-model")');
    if (json.formatVersion !== 1) throw new Error(`unsupported swishnet model formatVersion ${json.formatVersion}`);
    if (json.module !== 'mlp') {
      const Err = typeof json.module === 'string' ? RangeError : TypeError;
      throw new Err(`cannot load this model: 'module' is ${shown(json.module)}; a model file holds an nn.MLP ('mlp')`);
    }
    // the entries' own types first: the activation below reads their dtypes
    const w = json.weights;
    if (w === null || typeof w !== 'object' || Array.isArray(w)) {
      throw new TypeError(
        `cannot load this model: 'weights' must be an object of { shape, dtype, data } entries, got ${described(w)}`,
      );
    }
    const entries = new Map(Object.entries<unknown>(w).map(([name, e]) => [name, savedEntry(name, e)]));
    const history = json.history ?? [];
    checkRecords(history, "cannot load this model: 'history'");
    let act = json.moduleParams?.activation;
    if (act && typeof act === 'object' && typeof act.unsaved === 'string') {
      throw new Error(
        `cannot load this model: it was trained with the custom activation module ${act.unsaved}, which a file ` +
          'cannot hold; build the module yourself and load the file\'s weights with loadStateDict',
      );
    }
    // a shared activation module was saved as { type, config } (Module.toJSON)
    const asModule =
      act && typeof act === 'object' && typeof act.type === 'string' && act.config && typeof act.config === 'object';
    if (asModule) act = act.config;
    const actName = typeof act === 'string' ? act : act && typeof act === 'object' && typeof act.name === 'string' ? act.name : null;
    if (actName !== null && !hasActivation(actName)) {
      throw new Error(
        `cannot load this model: it uses the activation '${actName}', which is not registered in this process. ` +
          `Register it first (registerActivation('${actName}', ...), or --require MODULE on the command line) with the same definition it was trained with`,
      );
    }
    const moduleParams = { ...(json.moduleParams ?? {}) };
    if (asModule) {
      const m = nn.fromJSON(moduleParams.activation);
      // its parameters in the dtype they were saved in (the module was shared as given, not converted)
      const saved = [...entries].find(([k]) => k.startsWith('activation.'));
      if (saved) m.to(saved[1].dtype);
      moduleParams.activation = m;
    }
    const net = new NeuralNetClassifier({ ...(json.params ?? {}), module: 'mlp', moduleParams });
    net.initialize();
    const module = net.module_!;
    // A factory's modules are used as it built them: float32 PReLU parameters in a float64 MLP stay float32. The
    // file keeps their spec, which MLP builds in its own dtype: each act{i} goes back to the dtype it was saved in.
    let converted = false;
    for (const [name, m] of module.namedChildren()) {
      if (!/^act\d+$/.test(name)) continue;
      const saved = [...entries].find(([k]) => k.startsWith(`${name}.`));
      if (saved && m.parameters().some((p) => p.dtype !== saved[1].dtype)) {
        m.to(saved[1].dtype);
        converted = true;
      }
    }
    if (converted) net.initializeOptimizer(); // its state, if it keeps any, in the parameters' dtypes
    // a module's own rule (BatchNorm's variance >= 0, its batch count) is said as load's other refusals are
    const all = [...module.namedParameters(), ...namedBuffers(module)];
    net.setWeightsAs(decodeWeights(entries, all), (name) => `cannot load this model: weights['${name}']`);
    net.history = History.fromJSON(history);
    net.classes_ = savedClasses(json.classes, module);
    if (json.resume !== undefined) net.restoreResume(json.resume);
    return net;
  }

  /** The training state resumeJSON wrote, checked (an order that is no permutation of its rows would be read). */
  private restoreResume(v: unknown): void {
    const at = 'cannot load this model: resume';
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new TypeError(`${at} must be an object, got ${described(v)}`);
    }
    const r = v as Record<string, unknown>;
    const rng = rngFrom(r.rng, `${at}.rng`);
    let last: { rows: Int32Array; order: Int32Array } | null = null;
    if (r.order !== undefined) {
      const order = base64Int32(r.order, `${at}.order`);
      const sorted = order.slice().sort();
      for (let i = 0; i < sorted.length; i++) {
        if (sorted[i] < 0 || (i > 0 && sorted[i] === sorted[i - 1])) {
          const twice = sorted[i] < 0 ? '' : ' twice';
          throw new RangeError(`${at}.order holds ${sorted[i]}${twice}: it must be an order of distinct row indices`);
        }
      }
      const rows = r.rows === undefined ? sorted : base64Int32(r.rows, `${at}.rows`);
      if (!sameRows(rows.slice().sort(), sorted)) {
        throw new RangeError(`${at}.order is not an order of resume.rows (${order.length} and ${rows.length} rows)`);
      }
      last = { rows, order };
    } else if (r.rows !== undefined) {
      throw new RangeError(`${at}.rows without resume.order`);
    }
    // the modules' own streams (Dropout's rng), one generator per saved state
    const streams = new Map<nn.Module, Rng>();
    if (r.rngs !== undefined || r.rngStates !== undefined) {
      const names = r.rngs;
      const states = r.rngStates;
      if (names === null || typeof names !== 'object' || Array.isArray(names)) {
        const got = described(names);
        throw new TypeError(`${at}.rngs must be an object (module name -> index in rngStates), got ${got}`);
      }
      if (!Array.isArray(states)) throw new TypeError(`${at}.rngStates must be an array, got ${described(states)}`);
      const rngs = states.map((s, i) => rngFrom(s, `${at}.rngStates[${i}]`));
      const modules = new Map(this.module_!.namedModules());
      for (const [name, i] of Object.entries(names)) {
        const m = modules.get(name);
        if (!m || !('rng' in m)) {
          throw new RangeError(`${at}.rngs names '${name}', which is not a module with a random stream in this model`);
        }
        if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= rngs.length) {
          const range = `0 .. ${rngs.length - 1}`;
          throw new RangeError(`${at}.rngs['${name}'] must be an index in rngStates (${range}), got ${shown(i)}`);
        }
        streams.set(m, rngs[i]);
      }
    }
    this.rng = rng;
    this.lastOrder = last;
    for (const [m, s] of streams) (m as unknown as { rng: Rng }).rng = s;
  }

  /** save()'s file read back; an error reading or parsing it names the file (the original error is its cause). */
  static load(file: string): NeuralNetClassifier {
    checkModelPath(file, 'load'); // a number would be read as a file descriptor (0: stdin, until it closes)
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      const err = new Error(`cannot read the model file '${file}': ${(e as Error).message}`, { cause: e });
      throw Object.assign(err, { code: (e as NodeJS.ErrnoException).code });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new SyntaxError(
        `the model file '${file}' is not valid JSON (cut short, or not written by save()?): ${(e as Error).message}`,
        { cause: e },
      );
    }
    return NeuralNetClassifier.fromModelJSON(json);
  }
}

/** A weight entry of a model file, its types checked and its data decoded (not yet against the model). */
interface SavedEntry {
  shape: number[];
  dtype: 'float32' | 'float64';
  bytes: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of a base64 string (Buffer.from skips what is not base64 without a word: checked first). */
function base64Bytes(v: unknown, at: string): Buffer {
  if (typeof v !== 'string') throw new TypeError(`${at} must be a base64 string, got ${described(v)}`);
  if (!BASE64.test(v)) {
    throw new RangeError(`${at} is not base64 (a character other than A-Z, a-z, 0-9, +, / or = padding)`);
  }
  return Buffer.from(v, 'base64');
}

function savedEntry(name: string, e: unknown): SavedEntry {
  const at = `cannot load this model: weights['${name}']`;
  if (e === null || typeof e !== 'object' || Array.isArray(e)) {
    throw new TypeError(`${at} must be an object { shape, dtype, data }, got ${described(e)}`);
  }
  const { shape, dtype, data } = e as Record<string, unknown>;
  if (dtype !== 'float32' && dtype !== 'float64') {
    const Err = typeof dtype === 'string' ? RangeError : TypeError;
    throw new Err(`${at}.dtype must be 'float32' or 'float64', got ${described(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError(`${at}.shape must be an array of non-negative integers, got ${described(shape)}`);
  }
  return { shape, dtype, bytes: base64Bytes(data, `${at}.data`) };
}

/**
 * The weights of a file's entries for the model's parameters and buffers `all`: every one there, none besides,
 * each of the model's shape and dtype, with that count of values, all finite.
 */
function decodeWeights(entries: Map<string, SavedEntry>, all: [string, Tensor][]): Record<string, FloatArray> {
  const out: Record<string, FloatArray> = {};
  const names = new Set(all.map(([name]) => name));
  for (const name of entries.keys()) {
    if (!names.has(name)) {
      throw new RangeError(
        `cannot load this model: weights['${name}'] is no parameter or buffer of the model ` +
          `(it has ${[...names].join(', ')})`,
      );
    }
  }
  for (const [name, p] of all) {
    const e = entries.get(name);
    const at = `cannot load this model: weights['${name}']`;
    const shape = fmtShape(p.shape);
    if (!e) {
      throw new RangeError(`cannot load this model: weights has no entry '${name}' (the model's ${p.dtype} ${shape})`);
    }
    if (!sameShape(e.shape, p.shape)) {
      throw new RangeError(`${at}.shape is ${fmtShape(e.shape)}, the model's '${name}' has shape ${shape}`);
    }
    if (e.dtype !== p.dtype) throw new RangeError(`${at}.dtype is '${e.dtype}', the model's '${name}' is ${p.dtype}`);
    const size = e.dtype === 'float64' ? 8 : 4;
    const count = p.data.length;
    if (e.bytes.length !== count * size) {
      throw new RangeError(
        `${at}.data holds ${e.bytes.length} bytes, the shape's ${count} ${e.dtype} values are ${count * size} ` +
          '(cut short?)',
      );
    }
    const copy = new Uint8Array(e.bytes.length);
    copy.set(e.bytes);
    const data = e.dtype === 'float64' ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer);
    const bad = firstNonFinite(data);
    if (bad >= 0) {
      throw new RangeError(
        `cannot load this model: weights['${name}']${indexOf(bad, p.shape)} = ${data[bad]}: the weights must be ` +
          'finite numbers (the model that was saved had diverged, or the file was changed)',
      );
    }
    out[name] = data;
  }
  return out;
}

/**
 * The first parameter, or buffer (a BatchNorm running variance that overflowed), holding NaN/Infinity, with the
 * index of that value; null when all are finite.
 */
function nonFiniteState(
  m: nn.Module,
): { name: string; kind: 'parameter' | 'buffer'; tensor: Tensor; index: number } | null {
  for (const [kind, list] of [['parameter', m.namedParameters()], ['buffer', namedBuffers(m)]] as const) {
    for (const [name, tensor] of list) {
      const index = firstNonFinite(tensor.data);
      if (index >= 0) return { name, kind, tensor, index };
    }
  }
  return null;
}

/** `[i][j]...` of the flat index i of a row-major tensor of this shape ('' for a scalar). */
function indexOf(i: number, shape: readonly number[]): string {
  return multiIndex(i, shape)
    .map((k) => `[${k}]`)
    .join('');
}

function int32Base64(a: Int32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function base64Int32(v: unknown, at: string): Int32Array {
  const bytes = base64Bytes(v, at);
  if (bytes.length % 4 !== 0) {
    throw new RangeError(`${at} holds ${bytes.length} bytes, not a whole number of Int32 values`);
  }
  const out = new Int32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function increasing(a: Int32Array): boolean {
  for (let i = 1; i < a.length; i++) if (a[i] <= a[i - 1]) return false;
  return true;
}

/** An Rng in a saved state (Rng.setState's checks, named as the file's entry). */
function rngFrom(state: unknown, at: string): Rng {
  try {
    return new Rng(0).setState(state as RngState);
  } catch (e) {
    const Err = e instanceof TypeError ? TypeError : RangeError;
    throw new Err(`${at}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * classes_ of a loaded model: the file's `classes` (written since it was added; increasing non-negative integers,
 * each one an output of the module), or else 0 .. outputs - 1 for an nn.MLP (null where the count is not known).
 */
function savedClasses(v: unknown, module: nn.Module): Int32Array | null {
  const outputs = module instanceof nn.MLP ? module.outputs : null;
  if (v === undefined) return outputs === null ? null : Int32Array.from({ length: outputs }, (_, i) => i);
  if (!Array.isArray(v)) throw new TypeError(`cannot load this model: 'classes' must be an array, got ${shown(v)}`);
  v.forEach((c, i) => {
    if (typeof c !== 'number') {
      throw new TypeError(`cannot load this model: 'classes'[${i}] must be a number, got ${shown(c)}`);
    }
    if (!Number.isSafeInteger(c) || c < 0 || (i > 0 && c <= v[i - 1]) || (outputs !== null && c >= outputs)) {
      throw new RangeError(
        `cannot load this model: 'classes'[${i}] = ${c}: the classes must be increasing non-negative integers` +
          (outputs !== null ? `, each below the model's ${outputs} outputs` : ''),
      );
    }
  });
  return Int32Array.from(v);
}

function serializableParams(p: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (typeof v === 'function') {
      throw new Error(`cannot save parameter '${k}': functions are not serializable (register activations by name)`);
    }
    out[k] = v && typeof (v as any).toJSON === 'function' ? (v as any).toJSON() : v;
  }
  return out;
}

function namedBuffers(m: nn.Module): [string, Tensor][] {
  const f = (m as any).namedBuffers;
  return typeof f === 'function' ? [...f.call(m)] : [];
}

function argmaxRow(d: FloatArray, off: number, k: number): number {
  let best = 0;
  let bv = d[off];
  for (let j = 1; j < k; j++) if (d[off + j] > bv) (bv = d[off + j]), (best = j);
  return best;
}

function countCorrect(logits: FloatArray, m: number, k: number, y: Int32Array): number {
  let right = 0;
  for (let i = 0; i < m; i++) if (argmaxRow(logits, i * k, k) === y[i]) right++;
  return right;
}

/** TypeError unless `file` (save's, load's) is a non-empty path string. */
function checkModelPath(file: unknown, fn: string): void {
  if (typeof file !== 'string' || file === '') {
    throw new TypeError(`${fn}: 'file' must be a non-empty path string, got ${shown(file)}`);
  }
}

/** TypeError unless `v` (moduleParams, optimizerParams) is a plain object of named values. */
function checkParamsObject(v: unknown, key: string): void {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new TypeError(`${key} must be an object of named values, got ${shown(v)}`);
  }
}

/** Turns { moduleParams: {a}, optimizerParams: {b} } into module__a / optimizer__b plus the rest. */
function flattenOptions(o: NeuralNetClassifierOptions): Record<string, unknown> {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw new TypeError(`NeuralNetClassifier: 'options' must be an object, got ${shown(o)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if ((k === 'moduleParams' || k === 'optimizerParams') && v !== undefined) checkParamsObject(v, k);
    if (k === 'moduleParams' && v) for (const [mk, mv] of Object.entries(v)) out[`module__${mk}`] = mv;
    else if (k === 'optimizerParams' && v) for (const [ok, ov] of Object.entries(v)) out[`optimizer__${ok}`] = ov;
    else out[k] = v;
  }
  return out;
}

