/** The backend seam: one interface, two implementations (native C++ and pure TypeScript). */

export type FloatArray = Float32Array | Float64Array;
export type DType = 'float32' | 'float64';

export interface GemmEpilogue<T extends FloatArray = FloatArray> {
  /** Length n, added to every row of C. */
  bias?: T | null;
  /** An activation op id (ActOp) applied after the bias, or -1 / undefined for none. */
  act?: number;
  a?: number;
  b?: number;
  /** Dense m x n buffer that receives the value before the activation (for backward). */
  preact?: T | null;
}

/** The arguments of Backend.gemm and Backend.gemmAsync (see there). */
export type GemmArgs = [
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  lda: number,
  b: FloatArray,
  ldb: number,
  beta: number,
  c: FloatArray,
  ldc: number,
  epilogue?: GemmEpilogue | null,
];

/** A Backend method's parameters, as the interface declares them (implementations take them from here). */
export type BackendArgs<K extends keyof Backend> = Backend[K] extends (...args: infer A) => unknown ? A : never;

/**
 * Low-level kernels. Arguments are NOT validated here (lib/ops and lib/activations validate first);
 * all arrays of one call share one dtype. Outputs may alias inputs where stated.
 */
export interface Backend {
  readonly name: 'native' | 'js';
  /** Kernel family in use: 'scalar' | 'avx2' | 'neon' for native, 'js' for the TypeScript backend. */
  readonly isa: string;

  /** y[i] = f(x[i]); y may alias x. a, b: op parameters (see ops.ts). */
  actForward(op: number, x: FloatArray, y: FloatArray, a: number, b: number): void;
  /**
   * gi[i] = f'(x[i]) * go[i]; go === null means ones (the plain derivative). y is the saved forward output
   * or null. gi may alias x, y or go.
   */
  actBackward(
    op: number,
    x: FloatArray,
    y: FloatArray | null,
    go: FloatArray | null,
    gi: FloatArray,
    a: number,
    b: number,
  ): void;
  /** PReLU, one alpha per channel; element i is in channel floor(i / inner) % channels. y may alias x. */
  preluForward(x: FloatArray, y: FloatArray, alpha: FloatArray, channels: number, inner: number): void;
  /**
   * gi (may be null) = (x > 0 ? 1 : alpha[c]) * go; galpha[c] += sum over x <= 0 of x * go (galpha may be
   * null). go === null means ones.
   */
  preluBackward(
    x: FloatArray,
    go: FloatArray | null,
    gi: FloatArray | null,
    alpha: FloatArray,
    channels: number,
    inner: number,
    galpha: FloatArray | null,
  ): void;
  /** sum_i go[i] * d/d beta [x sigmoid(beta x)] (go === null: ones). */
  swishBetaGrad(x: FloatArray, go: FloatArray | null, beta: number): number;

  /**
   * C = act(alpha * op(A) op(B) + beta * C + bias), row-major; op(A) is m x k, op(B) is k x n.
   * lda/ldb/ldc are the row strides of A, B, C as stored.
   */
  gemm(...args: GemmArgs): void;

  /**
   * Optional: the same product as gemm, run off the main thread (native: a libuv worker). The operands are
   * copied when it is called; c (and epilogue.preact) are written just before the promise resolves.
   * Backends without it are run synchronously by the caller (lib/ops/gemm.ts gemmAsync).
   */
  gemmAsync?(...args: GemmArgs): Promise<void>;

  /**
   * PyTorch's SGD update of one parameter tensor, in place: d = (maximize ? -g : g) + weightDecay * w;
   * momentum != 0: buf = first ? d : momentum * buf + (1 - dampening) * d, u = nesterov ? d + momentum * buf : buf;
   * else u = d; w -= lr * u. float64: double arithmetic; float32: float arithmetic (scalars rounded to float,
   * each operation rounded, no FMA, as PyTorch). Both backends are bit-identical.
   */
  sgdStep(
    w: FloatArray,
    g: FloatArray,
    buf: FloatArray | null,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    maximize: boolean,
    first: boolean,
  ): void;

  /**
   * dst rows 0..to-from-1 = src rows idx[from..to-1] (rows of `features` elements; the mini-batch gather of the
   * training loop). Every index must be a row of src; dst must hold (to - from) rows and have src's dtype.
   */
  takeRows(src: FloatArray, features: number, idx: Int32Array, from: number, to: number, dst: FloatArray): void;

  /**
   * Column sums of a row-major rows x cols matrix (a linear layer's bias gradient): accumulated in double in row
   * order and rounded once to dst's type; `accumulate` adds them to dst instead of overwriting it.
   */
  colSum(src: FloatArray, rows: number, cols: number, dst: FloatArray, accumulate: boolean): void;

  /**
   * Cross-entropy forward over n rows of c logits (row-major): e[i*c+k] = exp(x_k - M_i), sums[i] = sum_k e,
   * per[i] = log(sums[i]) - (x_t - M_i) (0 where targets[i] === ignore), all in double. Targets must be class
   * indices in [0, c) or `ignore`.
   */
  crossEntropyForward(
    x: FloatArray,
    n: number,
    c: number,
    targets: Int32Array,
    ignore: number,
    e: Float64Array,
    sums: Float64Array,
    per: Float64Array,
  ): void;

  /**
   * Native threads (1 for js): GEMM, the row gather, SGD steps and activation calls above 2^15 elements are split
   * over them. Results do not depend on the count. setThreads(n) takes an integer in [1, 256] (a TypeError or
   * RangeError naming 'n' otherwise, on every backend) and returns at once: a gemmAsync in flight finishes on the
   * threads it started with, and getThreads() reports the new count from the call on.
   */
  getThreads(): number;
  setThreads(n: number): void;
}
