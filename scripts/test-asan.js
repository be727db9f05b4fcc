#!/usr/bin/env node
// `npm run test:asan`: the native code under AddressSanitizer + UndefinedBehaviorSanitizer.
//   1. the C++ tests (scripts/test-cpp.js --sanitize: CMake in build-asan/, ctest);
//   2. the addon built with the same flags (cmake-js, CMake -DSWISHNET_SANITIZE=ON, in build-asan-addon/),
//      and the native-facing TypeScript tests run on it: jest with the ASan runtime preloaded
//      (LD_PRELOAD=$(g++ -print-file-name=libasan.so); node itself is not instrumented, hence
//      ASAN_OPTIONS=detect_leaks=0), SWISHNET_NATIVE_PATH pointing the loader at that binary and
//      SWISHNET_BACKEND=native. UBSan findings abort (-fno-sanitize-recover=undefined), ASan ones too.
// Any sanitizer report (or a test failure) fails the run; the reports are printed. Linux + gcc/clang only.
//   --skip-cpp   only step 2        --skip-ts   only step 1        extra arguments go to jest
// Ends with "N passed, N failed".
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { createSteps, runCapture } = require('./check-steps');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const skipCpp = args.includes('--skip-cpp');
const skipTs = args.includes('--skip-ts');
const jestArgs = args.filter((a) => a !== '--skip-cpp' && a !== '--skip-ts');
const addonDir = path.join(root, 'build-asan-addon');
const addonOut = path.join(addonDir, 'Release');
const tmp = path.join(root, '.tmp');
fs.mkdirSync(tmp, { recursive: true });

// The TypeScript tests that exercise native code. Left out: browser/report tests (LD_PRELOAD reaches every
// child process, and an instrumented runtime inside Chromium only breaks it), backend.test (its children check
// what happens when no binary loads, which SWISHNET_NATIVE_PATH overrides) and leak.test (ASan's quarantine
// keeps freed memory, so RSS grows by design).
const TS_TESTS = ['activations', 'gemm', 'gemm_async', 'fuzz', 'workers', 'autograd', 'nn', 'optim', 'anomaly'];

const steps = createSteps();
const { step } = steps;

function sanitizerReports(text) {
  const out = [];
  const re = /(==\d+==ERROR: (Address|Leak)Sanitizer[^\n]*|[^\n]*runtime error:[^\n]*|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer[^\n]*)/g;
  let m;
  while ((m = re.exec(text)) !== null) out.push(m[1].trim());
  return [...new Set(out)];
}

async function main() {
if (process.platform !== 'linux') {
  console.log('test-asan: sanitizer runs are set up for Linux only; nothing to do here');
  console.log('0 passed, 0 failed');
  return;
}

// ---- 1. C++ tests --------------------------------------------------------------------------------------
if (!skipCpp) {
  console.log('=== C++ tests with -fsanitize=address,undefined (build-asan/) ===');
  fs.rmSync(path.join(tmp, 'ctest-asan.json'), { force: true }); // no stale counts from an earlier run
  const r = await runCapture(process.execPath, [path.join(__dirname, 'test-cpp.js'), '--sanitize', '--json', path.join(tmp, 'ctest-asan.json')], {
    env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
  });
  let p = 0;
  let f = 1;
  try {
    ({ passed: p, failed: f } = JSON.parse(fs.readFileSync(path.join(tmp, 'ctest-asan.json'), 'utf8')));
  } catch {
    /* no result: counted as a failure */
  }
  const reports = sanitizerReports(r.text);
  step(`C++ tests under ASan/UBSan: ${p} passed, ${f} failed`, r.status === 0 && f === 0 && reports.length === 0, reports.join(' | '));
}

// ---- 2. the addon, and the TypeScript tests on it ------------------------------------------------------
if (!skipTs) {
  console.log('\n=== addon with -fsanitize=address,undefined (build-asan-addon/) ===');
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  const b = await runCapture(process.execPath, [
    cmakeJs, 'compile', '-O', addonDir, '-B', 'RelWithDebInfo', '-T', 'swishnet',
    '--CDSWISHNET_SANITIZE=ON', `--CDSWISHNET_ADDON_OUTPUT_DIR=${addonOut}`,
  ]);
  const addon = path.join(addonOut, 'swishnet.node');
  const built = b.status === 0 && fs.existsSync(addon);
  step('sanitized addon builds', built, built ? path.relative(root, addon) : `cmake-js exited ${b.status}`);

  if (built) {
    const gxx = spawnSync(process.env.CXX || 'g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' });
    const libasan = (gxx.stdout || '').trim();
    if (!libasan || !path.isAbsolute(libasan) || !fs.existsSync(libasan)) {
      step('ASan runtime found', false, `g++ -print-file-name=libasan.so gave '${libasan}'`);
    } else {
      console.log(`\n=== jest on the sanitized addon (LD_PRELOAD=${libasan}) ===`);
      const jestBin = require.resolve('jest/bin/jest', { paths: [root] });
      const out = path.join(tmp, 'jest-asan.json');
      try {
        fs.unlinkSync(out);
      } catch {}
      const env = {
        ...process.env,
        LD_PRELOAD: libasan,
        // Node itself is not instrumented (its exit-time "leaks" are not ours); V8 uses signals for itself.
        ASAN_OPTIONS: 'detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:detect_odr_violation=0',
        UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
        SWISHNET_BACKEND: 'native',
        SWISHNET_NATIVE_PATH: addon,
        FUZZ_RUNS: process.env.FUZZ_RUNS || '60',
      };
      const pattern = `test/(${TS_TESTS.join('|')})(\\.|_)`;
      const j = await runCapture(process.execPath, [jestBin, '--maxWorkers=2', '--json', `--outputFile=${out}`, pattern, ...jestArgs], { env });
      let res = null;
      try {
        res = JSON.parse(fs.readFileSync(out, 'utf8'));
      } catch {
        /* jest died */
      }
      const reports = sanitizerReports(j.text);
      const tp = res ? res.numPassedTests : 0;
      const tf = res ? res.numFailedTests + (res.numRuntimeErrorTestSuites || 0) : 1;
      step(
        'no sanitizer report from the TypeScript tests on the sanitized addon',
        reports.length === 0 && !j.signal && res !== null,
        reports.length ? reports.slice(0, 8).join(' | ') : j.signal ? `jest killed by ${j.signal}` : res === null ? 'jest wrote no results' : '',
      );
      const failures = [];
      if (res) {
        for (const suite of res.testResults) {
          for (const a of suite.assertionResults) if (a.status === 'failed') failures.push(`${path.basename(suite.name)}: ${a.fullName}`);
          if (suite.status === 'failed' && suite.assertionResults.length === 0) failures.push(`${path.basename(suite.name)}: ${suite.message.split('\n')[0]}`);
        }
      }
      // (-O0 code: results may differ from the optimized build in the last bits or in the sign of zero.)
      step(`TypeScript tests on the sanitized (-O0) addon: ${tp} passed, ${tf} failed`, j.status === 0 && tf === 0, failures.slice(0, 30).join('\n        '));
    }
  }
}

steps.summary('test-asan summary');
}

main().catch((e) => {
  console.error(e && e.stack);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
