/**
 * The `swishnet` command line: argument handling shared by the commands (-h, single-dash and stray arguments,
 * flag values checked before any data is loaded, error output), `--require` resolved from the current directory,
 * and Ctrl-C during `swishnet train` (the completed epochs are still scored and written; exit code 130).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';
import { pathToFileURL } from 'url';
import { runCli as run, runCliInterrupted } from './helpers/cli';
import { parseArgs, UsageError } from '../lib/cli/args';
import { parseActivation, parseHidden, trainSpecs } from '../lib/cli/train';
import { discardOutputOnClosedPipe } from '../lib/cli/main';
import { EventEmitter } from 'events';
import { activations, loadMnist, NeuralNetClassifier } from '../lib';
import { writeIdxSync } from '../lib/data/idx';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const haveDist = fs.existsSync(CLI);
if (!haveDist) console.warn('cli.test: dist/ is missing, the spawned-CLI tests are SKIPPED (npm test builds it first)');
const withDist = haveDist ? test : test.skip;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-cli-args-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('argument parsing', () => {
  test('-h is --help; a single-dash word is an error with a hint, not a dropped positional', () => {
    expect(parseArgs(['-h'], trainSpecs).options.help).toBe(true);
    expect(() => parseArgs(['-epochs', '3'], trainSpecs)).toThrow(UsageError);
    expect(() => parseArgs(['-epochs', '3'], trainSpecs)).toThrow(/unknown option -epochs \(did you mean --epochs\?\)/);
    expect(() => parseArgs(['-x'], trainSpecs)).toThrow(/unknown option -x: options start with two dashes/);
    // a negative number is still a value
    expect(parseArgs(['--lr', '-1'], trainSpecs).options.lr).toBe(-1);
  });

  test('a value flag last on the line is a UsageError saying it needs a value (not a TypeError)', () => {
    expect(() => parseArgs(['--epochs'], trainSpecs)).toThrow(new UsageError('--epochs needs a value'));
    expect(() => parseArgs(['--quiet', '--json'], trainSpecs)).toThrow(new UsageError('--json needs a value'));
    expect(parseArgs(['--epochs', '3'], trainSpecs).options.epochs).toBe(3);
    // an empty or blank number is not 0 (Number('') is): --seed= would have run with seed 0
    expect(() => parseArgs(['--seed='], trainSpecs)).toThrow(new UsageError("--seed must be a number, got ''"));
    expect(() => parseArgs(['--lr', ' '], trainSpecs)).toThrow(new UsageError("--lr must be a number, got ' '"));
  });

  test('train -h prints the help and trains nothing', async () => {
    const r = await run('train', '-h', '--epochs', '1');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: swishnet train \[options\]/);
    expect(r.out).not.toMatch(/images loaded|train_loss/);
  });
});

describe('swishnet train: bad flags are usage errors (exit 2) found before MNIST is loaded', () => {
  const quick = ['--limit', '300', '--epochs', '1'];
  const cases: [string[], RegExp][] = [
    [['--epochs', '0'], /--epochs must be a positive integer, got 0/],
    [['--batch-size', '0'], /--batch-size must be a positive integer/],
    [['--lr', '0'], /--lr must be a positive number/],
    [['--momentum', '-0.5'], /--momentum must be a non-negative number/],
    [['--limit', '0'], /--limit must be a positive integer/],
    [['--valid-split', '-0.5'], /--valid-split must be a fraction in \[0, 1\)/],
    [['--valid-split', '1'], /--valid-split must be a fraction in \[0, 1\)/],
    [['--threads', '100000'], /--threads must be an integer in \[1, 256\]/],
    [['--optimizer', 'foo'], /--optimizer must be sgd or adam, got 'foo'/],
    // it was ignored, and recorded in --json's config as if used
    [['--optimizer', 'adam', '--momentum', '0.5', ...quick], /--momentum is an SGD option; Adam has none/],
    [['--activation', 'swish:beta=abc'], /swish: parameter 'beta' must be a finite number/],
    [['--hidden', '0'], /--hidden must be positive integers/],
    [['--hidden', '128,,64'], /--hidden must be positive integers separated by commas, got '128,,64'/],
    [['--hidden', ','], /--hidden must be positive integers/],
    [['--json', os.tmpdir()], /--json must name a file, got '.*' \(a directory\)/],
    [['--save', ''], /--save must name a file/],
    [['--require', './no-such-module'], /--require: cannot find module '\.\/no-such-module'/],
    [['extra'], /unexpected argument 'extra'/],
    [['-epochs', '1'], /did you mean --epochs\?/],
    [['--epochs'], /: --epochs needs a value\n/],
    [['--save', '--quiet'], /--save needs a value, got the option --quiet \(for a value that starts with --/],
    [['--json', '--limit', '3000'], /--json needs a value, got the option --limit/],
    // (with a quick run's flags: were the check missing, the run would be short)
    // an empty value is refused, not ignored (--backend, --require) nor left to fail after the checks (--data)
    [['--backend', '', ...quick], /--backend must be js or native, got ''/],
    [['--backend=', ...quick], /--backend must be js or native, got ''/],
    [['--require', '', ...quick], /--require needs a module name, got ''/],
    [['--data', '', ...quick], /--data needs a directory, got ''/],
    [['--data', ' ', ...quick], /--data needs a directory, got ' '/],
    // a boolean flag's value is one of 1|true|yes|on, 0|false|no|off, not "anything else is true"
    [['--quiet=maybe', ...quick], /--quiet takes no value or one of 1\|true\|yes\|on, 0\|false\|no\|off; got 'maybe'/],
    [['--quiet=', ...quick], /--quiet takes no value or one of .*; got ''/],
    [['--no-quiet=yes', ...quick], /--no-quiet takes no value, got 'yes'/],
    // NAME:k=v,k2=v2: a second ':' or '=' would drop what follows it
    [
      ['--activation', 'swish:beta=1.5:learnable=true', ...quick],
      /--activation 'swish:beta=1\.5:learnable=true' has more than one ':' \(separate several parameters by ','/,
    ],
    [['--activation', 'leaky_relu:alpha=0.1=0.2', ...quick], /--activation '[^']+': 'alpha=0\.1=0\.2' has more than /],
    [['--activation', 'swish:beta=1,beta=2', ...quick], /--activation 'swish:beta=1,beta=2': parameter 'beta' given/],
    [['--activation', 'swish:name=relu', ...quick], /'name' is not a parameter/],
  ];
  test.each(cases)('%j', async (argv, msg) => {
    const r = await run('train', ...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err).toMatch(/\(see swishnet train --help\)/);
    expect(r.out).toBe(''); // no banner: nothing was loaded
  });

  test('--limit too small for the stratified validation split: a usage error naming the flags', async () => {
    const r = await run('train', '--limit', '5', '--epochs', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--valid-split 0\.2 cannot split the 5 training images .*--limit.*--valid-split 0/);
    expect(r.out).toBe('');
  });

  test('an unknown activation: a RangeError listing the known ones, before loading', async () => {
    const r = await run('train', '--activation', 'nosuch');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown activation 'nosuch'; known activations: sigmoid, .*relu/);
    expect(r.out).toBe('');
    expect(() => activations.get('nosuch')).toThrow(RangeError);
  });

  test('other errors: the message without a stack trace (exit 1), the stack with SWISHNET_DEBUG=1', async () => {
    const missing = path.join(tmp, 'no-mnist-here');
    const r = await run('train', '--data', missing, '--epochs', '1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^swishnet train: Error: loadMnist: no MNIST train images file in ${missing}`));
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.err).toMatch(/SWISHNET_DEBUG=1 prints the stack trace/);
    process.env.SWISHNET_DEBUG = '1';
    try {
      const d = await run('train', '--data', missing, '--epochs', '1');
      expect(d.err).toMatch(/\n\s+at /);
    } finally {
      delete process.env.SWISHNET_DEBUG;
    }
  });

  test('info takes no arguments', async () => {
    const r = await run('info', 'extra');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unexpected argument 'extra'/);
  });
});

describe('--require', () => {
  test('resolves from the current directory like the user\'s own require (no extension needed)', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'req-'));
    // The module registers with the library instance under test (the TypeScript sources here).
    fs.writeFileSync(
      path.join(dir, 'myacts.js'),
      `require(${JSON.stringify(path.join(ROOT, 'lib', 'index.ts'))}).registerActivation('cli_test_double', (x) => x.mul(2));\n`,
    );
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await run('plot', 'cli_test_double', '--require', './myacts', '--out', 'double.svg');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'double.svg'), 'utf8')).toMatch(/^<svg/);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('--require an ES module', () => {
  withDist('one with top-level await (which require() cannot load) is imported instead', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'esm-'));
    const dist = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;
    fs.writeFileSync(
      path.join(dir, 'acts.mjs'),
      `import sn from ${JSON.stringify(dist)};\nawait Promise.resolve();\nsn.registerActivation('esm_double', (x) => x.mul(2));\n`,
    );
    const r = spawnSync(process.execPath, [CLI, 'plot', 'esm_double', '--require', './acts.mjs', '--out', 'e.svg'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'e.svg'), 'utf8')).toMatch(/^<svg/);
  });
});

test("--hidden '' is no hidden layer (a softmax-regression baseline); empty items are refused", () => {
  expect(parseHidden('')).toEqual([]);
  expect(parseHidden('128,64')).toEqual([128, 64]);
  expect(() => parseHidden('128,,64')).toThrow(UsageError);
});

test('a closed stdout pipe: later output is discarded, the command goes on; other stream errors still throw', () => {
  const written: string[] = [];
  const out = Object.assign(new EventEmitter(), {
    write: (s: string) => written.push(s) > 0,
  }) as unknown as NodeJS.WritableStream;
  discardOutputOnClosedPipe(out);
  out.write('a');
  out.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  expect(out.write('b')).toBe(true);
  expect(written).toEqual(['a']);
  expect(() => out.emit('error', Object.assign(new Error('boom'), { code: 'EIO' }))).toThrow('boom');
});

withDist('swishnet train --save m.json | head -1: the model is still written and the exit code is 0', async () => {
  const model = path.join(tmp, 'epipe', 'model.json');
  const child = spawn(process.execPath, [CLI, 'train', '--limit', '2000', '--epochs', '3', '--hidden', '16',
    '--save', model], { cwd: ROOT, env: { ...process.env, SWISHNET_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  // read the first chunk, then close the pipe as `head -1` does
  child.stdout!.once('data', () => child.stdout!.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  expect(err).not.toMatch(/EPIPE|Error/);
  expect(code).toBe(0);
  expect(JSON.parse(fs.readFileSync(model, 'utf8')).format).toMatch(/swishnet/);
}, 60_000);

withDist('--quiet prints only the result: train its test_acc line, grid its table first (no blank line before)', async () => {
  const t = await run('train', '--limit', '600', '--epochs', '1', '--hidden', '8', '--quiet');
  expect([t.code, t.out.split('\n')[0]]).toEqual([0, expect.stringMatching(/^test_acc \d\.\d{4} · valid_acc/)]);
  const g = await run('grid', '--limit', '600', '--epochs', '1', '--hidden', '8', '--cv', '2', '--activations', 'relu',
    '--quiet');
  expect([g.code, g.out.split('\n')[0]]).toEqual([0, expect.stringMatching(/activation/)]);
}, 60_000);

withDist("--json's config records the momentum SGD used, and null with --optimizer adam (which has none)", async () => {
  const cfg = async (...extra: string[]) => {
    const file = path.join(tmp, 'optim', `${extra.join('_') || 'sgd'}.json`);
    const r = await run('train', '--limit', '300', '--epochs', '1', '--hidden', '8', '--quiet', '--json', file, ...extra);
    expect(r.code).toBe(0);
    return JSON.parse(fs.readFileSync(file, 'utf8')).config;
  };
  expect(await cfg()).toMatchObject({ optimizer: 'sgd', momentum: 0.95 });
  expect(await cfg('--momentum', '0.5')).toMatchObject({ optimizer: 'sgd', momentum: 0.5 });
  expect(await cfg('--optimizer', 'adam')).toMatchObject({ optimizer: 'adam', momentum: null });
}, 60_000);

describe('Ctrl-C during swishnet train', () => {
  withDist('stops after the current batch; the completed epochs are scored and written; exit 130', async () => {
    const json = path.join(tmp, 'sigint', 'history.json');
    const model = path.join(tmp, 'sigint', 'model.json');
    // Ctrl-C at the second table row: at least one epoch is complete
    const { code, out, err, sent } = await runCliInterrupted(
      ['train', '--limit', '3000', '--epochs', '500', '--hidden', '16', '--batch-size', '64', '--json', json, '--save', model],
      /\n\s+2\s+\d/,
      { SWISHNET_THREADS: '1' },
    );
    expect(sent).toBe(true);
    expect(code).toBe(130);
    const m = /swishnet train: stopped after (\d+) complete epochs?/.exec(err);
    expect(m).not.toBeNull();
    const epochs = Number(m![1]);
    expect(epochs).toBeGreaterThanOrEqual(2);
    expect(epochs).toBeLessThan(500);
    expect(out).toMatch(/test_acc 0\.\d{4}/);
    const h = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(h.history).toHaveLength(epochs);
    expect(h.test_acc).toBeGreaterThan(0.5);
    // the saved (and scored) weights are those of the last complete epoch, not part of the interrupted one: the
    // same run stopped by --epochs at that count saves the same weights
    const model2 = path.join(tmp, 'sigint', 'model2.json');
    const json2 = path.join(tmp, 'sigint', 'history2.json');
    const again = spawnSync(
      process.execPath,
      [CLI, 'train', '--limit', '3000', '--epochs', String(epochs), '--hidden', '16', '--batch-size', '64',
        '--json', json2, '--save', model2],
      { cwd: ROOT, env: { ...process.env, SWISHNET_THREADS: '1' }, encoding: 'utf8' },
    );
    expect(again.status).toBe(0);
    const [saved, saved2] = [model, model2].map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
    expect(saved.weights).toEqual(saved2.weights);
    // and what it trains on with (the shuffle stream and the last order): the interrupted epoch had shuffled the
    // order and drawn from the stream, so the stopped model trained on differently from the N-epoch one
    expect(saved.resume).toEqual(saved2.resume);
    expect(saved.resume.order.length).toBeGreaterThan(0);
    expect(JSON.parse(fs.readFileSync(json2, 'utf8')).test_acc).toBe(h.test_acc);
  }, 90000);

  withDist('a second Ctrl-C while the stopped run scores the test set exits at once: nothing more printed or written', async () => {
    // the TypeScript backend scores the 10000 test images for a few seconds; the scoring ran in one synchronous
    // call, so the second Ctrl-C's exit waited for it and the test_acc line and the --json file still came
    const json = path.join(tmp, 'sigint2', 'history.json');
    const { code, out, err, sent, sentAgain } = await runCliInterrupted(
      ['train', '--limit', '1000', '--epochs', '500', '--hidden', '256,256', '--batch-size', '64', '--json', json],
      /\n\s+1\s+\d/,
      { SWISHNET_BACKEND: 'js' },
      /stopped after \d+ complete epoch/,
    );
    expect([sent, sentAgain, code]).toEqual([true, true, 130]);
    expect(out).not.toMatch(/test_acc/);
    expect(fs.existsSync(json)).toBe(false);
  }, 90000);
});

const quickGrid = ['--limit', '300', '--epochs', '1', '--cv', '2']; // (a short run, were the check missing)

describe('activation specs NAME:k=v,k2=v2: nothing after a second : or = is dropped', () => {
  test('several parameters are separated by commas (in grid --activations, a list itself, by semicolons)', () => {
    expect(parseActivation('swish:beta=1.5,learnable=true')).toEqual({ name: 'swish', beta: 1.5, learnable: true });
    expect(parseActivation('swish:beta=1.5;learnable=true', '--activations', ';')).toEqual({
      name: 'swish',
      beta: 1.5,
      learnable: true,
    });
    expect(() => parseActivation('swish:beta=1.5:learnable=true')).toThrow(UsageError);
    expect(() => parseActivation('leaky_relu:alpha=0.1=0.2')).toThrow(/'alpha=0\.1=0\.2' has more than one '='/);
    expect(() => parseActivation('swish:beta=2:learnable=true', 'activation')).toThrow(
      /^activation 'swish:beta=2:learnable=true' has more than one ':'/,
    );
    // an own key whatever its name: the activation's check then refuses it, nothing is silently lost
    expect(Object.keys(parseActivation('swish:__proto__=1') as object)).toEqual(['name', '__proto__']);
  });

  test("grid --activations: train's NAME:k=v,k2=v2 is a usage error that says to use ';'", async () => {
    // it said "unknown activation 'learnable=true'"
    const r = await run('grid', '--activations', 'relu,swish:beta=1.5,learnable=true', ...quickGrid);
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toMatch(
      "--activations: 'learnable=true' looks like a parameter of 'swish:beta=1.5', but commas separate the " +
        "candidates here: separate an activation's parameters by ';' (swish:beta=1.5;learnable=true)",
    );
  });

  test('grid --activations: a second : in one candidate is a usage error naming it', async () => {
    const r = await run('grid', '--activations', 'relu,swish:beta=1:learnable=true', ...quickGrid);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--activations 'swish:beta=1:learnable=true' has more than one ':' \(separate several /);
    expect(r.err).toMatch(/parameters by ';': NAME:k=v;k2=v2\)/);
    expect(r.out).toBe('');
  });
});

describe('empty flag values are usage errors naming the flag', () => {
  test.each([
    [['grid', '--data', ''], /^swishnet grid: --data needs a directory, got ''/],
    [['grid', '--require', ''], /^swishnet grid: --require needs a module name, got ''/],
  ])('%j', async (argv, msg) => {
    const r = await run(...argv, ...quickGrid);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.out).toBe('');
  });

  test("loadMnist({ dir: '' }) shows what it got", () => {
    expect(() => loadMnist({ dir: '' })).toThrow(/^loadMnist: dir must be a non-empty path string, got string ""$/);
  });
});

test('boolean flags: 1|true|yes|on and 0|false|no|off in any case, anything else is a usage error', () => {
  for (const v of ['1', 'true', 'YES', 'on', 'On']) {
    expect(parseArgs([`--quiet=${v}`], trainSpecs).options.quiet).toBe(true);
  }
  for (const v of ['0', 'false', 'No', 'off', 'OFF']) {
    expect(parseArgs([`--quiet=${v}`], trainSpecs).options.quiet).toBe(false);
  }
  for (const v of ['maybe', 'n', 'y', '2', '']) {
    expect(() => parseArgs([`--quiet=${v}`], trainSpecs)).toThrow(UsageError);
    expect(() => parseArgs([`--quiet=${v}`], trainSpecs)).toThrow(`--quiet takes no value or one of`);
  }
  expect(parseArgs(['--quiet'], trainSpecs).options.quiet).toBe(true);
  expect(parseArgs(['--no-quiet'], trainSpecs).options.quiet).toBe(false);
  expect(() => parseArgs(['--no-quiet=off'], trainSpecs)).toThrow(/^--no-quiet takes no value, got 'off'$/);
});

/** A folder of MNIST-format IDX files: the given training images and labels, and the test ones. */
function mnistDir(name: string, train: Uint8Array, trainY: Uint8Array, test: Uint8Array, testY: Uint8Array): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  writeIdxSync(path.join(dir, 'train-images-idx3-ubyte'), { dims: [trainY.length, 28, 28], data: train });
  writeIdxSync(path.join(dir, 'train-labels-idx1-ubyte'), { dims: [trainY.length], data: trainY });
  writeIdxSync(path.join(dir, 't10k-images-idx3-ubyte'), { dims: [testY.length, 28, 28], data: test });
  writeIdxSync(path.join(dir, 't10k-labels-idx1-ubyte'), { dims: [testY.length], data: testY });
  return dir;
}

