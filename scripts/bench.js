#!/usr/bin/env node
// npm run bench -- [suite...] [options]
//
// Suites: activations, gemm, train (runs bench/train.js when it exists), all (the default).
// Options (an option that no selected suite takes is a usage error):
//   --quick          fewer repetitions and shorter runs (about a minute)
//   --reps N         activations, gemm: at least N repetitions per measurement (default 3; more, up to 41, while
//                    the measurement stays within its time budget: bench/README.md "Method")
//   --stat min       activations, gemm: report the fastest repetition instead of the median (steadier on a busy
//                    machine)
//   --ops a,b        activations: only these ops
//   --sizes N,M      activations: element counts instead of 2^20 and 2^24 (e.g. 65536)
//   --no-tfjs        activations, train: leave out the tfjs peers
//   --json FILE      also write every figure as JSON (checked before any benchmark: its folder must be writable
//                    or creatable)
//   --no-build       benchmark the dist/ already built instead of rebuilding it first; gemm: do not build or
//                    rebuild build-cmake/gemm_bench either
//   --mock-native    harness development only: a fake "native" backend that runs the js kernels
//
// Each figure: warm-up calls, an inner loop calibrated so that one repetition lasts at least 2 ms, then the
// median of the repetitions (bench/harness.js; bench/README.md "Method" gives the counts), from fixed-seed inputs;
// every ratio compares implementations measured in the same run. A benchmark suite module exports
// `async run(ctx)` where ctx is { dist (compiled backend module and Rng), native (NativeBackend or null), quick,
// reps, print, root, args } and returns JSON-able results; bench/train.js plugs in the same way.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const SUITES = ['activations', 'gemm', 'train'];
/** The suites that read each suite-specific option (the others ignore it). */
const TAKEN_BY = {
  '--reps': ['activations', 'gemm'],
  '--stat': ['activations', 'gemm'],
  '--ops': ['activations'],
  '--sizes': ['activations'],
  '--no-tfjs': ['activations', 'train'],
};

function parseArgs(argv) {
  const o = { suites: [], stat: 'median', quick: false, reps: null, ops: null, sizes: null, json: null, build: true, mockNative: false, noTfjs: false };
  const given = new Set();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a in TAKEN_BY) given.add(a);
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--reps') {
      o.reps = Number(value());
      if (!Number.isInteger(o.reps) || o.reps < 1) fail('--reps must be a positive integer');
    } else if (a === '--ops') o.ops = value().split(',').filter(Boolean);
    else if (a === '--sizes') {
      o.sizes = value()
        .split(',')
        .map((s) => Number(s));
      if (o.sizes.some((s) => !Number.isInteger(s) || s < 1)) fail('--sizes must be positive integers');
    } else if (a === '--json') o.json = value();
    else if (a === '--stat') {
      o.stat = value();
      if (o.stat !== 'median' && o.stat !== 'min') fail("--stat must be 'median' or 'min'");
    } else if (a === '--no-build') o.build = false;
    else if (a === '--no-tfjs') o.noTfjs = true;
    else if (a === '--mock-native') o.mockNative = true;
    else if (a === '-h' || a === '--help') {
      const lines = fs.readFileSync(__filename, 'utf8').split('\n').slice(1);
      const head = lines.slice(0, lines.findIndex((l) => !l.startsWith('//')));
      console.log(head.map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else if (a.startsWith('-')) fail(`unknown option ${a}`);
    else if (a === 'all') o.suites.push(...SUITES);
    else if (SUITES.includes(a)) o.suites.push(a);
    else fail(`unknown suite '${a}' (suites: ${SUITES.join(', ')}, all)`);
  }
  if (o.suites.length === 0) o.suites.push(...SUITES);
  o.suites = [...new Set(o.suites)];
  for (const opt of given) {
    const takers = TAKEN_BY[opt];
    if (!takers.some((s) => o.suites.includes(s))) {
      const names = takers.length === 1 ? `the ${takers[0]} suite` : `the ${takers.join(' and ')} suites`;
      fail(`${opt} applies only to ${names}, and the suites selected are: ${o.suites.join(', ')}`);
    }
  }
  if (o.json === '') fail('--json: needs a file name'); // the rest of its check needs dist/ (main)
  return o;
}

/**
 * --json FILE is written after every suite has run: refuse, before any benchmark, a path that cannot be written
 * (a folder, a read-only file, a folder that is not writable or cannot be created), with the library's own
 * output-path check (lib/util/files, in the dist/ just built).
 */
function checkJsonPath(file) {
  const { isDirectory, unwritableFolder } = require(path.join(root, 'dist', 'util', 'files'));
  if (isDirectory(file)) fail(`--json: cannot write ${file}: it is a folder`);
  const why = unwritableFolder(file);
  if (why) fail(`--json: cannot write ${file}: ${why}`);
}

function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

function build() {
  const script = path.join(root, 'scripts', 'build-ts.js');
  const args = fs.existsSync(script) ? [script] : [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', path.join(root, 'tsconfig.json')];
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    const msg = (r.stdout + r.stderr).trim().split('\n').slice(0, 10).join('\n');
    if (!fs.existsSync(path.join(root, 'dist', 'backend', 'index.js'))) fail(`building dist/ failed:\n${msg}`);
    console.warn(`bench: building dist/ failed; benchmarking the dist/ already there. First lines:\n${msg}\n`);
  }
}

