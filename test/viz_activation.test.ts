/** Activation plots: chart structure, data equal to visualizeActivation's, animations, PNG/GIF, the gallery. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { backendInfo } from '../lib/info';
import { list } from '../lib/activations';
import { registerActivation, unregisterActivation } from '../lib';
import { visualizeActivation } from '../lib/viz/visualize';
import { activationAnimation, activationPlot, defaultSweep, writeAnimation, writeChart, writeGallery, MAX_CURVES } from '../lib/viz/activation_plot';
import { svgFramesToGif, svgToPng } from '../lib/viz/raster';
import { lineChart, PALETTE } from '../lib/viz/svg';
import { axisInverse, countColor, decodePng, elements, parseGif, pathPoints, unescapeAttr } from './viz_helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-viz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * Checks that a path's pixels, mapped back through the chart's axes, are the data: coordinates are rounded
 * to 0.01 px and the axes are recovered from tick positions rounded the same way, so allow 0.02 px.
 */
function expectPathIsData(svg: string, d: string, x: number[], y: number[]): void {
  const ix = axisInverse(svg, 'x-axis');
  const iy = axisInverse(svg, 'y-axis');
  const pts = pathPoints(d);
  expect(pts).toHaveLength(x.length);
  const xPerPx = Math.abs(ix(1) - ix(0));
  const yPerPx = Math.abs(iy(1) - iy(0));
  pts.forEach(([px, py], i) => {
    expect(Math.abs(ix(px) - x[i])).toBeLessThanOrEqual(0.02 * xPerPx);
    expect(Math.abs(iy(py) - y[i])).toBeLessThanOrEqual(0.02 * yPerPx);
  });
}

