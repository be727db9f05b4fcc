/** BatchNorm1d, Dropout, Flatten and the loss modules. */
import { Module, Parameter } from './module';
import { Tensor } from '../autograd/tensor';
import { alloc, checkDtype, checkShape, type DType } from '../autograd/util';
import { getDefaultRng, resolveRng } from '../autograd/rng';
import { Purpose, type Rng } from '../util/random';
import { batchNorm } from '../ops/batchnorm';
import { dropout } from '../ops/dropout';
import { checkOptionKeys } from '../util/errors';
import { flatten } from '../ops/shape';
import { checkClassLossOptions, checkMseOptions, crossEntropy, mseLoss, nllLoss, type Reduction, type Targets } from '../ops/loss';

export interface BatchNormOptions {
  eps?: number;
  /**
   * The weight of each training batch in the running statistics (default 0.1); null: their cumulative average
   * (batch n weighs 1 / n), counted in the buffer numBatchesTracked, as PyTorch's momentum=None.
   */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
}

/**
 * Batch normalization over the channels of [N, C] or [N, C, L] inputs. weight = 1, bias = 0 (affine);
 * buffers runningMean = 0, runningVar = 1 updated with momentum 0.1 in training; eval uses them. With momentum
 * null the running stats are the cumulative average of the training batches, and a third buffer,
 * numBatchesTracked (shape [], float64 whatever the module's dtype and through to(), so that it counts exactly past
 * float32's 2^24, as PyTorch's int64 count), counts them; only such a module has that buffer (PyTorch has it
 * always), so the state of a module with a numeric momentum keeps its keys, and a state without it still loads
 * into a momentum-null module (the count is then left as it is). A loaded count must be a non-negative integer.
 */
export class BatchNorm1d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  weight: Parameter | null;
  bias: Parameter | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  declare numBatchesTracked?: Tensor;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    if (typeof numFeatures !== 'number') {
      throw new TypeError(`BatchNorm1d: 'numFeatures' must be a number, got ${typeof numFeatures}`);
    }
    if (!Number.isSafeInteger(numFeatures) || numFeatures < 1) {
      throw new RangeError(`BatchNorm1d: 'numFeatures' must be a positive integer, got ${numFeatures}`);
    }
    checkShape([numFeatures], 'BatchNorm1d', 'numFeatures'); // too many elements: a named RangeError
    if (opts === null || typeof opts !== 'object') throw new TypeError(`BatchNorm1d: 'options' must be an object`);
    checkOptionKeys(opts, ['eps', 'momentum', 'affine', 'trackRunningStats', 'dtype'], 'BatchNorm1d');
    const dtype = checkDtype(opts.dtype, 'BatchNorm1d');
    this.numFeatures = numFeatures;
    const eps: unknown = opts.eps ?? 1e-5;
    const momentum: unknown = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (typeof eps !== 'number') throw new TypeError(`BatchNorm1d: 'eps' must be a number, got ${typeof eps}`);
    if (!(eps > 0) || !Number.isFinite(eps)) {
      throw new RangeError(`BatchNorm1d: 'eps' must be a positive finite number, got ${eps}`);
    }
    if (typeof momentum !== 'number' && momentum !== null) {
      throw new TypeError(`BatchNorm1d: 'momentum' must be a number or null, got ${typeof momentum}`);
    }
    if (momentum !== null && !(momentum >= 0 && momentum <= 1)) {
      throw new RangeError(`BatchNorm1d: 'momentum' must be in [0, 1], got ${momentum}`);
    }
    this.eps = eps;
    this.momentum = momentum;
    const affine = opts.affine ?? true;
    const track = opts.trackRunningStats ?? true;
    if (typeof affine !== 'boolean') throw new TypeError(`BatchNorm1d: 'affine' must be a boolean`);
    if (typeof track !== 'boolean') throw new TypeError(`BatchNorm1d: 'trackRunningStats' must be a boolean`);
    this.weight = affine ? new Parameter(new Tensor(alloc(dtype, numFeatures).fill(1), [numFeatures])) : null;
    this.bias = affine ? new Parameter(new Tensor(alloc(dtype, numFeatures), [numFeatures])) : null;
    if (track) {
      this.registerBuffer('runningMean', new Tensor(alloc(dtype, numFeatures), [numFeatures]));
      this.registerBuffer('runningVar', new Tensor(alloc(dtype, numFeatures).fill(1), [numFeatures]));
      if (momentum === null) this.registerBuffer('numBatchesTracked', new Tensor(alloc('float64', 1), []));
    } else {
      this.runningMean = null;
      this.runningVar = null;
    }
  }

  forward(x: Tensor): Tensor {
    const useBatch = this.training || !this.runningMean;
    // cumulative average: training batch n moves the running stats by 1 / n (counted once the batch went through)
    const count = this.momentum === null && this.training ? this.numBatchesTracked : undefined;
    const momentum = this.momentum ?? (count ? 1 / (count.data[0] + 1) : 0);
    const y = batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: useBatch,
      momentum,
      eps: this.eps,
    });
    if (count) {
      count.data[0] += 1;
      count.bumpVersion();
    }
    return y;
  }

  /** Resets the running statistics to mean 0, variance 1 (and the batch count of momentum null to 0). */
  resetRunningStats(): void {
    for (const [t, v] of [[this.runningMean, 0], [this.runningVar, 1], [this.numBatchesTracked, 0]] as const) {
      if (!t) continue;
      t.data.fill(v);
      t.bumpVersion();
    }
  }

  protected override optionalStateKeys(): string[] {
    return this.numBatchesTracked ? ['numBatchesTracked'] : [];
  }

  protected override fixedDtypeBuffers(): string[] {
    return ['numBatchesTracked'];
  }

  /**
   * A loaded running variance is >= 0 (eval divides by its square root), and a batch count a non-negative integer
   * (forward moves the running stats by 1 / (count + 1)).
   */
  protected override checkStateValues(key: string, data: ArrayLike<number>, at: string): void {
    if (key === 'runningVar') {
      for (let i = 0; i < data.length; i++) {
        if (!(data[i] >= 0)) throw new RangeError(`${at}[${i}] = ${data[i]}: a running variance must be >= 0`);
      }
      return;
    }
    if (key !== 'numBatchesTracked') return;
    const n = data[0];
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`${at} (the count of training batches) must be a non-negative integer, got ${n}`);
    }
  }

  override config(): Record<string, unknown> {
    return {
      numFeatures: this.numFeatures,
      eps: this.eps,
      momentum: this.momentum,
      affine: this.weight !== null,
      trackRunningStats: this.runningMean !== null,
      dtype: (this.weight ?? this.runningMean)?.dtype ?? 'float32',
    };
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}`;
  }
}

/** Zeroes elements with probability p in training (scaling the rest by 1/(1-p)); identity in eval. */
export class Dropout extends Module {
  readonly p: number;
  /** The mask's random stream (null: the default stream). Replace it to re-seed. */
  rng: Rng | null;

  constructor(p = 0.5, opts: { rng?: Rng; seed?: number } = {}) {
    super();
    if (typeof p !== 'number') throw new TypeError(`Dropout: 'p' must be a number, got ${typeof p}`);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: 'p' must be in [0, 1], got ${p}`);
    if (opts === null || typeof opts !== 'object') throw new TypeError(`Dropout: 'options' must be an object`);
    checkOptionKeys(opts, ['rng', 'seed'], 'Dropout');
    this.p = p;
    // resolveRng checks rng and seed; a seed gives the seed's dropout stream (Purpose), not the weights' stream.
    // Neither: null, the default stream read at each forward (manualSeed may replace it)
    this.rng = opts.rng != null || opts.seed != null ? resolveRng(opts, 'Dropout', Purpose.dropout) : null;
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, rng: this.rng ?? getDefaultRng() });
  }
  override config(): Record<string, unknown> {
    return { p: this.p };
  }
}

