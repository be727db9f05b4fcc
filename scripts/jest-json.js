'use strict';
// Runs the jest suite once with --json and reads its counts: shared by scripts/test.js (one run per backend) and
// scripts/test-node-versions.js (one run per Node version).
const fs = require('fs');
const os = require('os');
const { spawnSync } = require('child_process');

/**
 * Runs jest in `root` with `node` (default: this Node), extra jest `args` and the environment `env`, its output
 * shown, its results written to `jsonFile`. Returns { passed, failed, skipped }: a jest that died before writing
 * its results, or exited non-zero with no failed test, counts as one failure.
 */
function runJestJson({ root, jsonFile, node = process.execPath, args = [], env = process.env }) {
  fs.rmSync(jsonFile, { force: true }); // a run that dies before writing it must not count an old one
  const jestBin = require.resolve('jest/bin/jest', { paths: [root] });
  const r = spawnSync(
    node,
    [jestBin, `--maxWorkers=${Math.max(1, os.cpus().length)}`, '--json', `--outputFile=${jsonFile}`, ...args],
    { cwd: root, stdio: 'inherit', env },
  );
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    const j = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
    passed = j.numPassedTests;
    failed = j.numFailedTests + (j.numRuntimeErrorTestSuites || 0);
    skipped = j.numPendingTests + (j.numTodoTests || 0);
  } catch {
    failed = 1; // jest died before writing its results
  }
  if (r.status !== 0 && failed === 0) failed = 1;
  return { passed, failed, skipped };
}

module.exports = { runJestJson };
