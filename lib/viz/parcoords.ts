/**
 * Parallel coordinates of grid-search results (as HiPlot shows them): one vertical axis per parameter,
 * split score, mean, std, rank and fit time; one polyline per candidate. Parameters with non-numeric
 * values (activation names, activation specs) get categorical axes. This module lays everything out in
 * TypeScript and writes static SVG; the report's inline script (./parcoords_client) only adds the
 * interaction, reading the layout from the model embedded next to the SVG.
 */
import { checkSize, esc, formatNumber, formatTick, linearScale, niceDomain, px, textWidth, ticks } from './svg';
import { formatParams } from './registry';

export type Cell = number | string | null;

export interface PcColumn {
  key: string;
  /** Short header, e.g. 'activation', 'split 0', 'mean'. */
  label: string;
  kind: 'num' | 'cat';
  /** Drawn as an axis (table-only columns are false). */
  axis: boolean;
}

export interface PcAxis {
  key: string;
  label: string;
  kind: 'num' | 'cat';
  /** Column index in PcModel.columns. */
  column: number;
  x: number;
  /** Numeric axes: the value at the bottom and at the top of the axis (rank runs 1 at the top). */
  domain?: [number, number];
  categories?: string[];
  ticks: Array<{ label: string; y: number }>;
  /** Where missing values are drawn (below the axis), when there are any. */
  nullY?: number;
}

export interface PcRow {
  i: number;
  values: Cell[];
  /** Pixel y of this candidate on each axis (same order as axes). */
  ys: number[];
  color: string;
}

export interface PcModel {
  width: number;
  height: number;
  top: number;
  bottom: number;
  columns: PcColumn[];
  axes: PcAxis[];
  rows: PcRow[];
  colorBy: number;
  colorStops: string[];
  best: number | null;
}

/** Blue (low) to red (high), the colour-blind-friendly ends of ColorBrewer's RdYlBu, without the pale middle. */
export const COLOR_STOPS = ['#313695', '#4575b4', '#74add1', '#f9a85b', '#f46d43', '#d73027'];

/** Interpolates COLOR_STOPS at t in [0, 1] (the client script does the same). */
export function colorAt(t: number, stops: readonly string[] = COLOR_STOPS): string {
  if (!Number.isFinite(t)) return '#999999';
  const c = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(c));
  const f = c - i;
  const rgb = (h: string): number[] => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16));
  const a = rgb(stops[i]);
  const b = rgb(stops[i + 1]);
  return '#' + a.map((v, k) => Math.round(v + (b[k] - v) * f).toString(16).padStart(2, '0')).join('');
}

/** Display text of a parameter value: 'relu', 'leaky_relu(α=0.05)', numbers as numbers. */
export function paramLabel(v: unknown): string {
  if (v === null || v === undefined) return 'n/a';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string') {
    const { name, ...rest } = v as { name: string };
    return Object.keys(rest).length ? `${name}(${formatParams(rest)})` : name;
  }
  return JSON.stringify(v);
}

/** Short column label: param_module__activation -> activation, split0_test_score -> split 0, ... */
export function columnLabel(key: string): string {
  let m: RegExpMatchArray | null;
  if ((m = key.match(/^param_(.*)$/))) return m[1].split('__').pop() || m[1];
  if ((m = key.match(/^split(\d+)_test_score$/))) return `split ${m[1]}`;
  if ((m = key.match(/^split(\d+)_train_score$/))) return `train ${m[1]}`;
  const named: Record<string, string> = {
    mean_test_score: 'mean',
    std_test_score: 'std',
    rank_test_score: 'rank',
    mean_train_score: 'mean train',
    mean_fit_time: 'fit time (s)',
    std_fit_time: 'fit time std',
    mean_score_time: 'score time (s)',
    std_score_time: 'score time std',
  };
  return Object.hasOwn(named, key) ? named[key] : key;
}

