#!/usr/bin/env node
// `npm run test:asan`: the native code under AddressSanitizer + UndefinedBehaviorSanitizer.
//   1. the C++ tests (scripts/test-cpp.js --sanitize: CMake in build-asan/, ctest);
//   2. the addon built with the same flags (cmake-js, CMake -DSWISHNET_SANITIZE=ON, in build-asan-addon/),
//      and the native-facing TypeScript tests run on it: jest with the ASan runtime preloaded
//      (LD_PRELOAD=$(g++ -print-file-name=libasan.so); node itself is not instrumented, hence
//      ASAN_OPTIONS=detect_leaks=0), SWISHNET_NATIVE_PATH pointing the loader at that binary and
//      SWISHNET_BACKEND=native. UBSan findings abort (-fno-sanitize-recover=undefined), ASan ones too.
// `npm run test:tsan` (--tsan): the same two steps under ThreadSanitizer (-DSWISHNET_TSAN=ON, build-tsan/ and
//   build-tsan-addon/, libtsan.so preloaded), with the TypeScript tests that run native code on several threads.
//   Node and V8 are not instrumented: ignore_noninstrumented_modules=1 keeps TSan to the addon's own accesses.
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
const tsan = args.includes('--tsan');
const jestArgs = args.filter((a) => a !== '--skip-cpp' && a !== '--skip-ts' && a !== '--tsan');
const tmp = path.join(root, '.tmp');
fs.mkdirSync(tmp, { recursive: true });

// What differs between the two sanitizer runs. TS_TESTS: the TypeScript tests that exercise native code. Left
// out of both: browser/report tests (LD_PRELOAD reaches every child process, and an instrumented runtime inside
// Chromium only breaks it), backend.test (its children check what happens when no binary loads, which
// SWISHNET_NATIVE_PATH overrides) and leak.test (ASan's quarantine keeps freed memory, so RSS grows by design).
// TSan runs those that use the thread pool, gemmAsync's worker or worker_threads.
const MODE = tsan
  ? {
      name: 'tsan',
      title: 'ThreadSanitizer',
      flags: '-fsanitize=thread',
      cppFlag: '--tsan',
      cmakeDef: '--CDSWISHNET_TSAN=ON',
      runtime: 'libtsan.so',
      cppEnv: { TSAN_OPTIONS: process.env.TSAN_OPTIONS || 'halt_on_error=0 second_deadlock_stack=1' },
      jestEnv: { TSAN_OPTIONS: 'halt_on_error=0 second_deadlock_stack=1 ignore_noninstrumented_modules=1' },
      TS_TESTS: ['gemm', 'gemm_async', 'workers', 'activations_threads', 'optim_kernels', 'train_kernels'],
      maxWorkers: 1,
      optimized: '-O2',
    }
  : {
      name: 'asan',
      title: 'ASan/UBSan',
      flags: '-fsanitize=address,undefined',
      cppFlag: '--sanitize',
      cmakeDef: '--CDSWISHNET_SANITIZE=ON',
      runtime: 'libasan.so',
      cppEnv: {
        ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:abort_on_error=0',
        UBSAN_OPTIONS: 'print_stacktrace=1',
      },
      jestEnv: {
        // Node itself is not instrumented (its exit-time "leaks" are not ours); V8 uses signals for itself.
        ASAN_OPTIONS: 'detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:detect_odr_violation=0',
        UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
        FUZZ_RUNS: process.env.FUZZ_RUNS || '60',
      },
      TS_TESTS: ['activations', 'gemm', 'gemm_async', 'fuzz', 'workers', 'autograd', 'nn', 'optim', 'anomaly'],
      maxWorkers: 2,
      optimized: '-O0',
    };
const addonDir = path.join(root, `build-${MODE.name}-addon`);
const addonOut = path.join(addonDir, 'Release');

const steps = createSteps();
const { step } = steps;

