/**
 * Cross-validation splits with scikit-learn's assignment rules, so that a skorch / GridSearchCV experiment
 * can be reproduced fold for fold (without shuffling; with shuffling the folds have the same sizes and class
 * make-up, but the random choices come from swishnet's seeded Rng, not numpy's Mersenne Twister).
 *
 * StratifiedKFold (scikit-learn >= 0.22, sklearn/model_selection/_split.py, _make_test_folds):
 *  1. Encode the classes by ORDER OF FIRST APPEARANCE in y: the first label seen is class 0, the next new
 *     one class 1, ... (sklearn takes np.unique's sorted encoding and then re-maps it through the first-
 *     occurrence indices, so the effective order is appearance, not sorted value).
 *  2. y_order = the encoded labels sorted ascending. Fold i receives allocation[i][k] = the number of class-k
 *     entries in y_order[i], y_order[i + nSplits], y_order[i + 2 nSplits], ... (a round robin over the sorted
 *     labels: every fold gets within one sample of each class's ideal share, and fold sizes within one).
 *  3. For each class k, its samples in their original order receive the fold ids
 *     [0] * allocation[0][k] ++ [1] * allocation[1][k] ++ ... (shuffle: that id list is shuffled first).
 *  4. Fold i: test = the indices whose fold id is i, increasing; train = all the others, increasing.
 *  Errors as sklearn: nSplits greater than every class count throws; greater than the smallest class count
 *  only warns (process warning 'SWISHNET_SMALL_CLASS').
 *
 * KFold: fold sizes n // nSplits, the first n % nSplits folds one larger; fold i takes the next block of
 * the order 0..n-1 (or of a seeded permutation when shuffle). Test and train indices are returned sorted.
 *
 * skorch's default train_split is ValidSplit(5): the FIRST fold of StratifiedKFold(5) without shuffling
 * (KFold(5) when not stratified); trainValidSplit reproduces that.
 */
import { checkSeed, Rng } from '../util/random';
import { takeRows, shuffledIndices } from './batch';
import { describeTyped } from '../activations/validate';
import { checkOptionKeys } from '../util/errors';

export { takeRows, shuffledIndices };

export type Labels = ArrayLike<number> | readonly string[];

export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

export interface SplitOptions {
  /** Shuffle before assigning folds (default false, as sklearn). */
  shuffle?: boolean;
  /** Seed (or generator) for the shuffle; default seed 0. Ignored when shuffle is false. */
  seed?: number | Rng;
}

function checkSplits(fn: string, nSplits: unknown): asserts nSplits is number {
  if (typeof nSplits !== 'number' || !Number.isInteger(nSplits)) {
    throw new TypeError(`${fn}: nSplits must be an integer, got ${describeTyped(nSplits)}`);
  }
  if (nSplits < 2) throw new RangeError(`${fn}: nSplits must be at least 2, got ${nSplits}`);
}

const SPLIT_OPTION_KEYS = ['shuffle', 'seed'] as const;
const TRAIN_VALID_OPTION_KEYS = ['validFraction', 'stratified', ...SPLIT_OPTION_KEYS] as const;

