/** `swishnet grid`: cross-validated grid search over activations on MNIST (the seed notebook's experiment). */
import * as fs from 'fs';
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
} from './train';

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
  { name: 'refit', type: 'boolean', description: 'refit the best candidate on all the data afterwards (the seed notebook does not)' },
  { name: 'data', type: 'string', metavar: 'DIR', description: 'directory of MNIST IDX files' },
  { name: 'json', type: 'string', metavar: 'FILE', description: 'write the cvResults as JSON' },
  { name: 'html', type: 'string', metavar: 'FILE', description: 'write an HTML report (parallel coordinates + table)' },
  { name: 'require', type: 'string', metavar: 'MODULE', description: 'load a module first (e.g. custom activations)' },
  { name: 'quiet', type: 'boolean', description: 'print only the results table' },
  { name: 'help', type: 'boolean', description: 'show this help' },
];

export async function runGrid(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, specs);
  const o = parsed.options;
  if (o.help) {
    process.stdout.write(
      formatHelp('Usage: swishnet grid [options]', 'Compare activations by k-fold cross-validation of the reference MLP on MNIST (GridSearchCV).', specs),
    );
    return 0;
  }
  noPositionals(parsed, 'grid');
  checkFitFlags(o);
  checkRange(o, 'cv', (v) => v >= 2, 'an integer >= 2');
  checkRange(o, 'jobs', (v) => v >= 1 || v === -1, 'a positive integer or -1 (one per core)');
  checkOutputPaths(o, ['json', 'html']);
  if (o.require) await requireModule(String(o.require));
  const acts = String(o.activations)
    .split(',')
    .filter((s) => s.trim())
    .map((s) => parseActivation(s.trim().replace(/;/g, ',')));
  if (acts.length === 0) throw new UsageError('--activations needs at least one name');
  const hidden = parseHidden(String(o.hidden));
  const { loadMnist, NeuralNetClassifier, GridSearchCV, backendInfo } = await import('../index');
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
    // Every candidate's module is built once here, before MNIST is loaded or a worker started: a bad activation
    // name or parameter is a usage error now, not a worker failure minutes later.
    for (const a of acts) base.clone().setParams({ module__activation: a }).initialize();
    return base;
  });
  const ac = new AbortController();
  const gsOptions = {
    cv: o.cv as number,
    scoring: 'accuracy' as const,
    refit: !!o.refit,
    nJobs: jobs,
    verbose: (o.quiet ? 0 : 1) as 0 | 1,
    signal: ac.signal,
    requires: o.require ? [String(o.require)] : [],
  };
  asUsage(() => new GridSearchCV(net, { module__activation: acts }, gsOptions)); // its checks, before the data
  const train = loadMnist({ split: 'train', dir: o.data as string | undefined, limit: o.limit as number | undefined });
  if (train.features !== 784) net.setParams({ module__inputs: train.features });
  if (!o.quiet)
    console.log(
      `swishnet ${info.version} · backend ${info.backend} (${info.isa}) · ${train.n} images · ${o.cv}-fold CV · ` +
        `${acts.length} candidates · ${jobs === 1 ? 'sequential' : `${jobs === -1 ? 'all cores' : jobs} workers`}`,
    );
  const onSig = (): void => ac.abort();
  process.once('SIGINT', onSig);
  const t0 = performance.now();
  const gs = new GridSearchCV(net, { module__activation: acts }, gsOptions);
  try {
    await gs.fit(train.X, train.y);
  } finally {
    process.removeListener('SIGINT', onSig);
  }
  const secs = (performance.now() - t0) / 1000;
  console.log('\n' + gs.formatTable());
  console.log(`\nbest: ${JSON.stringify(gs.bestParams)} mean accuracy ${gs.bestScore!.toFixed(4)} · total ${secs.toFixed(1)}s`);
  const payload = { backend: info, config: { activations: acts, cv: o.cv, epochs: o.epochs, hidden, seed: o.seed, limit: o.limit ?? null, jobs }, seconds: secs, ...gs.toJSON() };
  if (o.json) {
    fs.mkdirSync(path.dirname(path.resolve(String(o.json))), { recursive: true });
    fs.writeFileSync(String(o.json), JSON.stringify(payload, null, 2));
    if (!o.quiet) console.log(`results written to ${o.json}`);
  }
  if (o.html) {
    const { gridReportHtml } = await import('../viz/report');
    fs.mkdirSync(path.dirname(path.resolve(String(o.html))), { recursive: true });
    fs.writeFileSync(String(o.html), gridReportHtml(payload as any));
    if (!o.quiet) console.log(`report written to ${o.html}`);
  }
  return 0;
}