/** Which cvResults keys become axes, and which only table columns, in display order. */
export function gridColumns(rows: Array<Record<string, unknown>>): PcColumn[] {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const splitNum = (k: string): number => Number(k.match(/^split(\d+)_/)![1]);
  const params = keys.filter((k) => k.startsWith('param_'));
  const testSplits = keys.filter((k) => /^split\d+_test_score$/.test(k)).sort((a, b) => splitNum(a) - splitNum(b));
  const trainSplits = keys.filter((k) => /^split\d+_train_score$/.test(k)).sort((a, b) => splitNum(a) - splitNum(b));
  const axisKeys = [...params, ...testSplits, ...trainSplits, 'mean_test_score', 'std_test_score', 'rank_test_score', 'mean_fit_time'].filter((k) => keys.includes(k));
  const tableOnly = ['mean_train_score', 'std_fit_time', 'mean_score_time', 'std_score_time'].filter((k) => keys.includes(k));
  // Any other scalar columns (custom scorers) go to the table too.
  for (const k of keys)
    if (k !== 'params' && !axisKeys.includes(k) && !tableOnly.includes(k) && rows.some((r) => typeof r[k] === 'number' || typeof r[k] === 'string')) tableOnly.push(k);
  const kindOf = (k: string): 'num' | 'cat' =>
    rows.every((r) => r[k] === null || r[k] === undefined || (typeof r[k] === 'number' && Number.isFinite(r[k] as number))) && rows.some((r) => typeof r[k] === 'number')
      ? 'num'
      : 'cat';
  return [
    ...axisKeys.map((key) => ({ key, label: columnLabel(key), kind: kindOf(key), axis: true })),
    ...tableOnly.map((key) => ({ key, label: columnLabel(key), kind: kindOf(key), axis: false })),
  ];
}

const FONT = 11;

/** Lays out the parallel-coordinates plot of cvResults rows. */
export function buildParcoords(rows: Array<Record<string, unknown>>, options: { height?: number } = {}): PcModel {
  checkSize(options.height, 'height');
  const columns = gridColumns(rows);
  const values: Cell[][] = rows.map((r) =>
    columns.map((c) => {
      const v = r[c.key];
      if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return null;
      return c.kind === 'num' ? (v as number) : paramLabel(v);
    }),
  );
  const axisCols = columns.map((c, i) => (c.axis ? i : -1)).filter((i) => i >= 0);
  const height = options.height ?? 440;
  const top = 64;
  const bottom = height - 36;
  const axes: PcAxis[] = axisCols.map((ci) => {
    const col = columns[ci];
    const vals = values.map((v) => v[ci]);
    const hasNull = vals.some((v) => v === null);
    const nullY = hasNull ? bottom + 18 : undefined;
    if (col.kind === 'cat') {
      const categories = [...new Set(vals.filter((v): v is string => v !== null).map(String))];
      const n = categories.length;
      const step = (bottom - top) / Math.max(1, n);
      const yOf = (k: number): number => (n === 1 ? (top + bottom) / 2 : top + step * (k + 0.5));
      return { key: col.key, label: col.label, kind: 'cat', column: ci, x: 0, categories, ticks: categories.map((c, k) => ({ label: c, y: yOf(k) })), nullY };
    }
    const nums = vals.filter((v): v is number => typeof v === 'number');
    const lo = nums.length ? Math.min(...nums) : 0;
    const hi = nums.length ? Math.max(...nums) : 1;
    const isRank = col.key.startsWith('rank_');
    // ranks run from 1 to the last one (a nice domain showed a rank 0 and ranks past the last)
    const [d0, d1] = isRank && hi > lo ? [lo, hi] : niceDomain(lo, hi, 5);
    const domain: [number, number] = isRank ? [d1, d0] : [d0, d1]; // rank 1 (best) at the top
    const sy = linearScale(domain, [bottom, top]);
    const tv = ticks(d0, d1, 5, { integer: isRank });
    return { key: col.key, label: col.label, kind: 'num', column: ci, x: 0, domain, ticks: tv.map((t) => ({ label: formatTick(t, tv), y: sy(t) })), nullY };
  });
  // Horizontal layout: tick labels sit left of their axis, titles are centred on it; each gap fits both.
  const tickW = axes.map((ax) => Math.max(textWidth('n/a', FONT), ...ax.ticks.map((t) => textWidth(t.label, FONT))) + 10);
  const titleW = axes.map((ax) => textWidth(ax.label, 12) + 8);
  let x = Math.max(48, tickW[0] + 12, titleW[0] / 2 + 8);
  axes.forEach((ax, a) => {
    if (a > 0) x += Math.max(96, tickW[a] + 30, (titleW[a - 1] + titleW[a]) / 2 + 12);
    ax.x = Math.round(x);
  });
  const width = Math.round(x + Math.max(40, titleW[titleW.length - 1] / 2 + 8));
  const yOn = (axis: PcAxis, v: Cell): number => {
    if (v === null) return axis.nullY ?? bottom;
    if (axis.kind === 'cat') return axis.ticks[axis.categories!.indexOf(String(v))].y;
    return linearScale(axis.domain!, [bottom, top])(v as number);
  };
  const colorBy = Math.max(0, axes.findIndex((a) => a.key === 'mean_test_score'));
  const pcRows: PcRow[] = values.map((v, i) => ({ i, values: v, ys: axes.map((ax) => Math.round(yOn(ax, v[ax.column]) * 100) / 100), color: '#999999' }));
  colorRows(pcRows, axes, colorBy);
  const rankCol = columns.findIndex((c) => c.key === 'rank_test_score');
  const bestRow = rankCol >= 0 ? values.findIndex((v) => v[rankCol] === 1) : -1;
  return { width, height, top, bottom, columns, axes, rows: pcRows, colorBy, colorStops: COLOR_STOPS, best: bestRow >= 0 ? bestRow : null };
}

