/** The chart module: scales, nice ticks, paths, and the structure of the SVG it writes. */
import {
  checkSize, formatNumber, formatTick, linearScale, lineChart, linePath, niceDomain, niceStep, simplify, stepDecimals,
  ticks, esc, textWidth,
} from '../lib/viz/svg';
import { axisInverse, elements, pathPoints, prng, unescapeAttr } from './viz_helpers';

describe('nice ticks', () => {
  const r = prng(3);
  const cases: Array<[number, number]> = [
    [0, 1],
    [-10, 10],
    [0.9712, 0.9731],
    [-2.3, 17.9],
    [1e-6, 3e-6],
    [-1234, 98765],
    [0.1, 0.1 + 1e-9],
  ];
  for (let i = 0; i < 40; i++) {
    const a = (r() - 0.5) * 10 ** Math.round(r() * 8 - 4);
    cases.push([a, a + Math.abs(a) * r() * 3 + 1e-3]);
  }

  test.each(cases)('step for [%p, %p] is 1, 2 or 5 times a power of ten', (lo, hi) => {
    const step = niceStep(hi - lo, 6);
    const mant = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
    expect([1, 2, 5, 10].some((m) => Math.abs(mant - m) < 1e-9)).toBe(true);
  });

  test.each(cases)('ticks of [%p, %p] lie inside, evenly spaced, and print exactly', (lo, hi) => {
    const t = ticks(lo, hi, 6);
    expect(t.length).toBeGreaterThanOrEqual(2);
    expect(t.length).toBeLessThanOrEqual(16);
    const step = niceStep(hi - lo, 6);
    for (let i = 0; i < t.length; i++) {
      expect(t[i]).toBeGreaterThanOrEqual(lo - step * 1e-6);
      expect(t[i]).toBeLessThanOrEqual(hi + step * 1e-6);
      if (i > 0) expect(t[i] - t[i - 1]).toBeCloseTo(step, 9);
      // No binary-fraction tails such as 0.30000000000000004.
      expect(String(t[i]).replace(/e.*$/, '').replace(/^-?\d*\.?/, '').length).toBeLessThanOrEqual(stepDecimals(step));
    }
  });

  test.each(cases)('niceDomain of [%p, %p] contains the data and ends on ticks', (lo, hi) => {
    const [a, b] = niceDomain(lo, hi, 6);
    expect(a).toBeLessThanOrEqual(lo);
    expect(b).toBeGreaterThanOrEqual(hi);
    expect(b).toBeGreaterThan(a);
    const t = ticks(a, b, 6);
    expect(t[0]).toBeCloseTo(a, 12);
    expect(t[t.length - 1]).toBeCloseTo(b, 12);
  });

  test('degenerate and non-finite inputs', () => {
    expect(niceDomain(0, 0)).toEqual([-1, 1]);
    const [a, b] = niceDomain(5, 5);
    expect(a).toBeLessThan(5);
    expect(b).toBeGreaterThan(5);
    expect(niceDomain(NaN, 1)).toEqual([0, 1]);
    expect(ticks(1, 0)).toEqual([]);
    expect(ticks(2, 2)).toEqual([2]);
    expect(ticks(0, 3, 10, { integer: true }).every(Number.isInteger)).toBe(true);
  });

  test('tick labels use a typographic minus and the decimals of the step', () => {
    const t = [-0.5, 0, 0.5, 1];
    expect(t.map((v) => formatTick(v, t))).toEqual(['\u22120.5', '0.0', '0.5', '1.0']);
    expect(formatTick(2e-7, [1e-7, 2e-7])).toMatch(/e-7$/);
  });
});

