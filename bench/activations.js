// Activation throughput: forward and backward, every op, float32, at 1M (2^20) and 16M (2^24) elements, on
// the native backend (each kernel family it can run here), the js backend and tfjs-backend-wasm, with a
// copy baseline (Float32Array.prototype.set) standing for the machine's memory bandwidth.
//
// The targets are for one thread: every native ISA column runs with setThreads(1). Calls above 2^15 elements
// (2^16 for the piecewise-linear ops) are split over the thread pool, so the best ISA is also measured with the
// pool's default thread count (column native-<isa>-<T>t); at 16M the status is given for both.
//
// Bytes counted per element: forward 8 (read x, write y); backward 12 (read x or y, read grad_out, write
// grad_in: the least a derivative kernel must move; one that reads both x and y pays for it in the
// figures); copy 8 (read + write). Backward calls get x, the forward output y and grad_out, as autograd does.
'use strict';
const { measure, fmt, ratio, pct, table } = require('./harness');
const { loadTfjs } = require('./tfjs');

/** Op parameters (a, b) as PyTorch's defaults. */
const PARAMS = { softplus: [1, 20], leaky_relu: [0.01, 0], elu: [1, 0], swish: [1, 0], celu: [1, 0] };
/** Targets in Gelem/s for the 1M forward pass; backward targets are 80% of these; at 16M, 85% of copy. */
const TARGET_FWD = {
  relu: 7, leaky_relu: 7, prelu: 7, relu6: 7, hardsigmoid: 7, hardswish: 7,
  sigmoid: 2.5, swish: 2.5, elu: 2.5, selu: 2.5, celu: 2.5, softsign: 2.5, gelu_tanh: 2.5,
  tanh: 2,
  softplus: 1.2, mish: 1.2, gelu: 1.2,
};
const BWD_FRACTION = 0.8;
const COPY_FRACTION = 0.85;
const BYTES = { fwd: 8, bwd: 12, copy: 8 };
const LABEL = { swish: 'swish/silu' };

function sizesFor(ctx) {
  return ctx.sizes || [
    { n: 1 << 20, label: '1M (2^20)' },
    { n: 1 << 24, label: '16M (2^24)' },
  ];
}

/** Kernel calls for one backend: fwd(op, bufs), bwd(op, bufs). */
function backendKernels(be, ActOp) {
  return {
    fwd(op, b) {
      if (op === 'prelu') be.preluForward(b.x, b.y, b.alpha, 1, b.n);
      else be.actForward(ActOp[op], b.x, b.y, ...(PARAMS[op] || [0, 0]));
    },
    bwd(op, b) {
      if (op === 'prelu') be.preluBackward(b.x, b.go, b.gi, b.alpha, 1, b.n, b.galpha);
      else be.actBackward(ActOp[op], b.x, b.y, b.go, b.gi, ...(PARAMS[op] || [0, 0]));
    },
  };
}

