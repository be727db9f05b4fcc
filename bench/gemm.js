// GEMM throughput through the JS API (Backend.gemm: JS -> N-API -> C++), float32, C = op(A) op(B), on the
// native backend with 1 and 2 threads and on the js backend (up to 256^3), on the MLP's shapes and on
// squares. When build-cmake/gemm_bench exists (the C++ tool, which also measures OpenBLAS through dlopen; built
// there as scripts/test-cpp.js does, by scripts/bench.js unless --no-build) its table follows.
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');
const { measure, fmt, ratio, table } = require('./harness');
const { findTool } = require('../scripts/cmake-tools');

// [m, k, n, transA, transB, what]
const SHAPES = [
  [128, 784, 128, false, true, 'Linear 784->128 fwd, x W^T'],
  [784, 128, 128, true, false, 'weight grad, x^T dY'],
  [128, 128, 64, false, true, 'Linear 128->64 fwd'],
  [128, 64, 10, false, true, 'Linear 64->10 fwd'],
  [256, 256, 256, false, false, 'square'],
  [1024, 1024, 1024, false, false, 'square'],
  [2048, 2048, 2048, false, false, 'square'],
];
const JS_MAX_FLOPS = 2 * 256 ** 3;

async function run(ctx) {
  const { dist, print, root } = ctx;
  const js = dist.backend.getJsBackend();
  const native = ctx.native;
  const timing = ctx.quick
    ? { reps: ctx.reps || 3, minReps: ctx.reps || 3, maxReps: Math.max(15, ctx.reps || 0), maxTotalMs: 800, budgetMs: 100, warmupCalls: 1, warmupMs: 10 }
    : { reps: ctx.reps || 7, minReps: ctx.reps || 3, maxReps: Math.max(41, ctx.reps || 0), maxTotalMs: 2500, budgetMs: 400, warmupCalls: 2, warmupMs: 50 };
  const stat = ctx.stat || 'median';
  const rng = new dist.Rng(7);
  const results = [];
  const rows = [];
  const shapes = ctx.quick ? SHAPES.filter((s) => s[0] <= 1024) : SHAPES;
  for (const [m, k, n, tA, tB, what] of shapes) {
    const a = new Float32Array(m * k);
    const b = new Float32Array(k * n);
    const c = new Float32Array(m * n);
    for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-1, 1);
    for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-1, 1);
    const lda = tA ? m : k;
    const ldb = tB ? k : n;
    const flops = 2 * m * n * k;
    const call = (be) => () => be.gemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n);
    const gflops = (r) => (r ? flops / r[stat] / 1e9 : null);
    const r = { t1: null, t2: null, js: null };
    if (native) {
      const restore = native.getThreads();
      try {
        native.setThreads(1);
        r.t1 = measure(call(native), timing);
        native.setThreads(2);
        r.t2 = measure(call(native), timing);
      } finally {
        native.setThreads(restore);
      }
    }
    if (flops <= JS_MAX_FLOPS) r.js = measure(call(js), timing);
    const g = { t1: gflops(r.t1), t2: gflops(r.t2), js: gflops(r.js) };
    const shape = `${m}x${k}x${n} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;
    rows.push([shape, what, fmt(g.t1), fmt(g.t2), fmt(g.js), ratio(g.t2, g.t1), ratio(g.t1, g.js)]);
    results.push({ m, k, n, transA: tA, transB: tB, gflops: g });
  }
  print('');
  print(
    table(['m x k x n, op(A)op(B)', 'shape', 'native 1T', 'native 2T', 'js', '2T/1T', 'native 1T/js'], rows, {
      title: `gemm float32 through Backend.gemm: GFLOP/s (2mnk / ${stat} time of >= ${timing.minReps} runs); native: ${
        native ? `${native.isa}` : 'not available'
      }`,
      left: 2,
      note: ctx.quick ? ['--quick: 2048^3 skipped'] : undefined,
    }),
  );

  const found = findTool('gemm_bench');
  if (found) {
    const tool = found.path;
    print('');
    const toolArgs = ['--dtype=f32', ...(ctx.quick ? ['--quick'] : [])];
    const stale = found.stale ? ' (older than the native sources: run without --no-build to rebuild it)' : '';
    print(`C++ ${path.relative(root, tool)} ${toolArgs.join(' ')}${stale}:`);
    const p = spawnSync(tool, toolArgs, { encoding: 'utf8', timeout: 240000 });
    if (p.error) print(`  failed to run: ${p.error.message}`);
    else {
      print(p.stdout.replace(/\s+$/, ''));
      if (p.status !== 0) print(`  (exited with ${p.status}${p.stderr ? `: ${p.stderr.trim().split('\n').pop()}` : ''})`);
    }
    results.push({ tool: path.relative(root, tool), stale: found.stale, status: p.status, output: p.stdout });
  } else {
    print('');
    print(
      '(build-cmake/gemm_bench not built: `npm run bench -- gemm` without --no-build builds it, as does ' +
        '`npm run test:cpp`; it adds OpenBLAS as a peer)',
    );
  }
  return results;
}

module.exports = { run, SHAPES };