describe('step, domain and label rules', () => {
  test('niceStep is the 1, 2, 5 or 10 times a power of ten nearest to span / count', () => {
    const r = prng(11);
    for (let i = 0; i < 500; i++) {
      const span = 10 ** (r() * 12 - 6);
      const raw = span / 6;
      const mag = 10 ** Math.floor(Math.log10(raw));
      const near = [1, 2, 5, 10].map((m) => m * mag).reduce((a, b) => (Math.abs(b - raw) < Math.abs(a - raw) ? b : a));
      expect(niceStep(span, 6)).toBeCloseTo(near, 12 - Math.floor(Math.log10(near)));
    }
    const spans = [10, 8.4, 24, 20, 48];
    expect(spans.map((s) => niceStep(s, 6))).toEqual([2, 1, 5, 2, 10]); // span / 6: 1.67, 1.4, 4, 3.33, 8
  });

  test('niceDomain and ticks: the ends in either order give the same domain', () => {
    for (const [lo, hi] of [[0, 10], [-2.3, 17.9], [0.9712, 0.9731], [-5, -1]]) {
      expect(niceDomain(hi, lo)).toEqual(niceDomain(lo, hi));
      const [a, b] = niceDomain(hi, lo);
      expect(a <= lo && b >= hi).toBe(true);
    }
  });

  test('checkSize: the bounds are inclusive', () => {
    expect(() => checkSize(1, 'width')).not.toThrow();
    expect(() => checkSize(1e5, 'width')).not.toThrow();
    expect(() => checkSize(0.999, 'width')).toThrow(new RangeError('width must be a number in [1, 100000], got 0.999'));
    expect(() => checkSize(100001, 'width')).toThrow(RangeError);
  });

  test('formatNumber: exponent form from 1e6 up and below 1e-4, plain in between', () => {
    expect([formatNumber(1e6), formatNumber(-2.5e6), formatNumber(1e-5), formatNumber(123456)]).toEqual(
      ['1e+6', '-2.5e+6', '1e-5', '123500'],
    );
  });
});