async function run(ctx) {
  const { dist, print } = ctx;
  const { ACT_OPS, ActOp, getJsBackend } = dist.backend;
  const all = [...ACT_OPS, 'prelu'];
  const unknown = (ctx.ops || []).filter((op) => !all.includes(op));
  if (unknown.length) throw new RangeError(`--ops: unknown op(s) ${unknown.join(', ')}; known: ${all.join(', ')}`);
  const ops = all.filter((op) => !ctx.ops || ctx.ops.includes(op));
  const native = ctx.native; // NativeBackend, a mock, or null
  const js = getJsBackend();

  const tfjs = ctx.noTfjs ? { error: 'skipped (--no-tfjs)' } : await loadTfjs();
  print(
    tfjs.error
      ? `tfjs     ${tfjs.error}`
      : `tfjs     @tensorflow/tfjs-core + tfjs-backend-wasm ${tfjs.version} (SIMD ${tfjs.simd ? 'on' : 'off'}, ` +
          `${tfjs.threads ? 'multi-threaded' : 'single-threaded'})`,
  );

  // Implementations in column order: native ISAs (best first), js, tfjs.
  const isaList = native ? orderIsas(native.info().isas, native.info().bestIsa) : [];
  const poolThreads = native ? native.getThreads() : 1;
  const impls = [
    ...isaList.map((isa) => ({ key: `native-${isa}`, native: true, isa, threads: 1 })),
    ...(isaList.length && poolThreads > 1
      ? [{ key: `native-${isaList[0]}-${poolThreads}t`, native: true, isa: isaList[0], threads: poolThreads }]
      : []),
    { key: 'js' },
    ...(tfjs.error ? [] : [{ key: 'tfjs' }]),
  ];
  const best = isaList.length ? `native-${isaList[0]}` : null;
  const bestAll = isaList.length && poolThreads > 1 ? `native-${isaList[0]}-${poolThreads}t` : null;
  const timing = ctx.quick
    ? { reps: ctx.reps || 3, minReps: ctx.reps || 3, maxReps: Math.max(15, ctx.reps || 0), maxTotalMs: 500, budgetMs: 60, warmupCalls: 1, warmupMs: 10 }
    : { reps: ctx.reps || 7, minReps: ctx.reps || 3, maxReps: Math.max(41, ctx.reps || 0), maxTotalMs: 1500, budgetMs: 250, warmupCalls: 3, warmupMs: 50 };

  const stat = ctx.stat || 'median';
  const results = [];
  for (const { n, label } of sizesFor(ctx)) {
    const rng = new dist.Rng(20240611 + n);
    const bufs = {
      n,
      x: new Float32Array(n),
      y: new Float32Array(n),
      go: new Float32Array(n),
      gi: new Float32Array(n),
      alpha: Float32Array.of(0.25),
      galpha: new Float32Array(1),
    };
    for (let i = 0; i < n; i++) bufs.x[i] = rng.uniform(-6, 6);
    for (let i = 0; i < n; i++) bufs.go[i] = rng.uniform(-1, 1);
    // Copy baseline, measured before and after the ops; the better of the two is the reference.
    const dst = new Float32Array(n);
    // Every output is written once before anything is timed, as a caller's reused buffers are: a fresh
    // ArrayBuffer's pages are mapped on first write, and the first call timed into one (the copy before the ops;
    // relu, first in the 1M forward column) otherwise ran those faults and a cold cache in its warm-up and first
    // samples: in --quick runs where hardswish, timed after it, gave 8.97-9.13 Gelem/s, 1M relu gave 5.65-6.30 in
    // five runs without this, 8.15-8.22 in five with it.
    for (const out of [bufs.y, bufs.gi, dst]) out.fill(0);
    const copyGBsNow = () => (BYTES.copy * n) / measure(() => dst.set(bufs.x), timing)[stat] / 1e9;
    const copyBefore = copyGBsNow();

    const perOp = {};
    for (const op of ops) perOp[op] = { fwd: {}, bwd: {} };

    const runImpl = (impl, kernels) => {
      for (const op of ops) {
        // forward first: it leaves y = f(x), which the backward calls receive
        perOp[op].fwd[impl.key] = measure(() => kernels.fwd(op, bufs), timing);
        perOp[op].bwd[impl.key] = measure(() => kernels.bwd(op, bufs), timing);
      }
    };

    if (native) {
      const restore = native.isa;
      try {
        for (const impl of impls.filter((i) => i.native)) {
          native.setIsa(impl.isa);
          native.setThreads(impl.threads);
          runImpl(impl, backendKernels(native, ActOp));
        }
      } finally {
        native.setIsa(restore);
        native.setThreads(poolThreads);
      }
    }
    runImpl({ key: 'js' }, backendKernels(js, ActOp));
    if (!tfjs.error) runTfjs(tfjs, ops, bufs, perOp, timing);
    const copyAfter = copyGBsNow();
    const copyGBs = Math.max(copyBefore, copyAfter);
    const copyNote = `copy baseline (Float32Array.prototype.set): ${fmt(copyGBs)} GB/s = ${fmt(copyGBs / BYTES.copy)} Gelem/s ` +
      `(better of ${fmt(copyBefore)} before and ${fmt(copyAfter)} after the ops)`;

    // Tables.
    for (const dir of ['fwd', 'bwd']) {
      const big = n >= 1 << 24;
      const allCols = big && bestAll ? [`% copy ${poolThreads}t`, `status ${poolThreads}t`] : [];
      const header = ['op', ...impls.map((i) => i.key), 'GB/s', 'vs js', 'vs tfjs', big ? '% copy' : 'target', 'status', ...allCols];
      const rows = [];
      for (const op of ops) {
        const r = perOp[op][dir];
        const gelem = (k) => (r[k] ? n / r[k][stat] / 1e9 : null);
        const b = best ? gelem(best) : null;
        const gbs = b === null ? null : b * BYTES[dir];
        const copyPct = gbs === null ? null : (100 * gbs) / copyGBs;
        let target;
        let pass = null;
        const all = bestAll ? gelem(bestAll) : null;
        const copyPctAll = all === null ? null : (100 * all * BYTES[dir]) / copyGBs;
        const passAll = copyPctAll === null ? null : copyPctAll >= COPY_FRACTION * 100;
        if (big) {
          target = `>=${COPY_FRACTION * 100}%`;
          if (copyPct !== null) pass = copyPct >= COPY_FRACTION * 100;
        } else {
          const t = TARGET_FWD[op] * (dir === 'bwd' ? BWD_FRACTION : 1);
          target = `>=${fmt(t, 2)}`;
          if (b !== null) pass = b >= t;
        }
        rows.push([
          LABEL[op] || op,
          ...impls.map((i) => fmt(gelem(i.key))),
          fmt(gbs),
          ratio(b, gelem('js')),
          ratio(b, gelem('tfjs')),
          big ? pct(copyPct) : target,
          pass === null ? '-' : pass ? 'PASS' : 'MISS',
          ...(allCols.length ? [pct(copyPctAll), passAll === null ? '-' : passAll ? 'PASS' : 'MISS'] : []),
        ]);
        results.push({
          n,
          op,
          dir,
          gelemPerS: Object.fromEntries(impls.map((i) => [i.key, gelem(i.key)])),
          best,
          gbPerS: gbs,
          copyPct: big ? copyPct : null,
          bestAllThreads: bestAll,
          copyPctAllThreads: big ? copyPctAll : null,
          passAllThreads: big ? passAll : null,
          target: big ? `${COPY_FRACTION * 100}% of copy` : `${TARGET_FWD[op] * (dir === 'bwd' ? BWD_FRACTION : 1)} Gelem/s`,
          pass,
          spread: Object.fromEntries(impls.map((i) => [i.key, r[i.key] ? r[i.key].spread : null])),
        });
      }
      // Say where slow calls got fewer repetitions than asked for.
      const fewer = impls
        .map((i) => {
          const used = ops.map((op) => perOp[op][dir][i.key]).filter(Boolean).map((m) => m.reps);
          if (!used.length || Math.min(...used) >= timing.reps) return null;
          const lo = Math.min(...used);
          const hi = Math.max(...used);
          return `${i.key} ${lo === hi ? lo : `${lo}-${hi}`}`;
        })
        .filter(Boolean);
      print('');
      print(
        table(header, rows, {
          title: `activations ${dir === 'fwd' ? 'forward' : 'backward'}, ${label} float32 elements: Gelem/s (${stat} of >= ${
            timing.minReps
          } runs); GB/s, ratios and status for ${best || 'native (not available)'}${best ? ' (1 thread)' : ''}`,
          note: (fewer.length ? [`repetitions where a call was slow: ${fewer.join(', ')}`] : []).concat(big
            ? [copyNote, `${dir} moves ${BYTES[dir]} B/element; target: >= ${COPY_FRACTION * 100}% of copy bandwidth` +
                (bestAll ? `; the last two columns: ${bestAll}, the call split over ${poolThreads} threads` : '')]
            : [copyNote, `${dir} moves ${BYTES[dir]} B/element; target in Gelem/s` +
                (dir === 'bwd' ? ` (${BWD_FRACTION * 100}% of the forward target)` : '')]),
        }),
      );
    }
    results.push({ n, op: 'copy', dir: 'copy', gbPerS: copyGBs, before: copyBefore, after: copyAfter });
  }
  return results;
}

function orderIsas(isas, bestIsa) {
  return [...isas].sort((a, b) => (a === bestIsa ? -1 : b === bestIsa ? 1 : a === 'scalar' ? 1 : b === 'scalar' ? -1 : 0));
}

function runTfjs(t, ops, bufs, perOp, timing) {
  const { tf } = t;
  const x = tf.tensor1d(bufs.x);
  const dy = tf.tensor1d(bufs.go);
  const alpha = tf.scalar(0.25);
  try {
    for (const op of ops) {
      const impl = t.ops[op];
      if (!impl) continue;
      const y = tf.tidy(() => impl.fwd(x, alpha));
      const once = (f) => () => {
        const out = tf.tidy(f);
        tf.dispose(out);
      };
      perOp[op].fwd.tfjs = measure(once(() => impl.fwd(x, alpha)), timing);
      perOp[op].bwd.tfjs = measure(once(() => impl.bwd({ x, y, dy, alpha })), timing);
      y.dispose();
    }
  } finally {
    tf.dispose([x, dy, alpha]);
  }
}

module.exports = { run, PARAMS, TARGET_FWD, BWD_FRACTION, COPY_FRACTION, BYTES };
