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
const { spawn, spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'build-cross');
const manifest = require(path.join(root, 'native', 'sources.json'));
const jobs = Math.max(1, os.cpus().length);

let passed = 0;
let failed = 0;
const step = (name, ok, detail = '') => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `  (${detail})` : ''}`);
};

function have(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Runs cmd with argv; resolves { status, text } (stdout and stderr together). */
function run(cmd, argv) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('error', (e) => resolve({ status: -1, text: String(e) }));
    child.on('close', (status) => resolve({ status, text }));
  });
}

/** Runs the jobs (functions returning promises) with at most `jobs` in flight; resolves their results in order. */
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

async function arm64() {
  const gxx = 'aarch64-linux-gnu-g++';
  const qemu = 'qemu-aarch64';
  for (const tool of [gxx, qemu]) {
    if (!have(tool)) {
      step(`arm64: ${tool} present`, false, 'apt-get install g++-aarch64-linux-gnu qemu-user');
      return;
    }
  }
  const flags = ['-O3', '-std=gnu++17', '-fno-math-errno', '-march=armv8-a', ...INCLUDES];
  const tests = ['native/tests/test_activations.cc', 'native/tests/test_gemm.cc'];
  const srcs = [...manifest.kernels, ...tests];
  const built = await pool(srcs.map((src) => () => run(gxx, [...flags, '-c', src, '-o', objName(src)])));
  const bad = srcs.filter((_, i) => built[i].status !== 0);
  for (const i of srcs.keys()) if (built[i].status !== 0) process.stdout.write(built[i].text);
  step('arm64: cross-compile the kernels and the C++ tests', bad.length === 0, bad.join(', '));
  if (bad.length) return;
  const kernels = manifest.kernels.map(objName);
  for (const test of tests) {
    const name = path.basename(test, '.cc');
    const exe = path.join(out, `${name}_arm64`);
    const link = await run(gxx, ['-static', '-pthread', ...kernels, objName(test), '-o', exe]);
    if (link.status !== 0) {
      process.stdout.write(link.text);
      step(`arm64: link ${name}`, false);
      continue;
    }
    const r = await run(qemu, [exe]);
    const tail = r.text.trimEnd().split('\n').slice(-3).join(' | ');
    // test_activations ends with "N passed, N failed"; test_gemm with "test_gemm: N checks, N failures".
    const counts = /(\d+) passed, (\d+) failed\s*$/.exec(r.text.trimEnd());
    const gemm = /test_gemm: (\d+) checks, (\d+) failures/.exec(r.text);
    const neon = /^testing neon\b/m.test(r.text); // the family ran, not "skip neon"
    if (counts) {
      const p = Number(counts[1]);
      const f = Number(counts[2]);
      const ok = r.status === 0 && f === 0 && p > 0 && neon;
      if (!ok) process.stdout.write(r.text);
      step(`arm64 (qemu): ${name}`, ok, `${p} passed, ${f} failed${neon ? ', NEON family included' : ', no NEON run'}`);
    } else if (gemm) {
      const neonGemm = /ISAs:[^\n|]*\bneon\b/.test(r.text);
      const ok = r.status === 0 && Number(gemm[2]) === 0 && Number(gemm[1]) > 0 && neonGemm;
      if (!ok) process.stdout.write(r.text);
      step(`arm64 (qemu): ${name}`, ok, `${gemm[1]} checks, ${gemm[2]} failures${neonGemm ? ', NEON kernels included' : ', no NEON run'}`);
    } else {
      process.stdout.write(r.text);
      step(`arm64 (qemu): ${name}`, false, `no result line; exit ${r.status}; ${tail}`);
    }
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
  const jobsList = [
    ...manifest.kernels.map((src) => ({ name: `clang x86-64: ${src}`, argv: [...x86, src] })),
    ...manifest.napi.map((src) => ({ name: `clang x86-64: ${src}`, argv: [...napi, src] })),
    ...manifest.kernels.map((src) => ({ name: `clang arm64: ${src}`, argv: [...arm, src] })),
  ];
  const results = await pool(jobsList.map((j) => () => run(cxx, j.argv)));
  jobsList.forEach((j, i) => {
    const r = results[i];
    if (r.status !== 0) process.stdout.write(r.text);
    const first = r.text.split('\n').find((l) => /error|warning/.test(l)) || '';
    step(j.name, r.status === 0, r.status === 0 ? '' : first.trim());
  });
}

(async () => {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.error(`test:cross runs on x86-64 Linux (this is ${process.platform}-${process.arch})`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  fs.mkdirSync(out, { recursive: true });
  await arm64();
  await clang();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
})();
