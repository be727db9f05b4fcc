#!/usr/bin/env node
// `npm run test:install`: installs the packed package into fresh temporary projects and checks the four
// install paths of the README (CI runs it after `npm test`):
//   1. prebuild in the tarball, no compiler on PATH       -> loads the prebuild: backend 'native'
//   2. no prebuild, compiler present                      -> built from source at install: 'native'
//   3. no prebuild, no compiler                           -> install succeeds, ONE line says the TypeScript
//                                                            backend is used; forward pass and fit work on 'js'
//   4. npm install --ignore-scripts                       -> prebuild: 'native'; without prebuild: 'js'
//   5. the unpacked tarball installed as a folder           -> its prepare/install scripts run: 'native'
// and that the tarball holds exactly what `files` in package.json intends (dist/, the native sources, the
// build files, scripts/install.js, prebuilds/, README) and no build outputs, tests or tools.
//
// How: a copy of the working tree (git's tracked + untracked-not-ignored files) in a temp dir, dist/ built
// there, `npm run build:prebuilds` (prebuildify --napi --strip --tag-libc), then `npm pack` with and without
// prebuilds/. "No compiler" means PATH holds only a directory of symlinks to node, npm and sh (g++, cc, make,
// cmake, python are hidden) and CC/CXX/PYTHON are unset. Dependencies come from the npm cache when present
// (--prefer-offline). Prints PASS/FAIL per check and exits non-zero on any failure.
//   --keep      keep the temp dir (its path is printed)
//   --only=1,3  run only some install paths (the packing checks always run)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice(7).split(',')) : null;
const want = (p) => !only || only.has(String(p));
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;

