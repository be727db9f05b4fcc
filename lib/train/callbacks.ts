/**
 * Training callbacks (skorch's model): hooks at train/epoch/batch boundaries, EarlyStopping, Checkpoint,
 * the epoch table printer and a progress bar on a TTY.
 */
import type { EpochRecord } from './history';
import { HistoryTable } from './history';
import { describeTyped } from '../activations/validate';
import { checkOutputFile } from '../util/files';

/** What a callback sees of the classifier (kept small so the trainer stays the only owner of its state). */
export interface TrainerView {
  readonly history: { epochs: EpochRecord[] };
  /** Set to true to stop after the current epoch. */
  stopTraining: boolean;
  /** Current module weights (copies). */
  getWeights(): Record<string, Float32Array | Float64Array>;
  setWeights(w: Record<string, Float32Array | Float64Array>): void;
  /** Writes the model (architecture + weights) as swishnet's JSON model format. */
  save(file: string): void;
  /** Why save() would refuse this model, or null (Checkpoint asks before the first epoch). */
  saveProblem?(): string | null;
}

export interface BatchInfo {
  epoch: number;
  batch: number;
  batches: number;
  training: boolean;
  batchSize: number;
  loss: number;
}

/** What onTrainEnd learns about how the training ended. */
export interface TrainEndInfo {
  /**
   * true when fit() was stopped by its AbortSignal (the call rejects with an AbortError after onTrainEnd):
   * the history holds the completed epochs, the weights include the updates of the interrupted epoch.
   */
  aborted: boolean;
  /** The signal's reason, when aborted. */
  reason?: unknown;
}

export interface Callback {
  onTrainBegin?(net: TrainerView, info: { maxEpochs: number; trainSize: number; validSize: number }): void;
  onEpochBegin?(net: TrainerView, info: { epoch: number; batches: number }): void;
  onBatchEnd?(net: TrainerView, info: BatchInfo): void;
  onEpochEnd?(net: TrainerView, info: { epoch: number; record: EpochRecord }): void;
  /** After the last epoch, after EarlyStopping's stop, and after an abort (info.aborted); not after an error. */
  onTrainEnd?(net: TrainerView, info: TrainEndInfo): void;
  /**
   * When training stops on an error (a TrainingDivergedError, a callback's throw), before fit rejects with it: the
   * place to clean up (ProgressBar clears its line). An error thrown here is ignored; fit rejects with the first.
   */
  onTrainError?(net: TrainerView, info: { error: unknown }): void;
}

type Monitor = 'valid_loss' | 'valid_acc' | 'train_loss' | string;

const EARLY_STOPPING_KEYS = ['monitor', 'patience', 'minDelta', 'lowerIsBetter', 'restoreBest'];
const CHECKPOINT_KEYS = ['monitor', 'file'];
/** skorch's option names and what they are called here. */
const SKORCH_NAMES: Record<string, string> = {
  threshold: 'minDelta',
  threshold_mode: "minDelta (an absolute threshold; there is no 'rel' mode)",
  lower_is_better: 'lowerIsBetter',
  load_best: 'restoreBest',
  f_params: 'file',
  dirname: 'file',
};

/** TypeError unless the options are an object, RangeError for an unknown key (with a hint for skorch's names). */
function checkOptions(o: unknown, where: string, known: string[]): void {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new TypeError(`${where}: options must be an object like { monitor: 'valid_loss' }, got ${describeTyped(o)}`);
  }
  for (const k of Object.keys(o)) {
    if (known.includes(k)) continue;
    const hint = Object.hasOwn(SKORCH_NAMES, k) ? `; skorch's '${k}' is ${SKORCH_NAMES[k]} here` : '';
    throw new RangeError(`${where}: unknown option '${k}' (known: ${known.join(', ')})${hint}`);
  }
}

/** TypeError naming the option when it is given (not undefined) with another type. */
function checkType(o: object, where: string, key: string, type: 'string' | 'number' | 'boolean'): void {
  const v = (o as Record<string, unknown>)[key];
  if (v !== undefined && typeof v !== type) {
    throw new TypeError(`${where}: ${key} must be a ${type}, got ${describeTyped(v)}`);
  }
}

/** What a record holds under a key, for error messages. */
function describeKey(record: EpochRecord, key: string, want: string): string {
  return key in record ? `is ${describeTyped(record[key])}, not ${want}` : 'is not a key of the history';
}

