#!/usr/bin/env node
// `npm test`: the whole TypeScript suite once per backend configuration, then the C++ tests (ctest).
//   1. native, default ISA (the best the CPU supports)
//   2. native, SWISHNET_ISA=scalar (the portable kernels, as on a machine without AVX2/NEON)
//   3. js (SWISHNET_BACKEND=js, the pure-TypeScript fallback)
//   4. C++ tests (scripts/test-cpp.js: CMake build in build-cmake/, ctest)
// before them: the manifest check and a type check of lib/ and the tests (tsc -p test/tsconfig.json).
// Ends with one plain line: "N passed, N failed". Extra arguments go to jest (e.g. a test path pattern).
// Without a native binary the native passes fail in CI (CI=true) and are skipped with a loud note elsewhere.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { runJestJson } = require('./jest-json');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const onlyJs = args.includes('--js-only');
const noCpp = args.includes('--no-cpp') || onlyJs;
const jestArgs = args.filter((a) => !a.startsWith('--js-only') && a !== '--no-cpp');
const tmp = path.join(root, '.tmp');
fs.mkdirSync(tmp, { recursive: true });

function nativeAvailable() {
  const r = spawnSync(
    process.execPath,
    ['-e', "const b=require('node-gyp-build')(process.argv[1]); console.log(JSON.stringify(b.info()))", root],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim());
  } catch {
    return null;
  }
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];

function runJest(label, env) {
  console.log(`\n=== jest: ${label} ===`);
  const jsonFile = path.join(tmp, `jest-${label.replace(/\W+/g, '_')}.json`);
  const { passed, failed, skipped } = runJestJson({ root, jsonFile, args: jestArgs, env: { ...process.env, ...env } });
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  lines.push(`${label}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

// The compiled package (dist/) is used by the CLI, worker-thread and packaging tests: build it first.
{
  console.log('=== build: TypeScript -> dist/ ===');
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build-ts.js')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('swishnet: the TypeScript build failed');
    totals.failed += 1;
    lines.push('build:ts failed');
  }
}

/** Runs a Node script (argv after node) as one check: passed or failed, counted in the totals. */
function nodeCheck(label, argv) {
  const r = spawnSync(process.execPath, argv, { cwd: root, stdio: 'inherit' });
  if (r.status === 0) totals.passed += 1;
  else totals.failed += 1;
  lines.push(`${label}: ${r.status === 0 ? 'passed' : 'FAILED'}`);
}

// Both build files compile the sources listed in native/sources.json: every source must be listed.
nodeCheck('manifest check', [path.join(__dirname, 'check-manifest.js')]);

// The tests are transpiled without type checking (ts-jest diagnostics off, for speed): type-check them, with lib/,
// once here, so that a test cannot drift from the API's types unnoticed.
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
nodeCheck('type check (lib + tests)', [tsc, '--noEmit', '-p', path.join(root, 'test', 'tsconfig.json')]);

const info = onlyJs ? null : nativeAvailable();
if (!onlyJs) {
  if (info) {
    runJest(`native-${info.bestIsa}`, { SWISHNET_BACKEND: 'native', SWISHNET_ISA: '' });
    if (info.bestIsa !== 'scalar') runJest('native-scalar', { SWISHNET_BACKEND: 'native', SWISHNET_ISA: 'scalar' });
  } else if (process.env.CI) {
    console.error('swishnet: no native binary loads; in CI the native passes are required (npm run build:native).');
    totals.failed += 1;
    lines.push('native: not built (failure in CI)');
  } else {
    console.warn('\n!!! swishnet: no native binary loads: the native passes are SKIPPED (npm run build:native) !!!\n');
    lines.push('native: SKIPPED (not built)');
  }
}
runJest('js', { SWISHNET_BACKEND: 'js', SWISHNET_ISA: '' });

if (!noCpp) {
  console.log('\n=== C++ tests (ctest) ===');
  fs.rmSync(path.join(tmp, 'ctest.json'), { force: true }); // a run that dies before writing it must not count an old one
  const r = spawnSync(process.execPath, [path.join(__dirname, 'test-cpp.js'), '--json', path.join(tmp, 'ctest.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  let p = 0;
  let f = 0;
  try {
    const j = JSON.parse(fs.readFileSync(path.join(tmp, 'ctest.json'), 'utf8'));
    p = j.passed;
    f = j.failed;
  } catch {
    f = 1;
  }
  if (r.status !== 0 && f === 0) f = 1;
  totals.passed += p;
  totals.failed += f;
  lines.push(`ctest: ${p} passed, ${f} failed`);
}

console.log('\n=== summary ===');
for (const l of lines) console.log(l);
const summary = `${totals.passed} passed, ${totals.failed} failed` + (totals.skipped ? `, ${totals.skipped} skipped` : '');
fs.writeFileSync(path.join(tmp, 'test-summary.txt'), summary + '\n');
console.log(summary);
process.exitCode = totals.failed ? 1 : 0;