describe('a validation split that cannot be made: the reason, and --limit suggested only when it was given', () => {
  test('train --valid-split too small for all 60000 images', async () => {
    for (const [f, why] of [
      ['0.0001', /\(stratifiedKFold: nSplits = 10000 cannot be greater than the number of members in each class/],
      ['1e-9', /\(trainValidSplit: validFraction 1e-9 of 60000 samples leaves an empty train or valid set\)/],
    ] as const) {
      const r = await run('train', '--valid-split', f, '--epochs', '1');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        new RegExp(
          `^swishnet train: --valid-split ${f.replace('.', '\\.')} cannot split the 60000 training images into ` +
            'stratified training and validation sets: the fraction is too small for 60000 images \\(',
        ),
      );
      expect(r.err).toMatch(why);
      expect(r.err).toMatch(/\); use a larger --valid-split or --valid-split 0 \(no validation\)\n/);
      expect(r.err).not.toMatch(/--limit/);
      expect(r.out).toBe('');
    }
  }, 60_000);

  test('train --valid-split too large for the --limit images', async () => {
    const r = await run('train', '--limit', '300', '--valid-split', '0.999', '--epochs', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/: the fraction is too large for 300 images \(trainValidSplit: validFraction 0\.999 of 300 /);
    expect(r.err).toMatch(/\); use more images \(--limit\), a smaller --valid-split or --valid-split 0 \(no valid/);
  });

  test('grid: a fold too small for its validation share says why; --limit, a smaller --cv when they help', async () => {
    const limited = await run('grid', '--limit', '60', '--cv', '2', '--epochs', '1', '--activations', 'relu');
    expect(limited.code).toBe(2);
    expect(limited.err).toMatch(/--cv 2: a fold trains on 30 of the 60 images, too few to hold out a stratified /);
    expect(limited.err).toMatch(/validation share of 0\.2 from \(stratifiedKFold: nSplits = 5 cannot be greater /);
    expect(limited.err).toMatch(/\); use more images \(--limit\)\n/);
    const cv3 = await run('grid', '--limit', '45', '--cv', '3', '--epochs', '1', '--activations', 'relu');
    expect(cv3.code).toBe(2);
    expect(cv3.err).toMatch(/\); use more images \(--limit\) or a smaller --cv\n/);
    // all the images of a small --data folder: no --limit to raise
    const y = Uint8Array.from({ length: 60 }, (_, i) => i % 10);
    const pixels = new Uint8Array(60 * 784).map((_, i) => i % 251);
    const small = mnistDir('small60', pixels, y, new Uint8Array(784), y.slice(0, 1));
    const r = await run('grid', '--data', small, '--cv', '2', '--epochs', '1', '--activations', 'relu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--cv 2: a fold trains on 30 of the 60 images, too few .*\); use more images\n/);
    expect(r.err).not.toMatch(/--limit/);
  }, 60_000);
});