function rngFrom(fn: string, opts: SplitOptions): Rng | null {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options must be an object`);
  checkOptionKeys(opts, SPLIT_OPTION_KEYS, fn);
  if (opts.shuffle !== undefined && typeof opts.shuffle !== 'boolean') {
    throw new TypeError(`${fn}: shuffle must be a boolean, got ${String(opts.shuffle)}`);
  }
  if (!opts.shuffle) return null;
  const s = opts.seed ?? 0;
  if (s instanceof Rng) return s;
  checkSeed(s, fn);
  return new Rng(s);
}

function checkLabels(fn: string, y: unknown): asserts y is Labels {
  if (y == null || typeof y === 'string' || typeof (y as ArrayLike<unknown>).length !== 'number') {
    throw new TypeError(`${fn}: y must be an array or typed array of labels`);
  }
  const a = y as ArrayLike<unknown>;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string')) {
      throw new TypeError(`${fn}: y[${i}] = ${String(v)} is not a finite number or a string`);
    }
  }
}

/**
 * Encodes labels by order of first appearance: codes[i] in 0..classes-1, counts[k] = members of class k,
 * labels[k] = the original label of class k.
 */
export function encodeLabels(y: Labels): { codes: Int32Array; counts: number[]; labels: (number | string)[] } {
  checkLabels('encodeLabels', y);
  const map = new Map<number | string, number>();
  const codes = new Int32Array(y.length);
  const counts: number[] = [];
  const labels: (number | string)[] = [];
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    let c = map.get(v);
    if (c === undefined) {
      c = labels.length;
      map.set(v, c);
      labels.push(v);
      counts.push(0);
    }
    codes[i] = c;
    counts[c]++;
  }
  return { codes, counts, labels };
}

/**
 * The fold id (0..nSplits-1) of every sample under sklearn's StratifiedKFold rules (see the file comment).
 * fold i's test set is { j : foldIds[j] === i }.
 */
export function stratifiedFoldIds(y: Labels, nSplits: number, opts: SplitOptions = {}): Int32Array {
  checkSplits('stratifiedKFold', nSplits);
  const rng = rngFrom('stratifiedKFold', opts);
  const { codes, counts } = encodeLabels(y);
  const n = codes.length;
  const nClasses = counts.length;
  if (n < nSplits) {
    throw new RangeError(`stratifiedKFold: cannot have nSplits = ${nSplits} greater than the number of samples (${n})`);
  }
  if (counts.every((c) => c < nSplits)) {
    throw new RangeError(
      `stratifiedKFold: nSplits = ${nSplits} cannot be greater than the number of members in each class ` +
        `(largest class: ${counts.reduce((a, c) => Math.max(a, c), 0)})`,
    );
  }
  // a loop, not Math.min(...counts): a spread of 125k+ classes overflows the call stack
  const minCount = counts.reduce((a, c) => Math.min(a, c), Infinity);
  if (minCount < nSplits) {
    process.emitWarning(
      `The least populated class in y has only ${minCount} members, which is less than nSplits = ${nSplits}.`,
      { code: 'SWISHNET_SMALL_CLASS' },
    );
  }
  // allocation[i][k]: members of class k among y_order[i], y_order[i + nSplits], ... where y_order lists
  // class 0 counts[0] times, then class 1, ... Walking the sorted order once gives it without sorting.
  const allocation: Int32Array[] = Array.from({ length: nSplits }, () => new Int32Array(nClasses));
  let pos = 0;
  for (let k = 0; k < nClasses; k++) {
    for (let j = 0; j < counts[k]; j++, pos++) allocation[pos % nSplits][k]++;
  }
  // Per class, the list of fold ids [0]*allocation[0][k] ++ [1]*allocation[1][k] ++ ..., optionally shuffled,
  // handed out to the class's samples in their original order.
  const foldsForClass: Int32Array[] = [];
  for (let k = 0; k < nClasses; k++) {
    const ids = new Int32Array(counts[k]);
    let p = 0;
    for (let i = 0; i < nSplits; i++) for (let j = 0; j < allocation[i][k]; j++) ids[p++] = i;
    if (rng) rng.shuffle(ids);
    foldsForClass.push(ids);
  }
  const next = new Int32Array(nClasses);
  const foldIds = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const k = codes[j];
    foldIds[j] = foldsForClass[k][next[k]++];
  }
  return foldIds;
}

/**
 * Fold i of per-sample fold ids: test = { j : foldIds[j] === i }, train the rest, both increasing (`size`: the
 * test set's size, counted here when not given). O(n) for one fold, so a splitter can build its folds one at a
 * time (all of them at once take n x nSplits: leave-one-out on 20000 samples took 1.6 GB).
 */
export function foldAt(foldIds: Int32Array, i: number, size = -1): Fold {
  const n = foldIds.length;
  if (size < 0) {
    size = 0;
    for (let j = 0; j < n; j++) if (foldIds[j] === i) size++;
  }
  const test = new Int32Array(size);
  const train = new Int32Array(n - size);
  let a = 0;
  let b = 0;
  for (let j = 0; j < n; j++) {
    if (foldIds[j] === i) test[a++] = j;
    else train[b++] = j;
  }
  return { train, test };
}

/** Splits 0..n-1 into (train, test) pairs from per-sample fold ids; both lists increasing. */
export function foldsFromIds(foldIds: Int32Array, nSplits: number): Fold[] {
  const sizes = new Int32Array(nSplits);
  for (let j = 0; j < foldIds.length; j++) sizes[foldIds[j]]++;
  return Array.from({ length: nSplits }, (_, i) => foldAt(foldIds, i, sizes[i]));
}

/** scikit-learn's StratifiedKFold(nSplits, shuffle).split(X, y), as a list of { train, test } index arrays. */
export function stratifiedKFold(y: Labels, nSplits: number, opts: SplitOptions = {}): Fold[] {
  return foldsFromIds(stratifiedFoldIds(y, nSplits, opts), nSplits);
}

/** scikit-learn's KFold(nSplits, shuffle).split(X) over n samples. */
export function kFold(n: number, nSplits: number, opts: SplitOptions = {}): Fold[] {
  return foldsFromIds(kFoldIds(n, nSplits, opts), nSplits);
}

/** The fold id of every sample under kFold's rules (fold i's test set: { j : ids[j] === i }). */
export function kFoldIds(n: number, nSplits: number, opts: SplitOptions = {}): Int32Array {
  if (typeof n !== 'number') throw new TypeError(`kFold: n must be a non-negative integer, got ${describeTyped(n)}`);
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new RangeError(`kFold: n must be an integer in [0, 2^31) (sample indices are int32), got ${n}`);
  }
  checkSplits('kFold', nSplits);
  const rng = rngFrom('kFold', opts);
  if (n < nSplits) {
    throw new RangeError(`kFold: cannot have nSplits = ${nSplits} greater than the number of samples (${n})`);
  }
  const order = rng ? shuffledIndices(n, rng) : null;
  const foldIds = new Int32Array(n);
  const base = Math.floor(n / nSplits);
  const extra = n % nSplits;
  let pos = 0;
  for (let i = 0; i < nSplits; i++) {
    const size = base + (i < extra ? 1 : 0);
    for (let j = 0; j < size; j++, pos++) foldIds[order ? order[pos] : pos] = i;
  }
  return foldIds;
}

export interface TrainValidOptions extends SplitOptions {
  /** Fraction held out for validation (default 0.2, skorch's ValidSplit(5)). */
  validFraction?: number;
  /** Keep class proportions (default true, as skorch for classifiers). */
  stratified?: boolean;
}

/**
 * The train/validation split a skorch NeuralNetClassifier makes by default.
 *
 * When 1 / validFraction is an integer k (0.2 -> 5, 0.25 -> 4, 0.1 -> 10, 0.5 -> 2), this is the first fold
 * of stratifiedKFold(y, k) (kFold(n, k) when not stratified), exactly skorch's ValidSplit(k). Other fractions
 * hold out round(validFraction * n) samples, spread over the classes in proportion (largest remainders,
 * ties to the class seen first) and taken from the start of each class (or at random with shuffle); skorch
 * would use sklearn's StratifiedShuffleSplit there, whose numpy random draws cannot be reproduced.
 */
export function trainValidSplit(y: Labels, opts: TrainValidOptions = {}): { train: Int32Array; valid: Int32Array } {
  if (opts === null || typeof opts !== 'object') throw new TypeError('trainValidSplit: options must be an object');
  checkOptionKeys(opts, TRAIN_VALID_OPTION_KEYS, 'trainValidSplit');
  checkLabels('trainValidSplit', y);
  const f = opts.validFraction ?? 0.2;
  if (typeof f !== 'number' || !(f > 0 && f < 1)) {
    throw new RangeError(`trainValidSplit: validFraction must be a number in (0, 1), got ${String(f)}`);
  }
  const stratified = opts.stratified ?? true;
  if (typeof stratified !== 'boolean') throw new TypeError('trainValidSplit: stratified must be a boolean');
  const k = Math.round(1 / f);
  const so: SplitOptions = { shuffle: opts.shuffle, seed: opts.seed }; // the split's own options (keys checked)
  const rng = rngFrom('trainValidSplit', so); // the seed and shuffle checked under this function's name
  if (Math.abs(1 / f - k) < 1e-9) {
    let fold: Fold;
    try {
      // the first fold only (the k-fold functions build all k)
      fold = foldAt(stratified ? stratifiedFoldIds(y, k, so) : kFoldIds(y.length, k, so), 0);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      throw new RangeError(`trainValidSplit: validFraction ${f} takes the first of ${k} folds, and ${e.message}`, {
        cause: e,
      });
    }
    return { train: fold.train, valid: fold.test };
  }
  const n = y.length;
  const nValid = Math.round(f * n);
  if (nValid < 1 || nValid >= n) {
    throw new RangeError(`trainValidSplit: validFraction ${f} of ${n} samples leaves an empty train or valid set`);
  }
  const { codes, counts } = stratified ? encodeLabels(y) : { codes: new Int32Array(n), counts: [n] };
  // Per class quota: floor of the ideal share, then the largest remainders get one more.
  const quota = counts.map((c) => Math.floor((c * nValid) / n));
  let left = nValid - quota.reduce((s, q) => s + q, 0);
  const byRemainder = counts
    .map((c, i) => ({ i, r: (c * nValid) / n - quota[i] }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    quota[i]++;
    left--;
  }
  // Within each class, the first quota[k] members (in original or shuffled order) go to validation.
  const members: Int32Array[] = counts.map((c) => new Int32Array(c));
  const fill = new Int32Array(counts.length);
  for (let j = 0; j < n; j++) members[codes[j]][fill[codes[j]]++] = j;
  const isValid = new Uint8Array(n);
  members.forEach((m, k) => {
    if (rng) rng.shuffle(m);
    for (let j = 0; j < quota[k]; j++) isValid[m[j]] = 1;
  });
  const fold = foldsFromIds(Int32Array.from(isValid, (v) => 1 - v), 2)[0];
  return { train: fold.train, valid: fold.test };
}
