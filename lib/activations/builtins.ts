/** The built-in activations: PyTorch's names, parameters and defaults. */
import { ActOp, type ActOpName } from '../backend/ops';
import { KernelActivation, PreluActivation, SwishActivation } from './activation';
import { booleanParam, choiceParam, numberOrListParam, numberParam } from './params';
import type { ActivationSpec, ParamSpec, ParamValue } from './types';

/** A spec whose activation is one kernel op; `ab` maps the resolved params to the op's (a, b). */
function kernelSpec(o: {
  name: string;
  aliases?: string[];
  description: string;
  params?: ParamSpec[];
  op: ActOpName | ((p: Readonly<Record<string, ParamValue>>) => ActOpName);
  ab?: (p: Readonly<Record<string, ParamValue>>) => [number, number];
}): ActivationSpec {
  return {
    name: o.name,
    aliases: o.aliases ?? [],
    description: o.description,
    params: o.params ?? [],
    create(p) {
      const op = typeof o.op === 'function' ? o.op(p) : o.op;
      const [a, b] = o.ab ? o.ab(p) : [0, 0];
      return new KernelActivation(o.name, p, ActOp[op], a, b);
    },
  };
}

// The float32 kernels take a parameter as a float32: one beyond 3.4e38 is Infinity there, and NaN came out of
// ordinary inputs (alpha 1e39: leaky_relu(0) = Inf * 0). Slopes and gains are bounded by |p| <= 1e20 (celu below
// for its own reasons); swish's beta is also 0 or |beta| >= 1e-20, as beta x of a tiny beta is no longer
// exp-sized at the kernels' input clamp (|x| <= 1e30: swish(1e30) came out -Infinity for beta 1e-30; beta 0 has a
// kernel of its own, OpSwish0).
const P_MAX = 1e20;

export const BUILTIN_ACTIVATIONS: readonly ActivationSpec[] = [
  kernelSpec({ name: 'sigmoid', description: '1 / (1 + exp(-x))', op: 'sigmoid' }),
  kernelSpec({ name: 'tanh', description: 'hyperbolic tangent', op: 'tanh' }),
  kernelSpec({ name: 'softsign', description: 'x / (1 + |x|)', op: 'softsign' }),
  kernelSpec({ name: 'relu', description: 'max(0, x)', op: 'relu' }),
  kernelSpec({
    name: 'softplus',
    aliases: ['softrelu'],
    description: 'log(1 + exp(beta x)) / beta, and x where beta x > threshold',
    params: [
      numberParam({ name: 'beta', default: 1, min: 1e-20, max: P_MAX, description: 'sharpness' }),
      numberParam({ name: 'threshold', default: 20, description: 'linear above beta x > threshold' }),
    ],
    op: 'softplus',
    ab: (p) => [p.beta as number, p.threshold as number],
  }),
  kernelSpec({
    name: 'leaky_relu',
    description: 'x > 0 ? x : alpha x',
    params: [
      numberParam({ name: 'alpha', default: 0.01, maxAbs: P_MAX, description: 'slope for x <= 0 (negative_slope)' }),
    ],
    op: 'leaky_relu',
    ab: (p) => [p.alpha as number, 0],
  }),
  {
    name: 'prelu',
    aliases: [],
    description: 'x > 0 ? x : alpha x with a learnable alpha: one, or one per channel',
    params: [
      numberOrListParam({
        name: 'alpha',
        default: 0.25,
        learnable: true,
        maxAbs: P_MAX,
        description: 'slope for x <= 0: a number, or an array with one value per channel',
      }),
      numberParam({
        name: 'inner',
        default: 1,
        integer: true,
        min: 1,
        max: Number.MAX_SAFE_INTEGER,
        description: 'elements per channel block: element i is in channel floor(i / inner) % channels',
      }),
    ],
    create: (p) => new PreluActivation(p),
  },
  kernelSpec({
    name: 'elu',
    description: 'x > 0 ? x : alpha (exp(x) - 1)',
    params: [numberParam({ name: 'alpha', default: 1, maxAbs: P_MAX })],
    op: 'elu',
    ab: (p) => [p.alpha as number, 0],
  }),
  kernelSpec({
    name: 'selu',
    description: 'scale (x > 0 ? x : alpha (exp(x) - 1)) with alpha = 1.6732632423543772, scale = 1.0507009873554805',
    op: 'selu',
  }),
  {
    name: 'swish',
    aliases: [],
    description: 'x sigmoid(beta x)',
    params: [
      numberParam({
        name: 'beta',
        default: 1,
        learnable: true,
        zeroOrMinAbs: 1e-20,
        maxAbs: P_MAX,
        description: 'sigmoid gain',
      }),
      booleanParam({ name: 'learnable', default: false, description: 'train beta (recorded for nn modules)' }),
    ],
    create: (p) => new SwishActivation(p),
  },
  kernelSpec({
    name: 'silu',
    description: 'x sigmoid(x) (swish with beta = 1)',
    op: 'swish',
    ab: () => [1, 0],
  }),
  kernelSpec({
    name: 'gelu',
    description:
      "x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); approximate 'tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))",
    params: [choiceParam({ name: 'approximate', default: 'none', choices: ['none', 'tanh'] })],
    op: (p) => (p.approximate === 'tanh' ? 'gelu_tanh' : 'gelu'),
  }),
  kernelSpec({ name: 'mish', description: 'x tanh(softplus(x))', op: 'mish' }),
  kernelSpec({ name: 'hardswish', description: 'x relu6(x + 3) / 6', op: 'hardswish' }),
  kernelSpec({ name: 'hardsigmoid', description: 'relu6(x + 3) / 6', op: 'hardsigmoid' }),
  kernelSpec({ name: 'relu6', description: 'min(max(0, x), 6)', op: 'relu6' }),
  kernelSpec({
    name: 'celu',
    description: 'max(0, x) + min(0, alpha (exp(x / alpha) - 1))',
    // alpha in [1e-20, 1e20]: PyTorch also takes alpha < 0, where the exp argument x / alpha of the negative side
    // is positive and unbounded, but the kernels' exp paths cover arguments <= 0 only; and beyond these bounds
    // 1/alpha leaves float32 or x / alpha is no longer exp-sized at the kernels' input clamp (|x| <= 1e30). Such
    // values are refused, not computed wrongly.
    params: [numberParam({ name: 'alpha', default: 1, min: 1e-20, max: P_MAX })],
    op: 'celu',
    ab: (p) => [p.alpha as number, 0],
  }),
];
