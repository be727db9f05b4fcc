/**
 * The tfjs peer of `npm run bench -- train` is a real training loop: on real MNIST its loss falls as
 * swishnet's does, and it leaves no tensors behind (so the ratios the benchmark prints compare like with like).
 */
import { loadMnist, NeuralNetClassifier } from '../lib';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { loadTfjs } = require('../bench/tfjs');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { tfjsLossCurve, tfjsEpoch } = require('../bench/tfjs_train');

test('the tfjs training peer learns MNIST like swishnet and frees its tensors', async () => {
  const data = loadMnist({ limit: 8000 });
  const t = await loadTfjs();
  expect(t.error).toBeUndefined();
  const steps = 60;
  const losses: number[] = await tfjsLossCurve(t.tf, 'wasm', data, steps);
  expect(losses[0]).toBeGreaterThan(2); // ~ln(10) at the start
  const late = losses.slice(-10).reduce((a, b) => a + b) / 10;
  expect(late).toBeLessThan(0.9);
  expect(t.tf.memory().numTensors).toBe(0);
  // swishnet on the same batches (no shuffling, no validation split) ends in the same range
  const net = new NeuralNetClassifier({
    module: 'mlp',
    moduleParams: { inputs: 784, hidden: [128, 64], outputs: 10, activation: 'relu' },
    lr: 0.01,
    optimizerParams: { momentum: 0.95 },
    maxEpochs: 1,
    batchSize: 128,
    trainSplit: 0,
    shuffle: false,
    seed: 0,
    verbose: 0,
  });
  await net.fit(data.X.subarray(0, steps * 128 * 784), data.y.subarray(0, steps * 128));
  const ours = net.history.epochs[0].batches.slice(-10).reduce((a, b) => a + (b.train_loss ?? 0), 0) / 10;
  expect(Math.abs(ours - late)).toBeLessThan(0.15);
  const s = await tfjsEpoch(t.tf, 'wasm', data, { trainBatches: 2, evalBatches: 1 });
  expect(s).toBeGreaterThan(0);
  expect(t.tf.memory().numTensors).toBe(0);
}, 60000);
