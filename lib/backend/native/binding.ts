/**
 * Locates and loads the native addon. Order: build/Release (local build; node-gyp and cmake-js both write
 * there), build/Debug, then prebuilds/<platform>-<arch>/ through node-gyp-build.
 * SWISHNET_NATIVE_PATH=/path/to/swishnet.node loads that file and nothing else (the sanitizer build of
 * `npm run test:asan`, or a binary built elsewhere); PREBUILDS_ONLY=1 skips build/.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The package root: lib/backend/native (ts-jest) and dist/backend/native (compiled) are both 3 levels down. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface NativeBinding {
  info(): {
    isa: string;
    bestIsa: string;
    isas: string[];
    activations: string[];
    threads: number;
    /**
     * Activation calls that read + write at least this many bytes write their output with non-temporal stores;
     * null where the active kernel family has none.
     */
    streamMinBytes: number | null;
    compiler: string;
    napiVersion: number;
  };
  setIsa(name: string): void;
  setThreads(n: number): void;
  getThreads(): number;
  actForward(op: number, x: unknown, y: unknown, a: number, b: number): void;
  actBackward(op: number, x: unknown, y: unknown, go: unknown, gi: unknown, a: number, b: number): void;
  preluForward(x: unknown, y: unknown, alpha: unknown, channels: number, inner: number): void;
  preluBackward(
    x: unknown,
    go: unknown,
    gi: unknown,
    alpha: unknown,
    channels: number,
    inner: number,
    galpha: unknown,
  ): void;
  swishBetaGrad(x: unknown, go: unknown, beta: number): number;
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: unknown,
    lda: number,
    b: unknown,
    ldb: number,
    beta: number,
    c: unknown,
    ldc: number,
    bias: unknown,
    act: number,
    pa: number,
    pb: number,
    preact: unknown,
  ): void;
  sgdStep(
    w: unknown,
    g: unknown,
    buf: unknown,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    maximize: boolean,
    first: boolean,
  ): void;
  takeRows(src: unknown, features: number, idx: unknown, from: number, to: number, dst: unknown): void;
  colSum(src: unknown, rows: number, cols: number, dst: unknown, accumulate: boolean): void;
  crossEntropyForward(x: unknown, n: number, c: number, t: unknown, ignore: number, e: unknown, sums: unknown, per: unknown): void;
  gemmAsync?(...args: unknown[]): Promise<void>;
}

export interface LoadResult {
  binding: NativeBinding | null;
  path: string | null;
  tried: string[];
  errors: string[];
}

let cached: LoadResult | null = null;

export function loadNativeBinding(): LoadResult {
  if (cached) return cached;
  const tried: string[] = [];
  const errors: string[] = [];
  const explicit = process.env.SWISHNET_NATIVE_PATH;
  if (explicit) {
    const file = path.resolve(explicit);
    tried.push(file);
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const binding = require(file) as NativeBinding;
      cached = { binding, path: file, tried, errors };
    } catch (e) {
      errors.push(`${file} (SWISHNET_NATIVE_PATH): ${(e as Error).message.split('\n')[0]}`);
      cached = { binding: null, path: null, tried, errors };
    }
    return cached;
  }
  const prebuildsOnly = !!process.env.PREBUILDS_ONLY && process.env.PREBUILDS_ONLY !== '0';
  const candidates = prebuildsOnly
    ? []
    : [
        path.join(PACKAGE_ROOT, 'build', 'Release', 'swishnet.node'),
        path.join(PACKAGE_ROOT, 'build', 'Debug', 'swishnet.node'),
      ];
  for (const file of candidates) {
    tried.push(file);
    if (!fs.existsSync(file)) {
      errors.push(`${file}: not found`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const binding = require(file) as NativeBinding;
      cached = { binding, path: file, tried, errors };
      return cached;
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message}`);
    }
  }
  {
    const dir = path.join(PACKAGE_ROOT, 'prebuilds', `${process.platform}-${process.arch}`);
    tried.push(dir);
    try {
      // node-gyp-build's own path() looks in build/ first: a build/Release/swishnet.node that does not load (copied
      // from another platform, or a broken build) would hide a good prebuild. Its matchers pick the file.
      const file = prebuildFile(dir);
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const binding = require(file) as NativeBinding;
      cached = { binding, path: file, tried, errors };
      return cached;
    } catch (e) {
      errors.push(`${dir}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  cached = { binding: null, path: null, tried, errors };
  return cached;
}

interface NodeGypBuild {
  parseTuple(name: string): { name: string } | undefined;
  matchTuple(platform: string, arch: string): (t: unknown) => boolean;
  compareTuples(a: unknown, b: unknown): number;
  parseTags(file: string): { file: string } | undefined;
  matchTags(runtime: string, abi: string): (t: unknown) => boolean;
  compareTags(runtime: string): (a: unknown, b: unknown) => number;
}

/** The prebuild in prebuilds/<platform>-<arch>/ (dir) that node-gyp-build would choose for this Node and libc. */
function prebuildFile(dir: string): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const ngb = require('node-gyp-build') as NodeGypBuild;
  const root = path.dirname(dir);
  const list = (d: string): string[] => (fs.existsSync(d) ? fs.readdirSync(d) : []);
  const tuple = list(root)
    .map(ngb.parseTuple)
    .filter(ngb.matchTuple(process.platform, process.arch))
    .sort(ngb.compareTuples)[0] as { name: string } | undefined;
  const folder = path.join(root, tuple ? tuple.name : path.basename(dir));
  const best = list(folder)
    .map(ngb.parseTags)
    .filter(ngb.matchTags('node', process.versions.modules))
    .sort(ngb.compareTags('node'))[0] as { file: string } | undefined;
  if (!best) {
    if (!fs.existsSync(root)) throw new Error(`no prebuilds: ${root} does not exist`);
    throw new Error(`no prebuild for this platform, Node ABI and libc in ${folder}`);
  }
  return path.join(folder, best.file);
}
