#!/usr/bin/env node
// npm run ulp [-- args]: runs build-cmake/ulp_sweep (the CMake build of scripts/test-cpp.js), building it there
// first when it is missing or older than the native sources (scripts/cmake-tools.js), and passes the arguments
// through (e.g. --quick, --quick=4000000, --isa avx2, --op gelu, --bench). Exit code: the tool's (2 for a bad
// argument), 1 when it cannot be built or run.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { ensureTool } = require('./cmake-tools');

const root = path.resolve(__dirname, '..');
const tool = ensureTool('ulp_sweep');
if (tool.error) {
  console.error(tool.error);
  process.exit(1);
}
const run = spawnSync(tool.path, process.argv.slice(2), { cwd: root, stdio: 'inherit' });
if (run.error) {
  console.error(run.error.message);
  process.exit(1);
}
process.exit(run.status === null ? 1 : run.status);
