/**
 * Activation plots: f(x) and f'(x) on one chart (one curve pair per parameter value), animated sweeps over
 * a parameter (the classic swish-β animation), and a gallery of every registered activation. The data
 * always comes from visualizeActivation, so the pictures show exactly what the kernels compute.
 */
import * as fs from 'fs';
import * as path from 'path';
import { visualizeActivation } from './visualize';
import { checkFrameSeconds, checkSize, esc, formatNumber, lineChart, niceDomain, PALETTE, Series } from './svg';
import { findActivation, formatParams, formatValue, listActivations, paramSymbol } from './registry';
import { svgFramesToGif, svgToPng } from './raster';
import { checkOutputFile, isDirectory, writeFileAtomic } from '../util/files';
import { withContext } from '../util/errors';

export type ParamValue = number | string | boolean;
export type ActivationSpec = string | ({ name: string } & Record<string, unknown>);

export interface CurveOptions {
  /** Interval and number of points, as visualizeActivation (linspace, inclusive). */
  start?: number;
  end?: number;
  points?: number;
  /** Fixed parameters for every curve, e.g. { threshold: 10 }. */
  params?: Record<string, unknown>;
  /** One curve pair per combination of these values, e.g. { beta: [0.5, 1, 2] }. */
  sweep?: Record<string, readonly ParamValue[]>;
}

export interface ActivationCurve {
  name: string;
  /** The parameters this curve was computed with (fixed + swept ones). */
  params: Record<string, unknown>;
  /** Only the swept parameters (what tells the curves apart). */
  swept: Record<string, ParamValue>;
  x: number[];
  y: number[];
  yp: number[];
}

export interface PlotOptions extends CurveOptions {
  width?: number;
  height?: number;
  title?: string;
  /** Plot f'(x) too. Default true. */
  derivative?: boolean;
  idPrefix?: string;
}

/** Largest number of curve pairs on one chart: past that the legend and colours stop being readable. */
export const MAX_CURVES = 8;

function splitSpec(spec: ActivationSpec): { name: string; params: Record<string, unknown> } {
  if (typeof spec === 'string') {
    if (spec.trim() === '') throw new TypeError('activation must be a non-empty name');
    return { name: spec, params: {} };
  }
  if (spec && typeof spec === 'object' && typeof spec.name === 'string' && spec.name !== '') {
    const { name, ...params } = spec;
    checkParamNames(params, 'activation spec');
    return { name, params };
  }
  throw new TypeError("activation must be a name or a spec object with a 'name', e.g. { name: 'swish', beta: 1.5 }");
}

function checkRange(o: CurveOptions): void {
  for (const k of ['start', 'end'] as const)
    if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k]))) throw new RangeError(`${k} must be a finite number, got ${String(o[k])}`);
  // Against the defaults too: { start: 10 } alone is an empty interval [10, 10], { start: 20 } a reversed one.
  const start = o.start ?? -10;
  const end = o.end ?? 10;
  if (!(end > start)) {
    const given = o.start === undefined || o.end === undefined ? ' (the default start is -10, end 10)' : '';
    throw new RangeError(`end (${end}) must be greater than start (${start})${given}`);
  }
  if (o.points !== undefined && (!Number.isInteger(o.points) || o.points < 2 || o.points > 1e6))
    throw new RangeError(`points must be an integer in [2, 1000000], got ${String(o.points)}`);
}

/** visualizeActivation's own options: as activation parameters they would override the range or write a file. */
const RESERVED = ['start', 'end', 'points', 'dtype', 'savePath'];

function checkParamNames(params: Record<string, unknown> | undefined, where: string): void {
  for (const k of Object.keys(params ?? {}))
    if (RESERVED.includes(k)) throw new RangeError(`${where}: '${k}' is a plot option, not an activation parameter`);
}

/** Chart sizes, checked before any curve is computed. */
function checkChartSize(o: { width?: unknown; height?: unknown }): void {
  checkSize(o.width, 'width');
  checkSize(o.height, 'height');
}

/** All combinations of the swept values, in order (the first parameter varies slowest). */
export function sweepCombinations(sweep: Record<string, readonly ParamValue[]> = {}): Array<Record<string, ParamValue>> {
  let combos: Array<Record<string, ParamValue>> = [{}];
  for (const [k, values] of Object.entries(sweep)) {
    if (!Array.isArray(values) || values.length === 0) throw new RangeError(`sweep.${k} must be a non-empty array of values`);
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  }
  return combos;
}

