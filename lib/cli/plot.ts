/** `swishnet plot`: an activation and its derivative as SVG/PNG, an animated parameter sweep, or a gallery. */
import * as fs from 'fs';
import * as path from 'path';
import { isDirectory, unwritableFolder, writeFileAtomic } from '../util/files';
import { formatHelp, parseArgs, OptionSpec, UsageError } from './args';
import { checkOutputPaths, parseActivation, requireModule } from './train';
import { MAX_RASTER_PIXELS } from '../viz/raster';

export const plotSpecs: OptionSpec[] = [
  { name: 'param', type: 'string', metavar: 'K=V1,V2[;K2=...]', description: 'parameter values: one curve pair per value (or per combination), e.g. beta=0.5,1,2' },
  { name: 'range', type: 'string', default: '-10,10', metavar: 'A,B', description: 'x interval' },
  { name: 'points', type: 'int', default: 501, metavar: 'N', description: 'points in the interval (linspace, ends included)' },
  { name: 'out', type: 'string', metavar: 'FILE|DIR', description: 'output: .svg or .png (.svg or .gif with --animate; a directory with --all) [NAME.svg]' },
  { name: 'json', type: 'string', metavar: 'FILE', description: 'also write the plotted data (x, y, yp) as JSON' },
  { name: 'animate', type: 'boolean', description: 'animate a sweep over one parameter (default: its first, 0.1x to 2x the default)' },
  { name: 'frame-ms', type: 'int', default: 150, metavar: 'MS', description: 'milliseconds per animation frame' },
  { name: 'all', type: 'boolean', description: 'write a gallery: one chart per registered activation plus index.html' },
  { name: 'format', type: 'string', metavar: 'svg|png', description: 'chart format of the --all gallery [svg]' },
  { name: 'derivative', type: 'boolean', default: true, description: "plot f'(x) too (--no-derivative: only f)" },
  { name: 'width', type: 'int', default: 720, metavar: 'PX', description: 'chart width' },
  { name: 'height', type: 'int', default: 450, metavar: 'PX', description: 'chart height' },
  { name: 'scale', type: 'number', default: 1, metavar: 'X', description: 'PNG/GIF zoom (2 = twice the pixels)' },
  { name: 'title', type: 'string', metavar: 'TEXT', description: 'chart title' },
  { name: 'require', type: 'string', metavar: 'MODULE', description: 'load a module first (e.g. one that registers activations)' },
  { name: 'help', type: 'boolean', description: 'show this help' },
];

const USAGE =
  'Usage: swishnet plot NAME[:k=v,...] [--param beta=0.5,1,2] [--range -10,10] [--points 501] [--out file.svg|file.png] [--json data.json]\n' +
  '       swishnet plot NAME --animate [--param beta=0.1,0.2,...] --out file.svg|file.gif\n' +
  '       swishnet plot --all --out DIR [--format svg|png]';

/** Parses "-10,10" into [start, end]. */
export function parseRange(s: string): [number, number] {
  const parts = s.split(',').map((p) => p.trim());
  const nums = parts.map(Number);
  if (parts.length !== 2 || parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n)))
    throw new UsageError(`--range must be two numbers A,B, got '${s}'`);
  if (!(nums[1] > nums[0])) throw new UsageError(`--range: B must be greater than A, got '${s}'`);
  return [nums[0], nums[1]];
}

function parseValue(v: string): number | string | boolean {
  const t = v.trim();
  const n = Number(t);
  if (t !== '' && Number.isFinite(n)) return n;
  if (t === 'true' || t === 'false') return t === 'true';
  return t;
}

