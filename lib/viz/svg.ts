/**
 * A small SVG chart module: linear scales, "nice" ticks, line paths, axes, legend. Strings in, an SVG
 * string out, no DOM and no dependencies, so the same charts are written by the CLI, inlined in the HTML
 * reports and rasterized to PNG/GIF (./raster).
 *
 * Every element a test or a script may want to find carries a class: `title`, `axis x-axis` / `axis y-axis`,
 * `tick` (with data-value), `axis-label`, `line` (one path per series, data-series / data-label),
 * `marker`, `legend`, `legend-item`.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for SVG/HTML text content and attribute values. Characters XML 1.0 forbids even as references
 * (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD, so the document stays well-formed.
 */
export function esc(s: unknown): string {
  return String(s)
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * A chart size option (width, height) or a stroke width: a finite number in [min, max], else a TypeError
 * (not a number) or a RangeError naming the option. Undefined passes (the caller's default applies).
 */
export function checkSize(v: unknown, name: string, min = 1, max = 1e5): void {
  if (v === undefined) return;
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number, got ${typeof v}`);
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new RangeError(`${name} must be a number in [${min}, ${max}], got ${v}`);
  }
}

/** An animation's seconds per frame: a finite number in [0.01, 60] (undefined passes). */
export function checkFrameSeconds(v: unknown, name = 'frameSeconds'): void {
  checkSize(v, name, 0.01, 60);
}

export const FONT_FAMILY = "'DejaVu Sans', Verdana, Helvetica, Arial, sans-serif";

/** Colour-blind-safe palette (Okabe & Ito), in legend order. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

export interface Scale {
  (v: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  invert(p: number): number;
}

/**
 * Maps [d0, d1] linearly onto [r0, r1]; a degenerate domain (equal ends, a span that underflows, a non-finite
 * end) maps everything to the middle of the range. Works on halves, so that d1 - d0 may exceed Number.MAX_VALUE
 * (halving is exact: the result is the same as with whole values).
 */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const half = d1 / 2 - d0 / 2;
  const k = half !== 0 && Number.isFinite(half) ? (r1 - r0) / half : 0;
  const f = ((v: number) => (k === 0 ? (r0 + r1) / 2 : r0 + (v / 2 - d0 / 2) * k)) as Scale;
  Object.defineProperties(f, {
    domain: { value: [d0, d1] as const },
    range: { value: [r0, r1] as const },
    invert: { value: (p: number) => (k === 0 ? d0 / 2 + d1 / 2 : d0 + (2 * (p - r0)) / k) },
  });
  return f;
}

/** The tick step for about `count` intervals over `span`: 1, 2 or 5 times a power of ten. */
export function niceStep(span: number, count = 6): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  // Floor the raw step at a normal number: a subnormal one (or 0, after underflow) has no power of ten to round to.
  const raw = Math.max(span / Math.max(1, count), 1e-300);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  return (f >= 7.5 ? 10 : f >= 3.5 ? 5 : f >= 1.5 ? 2 : 1) * mag;
}

/** Number of decimals that shows every multiple of `step` exactly (0.25 -> 2, 5 -> 0); at most 100. */
export function stepDecimals(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  for (let d = 0; d < 100; d++) {
    const m = step * Math.pow(10, d);
    if (Math.round(m) >= 1 && Math.abs(m - Math.round(m)) < 1e-9 * m) return d;
  }
  return 100;
}

function roundTo(v: number, decimals: number): number {
  // toFixed rounds to at most 100 decimals and not at all from 1e21 up: there, 15 significant digits drop the
  // float noise of i * step instead (ticks of 1e-120 would round to 0, of 1e300 print as 3.0000000000000004e300).
  const r = decimals < 100 && Math.abs(v) < 1e21 ? Number(v.toFixed(decimals)) : Number(v.toPrecision(15));
  return r === 0 ? 0 : r; // no -0 ticks
}

/**
 * Whether [lo, hi] is too narrow for ticks of its own: equal ends, a span lost in the rounding of the ends
 * (relative 1e-12 or less), or a span so small that its step would underflow.
 */
export function isDegenerate(lo: number, hi: number): boolean {
  const span = hi - lo;
  return !(span > 1e-12 * Math.max(Math.abs(lo), Math.abs(hi))) || span < 1e-290;
}

/** niceStep(hi - lo), also when hi - lo overflows (the step of the half span over half the intervals). */
function stepOf(lo: number, hi: number, count: number): number {
  const span = hi - lo;
  return Number.isFinite(span) ? niceStep(span, count) : niceStep(hi / 2 - lo / 2, count / 2);
}

/**
 * Extends [lo, hi] outwards to multiples of a nice step. A degenerate or empty interval (see isDegenerate)
 * is widened first (by 1 around 0, else by 10% of its middle), so the result always has lo < hi.
 */
export function niceDomain(lo: number, hi: number, count = 6): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (isDegenerate(lo, hi)) {
    const mid = lo / 2 + hi / 2;
    const pad = Math.abs(mid) < 1e-290 ? 1 : Math.abs(mid) * 0.1;
    lo = mid - pad;
    hi = mid + pad;
  }
  // Widening can change the step (span 5 -> 5.5 turns step 0.5 into 1), so repeat until it settles.
  let step = stepOf(lo, hi, count);
  for (let i = 0; i < 10; i++) {
    const d = stepDecimals(step);
    // Near Number.MAX_VALUE the next multiple of the step can overflow: the end itself stays then.
    lo = Math.max(-Number.MAX_VALUE, roundTo(Math.floor(lo / step + 1e-9) * step, d));
    hi = Math.min(Number.MAX_VALUE, roundTo(Math.ceil(hi / step - 1e-9) * step, d));
    const next = stepOf(lo, hi, count);
    if (next <= step) break;
    step = next;
  }
  return [lo, hi];
}

/**
 * Tick values: the multiples of a nice step inside [lo, hi], rounded so that they print exactly. A degenerate
 * interval (see isDegenerate) has one tick, its middle.
 */
export function ticks(lo: number, hi: number, count = 6, options: { integer?: boolean } = {}): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) return [];
  if (isDegenerate(lo, hi)) return [lo / 2 + hi / 2];
  let step = stepOf(lo, hi, count);
  if (options.integer && step < 1) step = 1;
  const d = stepDecimals(step);
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  for (let i = first; i <= last && out.length < 1000; i++) out.push(roundTo(i * step, d));
  return out;
}

const MINUS = '\u2212';

/** Formats a tick: fixed decimals taken from the tick spacing, a typographic minus, exponent form when huge/tiny. */
export function formatTick(v: number, values: readonly number[] = [v]): string {
  if (!Number.isFinite(v)) return String(v);
  const step = values.length > 1 ? Math.abs(values[1] - values[0]) : 0;
  const maxAbs = Math.max(...values.map((t) => Math.abs(t)));
  let s: string;
  if (maxAbs !== 0 && (maxAbs >= 1e6 || maxAbs < 1e-4)) s = v === 0 ? '0' : v.toExponential(Math.max(0, Math.min(6, stepDecimals(step / Math.pow(10, Math.floor(Math.log10(maxAbs)))))));
  else s = step > 0 ? v.toFixed(stepDecimals(step)) : String(roundTo(v, 6));
  return s.replace(/^-/, MINUS);
}

/** Compact number for labels and tables: up to `digits` significant digits, no trailing zeros. */
export function formatNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

/** Rounds a pixel coordinate to 2 decimals (enough for any display, keeps files small). */
export function px(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(r === 0 ? 0 : r);
}

/** A time or fraction with up to 6 decimals (animation key times and durations). */
function fixed6(v: number): string {
  return String(Number(v.toFixed(6)));
}

/**
 * An SVG path through the points (x[i], y[i]) in pixel space; non-finite points break the line (each run
 * of finite points starts with M). With `tolerance` > 0 (pixels), points that lie within that distance of
 * the simplified line are dropped (Ramer-Douglas-Peucker), which keeps animations small.
 */
export function linePath(x: ArrayLike<number>, y: ArrayLike<number>, sx: Scale, sy: Scale, tolerance = 0): string {
  const parts: string[] = [];
  let run: Array<[number, number]> = [];
  const flush = (): void => {
    const pts = tolerance > 0 ? simplify(run, tolerance) : run;
    // a lone finite point: a short dash around it (a bare M draws nothing)
    if (pts.length === 1) parts.push(`M${px(pts[0][0] - 1.5)},${px(pts[0][1])}L${px(pts[0][0] + 1.5)},${px(pts[0][1])}`);
    else pts.forEach(([a, b], i) => parts.push(`${i === 0 ? 'M' : 'L'}${px(a)},${px(b)}`));
    run = [];
  };
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const xv = x[i];
    const yv = y[i];
    if (!Number.isFinite(xv) || !Number.isFinite(yv)) {
      flush();
      continue;
    }
    // Clamp far outside values so that the clip path, not the number range, cuts the line.
    run.push([sx(xv), Math.max(-1e5, Math.min(1e5, sy(yv)))]);
  }
  flush();
  return parts.join('');
}

/** Ramer-Douglas-Peucker: the subset of points within `tol` of the original polyline (ends kept). */
export function simplify(pts: Array<[number, number]>, tol: number): Array<[number, number]> {
  if (pts.length < 3) return pts;
  const keep = new Uint8Array(pts.length);
  keep[0] = keep[pts.length - 1] = 1;
  const stack: Array<[number, number]> = [[0, pts.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    const [ax, ay] = pts[a];
    const [bx, by] = pts[b];
    const dx = bx - ax;
    const dy = by - ay;
    const len = Math.hypot(dx, dy) || 1;
    let far = -1;
    let farD = tol;
    for (let i = a + 1; i < b; i++) {
      const d = Math.abs(dy * (pts[i][0] - ax) - dx * (pts[i][1] - ay)) / len;
      if (d > farD) {
        farD = d;
        far = i;
      }
    }
    if (far >= 0) {
      keep[far] = 1;
      stack.push([a, far], [far, b]);
    }
  }
  return pts.filter((_, i) => keep[i]);
}

/** Parses a path written by linePath back into pixel points (runs concatenated). */
export function parsePath(d: string): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  const re = /[ML](-?[\d.]+(?:e-?\d+)?),(-?[\d.]+(?:e-?\d+)?)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(d))) pts.push([Number(m[1]), Number(m[2])]);
  return pts;
}

export interface Series {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  /** stroke-dasharray, e.g. '6 4' for a dashed line. */
  dash?: string;
  width?: number;
  /** Indices of points to mark with a dot (e.g. the best epochs). */
  markers?: readonly number[];
  /** Extra attributes written on the path (data-*), already safe names; values are escaped. */
  attrs?: Record<string, string | number>;
  /** Animation: y values per frame (same x); the path's `d` steps through them (SMIL). */
  frames?: ReadonlyArray<ArrayLike<number>>;
  /** Drop points closer than this many pixels to the drawn line (0: keep every point, the default). */
  simplify?: number;
}

export interface ChartOptions {
  series: Series[];
  width?: number;
  height?: number;
  title?: string;
  subtitle?: string;
  xLabel?: string;
  yLabel?: string;
  /** Fixed domains; by default the data's extent, extended to nice ticks. */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Integer ticks only (epochs). */
  xInteger?: boolean;
  /** Draw the x = 0 and y = 0 lines when inside the plot. Default true. */
  zeroLines?: boolean;
  /** Legend position; 'auto' picks the corner with the fewest data points. Default 'auto'. */
  legend?: 'auto' | 'none' | 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
  /** Unique prefix for ids (clip path) when several charts share one HTML page. */
  idPrefix?: string;
  /** Animation: seconds per frame and one label per frame (e.g. 'β = 0.5'), shown in the plot's top right. */
  frameSeconds?: number;
  frameLabels?: readonly string[];
  /** A static label in the same place (a single frame of an animation). */
  cornerLabel?: string;
  background?: string;
}

/** Approximate advance width of text in the chart font (DejaVu Sans averages ~0.6 em). */
export function textWidth(s: string, fontSize: number): number {
  return s.length * fontSize * 0.6;
}

function extent(series: Series[], key: 'x' | 'y'): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const scan = (a: ArrayLike<number>): void => {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  };
  for (const s of series) {
    scan(s[key]);
    if (key === 'y') for (const f of s.frames ?? []) scan(f);
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** Length of the segment (x0,y0)-(x1,y1) inside the box [bx0,bx1]x[by0,by1] (Liang-Barsky clipping). */
export function segmentInBox(x0: number, y0: number, x1: number, y1: number, bx0: number, by0: number, bx1: number, by1: number): number {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return 0;
  const dx = x1 - x0;
  const dy = y1 - y0;
  let t0 = 0;
  let t1 = 1;
  const edges: Array<[number, number]> = [
    [-dx, x0 - bx0],
    [dx, bx1 - x0],
    [-dy, y0 - by0],
    [dy, by1 - y0],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return 0;
    } else {
      const t = q / p;
      if (p < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
      if (t0 > t1) return 0;
    }
  }
  return (t1 - t0) * Math.hypot(dx, dy);
}

/** Margins of the plot area inside the chart. */
export interface Layout {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Draws a line chart. Returns a complete, standalone SVG document string. */
export function lineChart(o: ChartOptions): string {
  checkSize(o.width, 'width');
  checkSize(o.height, 'height');
  o.series.forEach((s, i) => checkSize(s.width, `series[${i}].width`, 0.01, 100));
  checkFrameSeconds(o.frameSeconds);
  const width = o.width ?? 720;
  const height = o.height ?? 450;
  const id = (o.idPrefix ?? 'chart').replace(/[^\w-]/g, '_');
  const fs = 12;
  const [xd0, xd1] = o.xDomain ?? extent(o.series, 'x');
  const [yr0, yr1] = o.yDomain ?? niceDomain(...extent(o.series, 'y'), 6);
  const xDomain: [number, number] = isDegenerate(xd0, xd1) ? niceDomain(xd0, xd1) : [xd0, xd1];
  const yDomain: [number, number] = isDegenerate(yr0, yr1) ? niceDomain(yr0, yr1) : [yr0, yr1];
  const yt = ticks(yDomain[0], yDomain[1], Math.max(2, Math.round(height / 60)));
  const yLabels = yt.map((v) => formatTick(v, yt));
  const left = 14 + Math.max(...yLabels.map((s) => textWidth(s, fs)), 10) + (o.yLabel ? 22 : 0);
  // x ticks: about one per 90 px, fewer while the widest label and a gap do not fit between two ticks (long
  // labels such as 1000.0001 overlapped)
  let xt: number[] = [];
  let xLabels: string[] = [];
  let right = 16;
  for (let count = Math.max(2, Math.round(width / 90)); ; count = Math.max(2, Math.floor(count * 0.75))) {
    xt = ticks(xDomain[0], xDomain[1], count, { integer: o.xInteger });
    xLabels = xt.map((v) => formatTick(v, xt));
    right = 16 + Math.max(0, textWidth(xLabels[xLabels.length - 1] ?? '', fs) / 2 - 8);
    const spacing = (width - left - right) / Math.max(1, xt.length - 1);
    if (count === 2 || Math.max(...xLabels.map((t) => textWidth(t, fs))) + 8 <= spacing) break;
  }
  const titleH = o.title ? (o.subtitle ? 48 : 34) : 12;
  const L: Layout = { width, height, top: titleH, right, bottom: o.xLabel ? 50 : 30, left };
  // the margins must leave a plot area: a small height drew the y axis upside down (a negative clip rect)
  const minArea = 20;
  if (width - L.left - L.right < minArea) {
    throw new RangeError(
      `width ${width} leaves no room for the plot area (the axis labels take ${Math.ceil(L.left + L.right)} px): ` +
        `give at least ${Math.ceil(L.left + L.right + minArea)}`,
    );
  }
  if (height - L.top - L.bottom < minArea) {
    throw new RangeError(
      `height ${height} leaves no room for the plot area (the title and axis labels take ${L.top + L.bottom} px): ` +
        `give at least ${L.top + L.bottom + minArea}`,
    );
  }
  const x0 = L.left;
  const x1 = width - L.right;
  const y0 = height - L.bottom;
  const y1 = L.top;
  const sx = linearScale(xDomain, [x0, x1]);
  const sy = linearScale(yDomain, [y0, y1]);
  const out: string[] = [];
  const label = o.title ? o.title + (o.subtitle ? ` — ${o.subtitle}` : '') : 'chart';
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${esc(FONT_FAMILY)}" font-size="${fs}" role="img" aria-label="${esc(label)}">`,
    `<title>${esc(label)}</title>`,
    `<defs><clipPath id="${id}-clip"><rect x="${px(x0)}" y="${px(y1)}" width="${px(x1 - x0)}" height="${px(y0 - y1)}"/></clipPath></defs>`,
    `<rect class="background" width="${width}" height="${height}" fill="${esc(o.background ?? '#ffffff')}"/>`,
  );
  if (o.title) {
    out.push(`<text class="title" x="${px(width / 2)}" y="22" text-anchor="middle" font-size="16" font-weight="bold" fill="#222">${esc(o.title)}</text>`);
    if (o.subtitle) out.push(`<text class="subtitle" x="${px(width / 2)}" y="40" text-anchor="middle" fill="#555">${esc(o.subtitle)}</text>`);
  }
  // Grid and zero lines.
  out.push('<g class="grid" stroke="#e6e6e6" stroke-width="1">');
  for (const v of xt) out.push(`<line x1="${px(sx(v))}" x2="${px(sx(v))}" y1="${px(y1)}" y2="${px(y0)}"/>`);
  for (const v of yt) out.push(`<line x1="${px(x0)}" x2="${px(x1)}" y1="${px(sy(v))}" y2="${px(sy(v))}"/>`);
  out.push('</g>');
  if (o.zeroLines ?? true) {
    out.push('<g class="zero-lines" stroke="#999" stroke-width="1">');
    if (xDomain[0] < 0 && xDomain[1] > 0) out.push(`<line x1="${px(sx(0))}" x2="${px(sx(0))}" y1="${px(y1)}" y2="${px(y0)}"/>`);
    if (yDomain[0] < 0 && yDomain[1] > 0) out.push(`<line x1="${px(x0)}" x2="${px(x1)}" y1="${px(sy(0))}" y2="${px(sy(0))}"/>`);
    out.push('</g>');
  }
  // Axes: frame lines, ticks, tick labels, axis labels.
  out.push(`<g class="axis x-axis" fill="#333">`, `<line class="domain" x1="${px(x0)}" x2="${px(x1)}" y1="${px(y0)}" y2="${px(y0)}" stroke="#333"/>`);
  xt.forEach((v, i) => {
    out.push(
      `<g class="tick" data-value="${v}"><line x1="${px(sx(v))}" x2="${px(sx(v))}" y1="${px(y0)}" y2="${px(y0 + 5)}" stroke="#333"/>` +
        `<text x="${px(sx(v))}" y="${px(y0 + 18)}" text-anchor="middle">${esc(xLabels[i])}</text></g>`,
    );
  });
  if (o.xLabel) out.push(`<text class="axis-label" x="${px((x0 + x1) / 2)}" y="${px(height - 10)}" text-anchor="middle" font-size="13">${esc(o.xLabel)}</text>`);
  out.push('</g>');
  out.push(`<g class="axis y-axis" fill="#333">`, `<line class="domain" x1="${px(x0)}" x2="${px(x0)}" y1="${px(y0)}" y2="${px(y1)}" stroke="#333"/>`);
  yt.forEach((v, i) => {
    out.push(
      `<g class="tick" data-value="${v}"><line x1="${px(x0 - 5)}" x2="${px(x0)}" y1="${px(sy(v))}" y2="${px(sy(v))}" stroke="#333"/>` +
        `<text x="${px(x0 - 8)}" y="${px(sy(v) + 4)}" text-anchor="end">${esc(yLabels[i])}</text></g>`,
    );
  });
  if (o.yLabel) {
    const cy = (y0 + y1) / 2;
    out.push(`<text class="axis-label" x="16" y="${px(cy)}" text-anchor="middle" font-size="13" transform="rotate(-90 16 ${px(cy)})">${esc(o.yLabel)}</text>`);
  }
  out.push('</g>');
  // Series.
  const nFrames = Math.max(0, ...o.series.map((s) => s.frames?.length ?? 0));
  // Six decimals: 0.01 (px) merged the key times of neighbouring frames from 100 frames on (up to 998 here).
  const dur = fixed6((o.frameSeconds ?? 0.15) * nFrames);
  const keyTimes = nFrames > 1 ? Array.from({ length: nFrames }, (_, i) => fixed6(i / nFrames)).join(';') : '';
  out.push(`<g class="series" clip-path="url(#${id}-clip)" fill="none" stroke-linejoin="round" stroke-linecap="round">`);
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const attrs = Object.entries(s.attrs ?? {})
      .map(([k, v]) => ` ${k}="${esc(v)}"`)
      .join('');
    const dash = s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : '';
    const d = linePath(s.x, s.y, sx, sy, s.simplify ?? 0);
    if (s.frames && s.frames.length > 1) {
      const values = s.frames.map((f) => linePath(s.x, f, sx, sy, s.simplify ?? 0)).join(';');
      out.push(
        `<path class="line" data-series="${i}" data-label="${esc(s.label)}"${attrs} d="${d}" stroke="${esc(color)}" stroke-width="${s.width ?? 2}"${dash}>` +
          `<animate attributeName="d" values="${values}" keyTimes="${keyTimes}" dur="${dur}s" calcMode="discrete" repeatCount="indefinite"/></path>`,
      );
    } else {
      out.push(`<path class="line" data-series="${i}" data-label="${esc(s.label)}"${attrs} d="${d}" stroke="${esc(color)}" stroke-width="${s.width ?? 2}"${dash}/>`);
    }
    for (const m of s.markers ?? []) {
      const xv = s.x[m];
      const yv = s.y[m];
      if (Number.isFinite(xv) && Number.isFinite(yv))
        out.push(`<circle class="marker" data-series="${i}" data-index="${m}" cx="${px(sx(xv))}" cy="${px(sy(yv))}" r="4" fill="${esc(color)}" stroke="#fff" stroke-width="1"/>`);
    }
  });
  out.push('</g>');
  // Corner label (animation frame value), top right inside the plot.
  const cornerX = x1 - 10;
  const cornerY = y1 + 22;
  if (o.frameLabels && o.frameLabels.length > 1) {
    const n = o.frameLabels.length;
    out.push('<g class="frame-labels" font-size="15" font-weight="bold" fill="#222" text-anchor="end">');
    o.frameLabels.forEach((t, i) => {
      const vis = Array.from({ length: n }, (_, j) => (j === i ? 'visible' : 'hidden')).join(';');
      out.push(
        `<text class="frame-label" x="${px(cornerX)}" y="${px(cornerY)}" visibility="${i === 0 ? 'visible' : 'hidden'}">${esc(t)}` +
          `<animate attributeName="visibility" values="${vis}" keyTimes="${keyTimes}" dur="${dur}s" calcMode="discrete" repeatCount="indefinite"/></text>`,
      );
    });
    out.push('</g>');
  } else if (o.cornerLabel) {
    out.push(`<text class="corner-label" x="${px(cornerX)}" y="${px(cornerY)}" font-size="15" font-weight="bold" fill="#222" text-anchor="end">${esc(o.cornerLabel)}</text>`);
  }
  // Legend.
  const legendPos = o.legend ?? 'auto';
  if (legendPos !== 'none' && o.series.length > 0) {
    const rowH = 18;
    const lw = 44 + Math.max(...o.series.map((s) => textWidth(s.label, fs)));
    const lh = o.series.length * rowH + 10;
    const corners = {
      'top-left': [x0 + 10, y1 + 10],
      'top-right': [x1 - 10 - lw, y1 + 10 + (o.frameLabels || o.cornerLabel ? 24 : 0)],
      'bottom-left': [x0 + 10, y0 - 10 - lh],
      'bottom-right': [x1 - 10 - lw, y0 - 10 - lh],
    } as const;
    let pos: keyof typeof corners = legendPos === 'auto' ? 'top-left' : legendPos;
    if (legendPos === 'auto') {
      // The corner whose box the lines cross least wins (length of line inside); ties keep top-left.
      let best = Infinity;
      for (const k of Object.keys(corners) as Array<keyof typeof corners>) {
        const [lx, ly] = corners[k];
        let inside = 0;
        for (const s of o.series)
          for (const yy of [s.y, ...(s.frames ?? [])])
            for (let i = 1; i < Math.min(s.x.length, yy.length); i++)
              inside += segmentInBox(sx(s.x[i - 1]), sy(yy[i - 1]), sx(s.x[i]), sy(yy[i]), lx, ly, lx + lw, ly + lh);
        if (inside < best - 1e-9) {
          best = inside;
          pos = k;
        }
      }
    }
    const [lx, ly] = corners[pos];
    out.push(
      `<g class="legend" data-position="${pos}" transform="translate(${px(lx)},${px(ly)})">`,
      `<rect width="${px(lw)}" height="${px(lh)}" rx="4" fill="#ffffff" fill-opacity="0.88" stroke="#cccccc"/>`,
    );
    o.series.forEach((s, i) => {
      const color = s.color ?? PALETTE[i % PALETTE.length];
      const cy = 5 + rowH * i + rowH / 2;
      out.push(
        `<g class="legend-item" data-series="${i}"><line x1="8" x2="34" y1="${px(cy)}" y2="${px(cy)}" stroke="${esc(color)}" stroke-width="${s.width ?? 2}"` +
          `${s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : ''}/><text x="40" y="${px(cy + 4)}" fill="#222">${esc(s.label)}</text></g>`,
      );
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