/** Computes f and f' for each parameter combination through visualizeActivation. */
export function activationCurves(spec: ActivationSpec, options: CurveOptions = {}): ActivationCurve[] {
  const { name, params: specParams } = splitSpec(spec);
  checkRange(options);
  checkParamNames(options.params, 'params');
  checkParamNames(options.sweep, 'sweep');
  const combos = sweepCombinations(options.sweep);
  if (combos.length > MAX_CURVES) throw new RangeError(`at most ${MAX_CURVES} parameter combinations fit on one chart, got ${combos.length}`);
  return combos.map((swept) => {
    const params = { ...specParams, ...(options.params ?? {}), ...swept };
    const r = visualizeActivation(name, { ...params, start: options.start, end: options.end, points: options.points });
    return { name, params, swept, x: Array.from(r.x), y: Array.from(r.y), yp: Array.from(r.yp) };
  });
}

/** Default parameters from the registry, when the name is registered (used for titles). */
function defaultsOf(name: string): Record<string, unknown> {
  const info = findActivation(name);
  const out: Record<string, unknown> = {};
  for (const p of info?.params ?? []) out[p.name] = p.default;
  return out;
}

/** Title such as 'swish (β=1.5) and its derivative'. Shows the fixed parameters, not the swept ones. */
function titleFor(name: string, curves: ActivationCurve[], derivative: boolean): string {
  const sweptKeys = new Set(curves.flatMap((c) => Object.keys(c.swept)));
  const shown: Record<string, unknown> = {};
  const fixed = { ...defaultsOf(name), ...(curves[0]?.params ?? {}) };
  // Numbers and choices shape the curve; flags such as swish's `learnable` do not, so they stay out.
  for (const [k, v] of Object.entries(fixed)) if (!sweptKeys.has(k) && (typeof v === 'number' || typeof v === 'string')) shown[k] = v;
  const p = Object.keys(shown).length ? ` (${formatParams(shown)})` : '';
  return `${name}${p}${derivative ? ' and its derivative' : ''}`;
}

function seriesFor(curves: ActivationCurve[], derivative: boolean): Series[] {
  const single = curves.length === 1;
  const series: Series[] = [];
  curves.forEach((c, i) => {
    const tag = Object.keys(c.swept).length ? `, ${formatParams(c.swept)}` : '';
    const color = single ? PALETTE[0] : PALETTE[i % PALETTE.length];
    const attrs = { 'data-curve': i, 'data-params': JSON.stringify(c.params) };
    series.push({ label: `${c.name}(x)${tag}`, x: c.x, y: c.y, color, width: 2.25, attrs: { ...attrs, 'data-kind': 'f' } });
    if (derivative)
      series.push({
        label: `${c.name}′(x)${tag}`,
        x: c.x,
        y: c.yp,
        color: single ? PALETTE[1] : color,
        dash: '7 4',
        width: 2,
        attrs: { ...attrs, 'data-kind': 'df' },
      });
  });
  return series;
}

/** f and f' of one activation (one curve pair per swept value) as an SVG chart, with the data behind it. */
export function activationPlot(spec: ActivationSpec, options: PlotOptions = {}): { svg: string; curves: ActivationCurve[] } {
  checkChartSize(options);
  const curves = activationCurves(spec, options);
  const derivative = options.derivative ?? true;
  const svg = lineChart({
    series: seriesFor(curves, derivative),
    width: options.width,
    height: options.height,
    title: options.title ?? titleFor(curves[0].name, curves, derivative),
    xLabel: 'x',
    yLabel: derivative ? "f(x), f′(x)" : 'f(x)',
    idPrefix: options.idPrefix ?? `act-${curves[0].name}`,
  });
  return { svg, curves };
}

/** Convenience: just the SVG string. */
export function activationPlotSvg(spec: ActivationSpec, options: PlotOptions = {}): string {
  return activationPlot(spec, options).svg;
}

export interface AnimationOptions extends Omit<PlotOptions, 'sweep'> {
  /** The parameter to sweep; default the activation's first numeric parameter. */
  param?: string;
  /** Its values, one frame each; default 20 steps from 0.1x to 2x its default (β: 0.1 … 2). */
  values?: readonly number[];
  /** Seconds per frame. Default 0.15. */
  frameSeconds?: number;
  /** Play forwards then backwards. Default true. */
  pingPong?: boolean;
}

export interface Animation {
  param: string;
  values: number[];
  curves: ActivationCurve[];
  /** One animated SVG (SMIL): plays in browsers, shows the first frame elsewhere. */
  svg: string;
  /** One static SVG per frame, all on the same axes (for GIF or a flip book). */
  frames: string[];
  /** The timing the animation was made with: writeAnimation's defaults for a GIF. */
  frameSeconds: number;
  pingPong: boolean;
}

