// End-to-end training benchmark: epochs of the reference experiment (MLP 784-128-64-10, SGD lr 0.01
// momentum 0.95, batch 128, stratified 80/20 split of the 60000 MNIST training images: 48000 train + 12000
// validation per epoch) on the native backend (2 and 1 GEMM threads) and the pure-TypeScript backend, plus the
// peak RSS of a `swishnet train` process. tfjs (wasm and cpu backends) is measured in the same run; PyTorch cannot
// run here and is quoted from the issue's measurement on the same kind of machine, marked as such.
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');
const { fmt, table, median } = require('./harness');
const { loadTfjs } = require('./tfjs');
const { tfjsEpoch } = require('./tfjs_train');

// PyTorch cannot run here (no Python packages): its figure is quoted from the issue (same kind of machine).
// The tfjs peers are measured in this run (bench/tfjs_train.js); the issue's figures for them are shown beside.
const QUOTED = [['PyTorch 1.13 CPU (quoted from the issue)', 0.55]];
const TFJS_ISSUE = { wasm: 10, cpu: 52 };

/**
 * Epoch durations of the reference fit; each epoch also split into the time spent in GEMM calls, in the row
 * gather (takeRows) and in everything else (the backend's two methods timed per call: about 1500 calls per
 * epoch, a negligible cost next to the work they do).
 */
async function fitEpochs(dist, backendName, threads, epochs, data) {
  const prev = dist.setBackend(backendName);
  const be = dist.backend();
  const prevThreads = be.getThreads();
  const spent = { gemm: 0, takeRows: 0 };
  for (const k of Object.keys(spent)) {
    const f = be[k];
    be[k] = (...a) => {
      const t0 = process.hrtime.bigint();
      try {
        return f.apply(be, a);
      } finally {
        spent[k] += Number(process.hrtime.bigint() - t0) / 1e9;
      }
    };
  }
  const parts = [];
  let last = { gemm: 0, takeRows: 0 };
  try {
    be.setThreads(threads);
    const net = new dist.NeuralNetClassifier({
      module: 'mlp',
      moduleParams: { inputs: 784, hidden: [128, 64], outputs: 10, activation: 'relu' },
      lr: 0.01,
      optimizerParams: { momentum: 0.95 },
      maxEpochs: epochs,
      batchSize: 128,
      seed: 0,
      verbose: 0,
      callbacks: [
        {
          onEpochEnd: (_v, { record }) => {
            const gemm = spent.gemm - last.gemm;
            const gather = spent.takeRows - last.takeRows;
            parts.push({ gemm, gather, rest: record.dur - gemm - gather });
            last = { ...spent };
          },
        },
      ],
    });
    await net.fit(data.X, data.y);
    return { durs: net.history.epochs.map((e) => e.dur), parts };
  } finally {
    for (const k of Object.keys(spent)) delete be[k]; // back to the prototype's methods
    be.setThreads(prevThreads);
    dist.setBackend(prev);
  }
}

async function run(ctx) {
  const { print, root } = ctx;
  const dist = require(path.join(root, 'dist'));
  const data = dist.loadMnist({ split: 'train' });
  const nEpochs = ctx.quick ? 3 : 6;
  const rows = [];
  const results = {};
  const configs = [];
  if (ctx.native) configs.push(['native', 2], ['native', 1]);
  configs.push(['js', 1]);
  for (const [name, threads] of configs) {
    const epochs = name === 'js' ? (ctx.quick ? 1 : 2) : nEpochs;
    const { durs, parts } = await fitEpochs(dist, name, threads, epochs, data);
    // the first epoch includes JIT warm-up: report the median of the others when there are any
    const steady = durs.length > 1 ? durs.slice(1) : durs;
    const steadyParts = parts.length > 1 ? parts.slice(1) : parts;
    const s = median(steady);
    const split = Object.fromEntries(['gemm', 'gather', 'rest'].map((k) => [k, median(steadyParts.map((p) => p[k]))]));
    const label = `${name}${name === 'native' ? ` (${ctx.native.isa}, ${threads} thread${threads > 1 ? 's' : ''})` : ''}`;
    results[label] = { epochs: durs, secondsPerEpoch: s, split };
    rows.push([label, fmt(s, 3), fmt(split.gemm, 3), fmt(split.gather, 3), fmt(split.rest, 3), durs.map((d) => d.toFixed(3)).join(' ')]);
  }
  const best = Math.min(...Object.values(results).map((r) => r.secondsPerEpoch));
  print(table(['backend', 's/epoch', 'GEMM', 'row gather', 'rest', 'epochs (s)'], rows));
  print('');
  const peers = QUOTED.map(([name, s]) => [name, s]);
  const measured = {};
  if (ctx.noTfjs) print('tfjs peers skipped (--no-tfjs)');
  else {
    const tfjs = await loadTfjs();
    if (tfjs.error) print(`tfjs peers: ${tfjs.error}`);
    else {
      for (const [name, sample] of [
        ['wasm', ctx.quick ? { trainBatches: 15, evalBatches: 4 } : { trainBatches: 60, evalBatches: 15 }],
        ['cpu', ctx.quick ? { trainBatches: 3, evalBatches: 1 } : { trainBatches: 10, evalBatches: 3 }],
      ]) {
        try {
          const s = await tfjsEpoch(tfjs.tf, name, data, sample);
          measured[`tfjs-${name}`] = s;
          peers.push([`tfjs ${tfjs.version} ${name}${name === 'wasm' ? (tfjs.simd ? ' (SIMD)' : ' (no SIMD)') : ''}, measured (issue: ${TFJS_ISSUE[name]} s)`, s]);
        } catch (e) {
          print(`tfjs-${name}: ${e.message.split('\n')[0]}`);
        }
      }
    }
  }
  print(table(
    ['peer', 's/epoch', 'swishnet best is'],
    peers.map(([name, s]) => [name, fmt(s, 2), `${fmt(s / best, 1)}x faster`]),
  ));
  print('targets: native <= 0.25 s/epoch, js <= 8 s/epoch (2-core AVX2 machine)');

  // Peak RSS of the CLI process (`swishnet train`, default backend) over a short run.
  const cli = path.join(root, 'dist', 'cli', 'main.js');
  const code =
    `require(${JSON.stringify(cli)}).main(['train','--epochs','${ctx.quick ? 1 : 2}','--quiet'])` +
    `.then((c)=>{console.log('MAXRSS_KB', process.resourceUsage().maxRSS); process.exitCode=c;})`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: process.env });
  const m = /MAXRSS_KB (\d+)/.exec(r.stdout || '');
  const rssMb = m ? Number(m[1]) / 1024 : null;
  print(`\npeak RSS of \`swishnet train\`: ${rssMb === null ? 'n/a (' + (r.stderr || '').split('\n')[0] + ')' : rssMb.toFixed(0) + ' MB'} (target <= 600 MB)`);
  return { results, peakRssMb: rssMb, quoted: Object.fromEntries(QUOTED), measuredPeers: measured };
}

module.exports = { run };
