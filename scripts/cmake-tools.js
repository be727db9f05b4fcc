// The C++ tools (ulp_sweep, gemm_bench, pipe_costs) are built by the plain CMake build in build-cmake/ that
// scripts/test-cpp.js (npm run test:cpp, part of npm test) configures and builds: no Node headers, and the addon
// target is skipped outside cmake-js, so build/Release/swishnet.node is left alone. scripts/ulp.js and
// scripts/bench.js (gemm suite) find the tools here and build them the same way when they are missing or older
// than the native sources. build/ (a `cmake-js compile -O build` tree) is still looked in, after build-cmake/.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const BUILD_DIR = path.join(root, 'build-cmake');
const DIRS = ['build-cmake', 'build-cmake/Release', 'build', 'build/Release', 'build/Debug'];

const exeName = (name) => (process.platform === 'win32' ? `${name}.exe` : name);
/** Where a tool may be, build-cmake/ first. */
const candidates = (name) => DIRS.map((d) => path.join(root, d, exeName(name)));

/**
 * Newest modification time of what the tools are built from: native/ (kernels, headers, tests, tools) but its
 * N-API sources (native/src/napi: only the addon uses them), and CMakeLists.txt.
 */
function newestSource(dir = path.join(root, 'native')) {
  let t = dir === path.join(root, 'native') ? fs.statSync(path.join(root, 'CMakeLists.txt')).mtimeMs : 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (p === path.join(root, 'native', 'src', 'napi')) continue;
    t = Math.max(t, e.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** The first built copy of a tool: { path, stale } (stale: older than the native sources), or null. */
function findTool(name) {
  const p = candidates(name).find((c) => fs.existsSync(c));
  return p ? { path: p, stale: fs.statSync(p).mtimeMs < newestSource() } : null;
}

/**
 * Configures build-cmake/ as scripts/test-cpp.js does (Release) when it has no CMakeCache.txt yet, then builds
 * one target. Build output goes to stderr (a tool's report on stdout stays clean). Returns the exit status.
 */
function buildTool(name) {
  const opts = { cwd: root, stdio: ['ignore', 2, 2] };
  const run = (argv) => {
    const r = spawnSync('cmake', argv, opts);
    return r.error ? (console.error(`cmake: ${r.error.message}`), 1) : r.status === null ? 1 : r.status;
  };
  if (!fs.existsSync(path.join(BUILD_DIR, 'CMakeCache.txt'))) {
    const status = run(['-S', root, '-B', BUILD_DIR, '-DCMAKE_BUILD_TYPE=Release']);
    if (status !== 0) return status;
  }
  const jobs = String(Math.max(1, os.cpus().length));
  return run(['--build', BUILD_DIR, '--target', name, '--config', 'Release', '-j', jobs]);
}

/**
 * A tool that is up to date, building it in build-cmake/ when it is missing or stale. Returns { path, stale }
 * (stale: the build failed and an older copy is used) or { error } when there is none. log(line) reports.
 */
function ensureTool(name, log = (s) => console.error(s)) {
  const found = findTool(name);
  if (found && !found.stale) return found;
  const rel = (p) => path.relative(root, p);
  log(
    `${found ? `${rel(found.path)} is older than the native sources` : `${name} is not built`}: building it ` +
      `(cmake --build ${rel(BUILD_DIR)} --target ${name})`,
  );
  const status = buildTool(name);
  const now = findTool(name);
  if (status === 0 && now && now.path.startsWith(BUILD_DIR + path.sep)) {
    // make rebuilt what the tool depends on; a newer source it does not use (an N-API file) must not make it
    // look stale at every run.
    const t = new Date();
    fs.utimesSync(now.path, t, t);
    return { path: now.path, stale: false };
  }
  if (now) {
    log(`building ${name} failed (exit ${status}); using ${rel(now.path)}, which is older than the native sources`);
    return now;
  }
  return { error: `could not build ${name} (exit ${status}); looked in ${DIRS.join(', ')}` };
}

module.exports = { BUILD_DIR, candidates, newestSource, findTool, buildTool, ensureTool };