describe('scales and paths', () => {
  test('linearScale maps and inverts', () => {
    const s = linearScale([-10, 10], [50, 650]);
    expect(s(-10)).toBe(50);
    expect(s(10)).toBe(650);
    expect(s(0)).toBe(350);
    for (const v of [-7.3, 0.01, 9.99]) expect(s.invert(s(v))).toBeCloseTo(v, 12);
    const flat = linearScale([3, 3], [0, 100]);
    expect(flat(3)).toBe(50);
  });

  test('linePath breaks at non-finite points', () => {
    const id = linearScale([0, 1], [0, 1]);
    const d = linePath([0, 1, 2, 3, 4, 5], [0, 1, NaN, 3, Infinity, 5], id, id);
    // a lone finite point is a short dash around it (a bare M draws nothing)
    expect(d).toBe('M0,0L1,1M1.5,3L4.5,3M3.5,5L6.5,5');
  });

  test('a chart too small for its margins is a RangeError naming the size (it drew the y axis upside down)', () => {
    const series = [{ label: 'a', x: [0, 1], y: [0, 1] }];
    expect(() => lineChart({ series, width: 720, height: 80, title: 't', xLabel: 'x' })).toThrow(
      new RangeError('height 80 leaves no room for the plot area (the title and axis labels take 84 px): give at least 104'),
    );
    expect(() => lineChart({ series, width: 60, height: 450 })).toThrow(/^width 60 leaves no room for the plot area/);
    expect(lineChart({ series, width: 720, height: 104, title: 't', xLabel: 'x' })).toContain('<svg');
  });

  test('x tick labels never overlap: fewer ticks while the widest label does not fit between two', () => {
    for (const [lo, hi] of [[1000, 1000.001], [-1e30, 1e30], [-123456, 123456], [0, 1]]) {
      const svg = lineChart({ series: [{ label: 'a', x: [lo, hi], y: [0, 1] }], width: 720, height: 450 });
      const xs = [...svg.matchAll(/<g class="tick" data-value="[^"]*"><line x1="([\d.]+)"[^>]*\/><text [^>]*>([^<]*)<\/text>/g)]
        .filter((m) => svg.indexOf('x-axis') < m.index! && m.index! < svg.indexOf('y-axis'))
        .map((m) => ({ x: Number(m[1]), w: textWidth(m[2], 12) }));
      expect(xs.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < xs.length; i++) expect(xs[i].x - xs[i - 1].x).toBeGreaterThanOrEqual((xs[i].w + xs[i - 1].w) / 2);
    }
  });

  test('simplify keeps the ends and stays within the tolerance', () => {
    const r = prng(11);
    const pts: Array<[number, number]> = Array.from({ length: 400 }, (_, i) => [i, 100 * Math.sin(i / 30) + r() * 0.05]);
    const tol = 0.2;
    const s = simplify(pts, tol);
    expect(s[0]).toBe(pts[0]);
    expect(s[s.length - 1]).toBe(pts[pts.length - 1]);
    expect(s.length).toBeLessThan(pts.length / 2);
    // Every dropped point is within tol of the segment of the kept points around it.
    let k = 0;
    for (const p of pts) {
      while (k < s.length - 2 && s[k + 1][0] <= p[0]) k++;
      const [a, b] = [s[k], s[k + 1]];
      const dist = Math.abs((b[1] - a[1]) * (p[0] - a[0]) - (b[0] - a[0]) * (p[1] - a[1])) / Math.hypot(b[0] - a[0], b[1] - a[1]);
      expect(dist).toBeLessThanOrEqual(tol + 1e-9);
    }
    expect(simplify([[0, 0], [1, 1], [2, 2], [3, 3]], 0.01)).toEqual([[0, 0], [3, 3]]);
  });
});

describe('lineChart', () => {
  const x = Array.from({ length: 101 }, (_, i) => -5 + i / 10);
  const chart = lineChart({
    series: [
      { label: 'a', x, y: x.map((v) => v * v) },
      { label: 'b', x, y: x.map((v) => 2 * v), dash: '4 2', markers: [0, 50, 100] },
    ],
    title: 'Two <curves> & more',
    xLabel: 'x',
    yLabel: 'y',
    width: 600,
    height: 400,
    idPrefix: 'tc',
  });

  test('is a standalone SVG document of the asked size', () => {
    expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="600" height="400"')).toBe(true);
    expect(chart.trim().endsWith('</svg>')).toBe(true);
    expect(chart).toContain('<clipPath id="tc-clip">');
  });

  test('title, axis labels and legend are escaped text', () => {
    expect(chart).toContain('>Two &lt;curves&gt; &amp; more</text>');
    expect(chart).not.toContain('<curves>');
    expect(elements(chart, 'text', 'axis-label')).toHaveLength(2);
    const legend = elements(chart, 'g', 'legend-item');
    expect(legend.map((l) => l['data-series'])).toEqual(['0', '1']);
    expect(chart).toMatch(/<text x="40" y="[\d.]+" fill="#222">a<\/text>/);
  });

  test('one path per series, dash and markers as asked', () => {
    const paths = elements(chart, 'path', 'line');
    expect(paths.map((p) => unescapeAttr(p['data-label']))).toEqual(['a', 'b']);
    expect(paths[1]['stroke-dasharray']).toBe('4 2');
    expect(paths[0]['stroke-dasharray']).toBeUndefined();
    expect(elements(chart, 'circle', 'marker')).toHaveLength(3);
  });

  test('ticks are the nice ticks of the data and the paths invert to the data', () => {
    const yTicks = [...chart.slice(chart.indexOf('class="axis y-axis"')).matchAll(/<g class="tick" data-value="([^"]+)"/g)].map((m) => Number(m[1]));
    const [y0, y1] = niceDomain(-10, 25, 6);
    expect(yTicks[0]).toBe(y0);
    expect(yTicks[yTicks.length - 1]).toBe(y1);
    const ix = axisInverse(chart, 'x-axis');
    const iy = axisInverse(chart, 'y-axis');
    const pts = pathPoints(elements(chart, 'path', 'line')[0].d);
    expect(pts).toHaveLength(101);
    pts.forEach(([px, py], i) => {
      expect(ix(px)).toBeCloseTo(x[i], 1);
      expect(Math.abs(iy(py) - x[i] * x[i])).toBeLessThan(0.05);
    });
  });

  test('legend goes to a corner the lines do not cross', () => {
    // Diagonals corner to corner (fixed domains): each leaves two corners free, the first free one wins.
    const up = lineChart({ series: [{ label: 'up', x, y: x }], xDomain: [-5, 5], yDomain: [-5, 5] });
    expect(elements(up, 'g', 'legend')[0]['data-position']).toBe('top-left');
    const down = lineChart({ series: [{ label: 'down', x, y: x.map((v) => -v) }], xDomain: [-5, 5], yDomain: [-5, 5] });
    expect(elements(down, 'g', 'legend')[0]['data-position']).toBe('top-right');
    const valley = lineChart({ series: [{ label: 'valley', x, y: x.map((v) => v * v) }] });
    expect(elements(valley, 'g', 'legend')[0]['data-position']).toMatch(/^bottom-/);
  });

  test('animation frames become a SMIL animate with one value per frame', () => {
    const frames = [1, 2, 3].map((k) => x.map((v) => k * v));
    const svg = lineChart({ series: [{ label: 'k x', x, y: frames[0], frames }], frameLabels: ['k=1', 'k=2', 'k=3'], frameSeconds: 0.5 });
    const anim = elements(svg, 'animate').filter((a) => a.attributeName === 'd');
    expect(anim).toHaveLength(1);
    expect(anim[0].values.split(';')).toHaveLength(3);
    expect(anim[0].dur).toBe('1.5s');
    expect(anim[0].calcMode).toBe('discrete');
    expect(elements(svg, 'text', 'frame-label')).toHaveLength(3);
  });

  test('esc covers the five XML specials', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

/** Every number in the chart's coordinate attributes and path data (NaN shows up as the word). */
function coordinates(svg: string): string[] {
  const re = /\s(?:x|y|x1|x2|y1|y2|cx|cy|width|height|d|points|transform)="([^"]*)"/g;
  const attrs = [...svg.matchAll(re)].map((m) => m[1]);
  return attrs.flatMap((a) => a.match(/NaN|Infinity|-?[\d.]+(?:e[-+]?\d+)?/g) ?? []);
}

/** The y pixel range of the plot area (the clip rectangle). */
function plotArea(svg: string): { top: number; bottom: number } {
  const r = elements(svg, 'rect').find((e) => e.x !== undefined && e.y !== undefined)!;
  return { top: Number(r.y), bottom: Number(r.y) + Number(r.height) };
}

describe('degenerate, subnormal and overflowing data', () => {
  const x = Array.from({ length: 101 }, (_, i) => i / 100);

  test('niceStep and niceDomain stay finite for subnormal spans', () => {
    const step = niceStep(5e-324);
    expect(step).toBeGreaterThan(0);
    expect(Number.isFinite(step)).toBe(true);
    const [a, b] = niceDomain(0, 5e-324);
    expect(Number.isFinite(a) && Number.isFinite(b)).toBe(true);
    expect(a).toBeLessThanOrEqual(0);
    expect(b).toBeGreaterThanOrEqual(5e-324);
    expect(b).toBeGreaterThan(a);
  });

  test.each([
    ['subnormal values', x.map((v) => v * 5e-324)],
    ['values that differ in the last bits', x.map((_, i) => 1 - (i % 3) * 1.1102230246251565e-16)],
    ['tiny values', x.map((v) => 1e-20 + v * 1e-20)],
    ['values near Number.MAX_VALUE', x.map((v) => (2 * v - 1) * 8.9e307)],
  ])('%s: finite coordinates, a few ticks, the line inside the plot', (_, y) => {
    const svg = lineChart({ series: [{ label: 'y', x, y }] });
    expect(coordinates(svg).filter((c) => !Number.isFinite(Number(c)))).toEqual([]);
    expect(elements(svg, 'g', 'tick').length).toBeLessThanOrEqual(30);
    const yTicks = svg.slice(svg.indexOf('axis y-axis')).match(/<g class="tick"/g) ?? [];
    expect(yTicks.length).toBeGreaterThanOrEqual(1);
    expect(yTicks.length).toBeLessThanOrEqual(15);
    const { top, bottom } = plotArea(svg);
    for (const [, py] of pathPoints(elements(svg, 'path', 'line')[0].d)) {
      expect(py).toBeGreaterThanOrEqual(top - 0.01);
      expect(py).toBeLessThanOrEqual(bottom + 0.01);
    }
  });

  test('niceDomain of a span lost in rounding still contains the data with lo < hi', () => {
    const [a, b] = niceDomain(-1.0000000000000002, -0.9999999999999998);
    expect(a).toBeLessThan(b);
    expect(a).toBeLessThanOrEqual(-1.0000000000000002);
    expect(b).toBeGreaterThanOrEqual(-0.9999999999999998);
    expect(ticks(1, 1 + 2.220446049250313e-16)).toHaveLength(1);
    const [c, d] = niceDomain(1e-20, 2e-20);
    expect(c).toBeLessThanOrEqual(1e-20);
    expect(d).toBeGreaterThanOrEqual(2e-20);
    expect(d).toBeGreaterThan(c);
  });

  test('a domain wider than Number.MAX_VALUE: a nice domain, a few ticks, a working scale', () => {
    const [a, b] = niceDomain(-8.9e307, 8.9e307);
    expect(Number.isFinite(a) && Number.isFinite(b) && a <= -8.9e307 && b >= 8.9e307).toBe(true);
    const t = ticks(a, b, 6);
    expect(t.length).toBeGreaterThanOrEqual(2);
    expect(t.length).toBeLessThanOrEqual(15);
    const s = linearScale([-1.7e308, 1.7e308], [0, 100]);
    expect(s(-1.7e308)).toBe(0);
    expect(s(0)).toBe(50);
    expect(s(1.7e308)).toBe(100);
    expect(linearScale([0, 5e-324], [0, 100])(5e-324)).toBe(50);
    expect(linearScale([0, NaN], [0, 100])(1)).toBe(50);
  });
});

describe('animation timing and option checks', () => {
  const x = [0, 1, 2];

  test('keyTimes are distinct and strictly increasing for hundreds of frames', () => {
    const frames = Array.from({ length: 198 }, (_, k) => x.map((v) => v * k));
    const svg = lineChart({ series: [{ label: 'k x', x, y: frames[0], frames }], frameSeconds: 0.05 });
    const anim = elements(svg, 'animate')[0];
    const kt = anim.keyTimes.split(';').map(Number);
    expect(kt).toHaveLength(198);
    expect(kt[0]).toBe(0);
    for (let i = 1; i < kt.length; i++) expect(kt[i]).toBeGreaterThan(kt[i - 1]);
    kt.forEach((v, i) => expect(v).toBeCloseTo(i / 198, 5));
    expect(anim.dur).toBe('9.9s');
  });

  test.each([
    [{ width: NaN }, RangeError, /width/],
    [{ width: 0 }, RangeError, /width/],
    [{ height: -5 }, RangeError, /height/],
    [{ width: 2e5 }, RangeError, /width/],
    [{ width: '300" onload="x' }, TypeError, /width/],
    [{ frameSeconds: 0 }, RangeError, /frameSeconds/],
    [{ frameSeconds: NaN }, RangeError, /frameSeconds/],
    [{ frameSeconds: -1 }, RangeError, /frameSeconds/],
    [{ frameSeconds: 'x' }, TypeError, /frameSeconds/],
  ])('lineChart(%p) is a named error', (o, type, msg) => {
    expect(() => lineChart({ series: [{ label: 'a', x, y: x }], ...(o as object) })).toThrow(type);
    expect(() => lineChart({ series: [{ label: 'a', x, y: x }], ...(o as object) })).toThrow(msg);
  });

  test('a series stroke width is checked too', () => {
    expect(() => lineChart({ series: [{ label: 'a', x, y: x, width: NaN }] })).toThrow(/series\[0\]\.width/);
    expect(() => lineChart({ series: [{ label: 'a', x, y: x, width: '2" x="' as never }] })).toThrow(TypeError);
  });

  test('esc drops the characters XML forbids (C0 controls, U+FFFE/U+FFFF), keeps tab, LF, CR', () => {
    const s = esc('a\u0000b\u0001c\u0008d\u000Be\u000Cf\u001Fg\uFFFEh\uFFFFi\tj\nk\rl');
    expect(s).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    expect(s).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFDg\uFFFDh\uFFFDi\tj\nk\rl');
    const svg = lineChart({ series: [{ label: 'x\u0002', x, y: x }], title: 'run\u0001 7' });
    expect(svg).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  });
});
