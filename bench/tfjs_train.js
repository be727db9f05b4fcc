// TensorFlow.js peers for the training benchmark: the reference MLP (784-128-64-10, ReLU, softmax cross-entropy,
// SGD lr 0.01 momentum 0.95, batch 128) trained with tfjs-core ops on the wasm backend and on the pure-JS cpu
// backend, measured in the same run as swishnet. The gradient registry is not part of tfjs-core's Node bundle,
// so the backward pass is written out with the ops tfjs's registered gradients would run (matMul with
// transposes, a ReLU mask, column sums, softmax - onehot). An epoch is timed over a sample of batches and
// scaled to the 375 training + 94 validation batches of the reference epoch.
'use strict';

function xavier(tf, rng, rows, cols) {
  const bound = 1 / Math.sqrt(rows);
  const a = new Float32Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = (rng() * 2 - 1) * bound;
  return tf.tensor2d(a, [rows, cols]);
}

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** One network: weights stored [in, out] (x W + b), velocity buffers for momentum. */
function makeNet(tf, sizes) {
  const rng = lcg(1);
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const W = xavier(tf, rng, sizes[l], sizes[l + 1]);
    const b = tf.zeros([sizes[l + 1]]);
    layers.push({ W, b, vW: tf.zerosLike(W), vb: tf.zerosLike(b) });
  }
  return layers;
}

function forward(tf, net, x) {
  const acts = [x];
  let h = x;
  for (let l = 0; l < net.length; l++) {
    const z = tf.add(tf.matMul(h, net[l].W), net[l].b);
    h = l + 1 < net.length ? tf.relu(z) : z;
    acts.push(h);
  }
  return acts;
}

/** One SGD step on (x, onehot); returns the loss as a tensor (the caller reads it, as a trainer would). */
function trainStep(tf, net, x, onehot, lr, momentum) {
  return tf.tidy(() => {
    const acts = forward(tf, net, x);
    const logits = acts[acts.length - 1];
    const m = x.shape[0];
    const logp = tf.logSoftmax(logits);
    const loss = tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1)));
    let g = tf.div(tf.sub(tf.exp(logp), onehot), tf.scalar(m)); // d loss / d logits
    for (let l = net.length - 1; l >= 0; l--) {
      const L = net[l];
      const gW = tf.matMul(acts[l], g, true, false);
      const gb = tf.sum(g, 0);
      if (l > 0) g = tf.mul(tf.matMul(g, L.W, false, true), tf.step(acts[l])); // ReLU mask from the output
      const vW = tf.add(tf.mul(L.vW, tf.scalar(momentum)), gW);
      const vb = tf.add(tf.mul(L.vb, tf.scalar(momentum)), gb);
      const W = tf.sub(L.W, tf.mul(vW, tf.scalar(lr)));
      const b = tf.sub(L.b, tf.mul(vb, tf.scalar(lr)));
      Object.assign(L, { W: tf.keep(W), b: tf.keep(b), vW: tf.keep(vW), vb: tf.keep(vb), old: [L.W, L.b, L.vW, L.vb] });
    }
    return loss;
  });
}

function releaseOld(net) {
  for (const L of net) {
    if (L.old) for (const t of L.old) t.dispose();
    L.old = null;
  }
}

/**
 * The reference MLP on tfjs backend `backendName`, fed batch b = rows (b * 128) mod n of the data:
 * step(b) trains on it and returns the loss (read back, as a trainer does every batch), evalStep(b) runs the
 * validation work (loss and argmax), dispose() frees the weights.
 */
async function tfjsTrainer(tf, backendName, data) {
  const ok = await tf.setBackend(backendName);
  await tf.ready();
  if (!ok || tf.getBackend() !== backendName) throw new Error(`tfjs backend ${backendName} did not initialise`);
  const bs = 128;
  const f = 784;
  const net = makeNet(tf, [784, 128, 64, 10]);
  const withBatch = (b, fn) => {
    const from = (b * bs) % (data.y.length - bs);
    const x = tf.tensor2d(data.X.subarray(from * f, (from + bs) * f), [bs, f]);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(data.y.subarray(from, from + bs), 'int32'), 10));
    try {
      return fn(x, y);
    } finally {
      x.dispose();
      y.dispose();
    }
  };
  return {
    step: (b) =>
      withBatch(b, (x, y) => {
        const loss = trainStep(tf, net, x, y, 0.01, 0.95);
        const v = loss.dataSync()[0];
        loss.dispose();
        releaseOld(net);
        return v;
      }),
    evalStep: (b) =>
      withBatch(b, (x, y) =>
        tf.tidy(() => {
          const logits = forward(tf, net, x).pop();
          tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))).dataSync();
          tf.argMax(logits, 1).dataSync();
        }),
      ),
    dispose: () => {
      for (const L of net) for (const t of [L.W, L.b, L.vW, L.vb]) t.dispose();
    },
  };
}

/**
 * Seconds per reference epoch for tfjs on `backendName` ('wasm' or 'cpu'), from `trainBatches` timed training
 * batches and `evalBatches` timed validation batches of real MNIST rows (after a warm-up batch).
 */
async function tfjsEpoch(tf, backendName, data, { trainBatches, evalBatches }) {
  const t = await tfjsTrainer(tf, backendName, data);
  try {
    t.step(0); // warm-up (kernel compilation, buffer pools)
    t.evalStep(0);
    let t0 = process.hrtime.bigint();
    for (let b = 1; b <= trainBatches; b++) t.step(b);
    const trainPerBatch = Number(process.hrtime.bigint() - t0) / 1e9 / trainBatches;
    t0 = process.hrtime.bigint();
    for (let b = 1; b <= evalBatches; b++) t.evalStep(b);
    const evalPerBatch = Number(process.hrtime.bigint() - t0) / 1e9 / evalBatches;
    return 375 * trainPerBatch + 94 * evalPerBatch;
  } finally {
    t.dispose();
  }
}

/** Sanity check of the peer itself: the loss of `steps` steps on real data (it must fall like swishnet's). */
async function tfjsLossCurve(tf, backendName, data, steps) {
  const t = await tfjsTrainer(tf, backendName, data);
  try {
    const losses = [];
    for (let b = 0; b < steps; b++) losses.push(t.step(b));
    return losses;
  } finally {
    t.dispose();
  }
}

module.exports = { tfjsEpoch, tfjsLossCurve };
