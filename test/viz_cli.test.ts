/** `swishnet plot` and `swishnet report`, run in-process through the CLI's main(). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli as run } from './helpers/cli';
import { parseParamSweep, parseRange } from '../lib/cli/plot';
import { list } from '../lib/activations';
import { visualizeActivation } from '../lib/viz/visualize';
import { decodePng, elements, makeGridPayload, makeHistory, parseGif } from './viz_helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const t = (...p: string[]): string => path.join(tmp, ...p);

describe('swishnet plot', () => {
  test('help and the command list', async () => {
    const top = await run('--help');
    expect(top.out).toMatch(/\n {2}plot +plot an activation/);
    expect(top.out).toMatch(/\n {2}report +HTML report/);
    const h = await run('plot', '--help');
    expect(h.code).toBe(0);
    for (const o of ['--param', '--range', '--points', '--out', '--json', '--animate', '--all']) expect(h.out).toContain(o);
  });

  test('NAME --out file.svg --json: the chart and the data of visualizeActivation', async () => {
    const r = await run('plot', 'swish', '--out', t('swish.svg'), '--json', t('swish.json'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('swish.svg');
    const svg = fs.readFileSync(t('swish.svg'), 'utf8');
    expect(elements(svg, 'path', 'line')).toHaveLength(2);
    const data = JSON.parse(fs.readFileSync(t('swish.json'), 'utf8'));
    const ref = visualizeActivation('swish');
    expect(data.name).toBe('swish');
    expect(data.x).toEqual(ref.x);
    expect(data.y).toEqual(ref.y);
    expect(data.yp).toEqual(ref.yp);
  });

  test('NAME:k=v, --range and --points', async () => {
    const r = await run('plot', 'swish:beta=1.5', '--range', '-5,5', '--points', '101', '--out', t('s15.svg'), '--json', t('s15.json'));
    expect(r.code).toBe(0);
    const data = JSON.parse(fs.readFileSync(t('s15.json'), 'utf8'));
    const ref = visualizeActivation('swish', { beta: 1.5, start: -5, end: 5, points: 101 });
    expect(data.params.beta).toBe(1.5);
    expect(data.x).toEqual(ref.x);
    expect(data.y).toEqual(ref.y);
    const svg = fs.readFileSync(t('s15.svg'), 'utf8');
    expect(svg).toContain('swish (β=1.5) and its derivative');
  });

  test('--derivative=off|no|0|false draws only f, --derivative=on|yes|1|true both (any case)', async () => {
    const curves = { off: 1, No: 1, '0': 1, FALSE: 1, on: 2, Yes: 2, '1': 2, true: 2 };
    for (const [v, n] of Object.entries(curves)) {
      const r = await run('plot', 'swish', `--derivative=${v}`, '--points', '51', '--out', t(`d-${v}.svg`));
      expect(r.code).toBe(0);
      expect([v, elements(fs.readFileSync(t(`d-${v}.svg`), 'utf8'), 'path', 'line').length]).toEqual([v, n]);
    }
  });

  test('NAME:k=v,k2=v2: several parameters, none dropped', async () => {
    const r = await run('plot', 'swish:beta=2,learnable=true', '--out', t('s2l.svg'), '--json', t('s2l.json'));
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(t('s2l.json'), 'utf8')).params).toEqual({ beta: 2, learnable: true });
  });

  test('--param beta=0.5,1,2 --out file.png: three curve pairs as PNG', async () => {
    const r = await run('plot', 'swish', '--param', 'beta=0.5,1,2', '--out', t('swish3.png'), '--width', '400', '--height', '250', '--json', t('swish3.json'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('3 curve pairs');
    const img = decodePng(fs.readFileSync(t('swish3.png')));
    expect([img.width, img.height]).toEqual([400, 250]);
    const data = JSON.parse(fs.readFileSync(t('swish3.json'), 'utf8'));
    expect(data.curves.map((c: { params: { beta: number } }) => c.params.beta)).toEqual([0.5, 1, 2]);
    expect(data.curves[2].y).toEqual(visualizeActivation('swish', { beta: 2 }).y);
  });

  test('--animate: animated SVG (default β sweep 0.1…2) and GIF', async () => {
    const a = await run('plot', 'swish', '--animate', '--points', '101', '--out', t('anim.svg'));
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/beta = 0\.1 … 2, 20 frames/);
    const svg = fs.readFileSync(t('anim.svg'), 'utf8');
    const anims = elements(svg, 'animate').filter((e) => e.attributeName === 'd');
    expect(anims).toHaveLength(2);
    expect(anims[0].values.split(';')).toHaveLength(38); // 20 forward + 18 back
    const g = await run('plot', 'swish', '--animate', '--param', 'beta=0.5,1,1.5', '--points', '51', '--width', '200', '--height', '120', '--frame-ms', '100', '--out', t('anim.gif'));
    expect(g.code).toBe(0);
    const gif = parseGif(fs.readFileSync(t('anim.gif')));
    expect([gif.width, gif.height, gif.frames]).toEqual([200, 120, 4]);
    expect(gif.delaysCs[0]).toBe(10);
  });

  test('--all --out DIR: the gallery', async () => {
    const r = await run('plot', '--all', '--points', '51', '--out', t('gallery'));
    expect(r.code).toBe(0);
    const files = fs.readdirSync(t('gallery'));
    for (const a of list()) expect(files).toContain(`${a.name}.svg`);
    expect(files).toContain('index.html');
  });

  test.each([
    [['plot'], /missing activation NAME/],
    [['plot', 'nope_act', '--out', 'x.svg'], /nope_act/],
    [['plot', 'swish', '--range', '5,1'], /--range/],
    [['plot', 'swish', '--range', 'a,b'], /--range/],
    [['plot', 'swish', '--points', '1'], /--points/],
    [['plot', 'swish', '--out', 'x.txt'], /--out must end in \.svg or \.png/],
    [['plot', 'swish', '--param', 'beta'], /--param must look like/],
    [['plot', 'swish', '--param', 'beta=1;beta=2'], /given twice/],
    [['plot', 'swish', '--param', 'gamma=1,2'], /gamma/],
    [['plot', 'swish', '--animate', '--out', 'x.png'], /\.svg or \.gif/],
    [['plot', 'relu', '--animate', '--out', 'x.svg'], /no numeric parameter/],
    [['plot', 'swish', '--animate', '--param', 'beta=1;alpha=2,3'], /one parameter/],
    [['plot', '--all', 'swish'], /give no NAME/],
    [['plot', '--all', '--out', 'g.svg'], /looks like a file/],
    [['plot', 'swish', '--bogus'], /unknown option --bogus/],
    // NAME:k=v,k2=v2: a second ':' or '=' would drop what follows it
    [['plot', 'swish:beta=2:learnable=true'], /activation 'swish:beta=2:learnable=true' has more than one ':'/],
    [['plot', 'swish:beta=2=3'], /activation 'swish:beta=2=3': 'beta=2=3' has more than one '='/],
    [['plot', 'swish:beta=2,beta=3'], /parameter 'beta' given twice/],
    // a boolean flag takes no value or one of 1|true|yes|on, 0|false|no|off
    [['plot', 'swish', '--derivative=maybe'], /--derivative takes no value or one of 1\|true\|yes\|on, 0\|false\|no\|/],
    [['plot', 'swish', '--derivative=n'], /--derivative takes no value or one of .*; got 'n'/],
    [['plot', 'swish', '--no-derivative=1'], /--no-derivative takes no value, got '1'/],
    [['plot', 'swish', '--require', ''], /--require needs a module name, got ''/],
  ])('usage error: %j', async (argv, msg) => {
    const cwd = process.cwd();
    process.chdir(tmp); // nothing may be written anyway; keep any accident out of the repo
    try {
      const r = await run(...(argv as string[]));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg as RegExp);
    } finally {
      process.chdir(cwd);
    }
  });

  test('argument parsers', () => {
    expect(parseRange('-10,10')).toEqual([-10, 10]);
    expect(parseRange(' -2.5 , 3e1 ')).toEqual([-2.5, 30]);
    expect(() => parseRange('1,1')).toThrow(/--range: B must be greater than A, got '1,1'/);
    expect(() => parseRange('2,-3')).toThrow(/B must be greater than A/);
    expect(parseParamSweep('beta=0.5,1,2')).toEqual({ beta: [0.5, 1, 2] });
    expect(parseParamSweep('approximate=none,tanh')).toEqual({ approximate: ['none', 'tanh'] });
    expect(parseParamSweep('alpha=1;beta=2,3')).toEqual({ alpha: [1], beta: [2, 3] });
  });
});

describe('swishnet report', () => {
  test('a training history JSON -> training report (default name next to the input)', async () => {
    fs.writeFileSync(t('hist.json'), JSON.stringify({ backend: { backend: 'js', isa: 'js' }, config: { activation: 'relu' }, history: makeHistory(6), test_acc: 0.9 }));
    const r = await run('report', t('hist.json'));
    expect(r.code).toBe(0);
    const html = fs.readFileSync(t('hist.html'), 'utf8');
    expect(html).toContain('<title>swishnet training report</title>');
    expect(html.match(/<svg/g)).toHaveLength(2);
  });

  test('a grid JSON -> grid report at --out, with --title', async () => {
    fs.writeFileSync(t('grid.json'), JSON.stringify(makeGridPayload(4, 3)));
    const r = await run('report', t('grid.json'), '--out', t('out', 'grid.html'), '--title', 'My grid');
    expect(r.code).toBe(0);
    const html = fs.readFileSync(t('out', 'grid.html'), 'utf8');
    expect(html).toContain('<title>My grid</title>');
    expect(elements(html, 'polyline', 'pc-line')).toHaveLength(7);
  });

  test('errors: missing file, bad JSON, unknown shape, bad rows, overwriting the input', async () => {
    fs.writeFileSync(t('bad.json'), '{ nope');
    fs.writeFileSync(t('other.json'), '{"a":1}');
    fs.writeFileSync(t('rows.json'), '{"cvResults":[{"params":{}}]}');
    const cases: Array<[string[], RegExp]> = [
      [['report'], /missing the JSON file/],
      [['report', t('missing.json')], /cannot read/],
      [['report', t('bad.json')], /not valid JSON/],
      [['report', t('other.json')], /neither a 'history' array/],
      [['report', t('rows.json')], /mean_test_score/],
      [['report', t('grid.json'), '--out', t('grid.json')], /overwrite/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });
});

describe('output and size checks before anything is written', () => {
  const cwd = process.cwd();
  beforeEach(() => process.chdir(tmp)); // relative outputs of a failing case stay in tmp
  afterEach(() => process.chdir(cwd));

  test('a PNG too large for the renderer is a usage error (the process does not abort)', async () => {
    const big = ['--width', '8000', '--height', '8000'];
    const r = await run('plot', 'relu', ...big, '--scale', '16', '--points', '11', '--out', t('big.png'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--width 8000 x --height 8000 at --scale 16/);
    expect(fs.existsSync(t('big.png'))).toBe(false);
    const g = await run('plot', 'swish', '--animate', ...big, '--scale', '4', '--out', t('big.gif'));
    expect(g.code).toBe(2);
    const a = await run('plot', '--all', '--format', 'png', ...big, '--scale', '4', '--out', t('big-gallery'));
    expect(a.code).toBe(2);
    expect(fs.existsSync(t('big-gallery'))).toBe(false);
  });

  test('--json naming the --out file, or a directory, is a usage error and nothing is written', async () => {
    const same = await run('plot', 'swish', '--points', '11', '--out', t('same.svg'), '--json', t('same.svg'));
    expect(same.code).toBe(2);
    expect(same.err).toMatch(/--json '.*same\.svg' would overwrite the --out file/);
    expect(fs.existsSync(t('same.svg'))).toBe(false);
    fs.mkdirSync(t('adir'), { recursive: true });
    const dir = await run('plot', 'swish', '--points', '11', '--out', t('d.svg'), '--json', t('adir'));
    expect(dir.code).toBe(2);
    expect(dir.err).toMatch(/--json must name a file, got '.*adir' \(a directory\)/);
    expect(fs.existsSync(t('d.svg'))).toBe(false);
    fs.mkdirSync(t('out-dir.svg'), { recursive: true });
    const outDir = await run('plot', 'swish', '--points', '11', '--out', t('out-dir.svg'));
    expect(outDir.code).toBe(2);
    expect(outDir.err).toMatch(/--out must name a file/);
    const anim = await run('plot', 'swish', '--animate', '--points', '11', '--out', t('a.svg'), '--json', t('a.svg'));
    expect(anim.code).toBe(2);
  });

  test.each([
    [['--all', '--param', 'beta=1,2'], /--all takes no --param/],
    [['--all', '--json', 'g.json'], /--all takes no --json/],
    [['--all', '--title', 'T'], /--all takes no --title/],
    [['swish', '--format', 'png', '--out', 'f.svg'], /--format is the chart format of the --all gallery/],
  ])('options that would be ignored are usage errors: %j', async (argv, msg) => {
    const out = argv[0] === '--all' ? t('gal') : t('f.svg');
    const r = await run('plot', ...(argv as string[]), '--points', '11', '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg as RegExp);
    expect(fs.existsSync(t('gal'))).toBe(false);
    expect(fs.existsSync(t('f.svg'))).toBe(false);
  });

  test('an output under an existing file, or an image under one pixel, is a usage error before any work', async () => {
    fs.writeFileSync(t('plain-file'), 'x');
    const json = t('plain-file', 'd.json');
    const under = await run('plot', 'swish', '--points', '11', '--out', t('u.svg'), '--json', json);
    expect(under.code).toBe(2);
    expect(under.err).toMatch(
      /--json '.*plain-file\/d\.json' cannot be written: '.*plain-file' is a file, not a directory/,
    );
    expect(fs.existsSync(t('u.svg'))).toBe(false);
    const deep = await run('train', '--epochs', '1', '--limit', '100', '--json', t('plain-file', 'a', 'b', 'h.json'));
    expect(deep.code).toBe(2);
    expect(deep.err).toMatch(/--json '.*' cannot be written: '.*plain-file' is a file, not a directory/);
    for (const argv of [
      ['swish', '--scale', '0.0005', '--out', t('tiny.png')],
      ['swish', '--width', '1', '--height', '1', '--scale', '0.4', '--out', t('tiny.png')],
      ['swish', '--animate', '--scale', '0.0005', '--out', t('tiny.gif')],
    ]) {
      const r = await run('plot', ...argv, '--points', '11');
      expect([argv.join(' '), r.code]).toEqual([argv.join(' '), 2]);
      expect(r.err).toMatch(/is less than one pixel \(.*\) for .*: use a larger width, height or scale/);
    }
    expect(fs.existsSync(t('tiny.png')) || fs.existsSync(t('tiny.gif'))).toBe(false);
  });

  test('--all --out FILE (an existing file) is a usage error', async () => {
    fs.writeFileSync(t('not-a-dir'), 'x');
    const r = await run('plot', '--all', '--points', '11', '--out', t('not-a-dir'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is a file/);
    expect(fs.readFileSync(t('not-a-dir'), 'utf8')).toBe('x');
  });

  test('report: --out through a symlink to the input, or a directory, is a usage error', async () => {
    const input = t('run.json');
    const text = JSON.stringify({ history: [{ epoch: 1, train_loss: 0.5 }] });
    fs.writeFileSync(input, text);
    fs.symlinkSync(input, t('latest.json'));
    const r = await run('report', t('latest.json'), '--out', input);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/would overwrite the input/);
    expect(fs.readFileSync(input, 'utf8')).toBe(text);
    fs.mkdirSync(t('rdir'), { recursive: true });
    const d = await run('report', input, '--out', t('rdir'));
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/--out must name a file/);
  });

  test('a parameter typed as text shows what was typed', async () => {
    const r = await run('plot', 'swish:beta=NaN', '--out', t('nan.svg'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/parameter 'beta' must be a finite number .*, got string "NaN"/);
  });
});
