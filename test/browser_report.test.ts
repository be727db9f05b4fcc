/// <reference lib="dom" />
/**
 * The HTML reports in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no
 * browser download): they load without console errors, draw what they should, and the grid report's
 * brushing, table filtering, sorting and colour-by work with real mouse events.
 *
 * Skipped, with a message, where /usr/bin/chromium is missing: `apt-get install -y chromium`
 * (SWISHNET_CHROMIUM=/path overrides the executable).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { BrowserContext, Page } from 'playwright-core';
import { gridReportHtml, historyReportHtml } from '../lib/viz/report';
import { activationAnimation, writeGallery } from '../lib/viz/activation_plot';
import { makeGridPayload, makeHistory } from './viz_helpers';

const CHROMIUM = process.env.SWISHNET_CHROMIUM || '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  // eslint-disable-next-line no-console
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium)`);
}
const describeBrowser = haveChromium ? describe : describe.skip;

describeBrowser('reports in headless Chromium', () => {
  let tmp: string;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-browser-'));
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`network request: ${r.url()}`);
    });
  }, 60000);

  afterAll(async () => {
    await context?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  beforeEach(() => {
    problems = [];
  });

  async function open(name: string, html: string): Promise<void> {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, html);
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  }

  /** Client (page) coordinates of an SVG point of the parallel-coordinates plot. */
  async function client(x: number, y: number): Promise<{ x: number; y: number }> {
    return page.evaluate(
      ([sx, sy]) => {
        const svg = document.getElementById('pc-svg') as unknown as SVGSVGElement;
        const pt = svg.createSVGPoint();
        pt.x = sx;
        pt.y = sy;
        const p = pt.matrixTransform(svg.getScreenCTM()!);
        return { x: p.x, y: p.y };
      },
      [x, y],
    );
  }
  async function drag(x: number, y0: number, y1: number): Promise<void> {
    const a = await client(x, y0);
    const b = await client(x, y1);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(a.x, (a.y + b.y) / 2, { steps: 3 });
    await page.mouse.move(b.x, b.y, { steps: 3 });
    await page.mouse.up();
  }

  describe('grid report', () => {
    const payload = makeGridPayload(21, 3);
    const rows = payload.cvResults;
    const means = rows.map((r) => r.mean_test_score as number);
    const n = rows.length;

    const visibleRows = (): Promise<number[]> =>
      page.$$eval('#pc-table tbody tr', (trs) => trs.filter((tr) => !(tr as HTMLElement).hidden).map((tr) => Number(tr.getAttribute('data-i'))).sort((a, b) => a - b));
    const dimmed = (): Promise<number> => page.$$eval('polyline.pc-line.dimmed', (l) => l.length);
    interface Model {
      top: number;
      bottom: number;
      axes: Array<{ key: string; x: number; domain?: [number, number]; ticks: Array<{ label: string; y: number }>; categories?: string[] }>;
    }
    let model: Model;

    beforeAll(async () => {
      await open('grid.html', gridReportHtml(payload as never));
      model = JSON.parse(await page.$eval('#pc-data', (e) => e.textContent!));
    });

    test('loads cleanly and draws one polyline per candidate and one axis per column', async () => {
      await page.reload();
      expect(await page.$$eval('polyline.pc-line', (l) => l.length)).toBe(n);
      expect(await page.$$eval('g.pc-axis', (l) => l.length)).toBe(8);
      expect(await page.textContent('#pc-count')).toBe(`${n} of ${n} candidates`);
      expect(await visibleRows()).toEqual([...Array(n).keys()]);
      // Every polyline is really drawn (non-empty box inside the plot).
      const boxes = await page.$$eval('polyline.pc-line', (ls) => ls.map((l) => (l as unknown as SVGGraphicsElement).getBBox()).map((b) => [b.width, b.height]));
      for (const [w] of boxes) expect(w).toBeGreaterThan(100);
      expect(problems).toEqual([]);
    });

    test('brushing the mean axis keeps the candidates in range; a click clears it', async () => {
      const ax = model.axes.find((a) => a.key === 'mean_test_score')!;
      const sorted = [...means].sort((a, b) => b - a);
      const threshold = (sorted[2] + sorted[3]) / 2; // the top three
      const [d0, d1] = ax.domain!;
      const yT = model.bottom - ((threshold - d0) / (d1 - d0)) * (model.bottom - model.top);
      await drag(ax.x, model.top - 4, yT);
      const expected = means.flatMap((m, i) => (m >= threshold ? [i] : []));
      expect(expected).toHaveLength(3);
      expect(await visibleRows()).toEqual(expected);
      expect(await dimmed()).toBe(n - 3);
      expect(await page.textContent('#pc-count')).toBe(`3 of ${n} candidates selected`);
      expect(await page.textContent('#pc-filters')).toMatch(/^mean ∈ [\d.]+ – [\d.]+$/);
      expect(await page.getAttribute('#pc-svg', 'data-selected')).toBe('3');
      // A click without a drag on the same axis clears its brush.
      const c = await client(ax.x, (model.top + model.bottom) / 2);
      await page.mouse.click(c.x, c.y);
      expect(await visibleRows()).toEqual([...Array(n).keys()]);
      expect(await dimmed()).toBe(0);
      expect(problems).toEqual([]);
    });

    test('a categorical brush, combined with a numeric one, and Reset', async () => {
      const act = model.axes[0];
      const [c0, c1] = act.ticks;
      await drag(act.x, c0.y - 8, c1.y + 8);
      const labels = ['relu', 'tanh'];
      const inCats = rows.flatMap((r, i) => (labels.includes(String(r.param_module__activation)) ? [i] : []));
      expect(await visibleRows()).toEqual(inCats);
      expect(await page.textContent('#pc-filters')).toBe('activation ∈ {relu, tanh}');
      // Add a brush on split 0 covering its upper half: the intersection remains.
      const s0 = model.axes.find((a) => a.key === 'split0_test_score')!;
      const mid = (model.top + model.bottom) / 2;
      await drag(s0.x, model.top - 4, mid);
      const [d0, d1] = s0.domain!;
      const vMid = d0 + ((model.bottom - mid) / (model.bottom - model.top)) * (d1 - d0);
      const both = inCats.filter((i) => (rows[i].split0_test_score as number) >= vMid);
      expect(await visibleRows()).toEqual(both);
      await page.click('#pc-reset');
      expect(await visibleRows()).toEqual([...Array(n).keys()]);
      expect(await page.textContent('#pc-filters')).toBe('');
      expect(problems).toEqual([]);
    });

    test('clicking a header sorts the table; a second click reverses it', async () => {
      const order = (): Promise<number[]> => page.$$eval('#pc-table tbody tr', (trs) => trs.map((tr) => Number(tr.getAttribute('data-i'))));
      const byMean = [...Array(n).keys()].sort((a, b) => means[a] - means[b] || a - b);
      await page.click('th[data-key="mean_test_score"]');
      expect(await order()).toEqual(byMean);
      expect(await page.getAttribute('th[data-key="mean_test_score"]', 'aria-sort')).toBe('ascending');
      await page.click('th[data-key="mean_test_score"]');
      expect(await order()).toEqual([...Array(n).keys()].sort((a, b) => means[b] - means[a] || a - b));
      expect(await page.getAttribute('th[data-key="mean_test_score"]', 'aria-sort')).toBe('descending');
      // Text columns sort by name; the keyboard works too.
      await page.focus('th[data-key="param_module__activation"]');
      await page.keyboard.press('Enter');
      const names = await page.$$eval('#pc-table tbody tr td[data-key="param_module__activation"]', (tds) => tds.map((td) => td.textContent));
      expect(names).toEqual([...names].sort((a, b) => a!.localeCompare(b!, undefined, { numeric: true })));
      expect(await page.getAttribute('th[data-key="mean_test_score"]', 'aria-sort')).toBe('none');
      expect(problems).toEqual([]);
    });

    test('colour by another axis recolours the lines; hovering a row highlights its line', async () => {
      const split0 = rows.map((r) => r.split0_test_score as number);
      const top = split0.indexOf(Math.max(...split0));
      const low = split0.indexOf(Math.min(...split0));
      const axisIndex = model.axes.findIndex((a) => a.key === 'split0_test_score');
      await page.selectOption('#pc-color', String(axisIndex));
      expect(await page.getAttribute(`polyline[data-i="${top}"]`, 'stroke')).toBe('#d73027');
      expect(await page.getAttribute(`polyline[data-i="${low}"]`, 'stroke')).toBe('#313695');
      await page.hover(`#pc-table tbody tr[data-i="${low}"]`);
      expect(await page.getAttribute(`polyline[data-i="${low}"]`, 'class')).toContain('hl');
      await page.mouse.move(1, 1);
      expect(await page.getAttribute(`polyline[data-i="${low}"]`, 'class')).not.toContain('hl');
      expect(problems).toEqual([]);
    });

    test('hovering a line highlights it and its row until the pointer leaves (they stayed lit and piled up)', async () => {
      await page.reload();
      const lit = (): Promise<number[]> =>
        page.$$eval('polyline.pc-line.hl, #pc-table tbody tr.hl', (els) => els.map((e) => Number(e.getAttribute('data-i'))));
      for (const i of [0, 1, 2]) {
        // a point on line i that no later-drawn line covers: the middle of its first segment, checked in the page
        const at = await page.$eval(`polyline[data-i="${i}"]`, (l) => {
          const pts = (l as unknown as SVGPolylineElement).points;
          const svg = document.getElementById('pc-svg') as unknown as SVGSVGElement;
          const pt = svg.createSVGPoint();
          for (let k = 0; k + 1 < pts.length; k++) {
            for (const f of [0.5, 0.3, 0.7, 0.2, 0.8]) {
              pt.x = pts[k].x + f * (pts[k + 1].x - pts[k].x);
              pt.y = pts[k].y + f * (pts[k + 1].y - pts[k].y);
              const c = pt.matrixTransform(svg.getScreenCTM()!);
              if (document.elementFromPoint(c.x, c.y) === l) return { x: c.x, y: c.y };
            }
          }
          return null;
        });
        expect(at).not.toBeNull();
        await page.mouse.move(at!.x, at!.y);
        expect(await lit()).toEqual([i, i]);
        await page.mouse.move(1, 1);
        expect(await lit()).toEqual([]);
      }
      expect(problems).toEqual([]);
    });
  });

  test('grid report: a brush on the n/a marker of a parameter says it keeps the rows without a value', async () => {
    // a list of grids: lr set in the first rows only
    const payload = makeGridPayload(5, 3);
    payload.cvResults.forEach((r, i) => {
      if (i < 4) {
        r.param_lr = [0.01, 0.02, 0.05, 0.1][i];
        (r.params as Record<string, unknown>).lr = r.param_lr;
      }
    });
    await open('grid_na.html', gridReportHtml(payload as never));
    const m = JSON.parse(await page.$eval('#pc-data', (e) => e.textContent!));
    const a = m.axes.findIndex((ax: { key: string }) => ax.key === 'param_lr');
    const ax = m.axes[a];
    expect(ax.nullY).toBeGreaterThan(m.bottom);
    const missing = payload.cvResults.flatMap((r, i) => (r.param_lr === undefined ? [i] : []));
    await drag(ax.x, ax.nullY - 5, ax.nullY + 3);
    expect(await page.textContent('#pc-filters')).toBe('lr ∈ n/a'); // was 'lr ∈ 0 – 0'
    const shown = await page.$$eval('#pc-table tbody tr', (trs) =>
      trs.filter((tr) => !(tr as HTMLElement).hidden).map((tr) => Number(tr.getAttribute('data-i'))));
    expect(shown.sort((p, q) => p - q)).toEqual(missing);
    // a brush over the whole axis and the marker names both
    await page.click('#pc-reset');
    await drag(ax.x, m.top - 4, ax.nullY + 3);
    expect(await page.textContent('#pc-filters')).toMatch(/^lr ∈ [\d.e-]+ – [\d.e-]+ or n\/a$/);
    expect(problems).toEqual([]);
  });

  test('grid report: a chart wider than the window scrolls in its box at full size (it was shrunk to fit)', async () => {
    const payload = makeGridPayload(9, 10);
    await open('grid_wide.html', gridReportHtml(payload as never));
    const r = await page.evaluate(() => {
      const svg = document.getElementById('pc-svg')!;
      const wrap = svg.closest('.pc-wrap')!;
      return {
        drawn: svg.getBoundingClientRect().width,
        width: Number(svg.getAttribute('width')),
        scroll: wrap.scrollWidth,
        box: wrap.clientWidth,
      };
    });
    expect(r.width).toBeGreaterThan(1400);
    expect(r.drawn).toBeCloseTo(r.width, 0);
    expect(r.scroll).toBeGreaterThan(r.box);
    expect(problems).toEqual([]);
  });

  test('training report: loads cleanly and draws its curves', async () => {
    const history = makeHistory(15, 3);
    await open('history.html', historyReportHtml({ history, test_acc: 0.97, config: { activation: 'swish' } } as never));
    expect(await page.$$eval('svg', (s) => s.length)).toBe(2);
    const lengths = await page.$$eval('path.line', (ps) => ps.map((p) => (p as unknown as SVGPathElement).getTotalLength()));
    expect(lengths).toHaveLength(3);
    for (const l of lengths) expect(l).toBeGreaterThan(100);
    const markers = await page.$$eval('circle.marker', (c) => c.length);
    expect(markers).toBe(history.filter((r) => r.train_loss_best).length + history.filter((r) => r.valid_loss_best).length + history.filter((r) => r.valid_acc_best).length);
    expect(await page.$$eval('table.history tbody tr', (t) => t.length)).toBe(15);
    expect(problems).toEqual([]);
  });

  test('animated SVG: the curves change over time (SMIL) in the browser', async () => {
    const anim = activationAnimation('swish', { values: [0.1, 1, 3], points: 101, frameSeconds: 1, pingPong: false });
    await open('anim.svg', anim.svg);
    const at = (t: number): Promise<{ top: number; label: string }> =>
      page.evaluate((time) => {
        const svg = document.querySelector('svg') as SVGSVGElement;
        svg.pauseAnimations();
        svg.setCurrentTime(time);
        const f = document.querySelector('path.line') as SVGPathElement;
        const label = Array.from(document.querySelectorAll('text.frame-label')).find((e) => getComputedStyle(e).visibility === 'visible');
        return { top: f.getBBox().y, label: label?.textContent ?? '' };
      }, t);
    const f0 = await at(0.5);
    const f2 = await at(2.5);
    expect(f0.label).toBe('β = 0.1');
    expect(f2.label).toBe('β = 3');
    // At x = 10, swish is 10·σ(β·10): 7.3 for β = 0.1, 10.0 for β = 3, so the curve's top rises on screen.
    expect(f0.top - f2.top).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });

  test('gallery index shows every chart', async () => {
    const dir = path.join(tmp, 'gallery');
    const entries = writeGallery(dir, { points: 51 });
    await page.goto(pathToFileURL(path.join(dir, 'index.html')).href, { waitUntil: 'load' });
    // The cards load lazily (loading="lazy"): bring each into view and wait for its decode (which rejects for an
    // image that fails to load); only the first screenful is there at 'load', how much depends on the machine.
    const imgs = await page.$$eval('img', async (is) => {
      const widths: number[] = [];
      for (const i of is as HTMLImageElement[]) {
        i.scrollIntoView();
        await i.decode();
        widths.push(i.naturalWidth);
      }
      return widths;
    });
    expect(imgs).toHaveLength(entries.length);
    for (const w of imgs) expect(w).toBe(720);
    expect(problems).toEqual([]);
  });
});
