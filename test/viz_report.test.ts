/** HTML reports: training curves + history table, grid search parallel coordinates + sortable table. */
import {
  accuracyChartSvg,
  gridReportHtml,
  historyReportHtml,
  historyTableHtml,
  lossChartSvg,
  validateGridPayload,
  candidateLabel,
} from '../lib/viz/report';
import { buildParcoords, columnLabel, paramLabel } from '../lib/viz/parcoords';
import { elements, makeGridPayload, makeHistory, pathPoints } from './viz_helpers';

/** No network: no src/href that leaves the file, and a CSP that forbids fetching. */
function expectSelfContained(html: string): void {
  expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//i);
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/@import|url\((?!#)/i); // url(#id) references stay inside the document
}

function embeddedModel(html: string): ReturnType<typeof buildParcoords> {
  const json = html.match(/<script type="application\/json" id="pc-data">([\s\S]*?)<\/script>/)![1];
  return JSON.parse(json);
}

describe('training report', () => {
  const history = makeHistory(12, 5);
  const payload = {
    backend: { backend: 'native', isa: 'avx2', version: '9.9.9', threads: 2 },
    config: { activation: { name: 'swish', beta: 1.5 }, note: '<script>alert(1)</script>' },
    history,
    test_acc: 0.9751,
  };
  const html = historyReportHtml(payload as never);

  test('a self-contained page with the summary', () => {
    expectSelfContained(html);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('test_acc 0.9751');
    expect(html).toContain('native (avx2)');
    expect(html).toContain('activation {&quot;name&quot;:&quot;swish&quot;,&quot;beta&quot;:1.5}');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const accs = history.map((r) => r.valid_acc as number);
    const best = Math.max(...accs);
    expect(html).toContain(`best valid_acc ${Number(best.toPrecision(4))} (epoch ${accs.indexOf(best) + 1})`);
  });

  test('loss chart (train + valid) and accuracy chart, one point per epoch, dots on the best epochs', () => {
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g)!;
    expect(svgs).toHaveLength(2);
    const [loss, acc] = svgs;
    const lossPaths = elements(loss, 'path', 'line');
    expect(lossPaths.map((p) => p['data-key'])).toEqual(['train_loss', 'valid_loss']);
    for (const p of lossPaths) expect(pathPoints(p.d)).toHaveLength(history.length);
    const markers = elements(loss, 'circle', 'marker');
    const nBest = (k: string): number => history.filter((r) => r[`${k}_best`] === true).length;
    expect(markers.filter((m) => m['data-series'] === '0')).toHaveLength(nBest('train_loss'));
    expect(markers.filter((m) => m['data-series'] === '1')).toHaveLength(nBest('valid_loss'));
    expect(elements(acc, 'path', 'line').map((p) => p['data-key'])).toEqual(['valid_acc']);
    expect(elements(acc, 'circle', 'marker')).toHaveLength(nBest('valid_acc'));
    // Epoch ticks are integers.
    const xTicks = [...loss.slice(loss.indexOf('axis x-axis'), loss.indexOf('axis y-axis')).matchAll(/data-value="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(xTicks.every(Number.isInteger)).toBe(true);
    // Distinct clip-path ids when two charts share a page.
    const ids = elements(html, 'clipPath').map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('history table: one row per epoch, best cells marked', () => {
    const rows = elements(html, 'tr').filter((r) => r['data-epoch'] !== undefined);
    expect(rows.map((r) => Number(r['data-epoch']))).toEqual(history.map((r) => r.epoch));
    const headers = [...html.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(headers).toEqual(['epoch', 'train_loss', 'valid_loss', 'valid_acc', 'dur']);
    const bestCells = elements(html, 'td').filter((td) => /\bbest\b/.test(td.class ?? ''));
    const expected = history.reduce((n, r) => n + [r.train_loss_best, r.valid_loss_best, r.valid_acc_best].filter((b) => b === true).length, 0);
    expect(bestCells).toHaveLength(expected);
  });

  test('without a validation split: only the training loss', () => {
    const h = historyReportHtml({ history: makeHistory(4, 2, false) } as never);
    const svgs = h.match(/<svg[\s\S]*?<\/svg>/g)!;
    expect(svgs).toHaveLength(1);
    expect(elements(svgs[0], 'path', 'line')).toHaveLength(1);
    expect([...h.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1])).toEqual(['epoch', 'train_loss', 'dur']);
  });

  test('a record key named like an Object method: a blank cell where a record lacks it, not the method', () => {
    const history = makeHistory(2, 1) as unknown as Record<string, unknown>[];
    Object.defineProperty(history[0], 'toString', { value: 'x', enumerable: true });
    const h = historyReportHtml({ history } as never);
    expect(h).not.toMatch(/native code/);
    expect([...h.matchAll(/<td class="toString">([^<]*)<\/td>/g)].map((m) => m[1])).toEqual(['x', '']);
  });

  test('summary: the first epoch to reach the best accuracy; fit_seconds when given, else the sum of dur', () => {
    const h = [
      { epoch: 1, train_loss: 1, valid_acc: 0.5, dur: 0.25, valid_acc_best: true },
      { epoch: 2, train_loss: 0.5, valid_acc: 0.9, dur: 0.5, valid_acc_best: true },
      { epoch: 3, train_loss: 0.25, valid_acc: 0.9, dur: 0.125, valid_acc_best: false },
    ];
    const summary = (p: object): string =>
      /<p class="meta summary">([^<]*)<\/p>/.exec(historyReportHtml(p as never))![1];
    expect(summary({ history: h })).toContain('best valid_acc 0.9 (epoch 2)');
    expect(summary({ history: h })).toMatch(new RegExp(` ${0.25 + 0.5 + 0.125} s$`));
    expect(summary({ history: h, fit_seconds: 12.5 })).toMatch(/ 12\.5 s$/);
    // dur as skorch prints it: 4 decimals
    const durs = [...historyTableHtml(h).matchAll(/<td class="dur">([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(durs).toEqual(h.map((r) => r.dur.toFixed(4)));
    expect(summary({ history: h })).toMatch(/^3 epochs · /);
    expect(summary({ history: h.slice(0, 1) })).toMatch(/^1 epoch · /);
  });

  test('bad payloads fail with named errors', () => {
    expect(() => historyReportHtml(null as never)).toThrow(TypeError);
    expect(() => historyReportHtml({ history: 3 } as never)).toThrow(/payload\.history/);
    expect(() => historyReportHtml({ history: [{ epoch: 'one' }] } as never)).toThrow(/history\[0\]\.epoch/);
    expect(() => historyReportHtml({ history: [{ epoch: 1, train_loss: '0.5' }] } as never)).toThrow(/train_loss/);
  });
});

describe('grid report', () => {
  const payload = makeGridPayload(7, 3);
  const rows = payload.cvResults;
  const html = gridReportHtml(payload as never);
  const model = embeddedModel(html);

  test('a self-contained page with the summary and the inline script', () => {
    expectSelfContained(html);
    expect(html).toContain(`${rows.length} candidates · 3-fold CV`);
    const best = rows.find((r) => r.rank_test_score === 1)!;
    expect(html).toContain(`mean accuracy ${(best.mean_test_score as number).toFixed(4)}`);
    expect(html).toMatch(/<script>\s*\(function \(\) \{/);
    // The embedded JSON cannot close its script element early.
    const evil = makeGridPayload(1, 2, ['</script><b>x</b>', 'relu']);
    const h = gridReportHtml(evil as never);
    expect(h.split('</script>')).toHaveLength(3); // the JSON's and the inline script's
  });

  test('axes: the parameter (categorical), each split, mean, std, rank, fit time', () => {
    const axes = elements(html, 'g', 'pc-axis');
    expect(axes.map((a) => a['data-key'])).toEqual([
      'param_module__activation',
      'split0_test_score',
      'split1_test_score',
      'split2_test_score',
      'mean_test_score',
      'std_test_score',
      'rank_test_score',
      'mean_fit_time',
    ]);
    expect(axes[0]['data-kind']).toBe('cat');
    expect(axes.slice(1).every((a) => a['data-kind'] === 'num')).toBe(true);
    const act = model.axes[0];
    expect(act.categories).toEqual(['relu', 'tanh', 'leaky_relu(α=0.05)', 'swish', 'swish(β=1.5)', 'gelu', 'sigmoid']);
    expect(elements(html, 'rect', 'pc-brush-area')).toHaveLength(8);
  });

  test('one polyline per candidate through its values on every axis', () => {
    const lines = elements(html, 'polyline', 'pc-line');
    expect(lines).toHaveLength(rows.length);
    const mean = model.axes.findIndex((a) => a.key === 'mean_test_score');
    const rank = model.axes.findIndex((a) => a.key === 'rank_test_score');
    lines.forEach((l, i) => {
      const pts = l.points.split(' ').map((p) => p.split(',').map(Number));
      expect(pts).toHaveLength(model.axes.length);
      pts.forEach(([x, y], a) => {
        expect(x).toBeCloseTo(model.axes[a].x, 1);
        expect(y).toBeCloseTo(model.rows[i].ys[a], 1);
      });
    });
    // Higher mean -> higher on the axis (smaller y); rank 1 at the very top of the rank axis.
    const order = [...rows.keys()].sort((p, q) => (rows[p].mean_test_score as number) - (rows[q].mean_test_score as number));
    for (let k = 1; k < order.length; k++) expect(model.rows[order[k]].ys[mean]).toBeLessThanOrEqual(model.rows[order[k - 1]].ys[mean]);
    const best = rows.findIndex((r) => r.rank_test_score === 1);
    expect(model.rows[best].ys[rank]).toBe(Math.min(...model.rows.map((r) => r.ys[rank])));
    expect(lines[best].class).toContain('best');
  });

  test('table: one row per candidate, sortable headers for every column', () => {
    const trs = elements(html, 'tr').filter((r) => r['data-i'] !== undefined);
    expect(trs.map((r) => Number(r['data-i']))).toEqual(rows.map((_, i) => i));
    const ths = elements(html, 'th').filter((t) => t['data-col'] !== undefined);
    expect(ths.map((t) => t['data-key'])).toEqual(model.columns.map((c) => c.key));
    expect(ths.every((t) => t['aria-sort'] === 'none' && t.tabindex === '0')).toBe(true);
    expect(model.columns.filter((c) => !c.axis).map((c) => c.key)).toEqual(['std_fit_time', 'mean_score_time', 'std_score_time']);
    const best = rows.findIndex((r) => r.rank_test_score === 1);
    expect(trs[best].class).toBe('best');
  });

  test('numeric parameters get numeric axes; missing values go to an n/a slot', () => {
    const p = makeGridPayload(3, 2);
    p.cvResults.forEach((r, i) => {
      r.param_lr = [0.01, 0.1][i % 2];
      r.mean_fit_time = i === 0 ? null : r.mean_fit_time;
    });
    const m = buildParcoords(p.cvResults);
    const lr = m.axes.find((a) => a.key === 'param_lr')!;
    expect(lr.kind).toBe('num');
    const fit = m.axes.findIndex((a) => a.key === 'mean_fit_time');
    expect(m.axes[fit].nullY).toBeGreaterThan(m.bottom);
    expect(m.rows[0].ys[fit]).toBe(m.axes[fit].nullY);
    expect(m.rows[0].values[m.axes[fit].column]).toBeNull();
  });

  test('the rank axis runs from rank 1 to the last rank (a nice domain showed rank 0 and ranks past the last)', () => {
    for (const n of [3, 12, 300]) {
      const payload = makeGridPayload(3, 2, Array.from({ length: n }, (_, i) => `act${i}`));
      const m = buildParcoords(payload.cvResults);
      const rank = m.axes.find((a) => a.key === 'rank_test_score')!;
      const ranks = payload.cvResults.map((r) => r.rank_test_score as number);
      expect(rank.domain).toEqual([Math.max(...ranks), Math.min(...ranks)]);
      const labels = rank.ticks.map((t) => Number(t.label));
      expect(Math.min(...labels)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...labels)).toBeLessThanOrEqual(Math.max(...ranks));
    }
  });

  test('labels and validation', () => {
    expect(paramLabel({ name: 'leaky_relu', alpha: 0.05 })).toBe('leaky_relu(α=0.05)');
    expect(paramLabel({ name: 'gelu' })).toBe('gelu');
    expect(paramLabel(0.5)).toBe('0.5');
    expect(columnLabel('param_module__activation')).toBe('activation');
    expect(columnLabel('split12_test_score')).toBe('split 12');
    expect(candidateLabel(rows[2])).toMatch(/^activation=leaky_relu\(α=0\.05\) · mean 0\.\d{4}$/);
    expect(() => validateGridPayload({ cvResults: [] })).toThrow(RangeError);
    expect(() => validateGridPayload({})).toThrow(/cvResults/);
    expect(() => gridReportHtml({ cvResults: [{ params: {} }] } as never)).toThrow(/mean_test_score/);
  });
});

describe('degenerate values and sizes', () => {
  test('a subnormal spread of scores draws finite polylines (no NaN)', () => {
    const row = (s: number, r: number): Record<string, unknown> =>
      ({ params: {}, mean_test_score: 0.9, std_test_score: s, rank_test_score: r });
    const html = gridReportHtml({ cvResults: [row(0, 1), row(5e-324, 2)] } as never);
    const lines = elements(html, 'polyline', 'pc-line');
    expect(lines).toHaveLength(2);
    for (const l of lines) for (const [x, y] of l.points.split(' ').map((p) => p.split(',').map(Number))) {
      expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
    }
    expect(html).not.toMatch(/NaN/);
  });

  test("a NaN score (JSON's null: a scoring that returned NaN) is reported as n/a, not refused", () => {
    const payload = JSON.parse(JSON.stringify(makeGridPayload(3, 2)));
    payload.cvResults[1].mean_test_score = null;
    payload.cvResults[1].split0_test_score = null;
    const html = gridReportHtml(validateGridPayload(payload) as never); // was: mean_test_score must be a number
    expect(html).toMatch(/n\/a/);
    expect(html).not.toMatch(/NaN/);
    expect(() => validateGridPayload({ cvResults: [{ mean_test_score: '0.5' }] })).toThrow(/must be a number \(or null/);
  });

  test('chart sizes are checked: parcoords height, history chart width/height', () => {
    const rows = makeGridPayload(3, 2).cvResults;
    expect(() => buildParcoords(rows, { height: NaN })).toThrow(RangeError);
    expect(() => buildParcoords(rows, { height: '400' as never })).toThrow(TypeError);
    const h = makeHistory(3, 1) as never;
    expect(() => lossChartSvg(h, { width: 0 })).toThrow(/width/);
    expect(() => accuracyChartSvg(h, { height: NaN })).toThrow(/height/);
    expect(() => lossChartSvg(h, { width: '1" onload="x' as never })).toThrow(TypeError);
  });
});