export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  override config(): Record<string, unknown> {
    return { startDim: this.startDim, endDim: this.endDim };
  }
}

/** The losses over class targets: `reduction` ('mean') and `ignoreIndex` (-100) as PyTorch names them. */
abstract class ClassTargetLoss extends Module {
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  constructor(opts: { reduction?: Reduction; ignoreIndex?: number } = {}) {
    super();
    // checked here, not at the first forward (toJSON would have written a bad option meanwhile)
    const { reduction, ignore } = checkClassLossOptions(opts, this.constructor.name);
    this.reduction = reduction;
    this.ignoreIndex = ignore;
  }
  protected get lossOptions(): { reduction: Reduction; ignoreIndex: number } {
    return { reduction: this.reduction, ignoreIndex: this.ignoreIndex };
  }
  override config(): Record<string, unknown> {
    return this.lossOptions;
  }
}

/** Cross-entropy from logits (nn.CrossEntropyLoss): forward(logits, targets). */
export class CrossEntropyLoss extends ClassTargetLoss {
  forward(logits: Tensor, targets: Targets): Tensor {
    return crossEntropy(logits, targets, this.lossOptions);
  }
}

/** Negative log-likelihood of log-probabilities (nn.NLLLoss): forward(logProbs, targets). */
export class NLLLoss extends ClassTargetLoss {
  forward(logProbs: Tensor, targets: Targets): Tensor {
    return nllLoss(logProbs, targets, this.lossOptions);
  }
}

export class MSELoss extends Module {
  readonly reduction: Reduction;
  constructor(opts: { reduction?: Reduction } = {}) {
    super();
    this.reduction = checkMseOptions(opts, 'MSELoss');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
  override config(): Record<string, unknown> {
    return { reduction: this.reduction };
  }
}
