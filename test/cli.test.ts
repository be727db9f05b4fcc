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
import { parseHidden, trainSpecs } from '../lib/cli/train';
import { discardOutputOnClosedPipe } from '../lib/cli/main';
import { EventEmitter } from 'events';
import { activations } from '../lib';

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

  test('train -h prints the help and trains nothing', async () => {
    const r = await run('train', '-h', '--epochs', '1');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: swishnet train \[options\]/);
    expect(r.out).not.toMatch(/images loaded|train_loss/);
  });
});

describe('swishnet train: bad flags are usage errors (exit 2) found before MNIST is loaded', () => {
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
    [['--activation', 'swish:beta=abc'], /swish: parameter 'beta' must be a finite number/],
    [['--hidden', '0'], /--hidden must be positive integers/],
    [['--hidden', '128,,64'], /--hidden must be positive integers separated by commas, got '128,,64'/],
    [['--hidden', ','], /--hidden must be positive integers/],
    [['--json', os.tmpdir()], /--json must name a file, got '.*' \(a directory\)/],
    [['--save', ''], /--save must name a file/],
    [['--require', './no-such-module'], /--require: cannot find module '\.\/no-such-module'/],
    [['extra'], /unexpected argument 'extra'/],
    [['-epochs', '1'], /did you mean --epochs\?/],
    [['--save', '--quiet'], /--save needs a value, got the option --quiet \(for a value that starts with --/],
    [['--json', '--limit', '3000'], /--json needs a value, got the option --limit/],
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
    expect(JSON.parse(fs.readFileSync(model, 'utf8')).weights).toEqual(JSON.parse(fs.readFileSync(model2, 'utf8')).weights);
    expect(JSON.parse(fs.readFileSync(json2, 'utf8')).test_acc).toBe(h.test_acc);
  }, 90000);
});
