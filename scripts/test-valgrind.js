#!/usr/bin/env node
// Valgrind memcheck on the native code (when valgrind is installed; otherwise says so and passes):
//   1. every C++ test of the manifest (built by scripts/test-cpp.js in build-cmake/) under
//      `valgrind --leak-check=full`: no definitely-lost blocks and no memory errors (the tests' own accuracy
//      checks may fail under valgrind's floating-point emulation; they run natively in ctest);
//   2. node running a small version of the leak workload (test/helpers/leak_workload.js --small) on the
//      native addon: no definitely-lost block whose allocation stack goes through swishnet.node (node and V8
//      keep their own allocations until exit; those are not ours).
//   --skip-node   only step 1        --skip-cpp   only step 2
// Ends with "N passed, N failed".
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { createSteps } = require('./check-steps');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const steps = createSteps();
const { step } = steps;

const vg = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
if (vg.status !== 0) {
  console.log('test-valgrind: valgrind is not installed; nothing checked');
  console.log('0 passed, 0 failed');
  process.exit(0);
}

/** Loss records ("N bytes in M blocks are definitely lost ...") with their stacks. */
function definitelyLost(log) {
  const records = [];
  const lines = log.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/are definitely lost in loss record/.test(lines[i])) continue;
    const rec = [lines[i]];
    for (let j = i + 1; j < lines.length && /==\d+==\s+(at|by) /.test(lines[j]); j++) rec.push(lines[j]);
    records.push(rec.join('\n'));
  }
  return records;
}

function valgrind(argv, opts = {}) {
  const logFile = path.join(root, '.tmp', `valgrind-${process.pid}-${Date.now()}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const t0 = Date.now();
  const r = spawnSync(
    'valgrind',
    ['--leak-check=full', '--show-leak-kinds=definite', '--errors-for-leak-kinds=definite', '--num-callers=30', `--log-file=${logFile}`, ...argv],
    { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts },
  );
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  try {
    fs.unlinkSync(logFile);
  } catch {}
  const m = /ERROR SUMMARY: (\d+) errors/.exec(log);
  return { status: r.status, out: `${r.stdout || ''}${r.stderr || ''}`, log, errors: m ? Number(m[1]) : -1, secs: (Date.now() - t0) / 1000 };
}

if (!args.includes('--skip-cpp')) {
  const build = spawnSync(process.execPath, [path.join(__dirname, 'test-cpp.js')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) step('C++ tests build and pass (scripts/test-cpp.js)', false);
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'native', 'sources.json'), 'utf8'));
  for (const src of manifest.tests) {
    const name = path.basename(src, '.cc');
    const exe = path.join(root, 'build-cmake', name);
    if (!fs.existsSync(exe)) {
      step(`${name} under valgrind`, false, 'not built');
      continue;
    }
    // valgrind serializes threads: keep the pool small (the kernels are the same).
    const r = valgrind([exe], { env: { ...process.env, SWISHNET_THREADS: process.env.SWISHNET_THREADS || '2' } });
    const lost = definitelyLost(r.log);
    // The verdict is valgrind's (memory errors, definitely-lost blocks), not the test's exit status: valgrind
    // emulates long double with 64-bit doubles, so reference-accuracy assertions can fail under it.
    step(
      `${name} under valgrind: ${r.errors} errors, ${lost.length} definitely-lost records (test exit ${r.status})`,
      r.errors === 0 && lost.length === 0,
      `${r.secs.toFixed(0)} s${lost.length ? `\n${lost.join('\n')}` : r.errors ? `\n${r.log.split('\n').slice(-40).join('\n')}` : ''}`,
    );
  }
}

if (!args.includes('--skip-node')) {
  const dist = path.join(root, 'dist', 'index.js');
  const probe = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(dist)}).backendInfo().nativePath || '')`], {
    encoding: 'utf8',
    env: { ...process.env, SWISHNET_BACKEND: 'native' },
  });
  const nativePath = (probe.stdout || '').trim();
  if (probe.status !== 0 || !nativePath) {
    step('node + addon under valgrind', false, 'no native binary loads (build it first: npm run build:native)');
  } else {
    const r = valgrind([process.execPath, '--expose-gc', path.join(root, 'test', 'helpers', 'leak_workload.js'), dist, '--small'], {
      env: { ...process.env, SWISHNET_BACKEND: 'native', SWISHNET_THREADS: '2' },
    });
    const ours = definitelyLost(r.log).filter((rec) => /swishnet/.test(rec));
    const ran = /RESULT /.test(r.out);
    step(
      `node + ${path.relative(root, nativePath)} under valgrind: ${ours.length} definitely-lost records from swishnet`,
      ran && r.status === 0 && ours.length === 0,
      `${r.secs.toFixed(0)} s${ran ? '' : `; the workload did not finish:\n${r.out.slice(-2000)}`}${ours.length ? `\n${ours.join('\n')}` : ''}`,
    );
  }
}

steps.summary();
