#!/usr/bin/env node
// `npm run test:cross`: the native code for the platforms this machine is not, and for the other compiler.
//   1. arm64: the kernels (native/sources.json) and the C++ tests cross-compiled with aarch64-linux-gnu-g++
//      (the flags of the CMake build), linked statically and run under qemu-aarch64: test_activations checks
//      the scalar and NEON activation kernels against the float64 reference, test_gemm the scalar and NEON
//      GEMM kernels. CI runs on x86-64 only, so this is where the NEON code is tested at all.
//   2. clang: every native source (kernels and N-API glue) compiled by clang++ with -Wall -Wextra -Werror
//      (-fsyntax-only), for x86-64 and, the kernels, for arm64: the compiler macOS builds and prebuilds use,
//      and the one that reads the `#pragma clang` branches of the AVX2 and NEON files.
// For an x86-64 Linux host (as CI is). Needs g++-aarch64-linux-gnu, qemu-user and clang (Debian packages; .ci/run
// installs them). A missing tool is a failure, not a skip. Builds in build-cross/. Ends with "N passed, N failed".
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { createSteps, runCapture } = require('./check-steps');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'build-cross');
const manifest = require(path.join(root, 'native', 'sources.json'));
const jobs = Math.max(1, os.cpus().length);
const steps = createSteps();
const { step } = steps;

const have = (cmd) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const run = (cmd, argv) => runCapture(cmd, argv, { echo: false });

/** Runs the tasks (functions returning promises) with at most `jobs` in flight; resolves their results in order. */
async function pool(tasks) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

const objName = (src) => path.join(out, src.replace(/[\\/]/g, '_') + '.o');
const INCLUDES = ['-Inative/include', '-Inative/src', '-Inative/tests'];

// The C++ tests, how each reports (a count and its failures) and the line that shows the NEON family ran (not
// only the scalar one).
const TESTS = [
  { src: 'native/tests/test_activations.cc', result: /(\d+) passed, (\d+) failed\s*$/, neon: /^testing neon\b/m },
  { src: 'native/tests/test_gemm.cc', result: /test_gemm: (\d+) checks, (\d+) failures/, neon: /ISAs:[^\n|]*\bneon\b/ },
];

async function arm64() {
  const gxx = 'aarch64-linux-gnu-g++';
  const qemu = 'qemu-aarch64';
  const missing = [gxx, qemu].filter((tool) => !have(tool));
  if (missing.length) {
    step(`arm64: ${missing.join(', ')} present`, false, 'apt-get install g++-aarch64-linux-gnu qemu-user');
    return;
  }
  const flags = ['-O3', '-std=gnu++17', '-fno-math-errno', '-march=armv8-a', ...INCLUDES];
  const srcs = [...manifest.kernels, ...TESTS.map((t) => t.src)];
  const built = await pool(srcs.map((src) => () => run(gxx, [...flags, '-c', src, '-o', objName(src)])));
  const bad = srcs.filter((_, i) => built[i].status !== 0);
  for (const r of built) if (r.status !== 0) process.stdout.write(r.text);
  step('arm64: cross-compile the kernels and the C++ tests', bad.length === 0, bad.join(', '));
  if (bad.length) return;
  const kernels = manifest.kernels.map(objName);
  for (const test of TESTS) {
    const name = path.basename(test.src, '.cc');
    const exe = path.join(out, `${name}_arm64`);
    const link = await run(gxx, ['-static', '-pthread', ...kernels, objName(test.src), '-o', exe]);
    const r = link.status === 0 ? await run(qemu, [exe]) : link;
    const m = test.result.exec(r.text.trimEnd());
    const neon = test.neon.test(r.text);
    const ok = link.status === 0 && r.status === 0 && m !== null && Number(m[1]) > 0 && Number(m[2]) === 0 && neon;
    if (!ok) process.stdout.write(r.text);
    let detail = `${m && m[0].trim()}${neon ? ', NEON included' : ', no NEON run'}`;  // the test's own result line
    if (link.status !== 0) detail = 'link failed';
    else if (!m) detail = `no result line, exit ${r.status}`;
    step(`arm64 (qemu): ${name}`, ok, detail);
  }
}

async function clang() {
  const cxx = 'clang++';
  if (!have(cxx)) {
    step('clang: clang++ present', false, 'apt-get install clang');
    return;
  }
  const napiInclude = require('node-addon-api').include_dir;
  const nodeInclude = path.join(path.dirname(process.execPath), '..', 'include', 'node');
  const warn = ['-Wall', '-Wextra', '-Werror', '-fsyntax-only', '-std=c++17', '-fno-math-errno'];
  const x86 = ['--target=x86_64-linux-gnu', ...warn, ...INCLUDES];
  const napi = [
    ...x86,
    `-I${napiInclude}`,
    `-I${nodeInclude}`,
    '-DNAPI_VERSION=8',
    '-DNAPI_CPP_EXCEPTIONS',
    '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    '-Wno-unused-parameter', // node-addon-api's own headers
  ];
  const arm = ['--target=aarch64-linux-gnu', ...warn, ...INCLUDES];
  const checks = [
    ...manifest.kernels.map((src) => ({ name: `clang x86-64: ${src}`, argv: [...x86, src] })),
    ...manifest.napi.map((src) => ({ name: `clang x86-64: ${src}`, argv: [...napi, src] })),
    ...manifest.kernels.map((src) => ({ name: `clang arm64: ${src}`, argv: [...arm, src] })),
  ];
  const results = await pool(checks.map((j) => () => run(cxx, j.argv)));
  checks.forEach((j, i) => {
    const r = results[i];
    if (r.status !== 0) process.stdout.write(r.text);
    const first = r.text.split('\n').find((l) => /error|warning/.test(l)) || '';
    step(j.name, r.status === 0, r.status === 0 ? '' : first.trim());
  });
}

(async () => {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    step('an x86-64 Linux host', false, `test:cross runs on one; this is ${process.platform}-${process.arch}`);
  } else {
    fs.mkdirSync(out, { recursive: true });
    await arm64();
    await clang();
  }
  steps.summary();
})();