/** Parses "beta=0.5,1,2" (several parameters separated by ';') into { beta: [0.5, 1, 2] }. */
export function parseParamSweep(s: string): Record<string, Array<number | string | boolean>> {
  const out: Record<string, Array<number | string | boolean>> = {};
  for (const group of s.split(';').filter((g) => g.trim() !== '')) {
    const eq = group.indexOf('=');
    const key = eq > 0 ? group.slice(0, eq).trim() : '';
    const values = eq > 0 ? group.slice(eq + 1).split(',').filter((v) => v.trim() !== '').map(parseValue) : [];
    if (!key || values.length === 0) throw new UsageError(`--param must look like NAME=V1,V2,... (several separated by ';'), got '${group}'`);
    if (out[key]) throw new UsageError(`--param: '${key}' given twice`);
    out[key] = values;
  }
  if (Object.keys(out).length === 0) throw new UsageError('--param needs NAME=V1,V2,...');
  return out;
}

function positive(o: Record<string, unknown>, k: string, max: number): number {
  const v = o[k] as number;
  if (!(v >= 1) || v > max) throw new UsageError(`--${k} must be between 1 and ${max}, got ${v}`);
  return v;
}

export async function runPlot(argv: string[]): Promise<number> {
  const { options: o, positionals } = parseArgs(argv, plotSpecs);
  if (o.help) {
    process.stdout.write(
      formatHelp(
        USAGE,
        "Plot an activation f(x) and its derivative f'(x) on one chart (SVG or PNG), animate a parameter sweep, or write a gallery of every registered activation.",
        plotSpecs,
      ),
    );
    return 0;
  }
  if (o.require !== undefined) await requireModule(String(o.require));
  const [start, end] = parseRange(String(o.range));
  const points = o.points as number;
  if (points < 2 || points > 100000) throw new UsageError(`--points must be between 2 and 100000, got ${points}`);
  const width = positive(o, 'width', 8000);
  const height = positive(o, 'height', 8000);
  const scale = o.scale as number;
  if (!(scale > 0) || scale > 16) throw new UsageError(`--scale must be in (0, 16], got ${scale}`);
  // The renderer aborts the process when it cannot allocate the image: refuse what would not fit first.
  const pixels = Math.ceil(width * scale) * Math.ceil(height * scale);
  const raster = (file: string): void => {
    if (width * scale < 1 || height * scale < 1) {
      throw new UsageError(
        `--width ${width} x --height ${height} at --scale ${scale} is less than one pixel ` +
          `(${width * scale} x ${height * scale}) for ${file}: use a larger width, height or scale`,
      );
    }
    if (pixels > MAX_RASTER_PIXELS)
      throw new UsageError(
        `--width ${width} x --height ${height} at --scale ${scale} is ${pixels} pixels, ` +
          `more than ${MAX_RASTER_PIXELS} (2^27) for ${file}: use a smaller width, height or scale`,
      );
  };
  const frameMs = o['frame-ms'] as number;
  if (frameMs < 10 || frameMs > 60000) throw new UsageError(`--frame-ms must be between 10 and 60000, got ${frameMs}`);
  const derivative = o.derivative !== false;
  const title = o.title === undefined ? undefined : String(o.title);
  const sweep = o.param === undefined ? undefined : parseParamSweep(String(o.param));
  const viz = await import('../viz/activation_plot');
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      // Bad names/parameters come back from the activation registry as TypeError/RangeError/Error with a
      // message that names the problem (and lists the known names): show it as a usage error.
      if (e instanceof TypeError || e instanceof RangeError || (e instanceof Error && /unknown activation|known/i.test(e.message)))
        throw new UsageError(e.message);
      throw e;
    }
  };

  if (o.all) {
    if (positionals.length) throw new UsageError('--all plots every registered activation: give no NAME');
    if (o.animate) throw new UsageError('--all and --animate cannot be combined');
    // The gallery plots each activation once, with its default parameters and its own title, and writes no data.
    for (const k of ['param', 'json', 'title']) if (o[k] !== undefined) throw new UsageError(`--all takes no --${k}`);
    const format = String(o.format ?? 'svg');
    if (format !== 'svg' && format !== 'png') throw new UsageError(`--format must be svg or png, got '${format}'`);
    const dir = String(o.out ?? 'activations');
    if (/\.(svg|png|gif|html)$/i.test(dir)) throw new UsageError(`--all writes a directory; --out '${dir}' looks like a file`);
    if (fs.existsSync(dir) && !isDirectory(dir)) {
      throw new UsageError(`--all writes a directory; --out '${dir}' is a file`);
    }
    const why = unwritableFolder(path.join(dir, 'index.html'));
    if (why) throw new UsageError(`--out '${dir}' cannot be written: ${why}`);
    if (format === 'png') raster(`--format png`);
    const entries = wrap(() => viz.writeGallery(dir, { start, end, points, width, height, derivative, format, scale }));
    console.log(`wrote ${entries.length} charts and ${path.join(dir, 'index.html')}`);
    return 0;
  }

  if (o.format !== undefined) {
    throw new UsageError('--format is the chart format of the --all gallery; give --out FILE.png instead');
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one activation NAME, got ${positionals.join(' ')}` : 'missing activation NAME (or --all)');
  const spec = parseActivation(positionals[0], 'activation');
  const name = typeof spec === 'string' ? spec : String(spec.name);
  const fixed = typeof spec === 'string' ? {} : (({ name: _n, ...rest }) => rest)(spec as Record<string, unknown>);

  if (o.animate) {
    const out = String(o.out ?? `${name}-animation.svg`);
    if (!/\.(svg|gif)$/i.test(out)) throw new UsageError(`--animate writes .svg or .gif, got --out '${out}'`);
    checkOutputPaths({ out, json: o.json }, ['out', 'json']);
    if (/\.gif$/i.test(out)) raster(out);
    let param: string | undefined;
    let values: number[] | undefined;
    if (sweep) {
      const keys = Object.keys(sweep);
      if (keys.length !== 1) throw new UsageError(`--animate sweeps one parameter; --param names ${keys.join(', ')}`);
      param = keys[0];
      values = sweep[param].map((v) => {
        if (typeof v !== 'number') throw new UsageError(`--param ${param}: animation values must be numbers, got '${v}'`);
        return v;
      });
      if (values.length < 2) throw new UsageError(`--animate needs at least two values of ${param}`);
    }
    const anim = wrap(() =>
      viz.activationAnimation(name, { param, values, start, end, points, width, height, derivative, title, params: fixed, frameSeconds: frameMs / 1000 }),
    );
    wrap(() => viz.writeAnimation(out, anim, { scale }));
    if (o.json) writeJson(String(o.json), { name, param: anim.param, curves: anim.curves.map(({ params, x, y, yp }) => ({ params, x, y, yp })) });
    console.log(`wrote ${out} (${anim.param} = ${anim.values[0]} … ${anim.values[anim.values.length - 1]}, ${anim.values.length} frames)`);
    return 0;
  }

  const out = String(o.out ?? `${name}.svg`);
  if (!/\.(svg|png)$/i.test(out)) throw new UsageError(`--out must end in .svg or .png, got '${out}'`);
  checkOutputPaths({ out, json: o.json }, ['out', 'json']);
  if (/\.png$/i.test(out)) raster(out);
  const { svg, curves } = wrap(() => viz.activationPlot(name, { start, end, points, params: fixed, sweep, width, height, derivative, title }));
  wrap(() => viz.writeChart(out, svg, { scale }));
  if (o.json) {
    const data =
      curves.length === 1
        ? { name, params: curves[0].params, x: curves[0].x, y: curves[0].y, yp: curves[0].yp }
        : { name, curves: curves.map(({ params, x, y, yp }) => ({ params, x, y, yp })) };
    writeJson(String(o.json), data);
  }
  console.log(`wrote ${out} (${curves.length} curve pair${curves.length === 1 ? '' : 's'}, ${points} points)${o.json ? ` and ${o.json}` : ''}`);
  return 0;
}

function writeJson(file: string, data: unknown): void {
  writeFileAtomic(file, JSON.stringify(data, null, 2) + '\n');
}