const results = [];
function record(name, ok, detail = '') {
  results.push({ name, ok });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `  (${detail})` : ''}  [${elapsed()}]`);
}

// ------------------------------------------------------------------------------------------- environment

const npmCli = (() => {
  const cands = [process.env.npm_execpath, path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')];
  const w = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' });
  if (w.status === 0 && w.stdout.trim()) cands.push(fs.realpathSync(w.stdout.trim()));
  for (const c of cands) if (c && /npm-cli\.js$/.test(c) && fs.existsSync(c)) return c;
  throw new Error('test-install: cannot find npm-cli.js');
})();

/** The parent's environment without npm's per-run variables and without anything swishnet reads. */
function baseEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || /^SWISHNET_/.test(k) || k === 'PREBUILDS_ONLY' || k === 'INIT_CWD') continue;
    if (['CC', 'CXX', 'PYTHON', 'MAKE', 'NODE_OPTIONS'].includes(k)) continue;
    env[k] = v;
  }
  // The machine's npmrc may set nodedir (offline Node headers for node-gyp): pass it on explicitly.
  const nodedir = spawnSync(process.execPath, [npmCli, 'config', 'get', 'nodedir'], { encoding: 'utf8', env }).stdout;
  if (nodedir && nodedir.trim() && nodedir.trim() !== 'undefined') env.npm_config_nodedir = nodedir.trim();
  return Object.assign(env, extra);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout || '',
    out: `${r.stdout || ''}${r.stderr || ''}${r.error ? String(r.error) : ''}`,
  };
}
const npm = (argv, opts) => run(process.execPath, [npmCli, ...argv], opts);

function tail(s, n = 30) {
  return s.split('\n').slice(-n).join('\n');
}

// ------------------------------------------------------------------------------------------- staging

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-install-'));
const stage = path.join(tmp, 'stage');
const packs = path.join(tmp, 'packs');
fs.mkdirSync(packs);

/** A PATH directory with node, npm and sh only: no compiler, make, cmake or python. */
const noCompilerBin = path.join(tmp, 'bin-no-compiler');
fs.mkdirSync(noCompilerBin);
fs.symlinkSync(process.execPath, path.join(noCompilerBin, 'node'));
fs.writeFileSync(path.join(noCompilerBin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
const sh = ['/bin/sh', '/usr/bin/sh'].find((p) => fs.existsSync(p));
if (sh) fs.symlinkSync(sh, path.join(noCompilerBin, 'sh'));

function stageTree() {
  let files;
  const g = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root });
  if (g.status === 0) files = g.out.split('\0').filter(Boolean);
  else {
    files = [];
    const walk = (rel) => {
      for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
        const r = path.join(rel, e.name);
        if (e.isDirectory()) walk(r);
        else files.push(r);
      }
    };
    for (const d of ['lib', 'native', 'scripts']) walk(d);
    files.push(...['package.json', 'binding.gyp', 'CMakeLists.txt', 'tsconfig.json', 'README.md', 'LICENSE'].filter((f) => fs.existsSync(path.join(root, f))));
  }
  for (const f of files) {
    const src = path.join(root, f);
    if (!fs.existsSync(src) || fs.statSync(src).isDirectory()) continue; // deleted in the working tree
    const dst = path.join(stage, f);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(src, dst);
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
}

function packTarball(label) {
  const r = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', packs], { cwd: stage, env: baseEnv() });
  if (r.status !== 0) throw new Error(`npm pack (${label}) failed:\n${tail(r.out)}`);
  const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
  const file = path.join(packs, json[0].filename);
  const renamed = path.join(packs, `swishnet-${label}.tgz`);
  fs.renameSync(file, renamed);
  return { file: renamed, files: json[0].files.map((f) => f.path) };
}

/** What `files` in package.json intends to ship, and what must be in it. */
function checkPackList(list, withPrebuild) {
  const manifest = JSON.parse(fs.readFileSync(path.join(stage, 'native', 'sources.json'), 'utf8'));
  const allowed = [
    /^package\.json$/,
    /^README(\.md)?$/i,
    /^LICEN[CS]E(\.md|\.txt)?$/i,
    /^binding\.gyp$/,
    /^CMakeLists\.txt$/,
    /^scripts\/(install|build-ts)\.js$/,
    /^dist\/.+\.(js|mjs|d\.ts|js\.map|json)$/,
    /^native\/sources\.json$/,
    /^native\/include\/.+\.h$/,
    /^native\/src\/.+\.(h|cc)$/,
    /^prebuilds\/[a-z0-9]+-[a-z0-9]+\/[^/]+\.node$/,
  ];
  const unexpected = list.filter((f) => !allowed.some((re) => re.test(f)));
  const required = [
    'package.json',
    'binding.gyp',
    'scripts/install.js',
    'scripts/build-ts.js',
    'native/sources.json',
    'dist/index.js',
    'dist/index.mjs',
    'dist/index.d.ts',
    ...manifest.kernels,
    ...manifest.napi,
  ];
  const walk = (rel, re, out) => {
    const abs = path.join(stage, rel);
    if (!fs.existsSync(abs)) return out;
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r, re, out);
      else if (re.test(e.name)) out.push(r);
    }
    return out;
  };
  required.push(...walk('native/include', /\.h$/, []), ...walk('native/src', /\.h$/, []));
  if (fs.existsSync(path.join(stage, 'README.md'))) required.push('README.md');
  if (fs.existsSync(path.join(stage, 'LICENSE'))) required.push('LICENSE');
  const missing = required.filter((f) => !list.includes(f));
  const prebuilds = list.filter((f) => f.startsWith('prebuilds/'));
  const problems = [];
  if (unexpected.length) problems.push(`unexpected: ${unexpected.slice(0, 12).join(', ')}${unexpected.length > 12 ? ', ...' : ''}`);
  if (missing.length) problems.push(`missing: ${missing.join(', ')}`);
  if (withPrebuild && prebuilds.length === 0) problems.push('no prebuilds/ in the tarball');
  if (!withPrebuild && prebuilds.length) problems.push(`prebuilds in the source-only tarball: ${prebuilds.join(', ')}`);
  return problems;
}

// ------------------------------------------------------------------------------------------- checks

const VERIFY = `
const sn = require('swishnet');
const info = sn.backendInfo();
// A small forward pass: activations, GEMM, and a 1-epoch fit on tiny random data.
let s = 1;
const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
const x = Float32Array.from({ length: 64 }, () => rnd() * 4 - 2);
const y = sn.activations.get('swish').forward(x);
let okAct = true;
for (let i = 0; i < x.length; i++) okAct = okAct && Math.abs(y[i] - x[i] / (1 + Math.exp(-x[i]))) < 1e-5;
const a = Float64Array.from({ length: 6 }, (_, i) => i + 1), b = Float64Array.from({ length: 6 }, (_, i) => 6 - i);
const c = sn.gemm(a, b, new Float64Array(4), { m: 2, n: 2, k: 3 });
const okGemm = c.join() === [1*6+2*4+3*2, 1*5+2*3+3*1, 4*6+5*4+6*2, 4*5+5*3+6*1].join();
const n = 60, f = 5;
const X = Float32Array.from({ length: n * f }, () => rnd() * 2 - 1);
const Y = Int32Array.from({ length: n }, (_, i) => (X[i * f] > 0 ? 1 : 0));
const net = new sn.NeuralNetClassifier({ moduleParams: { inputs: f, hidden: [8], outputs: 2 }, maxEpochs: 1, batchSize: 16, verbose: 0 });
net.fit(X, Y).then(() => {
  const p = net.predict(X);
  console.log('RESULT ' + JSON.stringify({ backend: info.backend, isa: info.isa, nativePath: info.nativePath,
    okAct, okGemm, fitted: net.history.length === 1 && Number.isFinite(net.history.epochs[0].train_loss) && p.length === n }));
}, (e) => { console.log('RESULT ' + JSON.stringify({ error: String(e && e.stack || e) })); });
`;

function freshProject(name) {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `swishnet-install-${name}`, version: '1.0.0', private: true }, null, 2));
  return dir;
}

function install(dir, tarball, { noCompiler = false, ignoreScripts = false } = {}) {
  const env = baseEnv(noCompiler ? { PATH: noCompilerBin } : {});
  const argv = ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--no-save', '--foreground-scripts', '--loglevel=warn'];
  if (ignoreScripts) argv.push('--ignore-scripts');
  return npm(argv, { cwd: dir, env });
}

function verify(dir, { noCompiler = false } = {}) {
  const r = run(process.execPath, ['-e', VERIFY], { cwd: dir, env: baseEnv(noCompiler ? { PATH: noCompilerBin } : {}) });
  const line = r.out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) return { error: `no result (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}):\n${tail(r.out)}` };
  return JSON.parse(line.slice(7));
}

function jsLines(out) {
  return out.split('\n').filter((l) => /^swishnet: .*TypeScript backend/.test(l.trim()));
}

function checkPath(name, dir, tarball, opts, expect) {
  const ins = install(dir, tarball, opts);
  if (ins.status !== 0) {
    record(name, false, `npm install exited ${ins.status}:\n${tail(ins.out)}`);
    return;
  }
  const v = verify(dir, opts);
  const problems = [];
  if (v.error) problems.push(v.error);
  else {
    if (v.backend !== expect.backend) problems.push(`backend ${v.backend}, expected ${expect.backend}`);
    if (expect.from && !(v.nativePath || '').includes(expect.from)) problems.push(`native binary from ${v.nativePath}, expected under ${expect.from}`);
    if (!v.okAct) problems.push('activation forward gave wrong values');
    if (!v.okGemm) problems.push('gemm gave wrong values');
    if (!v.fitted) problems.push('the 1-epoch fit failed');
  }
  const lines = jsLines(ins.out);
  if (expect.jsLines !== undefined && lines.length !== expect.jsLines) {
    problems.push(`${lines.length} 'swishnet: ... TypeScript backend' lines in the install output, expected ${expect.jsLines}:\n${tail(ins.out, 15)}`);
  }
  if (expect.builtLine && !/swishnet: built the native backend from source/.test(ins.out)) problems.push('no "built from source" line');
  const pkgDir = path.join(dir, 'node_modules', 'swishnet');
  if (expect.noBuildDir && fs.existsSync(path.join(pkgDir, 'build', 'Release'))) problems.push('a build/Release directory was created (compiled?)');
  record(name, problems.length === 0, problems.length ? problems.join('; ') : `${v.backend}/${v.isa}${v.nativePath ? ` from ${path.relative(pkgDir, v.nativePath)}` : ''}`);
}

// ------------------------------------------------------------------------------------------- main

async function lintCi() {
  try {
    const { lintWorkflows } = require('./lint-workflows');
    const { files, findings } = await lintWorkflows();
    record('.github/workflows: actionlint clean, every npm script they run exists', findings.length === 0, findings.join('\n') || `${files.length} workflow(s)`);
  } catch (e) {
    record('.github/workflows: actionlint clean, every npm script they run exists', false, String((e && e.message) || e));
  }
}

function main() {
  console.log(`test-install: working in ${tmp}`);
  stageTree();
  let r = run(process.execPath, [path.join(stage, 'scripts', 'build-ts.js')], { cwd: stage, env: baseEnv() });
  if (r.status !== 0) throw new Error(`build-ts failed:\n${tail(r.out)}`);
  console.log(`staged and built dist/ [${elapsed()}]`);

  r = npm(['run', 'build:prebuilds'], { cwd: stage, env: baseEnv({ SWISHNET_SKIP_BUILD: '1' }) });
  const prebuildDir = path.join(stage, 'prebuilds', `${process.platform}-${process.arch}`);
  const built = fs.existsSync(prebuildDir) ? fs.readdirSync(prebuildDir).filter((f) => f.endsWith('.node')) : [];
  record('npm run build:prebuilds (prebuildify --napi --strip --tag-libc)', r.status === 0 && built.length > 0, r.status === 0 ? built.join(', ') : tail(r.out));
  fs.rmSync(path.join(stage, 'build'), { recursive: true, force: true });

  const withPre = packTarball('prebuilt');
  let problems = checkPackList(withPre.files, true);
  record('npm pack with prebuilds: exactly what `files` intends', problems.length === 0, problems.join('; ') || `${withPre.files.length} files`);
  fs.rmSync(path.join(stage, 'prebuilds'), { recursive: true, force: true });
  const srcOnly = packTarball('source');
  problems = checkPackList(srcOnly.files, false);
  record('npm pack without prebuilds: exactly what `files` intends', problems.length === 0, problems.join('; ') || `${srcOnly.files.length} files`);

  // `npm pack --dry-run --json` (what CI and a publisher see) lists the same files.
  r = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: stage, env: baseEnv() });
  let dry = [];
  try {
    dry = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0].files.map((f) => f.path);
  } catch {
    /* reported below */
  }
  record('npm pack --dry-run --json lists the same files', dry.length > 0 && dry.join('\n') === srcOnly.files.join('\n'), `${dry.length} files`);

  if (want(1)) {
    checkPath('path 1: prebuild present, no compiler on PATH -> native', freshProject('p1'), withPre.file, { noCompiler: true }, {
      backend: 'native',
      from: 'prebuilds',
      jsLines: 0,
      noBuildDir: true,
    });
  }
  if (want(2)) {
    checkPath('path 2: no prebuild, compiler present -> built from source, native', freshProject('p2'), srcOnly.file, {}, {
      backend: 'native',
      from: path.join('build', 'Release'),
      jsLines: 0,
      builtLine: true,
    });
  }
  if (want(3)) {
    checkPath('path 3: no prebuild, no compiler -> installs, one TypeScript-backend line, works on js', freshProject('p3'), srcOnly.file, { noCompiler: true }, {
      backend: 'js',
      jsLines: 1,
    });
  }
  if (want(4)) {
    checkPath('path 4a: --ignore-scripts with prebuild -> native', freshProject('p4a'), withPre.file, { ignoreScripts: true, noCompiler: true }, {
      backend: 'native',
      from: 'prebuilds',
      jsLines: 0,
      noBuildDir: true,
    });
    checkPath('path 4b: --ignore-scripts without prebuild -> js', freshProject('p4b'), srcOnly.file, { ignoreScripts: true }, {
      backend: 'js',
      jsLines: 0,
      noBuildDir: true,
    });
  }
  if (want(5)) {
    // The unpacked tarball installed as a folder (vendored): npm runs its `prepare` and `install` scripts there.
    const dir = freshProject('p5');
    const vendor = path.join(dir, 'vendor');
    fs.mkdirSync(vendor);
    const r5 = run('tar', ['xzf', withPre.file, '-C', vendor]);
    if (r5.status !== 0) record('path 5: unpacked tarball as a folder dependency', false, tail(r5.out));
    else {
      fs.renameSync(path.join(vendor, 'package'), path.join(vendor, 'swishnet'));
      checkPath('path 5: the unpacked tarball installed as a folder -> prebuild, native', dir, './vendor/swishnet',
        { noCompiler: true }, { backend: 'native', from: 'prebuilds', jsLines: 0, noBuildDir: true });
    }
  }
}

(async () => {
  let crashed = null;
  await lintCi();
  try {
    main();
  } catch (e) {
    crashed = e;
    record('test-install ran to the end', false, String((e && e.message) || e));
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`\ntest-install: ${elapsed()}`);
  console.log(`${results.length - failed} passed, ${failed} failed`);
  if (keep || crashed) console.log(`(kept ${tmp})`);
  else fs.rmSync(tmp, { recursive: true, force: true });
  process.exitCode = failed ? 1 : 0;
})();
