// TensorFlow.js with its WebAssembly backend (@tensorflow/tfjs-backend-wasm) as a peer in the activation
// benchmark. The .wasm binaries load from node_modules (no network). Forward: tfjs's own op. Backward: the
// composition of tfjs ops that tfjs-core's registered gradient for that kernel performs (the gradient
// registry is not part of the tfjs-core Node bundle, so the same ops are called here directly); ops that
// tfjs lacks are absent (printed '-').
'use strict';
const path = require('path');

async function loadTfjs() {
  let tf;
  let wasm;
  const warn = console.warn;
  try {
    console.warn = () => {}; // tfjs-core's banner suggesting tfjs-node (which needs a download) on import
    tf = require('@tensorflow/tfjs-core');
    wasm = require('@tensorflow/tfjs-backend-wasm');
    try {
      require('@tensorflow/tfjs-backend-cpu'); // the pure-JS backend, a peer of the training benchmark
    } catch {
      /* optional */
    }
  } catch (e) {
    return { error: `not installed (${e.message.split('\n')[0]}); npm install -D @tensorflow/tfjs-core @tensorflow/tfjs-backend-wasm` };
  } finally {
    console.warn = warn;
  }
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
  try {
    wasm.setWasmPaths(dir);
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    if (!ok || tf.getBackend() !== 'wasm') return { error: 'the wasm backend did not initialise' };
  } catch (e) {
    return { error: `the wasm backend failed to load: ${e.message}` };
  }
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  return { tf, version: tf.version_core, simd, threads, ops: opTable(tf) };
}

const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_SCALEALPHA = 1.7580993408473768599402175208123;

/**
 * name -> { fwd(x) -> y, bwd({ x, y, dy }) -> tensor or tensors }. Each runs inside tf.tidy in the caller,
 * which disposes the intermediates; the caller disposes the results.
 */
function opTable(tf) {
  const one = () => tf.scalar(1);
  return {
    sigmoid: { fwd: (x) => tf.sigmoid(x), bwd: ({ y, dy }) => tf.mul(dy, tf.mul(y, tf.sub(one(), y))) },
    tanh: { fwd: (x) => tf.tanh(x), bwd: ({ y, dy }) => tf.mul(tf.sub(one(), tf.square(y)), dy) },
    relu: { fwd: (x) => tf.relu(x), bwd: ({ x, dy }) => tf.mul(dy, tf.cast(tf.step(x), 'float32')) },
    softplus: { fwd: (x) => tf.softplus(x), bwd: ({ x, dy }) => tf.mul(dy, tf.sigmoid(x)) },
    leaky_relu: {
      fwd: (x) => tf.leakyRelu(x, 0.01),
      bwd: ({ x, dy }) => tf.where(tf.greater(x, 0), dy, tf.mul(dy, 0.01)),
    },
    elu: { fwd: (x) => tf.elu(x), bwd: ({ y, dy }) => tf.engine().runKernel('EluGrad', { dy, y }, {}) },
    selu: {
      fwd: (x) => tf.selu(x),
      bwd: ({ x, dy }) =>
        tf.where(
          tf.greater(x, tf.scalar(0)),
          tf.mul(dy, tf.scalar(SELU_SCALE)),
          tf.mul(tf.mul(dy, tf.scalar(SELU_SCALEALPHA)), tf.exp(tf.cast(x, 'float32'))),
        ),
    },
    relu6: {
      fwd: (x) => tf.relu6(x),
      bwd: ({ x, dy }) => tf.mul(dy, tf.cast(tf.mul(tf.lessEqual(x, 6), tf.step(x)), 'float32')),
    },
    prelu: {
      // one learnable alpha (PyTorch's default num_parameters = 1); backward gives both gradients
      fwd: (x, alpha) => tf.prelu(x, alpha),
      bwd: ({ x, dy, alpha }) => {
        const mask = tf.greater(x, 0);
        return [tf.where(mask, dy, tf.mul(dy, alpha)), tf.sum(tf.where(mask, tf.zerosLike(dy), tf.mul(dy, x)))];
      },
    },
  };
}

module.exports = { loadTfjs };
