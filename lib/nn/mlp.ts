/**
 * nn.MLP: inputs -> hidden... -> outputs, with the activation after each hidden layer (optionally
 * Linear -> BatchNorm1d -> activation -> Dropout). The hot path of the reference experiment: with a
 * parameter-free kernel activation and no batch norm, each hidden layer is ONE fused LinearAct node (GEMM with
 * bias + activation in its epilogue; backward = activation derivative kernel + two GEMMs, dX skipped for the
 * first layer whose input needs no gradient). PReLU, learnable swish and custom modules run as Linear +
 * their own module.
 *
 * Children: fc1..fc{H+1} (Linear), bn{i} (BatchNorm1d), act{i} (activation modules; or one shared
 * `activation` when a Module instance is given, as in the PyTorch notebook), drop{i} (Dropout).
 */
import { Module } from './module';
import { Linear } from './linear';
import { Activation, PReLU, activation as makeActivation } from './activation';
import { BatchNorm1d, Dropout } from './layers';
import { Tensor } from '../autograd/tensor';
import { checkDtype, type DType } from '../autograd/util';
import type { Rng } from '../util/random';
import { resolveRng } from '../autograd/rng';
import { LinearAct, linearAct } from '../ops/matmul';
import type { ActivationLike } from '../ops/activation';

export type ActivationChoice = ActivationLike | Module | (() => Module) | (new () => Module);

export interface MLPOptions {
  inputs: number;
  hidden?: number[] | number;
  outputs: number;
  /** A name/spec ('relu', { name: 'leaky_relu', alpha: 0.05 }), a Module factory or class, or a Module (shared). */
  activation?: ActivationChoice;
  /** Dropout probability after each hidden activation (0: none). */
  dropout?: number;
  batchNorm?: boolean;
  bias?: boolean;
  seed?: number;
  rng?: Rng;
  dtype?: DType;
}

const KNOWN = ['inputs', 'hidden', 'outputs', 'activation', 'dropout', 'batchNorm', 'bias', 'seed', 'rng', 'dtype'];

