/** Cross-validation splitters (scikit-learn's StratifiedKFold and KFold) over the functions in lib/data/split. */
import { checkSeed } from '../util/random';
import { foldAt, kFoldIds, stratifiedFoldIds } from '../data/split';
import { checkOptionKeys } from '../util/errors';
import { describeTyped } from '../activations/validate';

export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

export interface CvSplitter {
  readonly nSplits: number;
  split(n: number, y?: ArrayLike<number>): Iterable<Fold>;
}

export interface KFoldOptions {
  nSplits?: number;
  shuffle?: boolean;
  seed?: number;
}

function checkOptions(o: KFoldOptions, name: string): number {
  if (o === null || typeof o !== 'object') throw new TypeError(`${name}: options must be an object like { nSplits: 5 }`);
  checkOptionKeys(o, ['nSplits', 'shuffle', 'seed'], name);
  const n = o.nSplits ?? 5;
  if (typeof n !== 'number') throw new TypeError(`${name}: nSplits must be an integer >= 2, got ${typeof n}`);
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`${name}: nSplits must be an integer >= 2, got ${o.nSplits}`);
  if (o.shuffle !== undefined && typeof o.shuffle !== 'boolean') throw new TypeError(`${name}: shuffle must be a boolean, got ${typeof o.shuffle}`);
  if (o.seed !== undefined) checkSeed(o.seed, name);
  return n;
}

/**
 * TypeError / RangeError unless `n`, the first argument of split, is a sample count. Described briefly (an
 * MNIST-sized X passed scikit-learn's way, split(X, y), is not stringified whole into the message).
 */
function checkSampleCount(n: unknown, where: string, usage: string): asserts n is number {
  if (typeof n !== 'number') {
    throw new TypeError(
      `${where}: n must be the number of samples (a non-negative integer), got ${describeTyped(n)}; ` +
        `split takes the sample count, not the data X: ${usage}`,
    );
  }
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${where}: n must be a non-negative integer, got ${n}`);
}

/** The folds of per-sample fold ids, each built when the caller asks for it (O(n) memory at a time). */
function* foldsOf(ids: Int32Array, nSplits: number): Generator<Fold> {
  for (let i = 0; i < nSplits; i++) yield foldAt(ids, i);
}

/** Folds that keep each class's proportion (sklearn's StratifiedKFold, same assignment). */
export class StratifiedKFold implements CvSplitter {
  readonly nSplits: number;
  constructor(readonly options: KFoldOptions = {}) {
    this.nSplits = checkOptions(options, 'StratifiedKFold');
  }
  *split(n: number, y?: ArrayLike<number>): Iterable<Fold> {
    checkSampleCount(n, 'StratifiedKFold.split', 'split(y.length, y)');
    if (!y) throw new TypeError('StratifiedKFold.split needs the labels y');
    if (y.length !== n) throw new RangeError(`StratifiedKFold.split: y has ${y.length} labels for ${n} samples`);
    yield* foldsOf(stratifiedFoldIds(y, this.nSplits, { shuffle: !!this.options.shuffle, seed: this.options.seed ?? 0 }), this.nSplits);
  }
}

/** Consecutive folds (sklearn's KFold: the first n % k folds get one extra sample). */
export class KFold implements CvSplitter {
  readonly nSplits: number;
  constructor(readonly options: KFoldOptions = {}) {
    this.nSplits = checkOptions(options, 'KFold');
  }
  *split(n: number): Iterable<Fold> {
    checkSampleCount(n, 'KFold.split', 'split(n)');
    yield* foldsOf(kFoldIds(n, this.nSplits, { shuffle: !!this.options.shuffle, seed: this.options.seed ?? 0 }), this.nSplits);
  }
}