/**
 * Colours the rows by their height on one axis, from the lowest row (blue) to the highest (red: the best
 * score, rank 1), as the client's 'colour by' does. Missing values are grey.
 */
export function colorRows(rows: PcRow[], axes: PcAxis[], axis: number): void {
  const ax = axes[axis];
  if (!ax) return;
  const present = (y: number): boolean => ax.nullY === undefined || y !== ax.nullY;
  const ys = rows.map((r) => r.ys[axis]).filter(present);
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  for (const r of rows) {
    const y = r.ys[axis];
    r.color = !present(y) ? '#999999' : colorAt(hi > lo ? (hi - y) / (hi - lo) : 1);
  }
}

/** The static SVG of a model: axes (ticks, labels, brush areas) and one polyline per candidate. */
export function parcoordsSvg(m: PcModel, rowLabels: string[]): string {
  const out: string[] = [];
  out.push(
    `<svg id="pc-svg" class="parcoords" xmlns="http://www.w3.org/2000/svg" width="${m.width}" height="${m.height}" viewBox="0 0 ${m.width} ${m.height}" ` +
      `font-family="'DejaVu Sans', Verdana, Helvetica, Arial, sans-serif" font-size="${FONT}" role="img" aria-label="parallel coordinates of the grid-search candidates">`,
  );
  out.push('<g class="pc-lines" fill="none">');
  for (const r of m.rows) {
    const pts = r.ys.map((y, a) => `${px(m.axes[a].x)},${px(y)}`).join(' ');
    out.push(
      `<polyline class="pc-line${m.best === r.i ? ' best' : ''}" data-i="${r.i}" points="${pts}" stroke="${r.color}" stroke-width="2"><title>${esc(rowLabels[r.i])}</title></polyline>`,
    );
  }
  out.push('</g>');
  m.axes.forEach((ax, a) => {
    out.push(`<g class="pc-axis" data-axis="${a}" data-key="${esc(ax.key)}" data-kind="${ax.kind}" transform="translate(${px(ax.x)},0)">`);
    out.push(`<line class="domain" x1="0" x2="0" y1="${px(m.top)}" y2="${px(m.bottom)}" stroke="#333" stroke-width="1.5"/>`);
    for (const t of ax.ticks)
      out.push(`<g class="tick"><line x1="-4" x2="0" y1="${px(t.y)}" y2="${px(t.y)}" stroke="#333"/><text x="-7" y="${px(t.y + 4)}" text-anchor="end">${esc(t.label)}</text></g>`);
    if (ax.nullY !== undefined) out.push(`<g class="tick null"><text x="-7" y="${px(ax.nullY + 4)}" text-anchor="end" fill="#888">n/a</text></g>`);
    out.push(`<text class="pc-axis-label" y="${px(m.top - 30)}" text-anchor="middle" font-size="12" font-weight="bold">${esc(ax.label)}<title>${esc(ax.key)}</title></text>`);
    out.push(`<text class="pc-brush-label" y="${px(m.top - 14)}" text-anchor="middle" font-size="10" fill="#0072B2"></text>`);
    out.push(`<rect class="pc-brush" x="-9" width="18" y="0" height="0" visibility="hidden"/>`);
    const yEnd = ax.nullY !== undefined ? ax.nullY + 8 : m.bottom + 6;
    out.push(`<rect class="pc-brush-area" data-axis="${a}" x="-14" width="28" y="${px(m.top - 6)}" height="${px(yEnd - m.top + 6)}" fill="transparent"><title>drag to filter ${esc(ax.label)}; click to clear</title></rect>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Formats a table cell of a grid-search column. */
export function formatCell(key: string, v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (key.startsWith('rank_')) return String(v);
  if (key.endsWith('_time')) return v.toFixed(3);
  if (key.endsWith('_score')) return v.toFixed(4);
  return formatNumber(v, 6);
}