describe('--limit N: the test images are standardized with the N training images\' statistics', () => {
  // The first 200 training images are uniform grey, the level telling the label (20 k + 10), and 800 white ones (255)
  // move the full training set's mean and std far from theirs; the test images are the first 200 again. Standardized
  // as the training images were, they are the same inputs: the test accuracy is the accuracy on those training
  // images. With the full set's statistics every level lands elsewhere, and the accuracy is near chance.
  const n = 1000;
  const limit = 200;
  const y = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const X = new Uint8Array(n * 784).fill(255);
  for (let i = 0; i < limit; i++) X.fill(y[i] * 20 + 10, i * 784, (i + 1) * 784);
  const dir = mnistDir('stats', X, y, X.slice(0, limit * 784), y.slice(0, limit));
  const fit = ['--data', dir, '--limit', String(limit), '--epochs', '20', '--hidden', '16', '--batch-size', '20'];

  function scores(model: string): { same: number; full: number } {
    const net = NeuralNetClassifier.load(model);
    const train = loadMnist({ dir, limit });
    const full = loadMnist({ split: 'test', dir }); // the full training set's statistics
    return { same: net.score(train.X, train.y), full: net.score(full.X, full.y) };
  }

  test('train', async () => {
    const json = path.join(tmp, 'stats-train.json');
    const model = path.join(tmp, 'stats-train.model.json');
    const r = await run('train', ...fit, '--valid-split', '0', '--json', json, '--save', model, '--quiet');
    expect(r.code).toBe(0);
    const { same, full } = scores(model);
    expect(same - full).toBeGreaterThan(0.1); // (the check below means something)
    expect(JSON.parse(fs.readFileSync(json, 'utf8')).test_acc).toBe(same);
  });

  test('grid --refit', async () => {
    const json = path.join(tmp, 'stats-grid.json');
    const model = path.join(tmp, 'stats-grid.model.json');
    const grid = ['--cv', '2', '--activations', 'relu', '--refit'];
    const r = await run('grid', ...fit, ...grid, '--json', json, '--save', model);
    expect(r.code).toBe(0);
    const { same, full } = scores(model);
    expect(same - full).toBeGreaterThan(0.1);
    expect(JSON.parse(fs.readFileSync(json, 'utf8')).refit.test_acc).toBe(same);
  });
});