/** The default sweep: 20 values from 0.1·d to 2·d for a parameter whose default is d (β: 0.1, 0.2, … 2). */
export function defaultSweep(name: string, param?: string): { param: string; values: number[] } {
  const info = findActivation(name);
  const numeric = (info?.params ?? []).filter((p) => typeof p.default === 'number' && p.default !== 0 && Number.isFinite(p.default));
  const p = param ? numeric.find((q) => q.name === param) : numeric[0];
  if (!p) {
    const what = param ? `parameter '${param}' of '${name}' has no non-zero numeric default` : `'${name}' has no numeric parameter`;
    throw new RangeError(`${what}; give the values to sweep (values: [...] / --param NAME=v1,v2,...)`);
  }
  const d = p.default as number;
  return { param: p.name, values: Array.from({ length: 20 }, (_, i) => Number((((i + 1) / 10) * d).toPrecision(6))) };
}

/** An animation sweeping one parameter: the curves on fixed axes, one frame per value. */
export function activationAnimation(spec: ActivationSpec, options: AnimationOptions = {}): Animation {
  const { name, params } = splitSpec(spec);
  checkRange(options);
  checkChartSize(options);
  checkFrameSeconds(options.frameSeconds);
  if (options.pingPong !== undefined && typeof options.pingPong !== 'boolean')
    throw new TypeError(`pingPong must be true or false, got ${typeof options.pingPong}`);
  checkParamNames(options.params, 'params');
  if (options.param !== undefined) checkParamNames({ [options.param]: 0 }, 'param');
  let param = options.param;
  let values = options.values ? [...options.values] : undefined;
  if (!param || !values) {
    const d = defaultSweep(name, param);
    param = d.param;
    values = values ?? d.values;
  }
  if (values.length < 2 || values.length > 500) throw new RangeError(`an animation needs 2 to 500 values of ${param}, got ${values.length}`);
  if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw new RangeError(`values of ${param} must be finite numbers`);
  const derivative = options.derivative ?? true;
  const curves = values.map((v) => {
    const p = { ...params, ...(options.params ?? {}), [param!]: v };
    const r = visualizeActivation(name, { ...p, start: options.start, end: options.end, points: options.points });
    return { name, params: p, swept: { [param!]: v }, x: Array.from(r.x), y: Array.from(r.y), yp: Array.from(r.yp) };
  });
  // Fixed axes for all frames: the extent over every frame.
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of curves)
    for (const a of derivative ? [c.y, c.yp] : [c.y])
      for (const v of a)
        if (Number.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
  const yDomain = niceDomain(lo, hi);
  const sym = paramSymbol(param);
  const labels = values.map((v) => `${sym} = ${formatNumber(v, 3)}`);
  const frameSeconds = options.frameSeconds ?? 0.15;
  const pingPong = options.pingPong ?? true;
  const order = values.map((_, i) => i);
  if (pingPong && values.length > 2) for (let i = values.length - 2; i > 0; i--) order.push(i);
  const fixed: Record<string, unknown> = { ...defaultsOf(name), ...params, ...(options.params ?? {}) };
  delete fixed[param];
  const fixedShown = Object.entries(fixed).filter(([, v]) => typeof v === 'number' || typeof v === 'string');
  const title =
    options.title ??
    `${name}${fixedShown.length ? ` (${formatParams(Object.fromEntries(fixedShown))})` : ''} for ${sym} from ${formatValue(values[0])} to ${formatValue(values[values.length - 1])}`;
  const base = {
    width: options.width,
    height: options.height,
    title,
    xLabel: 'x',
    yLabel: derivative ? 'f(x), f′(x)' : 'f(x)',
    yDomain,
    idPrefix: options.idPrefix ?? `anim-${name}`,
  };
  const pair = (c: ActivationCurve): Series[] => {
    const s: Series[] = [{ label: `${name}(x)`, x: c.x, y: c.y, color: PALETTE[0], width: 2.25, attrs: { 'data-kind': 'f' } }];
    if (derivative) s.push({ label: `${name}′(x)`, x: c.x, y: c.yp, color: PALETTE[1], width: 2, dash: '7 4', attrs: { 'data-kind': 'df' } });
    return s;
  };
  // A tenth of a pixel off the exact line is invisible and makes the animated SVG several times smaller.
  const animated = pair(curves[0]).map((s, k) => ({ ...s, simplify: 0.1, frames: order.map((i) => (k === 0 ? curves[i].y : curves[i].yp)) }));
  const frameLabels = order.map((i) => labels[i]);
  const svg = lineChart({ ...base, series: animated, frameSeconds, frameLabels, legend: 'top-left' });
  const frames = curves.map((c, i) => lineChart({ ...base, series: pair(c), cornerLabel: labels[i], legend: 'top-left' }));
  return { param, values, curves, svg, frames, frameSeconds, pingPong };
}

