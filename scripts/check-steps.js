// Shared by the check scripts (test-asan.js, test-valgrind.js, test-cross.js): their PASS / FAIL lines with the
// closing "N passed, N failed" that .ci/run adds up, and running a command while keeping its output.
'use strict';
const path = require('path');
const { spawn } = require('child_process');

const root = path.resolve(__dirname, '..');

/** step(name, ok, detail) prints and counts one check; summary() prints the lines again (when asked) and the
 * closing count, and sets the exit code. */
function createSteps() {
  const s = { passed: 0, failed: 0, lines: [] };
  s.step = (name, ok, detail = '') => {
    if (ok) s.passed++;
    else s.failed++;
    s.lines.push(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `  (${detail})` : ''}`);
    console.log(s.lines[s.lines.length - 1]);
  };
  s.summary = (title) => {
    if (title) {
      console.log(`\n=== ${title} ===`);
      for (const l of s.lines) console.log(l);
    }
    console.log(`${s.passed} passed, ${s.failed} failed`);
    process.exitCode = s.failed ? 1 : 0;
  };
  return s;
}

/** Runs a command in the repository root, keeping the tail of its output (stdout and stderr together, up to
 * 64 MiB); echo: also show it live. Resolves { status, signal, text } (status null and error set when it could
 * not start). */
function runCapture(cmd, argv, { echo = true, ...opts } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    const chunks = [];
    let size = 0;
    const keep = (to) => (buf) => {
      if (echo) to.write(buf);
      chunks.push(buf);
      size += buf.length;
      while (size > 64 * 1024 * 1024 && chunks.length > 1) size -= chunks.shift().length; // keep the tail
    };
    child.stdout.on('data', keep(process.stdout));
    child.stderr.on('data', keep(process.stderr));
    const text = () => Buffer.concat(chunks).toString();
    child.on('error', (error) => resolve({ status: null, signal: null, text: text(), error }));
    child.on('close', (status, signal) => resolve({ status, signal, text: text() }));
  });
}

module.exports = { createSteps, runCapture };