/** A stand-in "native" backend that runs the js kernels, to develop the harness before the addon builds. */
function mockNative(js) {
  let isa = 'avx2';
  let threads = 1;
  return {
    name: 'native',
    path: '(mock)',
    get isa() {
      return isa;
    },
    setIsa(v) {
      if (v !== 'scalar' && v !== 'avx2') throw new RangeError(`mock: unknown isa ${v}`);
      isa = v;
    },
    info: () => ({ isa, bestIsa: 'avx2', isas: ['avx2', 'scalar'], activations: [], threads, compiler: 'mock (js kernels)', napiVersion: 0 }),
    actForward: (...a) => js.actForward(...a),
    actBackward: (...a) => js.actBackward(...a),
    preluForward: (...a) => js.preluForward(...a),
    preluBackward: (...a) => js.preluBackward(...a),
    gemm: (...a) => js.gemm(...a),
    getThreads: () => threads,
    setThreads: (n) => {
      threads = n;
    },
  };
}

/** 1048576 -> '1M (2^20)'; other counts as they are. */
function sizeLabel(n) {
  const k = Math.log2(n);
  return Number.isInteger(k) && k >= 20 ? `${n / 2 ** 20}M (2^${k})` : String(n);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  if (args.build) build();
  if (args.json !== null) checkJsonPath(args.json);
  if (args.build && args.suites.includes('gemm')) {
    // The C++ GEMM benchmark (with OpenBLAS as a peer), built in build-cmake/ as scripts/test-cpp.js does.
    const tool = require('./cmake-tools').ensureTool('gemm_bench', (s) => console.error(`bench: ${s}`));
    if (tool.error) console.error(`bench: ${tool.error}; the gemm suite runs without it`);
  }
  const dist = {
    backend: require(path.join(root, 'dist', 'backend')),
    Rng: require(path.join(root, 'dist', 'util', 'random')).Rng,
  };
  const { machineLines } = require(path.join(root, 'bench', 'harness'));

  let native = null;
  let nativeLine;
  if (args.mockNative) {
    native = mockNative(dist.backend.getJsBackend());
    nativeLine = 'native   MOCK: the js kernels posing as native (--mock-native); not a measurement of the addon';
  } else {
    try {
      native = dist.backend.getNativeBackend();
    } catch (e) {
      nativeLine = `native   failed to load: ${e.message}`;
    }
    if (native) {
      const i = native.info();
      nativeLine = `native   ${path.relative(root, native.path) || native.path}: isa ${i.isa} (best ${i.bestIsa}; available ${i.isas.join(', ')}), ${i.threads} GEMM thread(s), ${i.compiler}`;
    } else if (!nativeLine) {
      const { loadNativeBinding } = require(path.join(root, 'dist', 'backend', 'native', 'binding'));
      nativeLine = `native   not available (${loadNativeBinding().errors.join('; ')}); build it with \`npx cmake-js compile -O build\``;
    }
  }
  let version = '?';
  try {
    version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  } catch {
    /* ignore */
  }
  const machine = machineLines([`swishnet ${version}; suites: ${args.suites.join(', ')}${args.quick ? ' (--quick)' : ''}`, nativeLine]);
  console.log(machine.lines.join('\n'));

  const ctx = {
    dist,
    native,
    root,
    args,
    quick: args.quick,
    reps: args.reps,
    ops: args.ops,
    sizes: args.sizes ? args.sizes.map((n) => ({ n, label: sizeLabel(n) })) : null,
    noTfjs: args.noTfjs,
    stat: args.stat,
    print: (s) => console.log(s),
  };
  const out = { machine: { ...machine.info, native: nativeLine, mock: args.mockNative }, args, suites: {} };
  for (const suite of args.suites) {
    const file = path.join(root, 'bench', `${suite}.js`);
    console.log(`\n=== ${suite} ===`);
    if (!fs.existsSync(file)) {
      console.log(`(bench/${suite}.js does not exist yet: nothing to run)`);
      continue;
    }
    const s0 = Date.now();
    const mod = require(file);
    if (typeof mod.run !== 'function') {
      throw new Error(`bench/${suite}.js must export \`async run(ctx)\` (see the top of scripts/bench.js)`);
    }
    out.suites[suite] = await mod.run(ctx);
    console.log(`(${suite}: ${((Date.now() - s0) / 1000).toFixed(1)} s)`);
  }
  console.log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (args.json) {
    try {
      fs.mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
      fs.writeFileSync(args.json, JSON.stringify(out, null, 1));
    } catch (e) {
      console.error(`bench: --json: could not write ${args.json}: ${e.message}`);
      process.exit(1);
    }
    console.log(`wrote ${args.json}`);
  }
}

main().catch((e) => {
  // Bad arguments found by a suite: the message is enough; anything else: the stack.
  console.error(e instanceof RangeError ? `bench: ${e.message}` : e && e.stack ? e.stack : e);
  process.exit(1);
});