describe(`activation plots (backend ${backendInfo().backend})`, () => {
  test('swish: two curves (f solid, f′ dashed), legend, axes with ticks and labels, title', () => {
    const { svg, curves } = activationPlot('swish');
    const paths = elements(svg, 'path', 'line');
    expect(paths).toHaveLength(2);
    expect(paths.map((p) => p['data-kind'])).toEqual(['f', 'df']);
    expect(paths[0]['stroke-dasharray']).toBeUndefined();
    expect(paths[1]['stroke-dasharray']).toBeDefined();
    const legend = elements(svg, 'g', 'legend-item');
    expect(legend).toHaveLength(2);
    expect(svg).toContain('>swish(x)</text>');
    expect(svg).toContain('>swish′(x)</text>');
    const title = svg.match(/<text class="title"[^>]*>([^<]*)<\/text>/)![1];
    expect(title).toBe('swish (β=1) and its derivative');
    // x ticks over [-10, 10] include both ends and 0; y ticks exist on both sides of 0 (swish dips below 0).
    const xTicks = [...svg.slice(svg.indexOf('axis x-axis'), svg.indexOf('axis y-axis')).matchAll(/data-value="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(xTicks).toEqual(expect.arrayContaining([-10, 0, 10]));
    const yTicks = [...svg.slice(svg.indexOf('axis y-axis')).matchAll(/class="tick" data-value="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(Math.min(...yTicks)).toBeLessThan(0);
    expect(Math.max(...yTicks)).toBeGreaterThanOrEqual(10);
    expect(elements(svg, 'text', 'axis-label')).toHaveLength(2);
    expect(curves).toHaveLength(1);
  });

  test('plotted data equal visualizeActivation (and the drawn path is that data)', () => {
    const opts = { start: -4, end: 3, points: 141 };
    const { svg, curves } = activationPlot({ name: 'swish', beta: 1.5 }, opts);
    const ref = visualizeActivation('swish', { ...opts, beta: 1.5 });
    expect(curves[0].x).toEqual(ref.x);
    expect(curves[0].y).toEqual(ref.y);
    expect(curves[0].yp).toEqual(ref.yp);
    const [f, df] = elements(svg, 'path', 'line');
    expectPathIsData(svg, f.d, ref.x, ref.y);
    expectPathIsData(svg, df.d, ref.x, ref.yp);
  });

  test('one curve pair per parameter value, each its own colour and equal to visualizeActivation', () => {
    const betas = [0.5, 1, 2];
    const { svg, curves } = activationPlot('swish', { sweep: { beta: betas }, points: 201 });
    const paths = elements(svg, 'path', 'line');
    expect(paths).toHaveLength(6);
    expect(elements(svg, 'g', 'legend-item')).toHaveLength(6);
    expect(new Set(paths.map((p) => p.stroke)).size).toBe(3);
    betas.forEach((beta, i) => {
      const ref = visualizeActivation('swish', { beta, points: 201 });
      expect(curves[i].swept).toEqual({ beta });
      expect(curves[i].y).toEqual(ref.y);
      const f = paths.find((p) => p['data-kind'] === 'f' && JSON.parse(unescapeAttr(p['data-params'])).beta === beta)!;
      const df = paths.find((p) => p['data-kind'] === 'df' && JSON.parse(unescapeAttr(p['data-params'])).beta === beta)!;
      expect(f.stroke).toBe(df.stroke);
      expectPathIsData(svg, f.d, ref.x, ref.y);
      expectPathIsData(svg, df.d, ref.x, ref.yp);
      expect(svg).toContain(`>swish(x), β=${beta}</text>`);
    });
    // The title shows no β: it differs per curve.
    expect(svg.match(/<text class="title"[^>]*>([^<]*)</)![1]).toBe('swish and its derivative');
  });

  test('derivative: false draws f only', () => {
    const { svg } = activationPlot('tanh', { derivative: false });
    expect(elements(svg, 'path', 'line')).toHaveLength(1);
    expect(svg).not.toContain('its derivative');
  });

  test('every registered activation plots finite curves', () => {
    for (const a of list()) {
      const { svg, curves } = activationPlot(a.name, { points: 101 });
      expect(curves[0].y.every(Number.isFinite)).toBe(true);
      for (const p of elements(svg, 'path', 'line')) expect(pathPoints(p.d)).toHaveLength(101);
    }
  });

  test('bad arguments fail with named errors', () => {
    expect(() => activationPlot('no_such_act')).toThrow(/no_such_act/);
    expect(() => activationPlot('no_such_act')).toThrow(/swish/); // lists the known names
    expect(() => activationPlot('swish', { start: 1, end: 1 })).toThrow(RangeError);
    expect(() => activationPlot('swish', { points: 1 })).toThrow(/points/);
    expect(() => activationPlot('swish', { start: NaN })).toThrow(/start/);
    expect(() => activationPlot('swish', { sweep: { beta: [] } })).toThrow(/sweep\.beta/);
    const many = Array.from({ length: MAX_CURVES + 1 }, (_, i) => i + 1);
    expect(() => activationPlot('swish', { sweep: { beta: many } })).toThrow(RangeError);
    expect(() => activationPlot('' as string)).toThrow(TypeError);
    expect(() => activationPlot({} as { name: string })).toThrow(TypeError);
  });
});

describe('animations', () => {
  test('the default sweep for swish is β from 0.1 to 2', () => {
    const d = defaultSweep('swish');
    expect(d.param).toBe('beta');
    expect(d.values).toHaveLength(20);
    expect(d.values[0]).toBeCloseTo(0.1, 12);
    expect(d.values[19]).toBeCloseTo(2, 12);
    expect(() => defaultSweep('relu')).toThrow(/no numeric parameter/);
  });

  test('animated SVG: f and f′ step through one path per frame, ping-pong, with β labels', () => {
    const values = [0.25, 0.5, 1, 2];
    const anim = activationAnimation('swish', { values, points: 101 });
    expect(anim.param).toBe('beta');
    const paths = elements(anim.svg, 'path', 'line');
    expect(paths).toHaveLength(2);
    const animates = elements(anim.svg, 'animate').filter((a) => a.attributeName === 'd');
    expect(animates).toHaveLength(2);
    // Forward then back without repeating the ends: 4 + 2 frames.
    for (const a of animates) expect(a.values.split(';')).toHaveLength(6);
    const labels = [...anim.svg.matchAll(/<text class="frame-label"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(labels).toEqual(['β = 0.25', 'β = 0.5', 'β = 1', 'β = 2', 'β = 1', 'β = 0.5']);
    expect(anim.frames).toHaveLength(4);
  });

  test('each frame shows visualizeActivation of its β on axes shared by all frames', () => {
    const values = [0.1, 1, 3];
    const anim = activationAnimation('swish', { values, points: 81, start: -6, end: 6 });
    const yAxis = (svg: string): string => svg.slice(svg.indexOf('axis y-axis'), svg.indexOf('</g>', svg.indexOf('axis y-axis')));
    values.forEach((beta, i) => {
      const ref = visualizeActivation('swish', { beta, points: 81, start: -6, end: 6 });
      const frame = anim.frames[i];
      expect(yAxis(frame)).toBe(yAxis(anim.frames[0]));
      const [f, df] = elements(frame, 'path', 'line');
      expectPathIsData(frame, f.d, ref.x, ref.y);
      expectPathIsData(frame, df.d, ref.x, ref.yp);
      expect(frame).toContain(`>β = ${beta}</text>`);
    });
  });

  test('GIF: a looping animation with one image per frame (ping-pong)', () => {
    const file = path.join(tmp, 'swish.gif');
    const anim = activationAnimation('swish', { values: [0.5, 1, 2], points: 101, width: 320, height: 200 });
    writeAnimation(file, anim, { frameSeconds: 0.2 });
    const gif = parseGif(fs.readFileSync(file));
    expect(gif.version).toBe('GIF89a');
    expect([gif.width, gif.height]).toEqual([320, 200]);
    expect(gif.frames).toBe(4); // 0.5, 1, 2, 1
    expect(gif.loops).toBe(true);
    expect(gif.delaysCs).toEqual([20, 20, 20, 20]);
    expect(() => writeAnimation(path.join(tmp, 'a.png'), anim)).toThrow(/\.svg or \.gif/);
  });
});

describe('PNG', () => {
  test('signature, dimensions, and the curves in their colours', () => {
    const { svg } = activationPlot('swish', { width: 480, height: 300 });
    const png = svgToPng(svg);
    const img = decodePng(png);
    expect([img.width, img.height]).toEqual([480, 300]);
    let nonWhite = 0;
    for (let i = 0; i < img.rgba.length; i += 4) if (img.rgba[i] < 240 || img.rgba[i + 1] < 240 || img.rgba[i + 2] < 240) nonWhite++;
    expect(nonWhite / (480 * 300)).toBeGreaterThan(0.01);
    expect(nonWhite / (480 * 300)).toBeLessThan(0.5);
    expect(countColor(img.rgba, PALETTE[0])).toBeGreaterThan(200); // f
    expect(countColor(img.rgba, PALETTE[1])).toBeGreaterThan(100); // f′ (dashed)
  });

  test('scale doubles the pixels; writeChart picks the format from the extension', () => {
    const { svg } = activationPlot('relu', { width: 300, height: 200, points: 51 });
    const file = path.join(tmp, 'sub', 'relu.png');
    writeChart(file, svg, { scale: 2 });
    const img = decodePng(fs.readFileSync(file));
    expect([img.width, img.height]).toEqual([600, 400]);
    writeChart(path.join(tmp, 'relu.svg'), svg);
    expect(fs.readFileSync(path.join(tmp, 'relu.svg'), 'utf8')).toBe(svg);
    expect(() => writeChart(path.join(tmp, 'relu.jpg'), svg)).toThrow(/\.svg or \.png/);
    expect(() => svgToPng(svg, { scale: 0 })).toThrow(RangeError);
    expect(() => svgToPng('not svg')).toThrow(TypeError);
  });
});

describe('gallery', () => {
  test('one chart per registered activation plus an index.html showing them all', () => {
    const dir = path.join(tmp, 'gallery');
    const entries = writeGallery(dir, { points: 51 });
    const names = list().map((a) => a.name);
    expect(entries.map((e) => e.name)).toEqual(names);
    const index = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
    for (const n of names) {
      const svg = fs.readFileSync(path.join(dir, `${n}.svg`), 'utf8');
      expect(elements(svg, 'path', 'line')).toHaveLength(2);
      expect(index).toContain(`<img src="${encodeURIComponent(`${n}.svg`)}"`);
    }
    expect(elements(index, 'img')).toHaveLength(names.length);
    expect(fs.readdirSync(dir).sort()).toEqual([...names.map((n) => `${n}.svg`), 'index.html'].sort());
  });

  test('PNG gallery', () => {
    const dir = path.join(tmp, 'gallery-png');
    writeGallery(dir, { points: 51, format: 'png', width: 240, height: 160 });
    const img = decodePng(fs.readFileSync(path.join(dir, 'swish.png')));
    expect([img.width, img.height]).toEqual([240, 160]);
    expect(() => writeGallery(dir, { format: 'bmp' as 'png' })).toThrow(/format/);
  });
});

describe('argument checks: named errors before any work or writing', () => {
  const dir = path.join(tmp, 'checks');
  beforeAll(() => fs.mkdirSync(dir, { recursive: true }));

  test('a PNG too large to allocate is a RangeError in-process, before rendering', () => {
    const svg = lineChart({ series: [{ label: 'a', x: [0, 1], y: [0, 1] }], width: 8000, height: 8000 });
    const rss = process.memoryUsage().rss;
    // 128000 x 128000 RGBA (65 GB): resvg would abort the process on the failed allocation.
    expect(() => svgToPng(svg, { scale: 16 })).toThrow(RangeError);
    expect(() => svgToPng(svg, { scale: 16 })).toThrow(/128000 x 128000 pixels/);
    const wide = '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="2000"/>';
    expect(() => svgToPng(wide)).toThrow(RangeError);
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 2 ** 20);
    expect(() => svgFramesToGif([svg, svg], { scale: 16 })).toThrow(RangeError);
    const frame = lineChart({ series: [{ label: 'a', x: [0, 1], y: [0, 1] }], width: 1200, height: 800 });
    const many = Array.from({ length: 300 }, () => frame);
    expect(() => svgFramesToGif(many)).toThrow(/300 frames/);
  });

  test('an image under one pixel, or an output under a file, is a RangeError naming it; nothing is written', () => {
    const svg = lineChart({ series: [{ label: 'a', x: [0, 1], y: [0, 1] }], width: 720, height: 450 });
    expect(() => svgToPng(svg, { scale: 0.0005 })).toThrow(RangeError);
    expect(() => svgToPng(svg, { scale: 0.0005 })).toThrow(/less than one pixel .* is 0\.36 x 0\.225/);
    expect(() => writeChart(path.join(dir, 'tiny.png'), svg, { scale: 0.0005 })).toThrow(/less than one pixel/);
    expect(fs.existsSync(path.join(dir, 'tiny.png'))).toBe(false);
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const under = path.join(file, 'sub', 'c.svg');
    expect(() => writeChart(under, svg)).toThrow(RangeError);
    expect(() => writeChart(under, svg)).toThrow(
      /^file '.*' cannot be written: '.*a-file' is a file, not a directory$/,
    );
    expect(() => visualizeActivation('relu', { points: 3, savePath: path.join(file, 'v.json') })).toThrow(
      /^savePath '.*' cannot be written: '.*a-file' is a file/,
    );
  });

  test('a gallery with an activation that throws names it and writes nothing', () => {
    registerActivation('fragile_plot', {
      forward: (x: Float64Array) => x.map((v) => { if (v > 5) throw new Error('out of domain'); return v; }),
      derivative: (x: Float64Array) => x.map(() => 1),
    });
    const out = path.join(dir, 'gallery-fails');
    try {
      expect(() => writeGallery(out, { points: 11 })).toThrow(
        /^gallery: activation 'fragile_plot' failed: out of domain$/,
      );
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      unregisterActivation('fragile_plot');
    }
  });

  test('GIF delayMs of the wrong type is a TypeError', () => {
    const svg = lineChart({ series: [{ label: 'a', x: [0, 1], y: [0, 1] }], width: 100, height: 80 });
    expect(() => svgFramesToGif([svg], { delayMs: '100' as never })).toThrow(TypeError);
    expect(() => svgFramesToGif([svg], { delayMs: 5 })).toThrow(RangeError);
  });

  test('prelu with one alpha per channel: a RangeError naming alpha (not interleaved channels)', () => {
    const even = { alpha: [0.1, 0.5], start: -4, end: -1, points: 4 };
    expect(() => visualizeActivation('prelu', even)).toThrow(RangeError);
    expect(() => visualizeActivation('prelu', even)).toThrow(/'alpha'/);
    expect(() => visualizeActivation('prelu', { alpha: [0.1, 0.5] })).toThrow(/'alpha' must be a single number/);
    expect(() => activationPlot('prelu', { params: { alpha: [0.1, 0.5] } })).toThrow(/'alpha' must be a single number/);
    const one = visualizeActivation('prelu', { alpha: [0.1], start: -4, end: -1, points: 4 });
    expect(one.y).toEqual(visualizeActivation('prelu', { alpha: 0.1, start: -4, end: -1, points: 4 }).y);
  });

  test('float32 samples: start/end outside the float32 range are RangeErrors', () => {
    const f32 = { dtype: 'float32' as const, points: 3 };
    expect(() => visualizeActivation('relu', { ...f32, start: -1e39, end: 1e39 })).toThrow(RangeError);
    expect(() => visualizeActivation('relu', { ...f32, start: -1e39, end: 0 })).toThrow(/start/);
    expect(() => visualizeActivation('relu', { ...f32, start: 0, end: 1e39 })).toThrow(/end/);
    expect(visualizeActivation('relu', { ...f32, start: -3e38, end: 3e38 }).x.every(Number.isFinite)).toBe(true);
  });

  test("a GIF of activationAnimation's output keeps its frameSeconds and pingPong", () => {
    const size = { points: 21, width: 120, height: 110 };
    const anim = activationAnimation('swish', { values: [0.5, 1, 2, 3], ...size, frameSeconds: 0.5, pingPong: false });
    const file = path.join(dir, 'timing.gif');
    writeAnimation(file, anim);
    const gif = parseGif(fs.readFileSync(file));
    expect(gif.frames).toBe(4); // no ping-pong: 0.5, 1, 2, 3
    expect(gif.delaysCs).toEqual([50, 50, 50, 50]);
    writeAnimation(file, anim, { frameSeconds: 0.2, pingPong: true });
    const g2 = parseGif(fs.readFileSync(file));
    expect(g2.frames).toBe(6);
    expect(g2.delaysCs[0]).toBe(20);
  });

  test.each([
    [{ width: NaN }, RangeError, /width/],
    [{ width: 0 }, RangeError, /width/],
    [{ height: -5 }, RangeError, /height/],
    [{ width: 'abc' }, TypeError, /width/],
  ])('activationPlot/activationAnimation/writeGallery(%p): named error', (o, type, msg) => {
    expect(() => activationPlot('relu', { points: 5, ...(o as object) })).toThrow(type);
    expect(() => activationPlot('relu', { points: 5, ...(o as object) })).toThrow(msg);
    expect(() => activationAnimation('swish', { points: 5, ...(o as object) })).toThrow(msg);
    const g = path.join(dir, 'gallery-bad-size');
    expect(() => writeGallery(g, { points: 5, ...(o as object) })).toThrow(msg);
    expect(fs.existsSync(g)).toBe(false);
  });

  test.each([0, NaN, -1, 'x', 100])('frameSeconds %p: named error', (v) => {
    expect(() => activationAnimation('swish', { points: 5, frameSeconds: v as number })).toThrow(/frameSeconds/);
    const anim = activationAnimation('swish', { values: [1, 2], points: 5, width: 100, height: 110 });
    const file = path.join(dir, 'bad-fs.gif');
    expect(() => writeAnimation(file, anim, { frameSeconds: v as number })).toThrow(/frameSeconds/);
    expect(fs.existsSync(file)).toBe(false);
  });

  test('start or end alone is checked against the default of the other', () => {
    expect(() => activationPlot('relu', { start: 10 })).toThrow(RangeError);
    expect(() => activationPlot('relu', { start: 20 })).toThrow(/end \(10\) must be greater than start \(20\)/);
    expect(() => activationPlot('relu', { end: -10 })).toThrow(RangeError);
    expect(() => activationAnimation('swish', { start: 10 })).toThrow(RangeError);
    expect(() => writeGallery(path.join(dir, 'g-start'), { start: 10 })).toThrow(RangeError);
    expect(activationPlot('relu', { start: 5, points: 3 }).curves[0].x).toEqual([5, 7.5, 10]);
  });

  test("visualizeActivation's options are not activation parameters (spec, params, sweep, param)", () => {
    const side = path.join(dir, 'side_effect.json');
    const spec = { name: 'relu', savePath: side };
    expect(() => activationPlot(spec, { points: 3 })).toThrow(/'savePath' is a plot option/);
    expect(fs.existsSync(side)).toBe(false);
    expect(() => activationPlot('relu', { points: 5, params: { points: 1 } })).toThrow(/params: 'points'/);
    expect(() => activationPlot('relu', { points: 3, sweep: { start: [1, 2] } })).toThrow(/sweep: 'start'/);
    expect(() => activationPlot('relu', { points: 3, params: { dtype: 'float32' } })).toThrow(RangeError);
    expect(() => activationAnimation({ name: 'swish', end: 3 }, { points: 3 })).toThrow(/'end'/);
    expect(() => activationAnimation('swish', { points: 3, params: { savePath: side } })).toThrow(/'savePath'/);
    expect(() => activationAnimation('swish', { param: 'start', values: [1, 2] })).toThrow(/'start'/);
    expect(fs.existsSync(side)).toBe(false);
  });

  test('output paths: a directory or a file where the other is expected is an error naming the argument', () => {
    const svg = activationPlot('relu', { points: 3 }).svg;
    expect(() => visualizeActivation('relu', { points: 3, savePath: dir })).toThrow(RangeError);
    expect(() => visualizeActivation('relu', { points: 3, savePath: dir })).toThrow(/savePath must name a file/);
    const d = path.join(dir, 'x.svg');
    fs.mkdirSync(d, { recursive: true });
    expect(() => writeChart(d, svg)).toThrow(/file must name a file, got '.*x\.svg' \(a directory\)/);
    const anim = activationAnimation('swish', { values: [1, 2], points: 5 });
    expect(() => writeAnimation(d, anim)).toThrow(RangeError);
    const f = path.join(dir, 'plain-file');
    fs.writeFileSync(f, 'x');
    expect(() => writeGallery(f, { points: 3 })).toThrow(/dir must name a directory/);
    expect(fs.readFileSync(f, 'utf8')).toBe('x');
  });
});

describe('near-constant and subnormal curves', () => {
  test.each([
    ['sigmoid', { start: 34, end: 35, derivative: false }],
    ['elu', { start: -35, end: -34, derivative: false }],
    ['softplus', { start: -746, end: -745 }],
    ['gelu', { start: -41, end: -40 }],
  ])('%s %p: no NaN, a few y ticks, the lines inside the plot', (name, o) => {
    const svg = activationPlot(name, { ...o, points: 101 }).svg;
    expect(svg).not.toMatch(/NaN/);
    const yTicks = svg.slice(svg.indexOf('axis y-axis')).match(/<g class="tick"/g) ?? [];
    expect(yTicks.length).toBeGreaterThanOrEqual(1);
    expect(yTicks.length).toBeLessThanOrEqual(15);
    const clip = elements(svg, 'rect').find((e) => e.x !== undefined && e.y !== undefined)!;
    for (const p of elements(svg, 'path', 'line'))
      for (const [, py] of pathPoints(p.d)) {
        expect(py).toBeGreaterThanOrEqual(Number(clip.y) - 0.01);
        expect(py).toBeLessThanOrEqual(Number(clip.y) + Number(clip.height) + 0.01);
      }
  });
});