describe('an output this process cannot write: a usage error naming the flag, before any work', () => {
  // /proc/sys refuses new files to every user, root included (access W_OK: EACCES), where a chmod does not stop root.
  // (No folder to make under it: node's recursive mkdir loops for ever there, were the check missing.)
  const procSys = process.platform === 'linux' && fs.existsSync('/proc/sys') ? test : test.skip;
  const quick = ['--limit', '300', '--epochs', '1']; // (with the check missing, the run would fail only at its end)
  procSys.each([
    [['train', ...quick, '--json', '/proc/sys/swishnet.json'], '--json', '/proc/sys/swishnet.json'],
    [['train', ...quick, '--save', '/proc/sys/model.json'], '--save', '/proc/sys/model.json'],
    [['grid', ...quick, '--cv', '2', '--html', '/proc/sys/g.html'], '--html', '/proc/sys/g.html'],
    [['plot', 'swish', '--out', '/proc/sys/swish.svg'], '--out', '/proc/sys/swish.svg'],
    [['plot', 'swish', '--json', '/proc/sys/s.json', '--out', path.join(tmp, 'ok.svg')], '--json', '/proc/sys/s.json'],
  ])('%j', async (argv, flag, file) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`swishnet ${argv[0]}: ${flag} '${file}' cannot be written: `);
    expect(r.err).toContain(`: the folder '/proc/sys' is not writable (permission denied)\n`);
    expect(r.out).toBe('');
  });

  // A folder (chmod 555) and a file (chmod 444) the user may not write. Root may write them: as root, the CLI runs
  // as the user nobody (runuser), where that works.
  let base = '';
  let ro = '';
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-cli-ro-'));
    ro = path.join(base, 'ro');
    fs.mkdirSync(ro);
    fs.writeFileSync(path.join(ro, 'shared.json'), '{}');
    fs.writeFileSync(path.join(ro, 'locked.json'), '{}');
    fs.writeFileSync(path.join(ro, 'shared.svg'), '');
    fs.chmodSync(path.join(ro, 'shared.json'), 0o666);
    fs.chmodSync(path.join(ro, 'shared.svg'), 0o666);
    fs.chmodSync(path.join(ro, 'locked.json'), 0o444);
    fs.chmodSync(ro, 0o555);
    const rw = path.join(base, 'rw'); // a folder anyone may write, holding a read-only model file
    fs.mkdirSync(rw);
    fs.writeFileSync(path.join(rw, 'model.json'), '{}');
    fs.chmodSync(path.join(rw, 'model.json'), 0o444);
    fs.chmodSync(rw, 0o777);
    fs.chmodSync(base, 0o755);
  });
  afterAll(() => {
    if (ro) fs.chmodSync(ro, 0o755);
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });
  const root = process.getuid?.() === 0;
  const asNobody = (argv: string[], cwd = base): { code: number | null; err: string } => {
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, CLI, ...argv], { cwd, encoding: 'utf8' });
    return { code: r.status, err: r.stderr };
  };
  // as root: only where dist/ is built and nobody can run it
  const nobodyRuns = root && haveDist && process.platform === 'linux' && asNobody(['info'], os.tmpdir()).code === 0;
  const runAsUser = async (...argv: string[]): Promise<{ code: number | null; err: string }> =>
    root ? asNobody(argv) : run(...argv);
  const chmodTest = !root || nobodyRuns ? test : test.skip;

  chmodTest('a folder or a file of another user (chmod 555, 444)', async () => {
    const denied = (flag: string, file: string, what: string): RegExp =>
      new RegExp(`${flag} '${file}' cannot be written: ${what} '[^']*' is not writable \\(permission denied\\)`);
    const cases: [string[], RegExp][] = [
      [['train', ...quick, '--json', 'ro/h.json'], denied('--json', 'ro/h.json', 'the folder')],
      [['train', ...quick, '--html', 'ro/new/h.html'], denied('--html', 'ro/new/h.html', 'the folder')],
      [['train', ...quick, '--json', 'ro/locked.json'], denied('--json', 'ro/locked.json', 'the file')],
      // save writes a temporary file next to the model, then renames it: the folder must be writable too
      [['train', ...quick, '--save', 'ro/shared.json'], denied('--save', 'ro/shared.json', 'the folder')],
      [['grid', ...quick, '--cv', '2', '--json', 'ro/g.json'], denied('--json', 'ro/g.json', 'the folder')],
      [['plot', 'swish', '--out', 'ro/s.svg'], denied('--out', 'ro/s.svg', 'the folder')],
      [['plot', '--all', '--out', 'ro/gallery'], denied('--out', 'ro/gallery', 'the folder')],
    ];
    const cwd = process.cwd();
    if (!root) process.chdir(base);
    try {
      for (const [argv, msg] of cases) {
        const r = await runAsUser(...argv);
        expect([argv, r.code]).toEqual([argv, 2]);
        expect(r.err).toMatch(msg);
      }
      // a file the user may write, in a folder it may not: rewritten in place
      const ok = await runAsUser('plot', 'swish', '--out', 'ro/shared.svg');
      expect(ok.err).toBe('');
      expect(ok.code).toBe(0);
      expect(fs.readFileSync(path.join(ro, 'shared.svg'), 'utf8')).toMatch(/^<svg/);
      // --save replaces its file through a temporary one and a rename: a read-only file in a writable folder is fine
      const saved = await runAsUser('train', ...quick, '--quiet', '--save', 'rw/model.json');
      expect([saved.code, saved.err]).toEqual([0, '']);
      expect(JSON.parse(fs.readFileSync(path.join(base, 'rw', 'model.json'), 'utf8')).weights).toBeDefined();
    } finally {
      process.chdir(cwd);
    }
  }, 60_000);
});