/** RangeError before any training step when a valid_* monitor has no validation data to come from. */
function checkValidation(where: string, monitor: string, info?: { validSize: number }): void {
  if (info && info.validSize === 0 && monitor.startsWith('valid_')) {
    throw new RangeError(
      `${where}: monitor '${monitor}' needs validation data, and this fit has none (trainSplit: null or 0 and ` +
        "no options.validation): give a trainSplit or validation data, or monitor a train_* key",
    );
  }
}

function lowerIsBetter(monitor: Monitor): boolean {
  return !/acc|score|f1|precision|recall/i.test(monitor);
}

export interface EarlyStoppingOptions {
  monitor?: Monitor;
  patience?: number;
  minDelta?: number;
  lowerIsBetter?: boolean;
  /** Restore the weights of the best epoch when stopping (or at the end). */
  restoreBest?: boolean;
}

/** Stops when `monitor` has not improved by more than minDelta for `patience` epochs. */
export class EarlyStopping implements Callback {
  readonly monitor: Monitor;
  readonly patience: number;
  readonly minDelta: number;
  readonly lowerIsBetter: boolean;
  readonly restoreBest: boolean;
  private best = NaN;
  private bestWeights: Record<string, Float32Array | Float64Array> | null = null;
  private misses = 0;
  bestEpoch = 0;
  stoppedEpoch: number | null = null;

  constructor(o: EarlyStoppingOptions = {}) {
    checkOptions(o, 'EarlyStopping', EARLY_STOPPING_KEYS);
    checkType(o, 'EarlyStopping', 'monitor', 'string');
    checkType(o, 'EarlyStopping', 'patience', 'number');
    checkType(o, 'EarlyStopping', 'minDelta', 'number');
    checkType(o, 'EarlyStopping', 'lowerIsBetter', 'boolean');
    checkType(o, 'EarlyStopping', 'restoreBest', 'boolean');
    this.monitor = o.monitor ?? 'valid_loss';
    this.patience = o.patience ?? 5;
    this.minDelta = o.minDelta ?? 0;
    this.lowerIsBetter = o.lowerIsBetter ?? lowerIsBetter(this.monitor);
    this.restoreBest = o.restoreBest ?? false;
    if (this.monitor === '') throw new RangeError("EarlyStopping: monitor must name a history key, got ''");
    if (!Number.isInteger(this.patience) || this.patience < 1)
      throw new RangeError(`EarlyStopping: patience must be a positive integer, got ${o.patience}`);
    if (!Number.isFinite(this.minDelta) || this.minDelta < 0)
      throw new RangeError(`EarlyStopping: minDelta must be a finite number >= 0, got ${o.minDelta}`);
  }
  onTrainBegin(_net: TrainerView, info?: { validSize: number }): void {
    checkValidation('EarlyStopping', this.monitor, info);
    this.best = NaN;
    this.misses = 0;
    this.bestWeights = null;
    this.bestEpoch = 0; // as the rest: a fit that completes no epoch must not report an earlier fit's
    this.stoppedEpoch = null;
  }
  onEpochEnd(net: TrainerView, { epoch, record }: { epoch: number; record: EpochRecord }): void {
    const v = record[this.monitor];
    if (typeof v !== 'number') {
      const numeric = Object.keys(record).filter((k) => typeof record[k] === 'number' && k !== 'epoch');
      throw new RangeError(
        `EarlyStopping: monitor '${this.monitor}' ${describeKey(record, this.monitor, 'a number')} ` +
          `(the numeric keys of this history: ${numeric.join(', ')})`,
      );
    }
    const improved = Number.isNaN(this.best)
      ? true
      : this.lowerIsBetter
        ? v < this.best - this.minDelta
        : v > this.best + this.minDelta;
    if (improved) {
      this.best = v;
      this.bestEpoch = epoch;
      this.misses = 0;
      if (this.restoreBest) this.bestWeights = net.getWeights();
      return;
    }
    if (++this.misses >= this.patience) {
      this.stoppedEpoch = epoch;
      net.stopTraining = true;
    }
  }
  onTrainEnd(net: TrainerView): void {
    if (this.restoreBest && this.bestWeights) net.setWeights(this.bestWeights);
  }
}

export interface CheckpointOptions {
  /** A boolean history key: save when it is true for the epoch ['valid_loss_best']. */
  monitor?: string;
  /**
   * Write the model file here on each improvement (optional, null: none; the best weights are always kept in
   * memory).
   */
  file?: string | null;
}

