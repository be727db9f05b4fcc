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
