/**
 * visualizeActivation: an activation and its derivative sampled on an inclusive linspace, as the seed
 * notebooks plot them (torch.linspace(-2, 2, 1000), np.linspace(-10, 10, 501)).
 */
import { PreluActivation } from '../activations/activation';
import { get } from '../activations/registry';
import type { Activation, ActivationJSON } from '../activations/types';
import { describe } from '../activations/validate';
import { overflowsFloat32 } from '../autograd/util';
import { checkOutputFile, writeFileAtomic } from '../util/files';

export interface VisualizeOptions {
  /** First sample (default -10). */
  start?: number;
  /** Last sample, included (default 10). */
  end?: number;
  /** Number of samples (default 501). */
  points?: number;
  /** Precision of the evaluation (default 'float64'). */
  dtype?: 'float32' | 'float64';
  /** Also write the result as pretty-printed JSON here (directories are created). */
  savePath?: string;
  /** Any other key is an activation parameter, e.g. { beta: 1.5 }. */
  [param: string]: unknown;
}

export interface ActivationCurve {
  x: number[];
  y: number[];
  /** dy/dx */
  yp: number[];
}

const MAX_POINTS = 10_000_000;

/** n samples from start to end inclusive (numpy's linspace: start + i * step, the last one exactly end). */
export function linspace(start: number, end: number, n: number): number[] {
  const out = new Array<number>(n);
  const step = n > 1 ? (end - start) / (n - 1) : 0;
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  if (n > 1) out[n - 1] = end;
  return out;
}

/**
 * Samples f and f' of an activation (a name, `{ name, ...params }` or an Activation). Returns { x, y, yp }
 * as plain number arrays; with `savePath`, also writes { name, params, x, y, yp } as JSON.
 *
 *   visualizeActivation('swish', { beta: 1.5, start: -2, end: 2, points: 1000 })
 */
export function visualizeActivation(
  nameOrSpec: string | ActivationJSON | Activation,
  options: VisualizeOptions = {},
): ActivationCurve {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  const { start = -10, end = 10, points = 501, dtype = 'float64', savePath, ...params } = options;
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new RangeError(`dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }
  for (const [k, v] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (typeof v !== 'number') throw new TypeError(`${k} must be a number, got ${describe(v)}`);
    if (!Number.isFinite(v)) throw new RangeError(`${k} must be finite, got ${v}`);
    // The samples are stored as float32: past ±3.4028234663852886e38 they would become ±Infinity.
    if (dtype === 'float32' && overflowsFloat32(v)) {
      throw new RangeError(`${k} must be within the float32 range (|${k}| <= 3.4028234663852886e38), got ${v}`);
    }
  }
  if (!Number.isFinite((end as number) - (start as number))) {
    throw new RangeError(`end - start must be finite (the spacing of the points), got ${start} to ${end}`);
  }
  if (typeof points !== 'number') throw new TypeError(`points must be a number, got ${describe(points)}`);
  if (!Number.isInteger(points) || points < 1 || points > MAX_POINTS) {
    throw new RangeError(`points must be an integer in [1, ${MAX_POINTS}], got ${points}`);
  }
  if (savePath !== undefined) checkOutputFile(savePath, 'savePath');

  const act = get(nameOrSpec, params);
  // One alpha per channel (prelu) would read the 1-D samples as interleaved channels: one curve needs one value.
  if (act instanceof PreluActivation && act.channels > 1) {
    throw new RangeError(
      `prelu: parameter 'alpha' must be a single number to plot one curve, ` +
        `got ${act.channels} values (one per channel)`,
    );
  }
  const grid = linspace(start as number, end as number, points);
  const x = dtype === 'float32' ? Float32Array.from(grid) : Float64Array.from(grid);
  const y = act.forward(x);
  const yp = act.derivative(x);
  const curve: ActivationCurve = { x: Array.from(x), y: Array.from(y), yp: Array.from(yp) };

  if (savePath !== undefined) {
    const { name, ...p } = act.toJSON();
    writeFileAtomic(savePath as string, JSON.stringify({ name, params: p, ...curve }, null, 2) + '\n');
  }
  return curve;
}
