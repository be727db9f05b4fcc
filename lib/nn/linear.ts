/** nn.Linear: y = x Wᵀ + b with W stored [out, in], PyTorch's default init, bias fused into the GEMM. */
import { Parameter, Module } from './module';
import { Tensor } from '../autograd/tensor';
import { alloc, checkDtype, checkShape, type DType } from '../autograd/util';
import { resolveRng } from '../autograd/rng';
import type { Rng } from '../util/random';
import { linear } from '../ops/matmul';
import { kaimingUniform_, uniform_ } from './init';
import { describeTyped } from '../activations/validate';
import { checkOptionKeys } from '../util/errors';

export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
  rng?: Rng;
  seed?: number;
}

function checkFeatures(v: unknown, name: string): number {
  if (typeof v !== 'number') {
    throw new TypeError(`Linear: '${name}' must be a number, got ${describeTyped(v)}`);
  }
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`Linear: '${name}' must be a non-negative integer, got ${String(v)}`);
  }
  return v;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  /**
   * Weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt(5), as torch.nn.Linear), drawn
   * weight first then bias, row-major, from opts.rng / new Rng(opts.seed) / the default stream.
   */
  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = checkFeatures(inFeatures, 'inFeatures');
    this.outFeatures = checkFeatures(outFeatures, 'outFeatures');
    // a named RangeError, not the typed array's own "Invalid typed array length", for a huge weight
    checkShape([outFeatures, inFeatures], 'Linear', 'outFeatures x inFeatures');
    if (opts === null || typeof opts !== 'object') throw new TypeError(`Linear: 'options' must be an object`);
    checkOptionKeys(opts, ['bias', 'dtype', 'rng', 'seed'], 'Linear');
    const dtype = checkDtype(opts.dtype, 'Linear');
    const hasBias = opts.bias ?? true;
    if (typeof hasBias !== 'boolean') throw new TypeError(`Linear: 'bias' must be a boolean`);
    const rng = resolveRng(opts, 'Linear');
    this.weight = new Parameter(new Tensor(alloc(dtype, outFeatures * inFeatures), [outFeatures, inFeatures]));
    this.bias = hasBias ? new Parameter(new Tensor(alloc(dtype, outFeatures), [outFeatures])) : null;
    this.resetParameters(rng);
  }

  /** Re-draws the parameters (PyTorch's reset_parameters). */
  resetParameters(rng?: Rng): void {
    const r = rng ?? resolveRng(undefined, 'Linear');
    kaimingUniform_(this.weight, Math.sqrt(5), { rng: r });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      uniform_(this.bias, -bound, bound, { rng: r });
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override config(): Record<string, unknown> {
    return { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null, dtype: this.weight.dtype };
  }
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