function posInt(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new RangeError(`MLP: '${name}' must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/**
 * A per-channel PReLU (one alpha per unit) must have as many alphas as hidden layer `layer` has units: the same
 * spec is built for every hidden layer, and a mismatch failed only at the first forward pass.
 */
function checkChannels(m: Module, units: number, layer: number): void {
  let n: number | null = null;
  if (m instanceof PReLU) n = m.numParameters;
  else if (m instanceof Activation && m.spec.name === 'prelu') {
    const alpha = m.spec.params.alpha;
    if (alpha !== null && typeof alpha === 'object') n = (alpha as ArrayLike<number>).length;
  }
  if (n !== null && n !== 1 && n !== units) {
    throw new RangeError(
      `MLP: 'activation' has ${n} PReLU alphas (one per channel), but hidden layer ${layer} has ${units} units: ` +
        'give one alpha, or hidden layers of that width',
    );
  }
}

export class MLP extends Module {
  readonly inputs: number;
  readonly hidden: number[];
  readonly outputs: number;
  readonly dropoutP: number;
  readonly batchNorm: boolean;
  #activationSpec: unknown;
  #fcs: Linear[] = [];
  #acts: Module[] = [];
  #bns: BatchNorm1d[] = [];
  #drops: Dropout[] = [];
  /**
   * false: each hidden layer runs as its Linear and activation modules (fc{i}.forward, act{i}.forward) where
   * one fused LinearAct node would do. NeuralNetClassifier's divergence diagnosis sets it, so that a hook on
   * each submodule's forward sees every layer's output; the values match the fused path's up to rounding.
   */
  fuse = true;

  constructor(opts: MLPOptions) {
    super();
    if (opts === null || typeof opts !== 'object') throw new TypeError(`MLP: 'options' must be an object`);
    for (const k of Object.keys(opts)) {
      if (!KNOWN.includes(k)) throw new RangeError(`MLP: unknown option '${k}' (known: ${KNOWN.join(', ')})`);
    }
    this.inputs = posInt(opts.inputs, 'inputs');
    this.outputs = posInt(opts.outputs, 'outputs');
    const hidden = opts.hidden === undefined ? [] : typeof opts.hidden === 'number' ? [opts.hidden] : opts.hidden;
    if (!Array.isArray(hidden)) throw new TypeError(`MLP: 'hidden' must be an array of layer sizes`);
    this.hidden = hidden.map((h, i) => posInt(h, `hidden[${i}]`));
    const p = opts.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new RangeError(`MLP: 'dropout' must be in [0, 1), got ${p}`);
    this.dropoutP = p;
    const bn = opts.batchNorm ?? false;
    if (typeof bn !== 'boolean') throw new TypeError(`MLP: 'batchNorm' must be a boolean`);
    this.batchNorm = bn;
    const bias = opts.bias ?? true;
    const dtype = checkDtype(opts.dtype, 'MLP');
    const rng = resolveRng(opts, 'MLP');
    const act = opts.activation ?? 'relu';
    this.#activationSpec = act;

    const sizes = [this.inputs, ...this.hidden, this.outputs];
    const shared = act instanceof Module ? act : null;
    // without hidden layers the activation is never built: a name or spec is still checked (an unknown name or a
    // bad parameter is an error here, as it is with hidden layers; a factory is not called)
    if (this.hidden.length === 0 && !shared && typeof act !== 'function') this.buildActivation(act, dtype);
    for (let i = 0; i < sizes.length - 1; i++) {
      const fc = new Linear(sizes[i], sizes[i + 1], { bias, dtype, rng });
      this.addModule(`fc${i + 1}`, fc);
      this.#fcs.push(fc);
      if (i === sizes.length - 2) break; // output layer: no activation
      if (bn) {
        const b = new BatchNorm1d(sizes[i + 1], { dtype });
        this.addModule(`bn${i + 1}`, b);
        this.#bns.push(b);
      }
      let a: Module;
      if (shared) {
        if (i === 0) this.addModule('activation', shared);
        a = shared;
      } else {
        a = this.buildActivation(act, dtype);
        this.addModule(`act${i + 1}`, a);
      }
      checkChannels(a, sizes[i + 1], i + 1);
      this.#acts.push(a);
      if (p > 0) {
        const d = new Dropout(p);
        this.addModule(`drop${i + 1}`, d);
        this.#drops.push(d);
      }
    }
    // dropout masks come from a stream forked after the weights are drawn, so the initial weights do not
    // depend on the dropout setting
    if (p > 0) {
      const dropRng = rng.fork();
      for (const d of this.#drops) d.rng = dropRng;
    }
  }

  /** The weights' dtype (it follows to()). */
  get dtype(): DType {
    return this.#fcs[0].weight.dtype;
  }

  private buildActivation(act: ActivationChoice, dtype: DType): Module {
    if (typeof act === 'function') {
      const f = act as any;
      const m: unknown = f.prototype instanceof Module ? new f() : f();
      if (!(m instanceof Module)) throw new TypeError(`MLP: the 'activation' factory must return an nn.Module`);
      return m;
    }
    // PReLU alpha / swish beta built in the MLP's dtype (built in float32 and cast, 0.3 became 0.30000001192...)
    return makeActivation(act as ActivationLike, { dtype });
  }

  forward(x: Tensor): Tensor {
    let h = x;
    const H = this.hidden.length;
    for (let i = 0; i < H; i++) {
      const fc = this.#fcs[i];
      const act = this.#acts[i];
      const fused = this.fuse && !this.batchNorm && act instanceof Activation ? act.fusedOp() : null;
      if (fused) {
        h = i === 0
          ? linearAct(h, fc.weight, fc.bias, (act as Activation).spec) // validates the user's input once
          : LinearAct.apply(h, fc.weight, fc.bias, fused.opId, fused.a, fused.b);
      } else {
        h = fc.forward(h);
        if (this.batchNorm) h = this.#bns[i].forward(h);
        h = act.forward(h);
      }
      if (this.#drops.length > 0) h = this.#drops[i].forward(h);
    }
    return this.#fcs[H].forward(h);
  }

  /** The Linear layers in order (also reachable as the children fc1, fc2, ...). */
  get linears(): Linear[] {
    return this.#fcs.slice();
  }

  /** The activation module of each hidden layer (the same module repeated when one was shared). */
  get activations(): Module[] {
    return this.#acts.slice();
  }

  /** The activation as given: a name/spec (JSON), or 'custom' for a module or factory. */
  activationConfig(): unknown {
    const a = this.#activationSpec;
    if (typeof a === 'string') return a;
    if (a && typeof a === 'object' && !(a instanceof Module)) {
      const t = (a as any).toJSON;
      return typeof t === 'function' ? t.call(a) : a;
    }
    return 'custom';
  }

  override config(): Record<string, unknown> {
    return {
      inputs: this.inputs,
      hidden: this.hidden.slice(),
      outputs: this.outputs,
      activation: this.activationConfig(),
      dropout: this.dropoutP,
      batchNorm: this.batchNorm,
      bias: this.#fcs[0].bias !== null,
      dtype: this.dtype,
    };
  }
  override extraRepr(): string {
    return `inputs=${this.inputs}, hidden=[${this.hidden.join(', ')}], outputs=${this.outputs}`;
  }
  override toJSON() {
    const j = super.toJSON();
    // the architecture's activation as names + parameters, resolved (e.g. { name: 'swish', beta: 1.5 })
    const a = this.#acts[0];
    if (a) j.config.activationResolved = a.config();
    return j;
  }
}