/** Keeps (and optionally writes) the weights of the best epoch by `monitor`. */
export class Checkpoint implements Callback {
  readonly monitor: string;
  readonly file: string | null;
  bestEpoch: number | null = null;
  bestWeights: Record<string, Float32Array | Float64Array> | null = null;
  constructor(o: CheckpointOptions = {}) {
    checkOptions(o, 'Checkpoint', CHECKPOINT_KEYS);
    checkType(o, 'Checkpoint', 'monitor', 'string');
    if (o.file !== null) checkType(o, 'Checkpoint', 'file', 'string');
    this.monitor = o.monitor ?? 'valid_loss_best';
    this.file = o.file ?? null;
    if (this.monitor === '') throw new RangeError("Checkpoint: monitor must name a boolean history key, got ''");
    if (this.file === '') {
      throw new RangeError("Checkpoint: file must be a path, got '' (leave it out to keep no file)");
    }
  }
  onTrainBegin(net: TrainerView, info?: { validSize: number }): void {
    checkValidation('Checkpoint', this.monitor, info);
    // a fit from scratch (no history): the best epoch and weights of an earlier fit are not this one's (a fit that
    // completes no epoch must not hand them out); partialFit and warm starts keep them
    if (net.history.epochs.length === 0) {
      this.bestEpoch = null;
      this.bestWeights = null;
    }
    if (this.file) {
      const unsavable = net.saveProblem?.();
      if (unsavable) throw new TypeError(`Checkpoint: file '${this.file}' cannot be written for this model: ${unsavable}`);
      // save's own check, before the first epoch instead of at the first save: a folder that cannot be written, or
      // a directory, would otherwise fail only after an epoch of training
      checkOutputFile(this.file, 'Checkpoint: file', { viaTemp: true });
    }
  }
  onEpochEnd(net: TrainerView, { epoch, record }: { epoch: number; record: EpochRecord }): void {
    const flag = record[this.monitor];
    if (typeof flag !== 'boolean') {
      const flags = Object.keys(record).filter((k) => k.endsWith('_best') && typeof record[k] === 'boolean');
      const Err = this.monitor in record ? TypeError : RangeError;
      throw new Err(
        `Checkpoint: monitor '${this.monitor}' ${describeKey(record, this.monitor, 'a boolean')} ` +
          `(the boolean keys of this history: ${flags.join(', ')})`,
      );
    }
    if (!flag) return;
    this.bestEpoch = epoch;
    this.bestWeights = net.getWeights();
    if (this.file) {
      net.save(this.file);
    }
  }
}

/**
 * Where PrintLog and ProgressBar write: process.stdout / process.stderr, or any object with a `write(string)` (a
 * stream, a collector in a test); `isTTY` makes the bar draw and the table color. Structural, so that the
 * declarations need no @types/node.
 */
export interface TextOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** The terminal's width (a TTY stream's `columns`): ProgressBar's line fits in it. */
  readonly columns?: number;
}

/** TypeError naming `where`'s 'out' unless it has a write(text) method (a stream, or any such object). */
function checkTextOutput(out: unknown, where: string): void {
  if (out === null || typeof out !== 'object' || typeof (out as { write?: unknown }).write !== 'function') {
    throw new TypeError(
      `${where}: 'out' must be a stream or an object with a write(text) method, got ${
        out === null ? 'null' : typeof out === 'string' ? `the string '${out}'` : typeof out}`,
    );
  }
}

/** Prints skorch's table one row per epoch (colored best values on a TTY). */
export class PrintLog implements Callback {
  private table: HistoryTable;
  private printed = false;
  /** Whether best values are colored (default: when `out` is a TTY). */
  readonly color: boolean;
  constructor(
    readonly out: TextOutput = process.stdout,
    color?: boolean,
  ) {
    checkTextOutput(out, 'PrintLog');
    if (color !== undefined && typeof color !== 'boolean') {
      throw new TypeError(`PrintLog: 'color' must be a boolean, got ${typeof color}`);
    }
    this.color = color ?? !!out.isTTY;
    this.table = new HistoryTable(undefined, this.color);
  }
  onTrainBegin(): void {
    this.printed = false;
  }
  onEpochEnd(_net: TrainerView, { record }: { epoch: number; record: EpochRecord }): void {
    if (!this.printed) {
      this.out.write(this.table.header() + '\n');
      this.printed = true;
    }
    this.out.write(this.table.row(record) + '\n');
  }
}

