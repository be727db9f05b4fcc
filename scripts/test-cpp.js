#!/usr/bin/env node
// Builds the native kernels' C++ tests with plain CMake in build-cmake/ (no Node headers needed; the addon
// target is skipped outside cmake-js) and runs ctest. `--json FILE` writes { passed, failed }.
// `--sanitize` builds in build-asan/ with -fsanitize=address,undefined, `--tsan` in build-tsan/ with -fsanitize=thread.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : null;
const sanitize = args.includes('--sanitize');
const tsan = args.includes('--tsan');
const dir = path.join(root, sanitize ? 'build-asan' : tsan ? 'build-tsan' : 'build-cmake');
const jobs = String(Math.max(1, require('os').cpus().length));

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status;
}
function write(passed, failed) {
  if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify({ passed, failed }));
}

const cfg = ['-S', root, '-B', dir, '-DCMAKE_BUILD_TYPE=' + (sanitize || tsan ? 'RelWithDebInfo' : 'Release')];
if (sanitize) cfg.push('-DSWISHNET_SANITIZE=ON');
if (tsan) cfg.push('-DSWISHNET_TSAN=ON');
if (run('cmake', cfg) !== 0 || run('cmake', ['--build', dir, '-j', jobs]) !== 0) {
  console.error('swishnet: the C++ test build failed');
  write(0, 1);
  process.exit(1);
}
const r = spawnSync('ctest', ['--test-dir', dir, '--output-on-failure'], { cwd: root, encoding: 'utf8' });
process.stdout.write(r.stdout || '');
process.stderr.write(r.stderr || '');
const m = /(\d+)% tests passed, (\d+) tests failed out of (\d+)/.exec(r.stdout || '');
if (!m) {
  write(0, 1);
  process.exit(1);
}
const failed = Number(m[2]);
const total = Number(m[3]);
write(total - failed, failed);
process.exit(r.status === 0 && failed === 0 ? 0 : 1);
