#!/usr/bin/env node
// npm run ulp [-- args]: builds the ULP sweep tool with cmake-js if it is missing or older than the native
// sources, then runs it, passing the arguments through (e.g. --quick, --quick=4000000, --isa avx2, --op gelu,
// --bench). Exit code: the tool's.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const exe = process.platform === 'win32' ? 'ulp_sweep.exe' : 'ulp_sweep';
const candidates = ['build', 'build/Release', 'build/Debug'].map((d) => path.join(root, d, exe));

function find() {
  return candidates.find((p) => fs.existsSync(p));
}

/** Newest modification time under native/ (kernels, headers, tools): a tool older than that is stale. */
function newestSource(dir = path.join(root, 'native')) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

let tool = find();
if (tool && fs.statSync(tool).mtimeMs < newestSource()) {
  console.error(`${path.relative(root, tool)} is older than the native sources: rebuilding it`);
  tool = undefined;
}
if (!tool) {
  console.error('building ulp_sweep: npx cmake-js compile -O build');
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  let r = spawnSync(npx, ['cmake-js', 'compile', '-O', 'build'], { cwd: root, stdio: 'inherit' });
  tool = find();
  if (!tool) {
    // The addon target may fail while its sources are missing; the tool itself only needs the kernels.
    console.error('building the ulp_sweep target alone');
    r = spawnSync('cmake', ['--build', 'build', '--target', 'ulp_sweep', '--config', 'Release'], {
      cwd: root,
      stdio: 'inherit',
    });
    tool = find();
  }
  if (!tool) {
    console.error(`could not build ulp_sweep (exit ${r.status}); looked in:\n  ${candidates.join('\n  ')}`);
    process.exit(1);
  }
}
const run = spawnSync(tool, process.argv.slice(2), { cwd: root, stdio: 'inherit' });
if (run.error) {
  console.error(run.error.message);
  process.exit(1);
}
process.exit(run.status === null ? 1 : run.status);