/** Writes an SVG string as .svg, or rasterized as .png (by the file extension). */
export function writeChart(file: string, svg: string, options: { scale?: number } = {}): void {
  checkOutputFile(file, 'file');
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new RangeError(`output file must end in .svg or .png, got '${file}'`);
  const data = ext === '.svg' ? svg : svgToPng(svg, { scale: options.scale });
  writeFileAtomic(file, data);
}

/**
 * Writes an animation as animated .svg or .gif (by the file extension). The GIF's timing is the animation's
 * own (activationAnimation's frameSeconds and pingPong) unless `options` give other values.
 */
export function writeAnimation(
  file: string,
  anim: Animation,
  options: { scale?: number; frameSeconds?: number; pingPong?: boolean } = {},
): void {
  checkOutputFile(file, 'file');
  checkFrameSeconds(options.frameSeconds, 'options.frameSeconds');
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.gif') throw new RangeError(`animation file must end in .svg or .gif, got '${file}'`);
  const frameSeconds = options.frameSeconds ?? anim.frameSeconds ?? 0.15;
  const pingPong = options.pingPong ?? anim.pingPong ?? true;
  const data =
    ext === '.svg'
      ? anim.svg
      : svgFramesToGif(anim.frames, { scale: options.scale, delayMs: Math.round(frameSeconds * 1000), pingPong });
  writeFileAtomic(file, data);
}

export interface GalleryOptions extends Omit<PlotOptions, 'sweep' | 'params' | 'title'> {
  /** 'svg' (default) or 'png' charts. */
  format?: 'svg' | 'png';
  scale?: number;
}

export interface GalleryEntry {
  name: string;
  file: string;
  description: string;
  params: Record<string, unknown>;
}

/**
 * Writes one chart per registered activation (default parameters) into `dir`, plus index.html showing
 * them all with their names, parameters and descriptions. Returns the entries written.
 */
export function writeGallery(dir: string, options: GalleryOptions = {}): GalleryEntry[] {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('dir must be a directory path');
  const format = options.format ?? 'svg';
  if (format !== 'svg' && format !== 'png') throw new RangeError(`format must be 'svg' or 'png', got '${String(format)}'`);
  if (fs.existsSync(dir) && !isDirectory(dir)) throw new RangeError(`dir must name a directory, got '${dir}' (a file)`);
  checkRange(options);
  checkChartSize(options);
  // Every chart is drawn before anything is written: a registered activation that throws stops the gallery
  // with its name, not after half the files (and no index.html).
  const charts = listActivations().map((a) => {
    let svg: string;
    try {
      svg = activationPlot(a.name, { ...options, idPrefix: `g-${a.name}` }).svg;
    } catch (e) {
      throw withContext(e, `gallery: activation '${a.name}' failed`);
    }
    const params = Object.fromEntries(a.params.map((p) => [p.name, p.default]));
    return { svg, entry: { name: a.name, file: `${a.name}.${format}`, description: a.description, params } };
  });
  fs.mkdirSync(dir, { recursive: true });
  for (const c of charts) writeChart(path.join(dir, c.entry.file), c.svg, { scale: options.scale });
  const entries: GalleryEntry[] = charts.map((c) => c.entry);
  writeFileAtomic(path.join(dir, 'index.html'), galleryHtml(entries, options));
  return entries;
}

function galleryHtml(entries: GalleryEntry[], o: CurveOptions): string {
  const range = `x from ${o.start ?? -10} to ${o.end ?? 10}`;
  const cards = entries
    .map((e) => {
      const ps = Object.keys(e.params).length ? formatParams(e.params) : 'no parameters';
      return (
        `<figure class="card" id="${esc(e.name)}"><a href="${esc(encodeURIComponent(e.file))}"><img src="${esc(encodeURIComponent(e.file))}" alt="${esc(e.name)} and its derivative" loading="lazy"></a>` +
        `<figcaption><strong>${esc(e.name)}</strong> <span class="params">${esc(ps)}</span>${e.description ? `<br><span class="desc">${esc(e.description)}</span>` : ''}</figcaption></figure>`
      );
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>swishnet activations</title>
<style>
body{font-family:'DejaVu Sans',Verdana,Helvetica,Arial,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}p.lead{color:#555;margin:0 0 20px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:16px}
.card{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}
.card img{width:100%;height:auto;display:block}
figcaption{font-size:13px;padding:6px 4px 2px}.params{color:#555}.desc{color:#666}
</style></head>
<body>
<h1>swishnet activations</h1>
<p class="lead">${entries.length} registered activations: f(x) (solid) and f′(x) (dashed), ${esc(range)}, default parameters.</p>
<div class="grid">
${cards}
</div>
</body></html>
`;
}
