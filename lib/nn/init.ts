/** Seeded initializers (torch.nn.init), filling tensors in place in row-major order. */
import { Tensor } from '../autograd/tensor';
import type { Rng } from '../util/random';
import { resolveRng } from '../autograd/rng';
import { checkFinite } from '../ops/util';
import { overflowsFloat32 } from '../autograd/util';
import { checkOptionKeys } from '../util/errors';
import { describeTyped } from '../activations/validate';

export interface InitOptions {
  rng?: Rng;
  seed?: number;
}

function checkTensor(t: unknown, where: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${where}: 'tensor' must be a Tensor, got ${t === null ? 'null' : typeof t}`);
}

/** `opts` is undefined or an object with rng / seed only (a PyTorch-style mode string was silently ignored). */
function checkInitOptions(opts: unknown, where: string): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError(`${where}: 'options' must be an object { rng?, seed }, got ${describeTyped(opts)}`);
  }
  checkOptionKeys(opts, ['rng', 'seed'], where);
}

/** A finite value past float32's range would be stored as ±Infinity in a float32 tensor: refused (as PyTorch). */
function checkDtypeRange(t: Tensor, v: number, where: string, name: string): void {
  if (t.dtype === 'float32' && overflowsFloat32(v)) {
    throw new RangeError(`${where}: '${name}' (${v}) is outside the float32 range of the tensor (it would be ±Infinity)`);
  }
}

/** fan_in, fan_out of a weight [out, in, ...receptive]. */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  checkTensor(t, 'fans');
  if (t.ndim < 2) throw new RangeError(`fans: need a tensor with at least 2 dimensions, got ${t.ndim}`);
  let rf = 1;
  for (let i = 2; i < t.ndim; i++) rf *= t.shape[i];
  return { fanIn: t.shape[1] * rf, fanOut: t.shape[0] * rf };
}

export function uniform_(t: Tensor, low: number, high: number, opts?: InitOptions): Tensor {
  checkTensor(t, 'uniform_');
  checkFinite(low, 'uniform_', 'low');
  checkFinite(high, 'uniform_', 'high');
  if (low > high) throw new RangeError(`uniform_: 'low' (${low}) must not exceed 'high' (${high})`);
  if (!Number.isFinite(high - low)) {
    throw new RangeError(`uniform_: 'high' - 'low' (${high} - ${low}) overflows: the values would be infinite`);
  }
  checkDtypeRange(t, low, 'uniform_', 'low');
  checkDtypeRange(t, high, 'uniform_', 'high');
  checkInitOptions(opts, 'uniform_');
  const rng = resolveRng(opts, 'uniform_');
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(low, high);
  return t.bumpVersion();
}

export function normal_(t: Tensor, mean = 0, std = 1, opts?: InitOptions): Tensor {
  checkTensor(t, 'normal_');
  checkFinite(mean, 'normal_', 'mean');
  checkFinite(std, 'normal_', 'std');
  if (std < 0) throw new RangeError(`normal_: 'std' must be >= 0, got ${std}`);
  checkInitOptions(opts, 'normal_');
  const rng = resolveRng(opts, 'normal_');
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.normal(mean, std);
  return t.bumpVersion();
}

export function constant_(t: Tensor, v: number): Tensor {
  checkTensor(t, 'constant_');
  if (typeof v !== 'number') throw new TypeError(`constant_: 'value' must be a number, got ${typeof v}`);
  checkDtypeRange(t, v, 'constant_', 'value');
  t.data.fill(v);
  return t.bumpVersion();
}

/** Gain of torch.nn.init.calculate_gain for leaky_relu with negative slope a (a = 0: relu). */
function leakyGain(a: number): number {
  return Math.sqrt(2 / (1 + a * a));
}

/**
 * Kaiming (He) uniform with fan_in: U(-b, b), b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)).
 * a = sqrt(5) gives nn.Linear's default, b = 1 / sqrt(fan_in).
 */
export function kaimingUniform_(t: Tensor, a = 0, opts?: InitOptions): Tensor {
  checkTensor(t, 'kaimingUniform_');
  checkFinite(a, 'kaimingUniform_', 'a');
  checkInitOptions(opts, 'kaimingUniform_');
  const { fanIn } = fans(t);
  const bound = fanIn > 0 ? leakyGain(a) * Math.sqrt(3 / fanIn) : 0;
  return uniform_(t, -bound, bound, opts);
}

/** Xavier (Glorot) uniform: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, opts?: InitOptions): Tensor {
  checkTensor(t, 'xavierUniform_');
  checkFinite(gain, 'xavierUniform_', 'gain');
  checkInitOptions(opts, 'xavierUniform_');
  const { fanIn, fanOut } = fans(t);
  const bound = fanIn + fanOut > 0 ? gain * Math.sqrt(6 / (fanIn + fanOut)) : 0;
  return uniform_(t, -bound, bound, opts);
}