/** A per-epoch progress bar, drawn only on a TTY (plain output gets the table rows instead). */
export class ProgressBar implements Callback {
  private start = 0;
  private lastDraw = 0;
  constructor(readonly out: TextOutput = process.stderr) {
    checkTextOutput(out, 'ProgressBar');
  }
  private get enabled(): boolean {
    return !!this.out.isTTY;
  }
  onEpochBegin(): void {
    this.start = Date.now();
    this.lastDraw = 0;
  }
  onBatchEnd(_net: TrainerView, b: BatchInfo): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && b.batch + 1 < b.batches) return;
    this.lastDraw = now;
    const columns = this.out.columns;
    const line = formatEpochBar(b, (now - this.start) / 1000, typeof columns === 'number' && columns > 0 ? columns : 80);
    this.out.write(`\r${line}\x1b[K`);
  }
  onEpochEnd(): void {
    if (this.enabled) this.out.write('\r\x1b[K');
  }
  // An abort or an error ends the training in the middle of an epoch, with the bar on the line.
  onTrainEnd(): void {
    if (this.enabled) this.out.write('\r\x1b[K');
  }
  onTrainError(): void {
    this.onTrainEnd();
  }
}

const EPOCH_BAR_WIDTH = 30;

/**
 * ProgressBar's line, at most `columns - 1` characters (a longer one wraps, and `\r` then redraws only its last
 * row, leaving the others behind): `  epoch   1 train ██████░░░░   12/375 loss 0.3012 1.2s`. The bar shrinks
 * first; a terminal too narrow for the rest gets the line cut.
 */
export function formatEpochBar(b: BatchInfo, secs: number, columns = 80): string {
  const max = Math.max(1, columns - 1);
  const head = `  epoch ${String(b.epoch).padStart(3)} ${b.training ? 'train' : 'valid'} `;
  const tail = `${String(b.batch + 1).padStart(4)}/${b.batches} loss ${b.loss.toFixed(4)} ${secs.toFixed(1)}s`;
  const width = Math.min(EPOCH_BAR_WIDTH, max - head.length - tail.length - 1);
  if (width < 5) return (head + tail).slice(0, max);
  const filled = Math.round(((b.batch + 1) / b.batches) * width);
  return `${head}${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${tail}`;
}

/**
 * A built-in callback as its class and constructor options: what a fresh copy (NeuralNetClassifier.clone, one
 * per cross-validation fit) and a grid-search worker rebuild it from. `out` is a stream (PrintLog, ProgressBar).
 */
export type CallbackSpec =
  | { type: 'EarlyStopping'; options: Required<EarlyStoppingOptions> }
  | { type: 'Checkpoint'; options: { monitor: string; file?: string } }
  | { type: 'PrintLog'; options: { out?: TextOutput; color: boolean } }
  | { type: 'ProgressBar'; options: { out?: TextOutput } };

/** The spec of a built-in callback (its exact class, not a subclass); null for any other callback. */
export function callbackSpec(cb: Callback): CallbackSpec | null {
  if (cb instanceof EarlyStopping && cb.constructor === EarlyStopping) {
    const { monitor, patience, minDelta, lowerIsBetter, restoreBest } = cb;
    return { type: 'EarlyStopping', options: { monitor, patience, minDelta, lowerIsBetter, restoreBest } };
  }
  if (cb instanceof Checkpoint && cb.constructor === Checkpoint) {
    return { type: 'Checkpoint', options: { monitor: cb.monitor, ...(cb.file !== null ? { file: cb.file } : {}) } };
  }
  if (cb instanceof PrintLog && cb.constructor === PrintLog) {
    return { type: 'PrintLog', options: { out: cb.out, color: cb.color } };
  }
  if (cb instanceof ProgressBar && cb.constructor === ProgressBar) {
    return { type: 'ProgressBar', options: { out: cb.out } };
  }
  return null;
}

/** A new callback, with no state, from a spec (an absent `out` is the class's default stream). */
export function callbackFromSpec(s: CallbackSpec): Callback {
  switch (s.type) {
    case 'EarlyStopping':
      return new EarlyStopping(s.options);
    case 'Checkpoint':
      return new Checkpoint(s.options);
    case 'PrintLog':
      return new PrintLog(s.options.out, s.options.color);
    case 'ProgressBar':
      return new ProgressBar(s.options.out);
  }
}

/**
 * A fresh copy of a built-in callback (the same options, none of the state of earlier fits); any other
 * callback object is returned as it is (shared).
 */
export function copyCallback(cb: Callback): Callback {
  const s = callbackSpec(cb);
  return s === null ? cb : callbackFromSpec(s);
}
