#!/usr/bin/env node
// How a 1M-element native activation call's speed depends on where its arrays sit, one thread, Gelem/s.
//   node scripts/bench-offsets.js [op, default gelu_tanh] [fwd|bwd, default fwd] [rounds, default 6]
// Two sweeps over views into ArrayBuffers of 4M + 8K bytes (Node places such buffers 16 bytes past a page start):
//  - alignment: x and y (or x, gradOut and gradIn) at byte offset 0, 16, 32 or 48 into their buffers;
//  - 4K placement: x at 0, 512, ..., 3584 bytes, y at the same offset and at that offset + 1024 (mod 4096).
// Each cell is the best of 8 calls, best over the rounds (the cells are visited in turn each round, so the VM's
// slow and fast phases spread over all of them). Uses the compiled dist/ and the addon node-gyp-build finds;
// SWISHNET_NATIVE_PATH=path/to/swishnet.node measures another build, for A/B comparisons.
'use strict';
const path = require('path');

const { getNativeBackend, ActOp } = require(path.join(__dirname, '..', 'dist', 'backend', 'index.js'));
const { PARAMS } = require(path.join(__dirname, '..', 'bench', 'activations.js'));
const nb = getNativeBackend();
if (!nb) {
  console.error('bench-offsets: no native addon loads here (npm run build:native first)');
  process.exit(1);
}
const [opName = 'gelu_tanh', dir = 'fwd', roundsArg = '6'] = process.argv.slice(2);
if (!(opName in ActOp)) {
  console.error(`bench-offsets: unknown op ${opName}; one of ${Object.keys(ActOp).join(', ')}`);
  process.exit(1);
}
const params = PARAMS[opName] || [0, 0]; // the activation benchmark's (PyTorch's defaults)
const op = ActOp[opName];
const rounds = Math.max(1, Number(roundsArg) | 0);
nb.setThreads(1);

const n = 1 << 20;
const bytes = 4 * n + 8192;
const bufs = [new ArrayBuffer(bytes), new ArrayBuffer(bytes), new ArrayBuffer(bytes)];
const cells = [];
for (const off of [0, 16, 32, 48]) cells.push({ table: 'align', key: `+${off}`, ox: off, oy: off });
for (const dy of [0, 1024]) {
  for (let ox = 0; ox < 4096; ox += 512) {
    cells.push({ table: `y - x = ${dy}`, key: String(ox), ox, oy: (ox + dy) % 4096 });
  }
}
const seed = new Float32Array(n);
for (let i = 0; i < n; i++) seed[i] = -6 + 12 * (((i * 2654435761) % 1000003) / 1000003);
const now = () => process.hrtime.bigint();
for (let r = 0; r < rounds; r++) {
  for (const c of cells) {
    const x = new Float32Array(bufs[0], c.ox, n);
    const y = new Float32Array(bufs[1], c.oy, n);
    const go = new Float32Array(bufs[2], c.ox, n);
    x.set(seed);
    go.fill(1.5);
    const call =
      dir === 'bwd' ? () => nb.actBackward(op, x, null, go, y, ...params) : () => nb.actForward(op, x, y, ...params);
    call();
    let best = Infinity;
    for (let k = 0; k < 8; k++) {
      const t0 = now();
      call();
      best = Math.min(best, Number(now() - t0));
    }
    c.best = Math.max(c.best || 0, n / best);
  }
}
const isa = nb.info().isa;
console.log(`${opName} ${dir}, 1M float32, ${isa}, 1 thread, Gelem/s (best of 8 calls, ${rounds} rounds)`);
for (const table of [...new Set(cells.map((c) => c.table))]) {
  const row = cells.filter((c) => c.table === table);
  console.log(`${table.padEnd(12)} ${row.map((c) => `${c.key}:${c.best.toFixed(2)}`).join(' ')}`);
}
