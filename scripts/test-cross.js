#!/usr/bin/env node
// `npm run test:cross`: the native code for the platforms this machine is not, and for the other compiler.
//   1. arm64: the CMake build of the C++ tests (CMakeLists.txt) configured for aarch64-linux-gnu-g++, linked
//      statically and run under qemu-aarch64: test_activations checks
//      the scalar and NEON activation kernels against the float64 reference, test_gemm the scalar and NEON
//      GEMM kernels. CI runs on x86-64 only, so this is where the NEON code is tested at all.
//   2. clang: every native source (kernels and N-API glue) compiled by clang++ with -Wall -Wextra -Werror
//      (-fsyntax-only), for x86-64 and, the kernels, for arm64: the compiler macOS builds and prebuilds use,
//      and the one that reads the `#pragma clang` branches of the AVX2 and NEON files.
// For an x86-64 Linux host (as CI is). Needs cmake, g++-aarch64-linux-gnu, qemu-user and clang (Debian packages;
// .ci/run installs them). A missing tool is a failure, not a skip. Builds in build-cross/.
// Ends with "N passed, N failed".
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

const INCLUDES = ['-Inative/include', '-Inative/src'];

// The C++ tests (CMake targets), how each reports (a count and its failures) and the line that shows the NEON
// family ran (not only the scalar one).
const TESTS = [
  { name: 'test_activations', result: /(\d+) passed, (\d+) failed\s*$/, neon: /^testing neon\b/m },
  { name: 'test_gemm', result: /test_gemm: (\d+) checks, (\d+) failures/, neon: /ISAs:[^\n|]*\bneon\b/ },
];

async function arm64() {
  const gxx = 'aarch64-linux-gnu-g++';
  const qemu = 'qemu-aarch64';
  const missing = ['cmake', gxx, qemu].filter((tool) => !have(tool));
  if (missing.length) {
    step(`arm64: ${missing.join(', ')} present`, false, 'apt-get install cmake g++-aarch64-linux-gnu qemu-user');
    return;
  }
  // The CMake build the C++ tests always use (CMakeLists.txt, the same one ctest runs on an arm64 machine),
  // configured for aarch64 Linux and linked statically so that qemu needs no arm64 sysroot. -Werror on top of its
  // -Wall -Wextra: g++ must be as quiet for arm64 as clang is below (an error, unlike a warning, is not forgotten
  // by the next incremental build).
  const dir = path.join(out, 'arm64');
  const configure = await run('cmake', [
    '-S', root, '-B', dir, '-DCMAKE_BUILD_TYPE=Release', '-DCMAKE_SYSTEM_NAME=Linux',
    '-DCMAKE_SYSTEM_PROCESSOR=aarch64', `-DCMAKE_CXX_COMPILER=${gxx}`, '-DCMAKE_CXX_FLAGS=-Werror',
    '-DCMAKE_EXE_LINKER_FLAGS=-static',
  ]);
  const build = configure.status === 0
    ? await run('cmake', ['--build', dir, '-j', String(jobs), '--target', ...TESTS.map((t) => t.name)])
    : configure;
  if (build.status !== 0) process.stdout.write(build.text);
  const first = build.text.split('\n').find((l) => /error|warning/.test(l)) || `exit ${build.status}`;
  step('arm64: cross-compile the kernels and the C++ tests (CMake, aarch64-linux-gnu-g++ -Werror)',
    build.status === 0, build.status === 0 ? '' : first.trim());
  if (build.status !== 0) return;
  for (const test of TESTS) {
    const r = await run(qemu, [path.join(dir, test.name)]);
    const m = test.result.exec(r.text.trimEnd());
    const neon = test.neon.test(r.text);
    const ok = r.status === 0 && m !== null && Number(m[1]) > 0 && Number(m[2]) === 0 && neon;
    if (!ok) process.stdout.write(r.text);
    const detail = m // the test's own result line
      ? `${m[0].trim()}${neon ? ', NEON included' : ', no NEON run'}`
      : `no result line, exit ${r.status}`;
    step(`arm64 (qemu): ${test.name}`, ok, detail);
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