function sanitizerReports(text) {
  const out = [];
  const re = /(==\d+==ERROR: (Address|Leak)Sanitizer[^\n]*|[^\n]*runtime error:[^\n]*|WARNING: ThreadSanitizer[^\n]*|SUMMARY: (Address|UndefinedBehavior|Leak|Thread)Sanitizer[^\n]*)/g;
  let m;
  while ((m = re.exec(text)) !== null) out.push(m[1].trim());
  return [...new Set(out)];
}

async function main() {
if (process.platform !== 'linux') {
  console.log(`test-${MODE.name}: sanitizer runs are set up for Linux only; nothing to do here`);
  console.log('0 passed, 0 failed');
  return;
}

// ---- 1. C++ tests --------------------------------------------------------------------------------------
if (!skipCpp) {
  const dir = `build-${MODE.name}`; // (test-cpp.js's folder for --sanitize / --tsan)
  console.log(`=== C++ tests with ${MODE.flags} (${dir}/) ===`);
  const counts = path.join(tmp, `ctest-${MODE.name}.json`);
  fs.rmSync(counts, { force: true }); // no stale counts from an earlier run
  const r = await runCapture(process.execPath, [path.join(__dirname, 'test-cpp.js'), MODE.cppFlag, '--json', counts], {
    env: { ...process.env, ...MODE.cppEnv },
  });
  let p = 0;
  let f = 1;
  try {
    ({ passed: p, failed: f } = JSON.parse(fs.readFileSync(counts, 'utf8')));
  } catch {
    /* no result: counted as a failure */
  }
  const reports = sanitizerReports(r.text);
  step(`C++ tests under ${MODE.title}: ${p} passed, ${f} failed`, r.status === 0 && f === 0 && reports.length === 0, reports.join(' | '));
}

// ---- 2. the addon, and the TypeScript tests on it ------------------------------------------------------
if (!skipTs) {
  console.log(`\n=== addon with ${MODE.flags} (${path.relative(root, addonDir)}/) ===`);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  const b = await runCapture(process.execPath, [
    cmakeJs, 'compile', '-O', addonDir, '-B', 'RelWithDebInfo', '-T', 'swishnet',
    MODE.cmakeDef, `--CDSWISHNET_ADDON_OUTPUT_DIR=${addonOut}`,
  ]);
  const addon = path.join(addonOut, 'swishnet.node');
  const built = b.status === 0 && fs.existsSync(addon);
  step('sanitized addon builds', built, built ? path.relative(root, addon) : `cmake-js exited ${b.status}`);

  if (built) {
    const gxx = spawnSync(process.env.CXX || 'g++', [`-print-file-name=${MODE.runtime}`], { encoding: 'utf8' });
    const runtime = (gxx.stdout || '').trim();
    if (!runtime || !path.isAbsolute(runtime) || !fs.existsSync(runtime)) {
      step(`${MODE.title} runtime found`, false, `g++ -print-file-name=${MODE.runtime} gave '${runtime}'`);
    } else {
      console.log(`\n=== jest on the sanitized addon (LD_PRELOAD=${runtime}) ===`);
      const jestBin = require.resolve('jest/bin/jest', { paths: [root] });
      const out = path.join(tmp, `jest-${MODE.name}.json`);
      try {
        fs.unlinkSync(out);
      } catch {}
      const env = {
        ...process.env,
        LD_PRELOAD: runtime,
        ...MODE.jestEnv,
        SWISHNET_BACKEND: 'native',
        SWISHNET_NATIVE_PATH: addon,
      };
      // (a name also picks its '_' variants: 'activations' activations_api, _gradcheck, _threads)
      const pattern = `test/(${MODE.TS_TESTS.join('|')})(\\.|_)`;
      const j = await runCapture(
        process.execPath,
        [jestBin, `--maxWorkers=${MODE.maxWorkers}`, '--json', `--outputFile=${out}`, pattern, ...jestArgs],
        { env },
      );
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
      step(`TypeScript tests on the sanitized (${MODE.optimized}) addon: ${tp} passed, ${tf} failed`, j.status === 0 && tf === 0, failures.slice(0, 30).join('\n        '));
    }
  }
}

steps.summary(`test-${MODE.name} summary`);
}

main().catch((e) => {
  console.error(e && e.stack);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
