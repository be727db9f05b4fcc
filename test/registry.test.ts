/**
 * User-registered activations (registerActivation): the two kinds of definition, checked against their
 * formulas and with gradcheck in float64; name and parameter rules (built-ins protected, override,
 * declared and undeclared parameters); and the name working everywhere: activations.get/list, Tensor and
 * nn modules, nn.MLP, NeuralNetClassifier (fit, save, load), grid search grids, and the CLI's --require.
 * Runs on the active backend (SWISHNET_BACKEND=js|native).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { backend } from '../lib/backend';
import { ActOp } from '../lib/backend/ops';
import * as activations from '../lib/activations';
import { registerActivation, unregisterActivation, tensor, gradcheck, nn, NeuralNetClassifier, GridSearchCV, Tensor } from '../lib';
import { expectErrors, type ErrorCase } from './helpers/throws';

const be = backend();
const ROOT = path.resolve(__dirname, '..');
const DIST_INDEX = path.join(ROOT, 'dist', 'index.js');
const DIST_CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const haveDist = fs.existsSync(DIST_INDEX) && fs.existsSync(DIST_CLI);
if (!haveDist) console.warn('registry.test: dist/ is missing, the CLI tests are SKIPPED (run `npm run build:ts`; npm test does it first)');

// ---- the definitions under test, and their formulas written out independently -----------------------------

const sigma = (v: number): number => 1 / (1 + Math.exp(-v));
/** x sigmoid(beta x) and its derivative sigma + beta x sigma (1 - sigma). */
const swishRef = (v: number, beta: number): number => v * sigma(beta * v);
const swishDerivRef = (v: number, beta: number): number => {
  const s = sigma(beta * v);
  return s + beta * v * s * (1 - s);
};
/** Bent identity with a scale k: (sqrt(x^2 + 1) - 1) / k + x; derivative x / (k sqrt(x^2 + 1)) + 1. */
const bentRef = (v: number, k: number): number => (Math.sqrt(v * v + 1) - 1) / k + v;
const bentDerivRef = (v: number, k: number): number => v / (k * Math.sqrt(v * v + 1)) + 1;

/** The example, under a name that is not built in ('swish' is). */
const mySwish = (x: Tensor, { beta = 1 }: { beta?: number }): Tensor => x.mul(x.mul(beta).sigmoid());

let bentCalls = { forward: 0, derivative: 0 };
const bentDefinition = {
  forward(x: Float32Array | Float64Array, { k }: Record<string, unknown>) {
    bentCalls.forward++;
    return x.map((v) => bentRef(v, k as number));
  },
  derivative(x: Float32Array | Float64Array, { k }: Record<string, unknown>) {
    bentCalls.derivative++;
    return x.map((v) => bentDerivRef(v, k as number));
  },
  params: { k: { default: 2, greaterThan: 0, description: 'inverse scale of the bend' } },
};

// verbatim in spirit: parameters destructured with their defaults (type-checks as written)
registerActivation('my_swish', (x, { beta = 1 }) => x.mul(x.mul(beta).sigmoid()));
registerActivation('bent_identity', bentDefinition);

function grid(n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}
const XS = [...grid(61, -8, 8), -0.1, 1e-3, 0, 25, -25];

function expectClose(got: ArrayLike<number>, want: number[], tol: number, what: string): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect([what, worst <= tol ? 'ok' : `x=${XS[at]} got ${got[at]} want ${want[at]} (err ${worst})`]).toEqual([what, 'ok']);
}

describe(`registerActivation [backend=${be.name}, isa=${be.isa}]`, () => {
  test('is exported from the package root and from activations', () => {
    expect(typeof registerActivation).toBe('function');
    expect(activations.registerActivation).toBe(registerActivation);
    expect(activations.unregisterActivation).toBe(unregisterActivation);
  });

  describe('(a) a function of tensors: derivative from autograd', () => {
    for (const [C, tol] of [
      [Float64Array, 1e-13],
      [Float32Array, 2e-6],
    ] as const) {
      test(`forward, derivative, backward match x sigmoid(beta x) (${C.name})`, () => {
        for (const beta of [1, 0.5, 2.5]) {
          const act = activations.get('my_swish', beta === 1 ? {} : { beta });
          const x = C.from(XS);
          expectClose(act.forward(x), XS.map((v) => swishRef(v, beta)), tol, `forward beta=${beta}`);
          expectClose(act.derivative(x), XS.map((v) => swishDerivRef(v, beta)), tol, `derivative beta=${beta}`);
          const g = C.from(XS.map((_, i) => ((i * 7) % 5) - 2));
          expectClose(act.backward(x, g), XS.map((v, i) => swishDerivRef(v, beta) * g[i]), tol, `backward beta=${beta}`);
          expect(Array.from(x)).toEqual(Array.from(C.from(XS))); // inputs untouched
        }
      });
    }

    test('in place (out = x, out = gradOut), and the same values as the built-in swish kernel in float64', () => {
      const act = activations.get('my_swish', { beta: 1.5 });
      const builtin = activations.get('swish', { beta: 1.5 });
      const x = Float64Array.from(XS);
      const y = act.forward(x);
      const d = act.derivative(x);
      expectClose(y, Array.from(builtin.forward(x)), 1e-12, 'forward vs built-in');
      expectClose(d, Array.from(builtin.derivative(x)), 1e-12, 'derivative vs built-in');
      const inPlace = Float64Array.from(XS);
      expect(act.forward(inPlace, inPlace)).toBe(inPlace);
      expect(Array.from(inPlace)).toEqual(Array.from(y));
      const g = Float64Array.from(XS, (v) => Math.cos(v));
      const want = Array.from(act.backward(x, g));
      expect(act.backward(x, g, g)).toBe(g);
      expect(Array.from(g)).toEqual(want);
    });

    test('parameters: recorded by name; undeclared ones accept numbers and reject NaN or objects', () => {
      expect(activations.get('my_swish').toJSON()).toEqual({ name: 'my_swish' });
      const a = activations.get({ name: 'my_swish', beta: 2 });
      expect(a.toJSON()).toEqual({ name: 'my_swish', beta: 2 });
      expect(a.params).toEqual({ beta: 2 });
      expect(activations.get(a.toJSON()).forward(new Float64Array([1]))[0]).toBeCloseTo(swishRef(1, 2), 14);
      expect(() => activations.get('my_swish', { beta: NaN })).toThrow(RangeError);
      expect(() => activations.get('my_swish', { beta: NaN })).toThrow(/my_swish: parameter 'beta'/);
      expect(() => activations.get('my_swish', { beta: { x: 1 } })).toThrow(TypeError);
    });

    test('a function that is not elementwise, or returns no Tensor, fails naming the activation', () => {
      registerActivation('bad_shape', (x) => x.sum());
      registerActivation('bad_return', () => 3 as unknown as Tensor);
      registerActivation('bad_dtype', (x) => x.to(x.dtype === 'float32' ? 'float64' : 'float32'));
      expect(() => activations.get('bad_shape').forward(new Float32Array(4))).toThrow(/activation 'bad_shape'.*elementwise/);
      expect(() => activations.get('bad_return').forward(new Float32Array(4))).toThrow(TypeError);
      expect(() => activations.get('bad_return').forward(new Float32Array(4))).toThrow(/'bad_return'.*must return a Tensor/);
      expect(() => activations.get('bad_dtype').derivative(new Float64Array(4))).toThrow(/'bad_dtype'.*float32 tensor for a float64 input/);
      expect(() => tensor([1, 2, 3]).activation('bad_shape')).toThrow(/'bad_shape'/);
      // a function that ignores x: derivative 0
      registerActivation('constant_one', (x) => x.mul(0).add(1).detach());
      expect(Array.from(activations.get('constant_one').derivative(new Float64Array([1, -2])))).toEqual([0, 0]);
      expect(Array.from(activations.get('constant_one').forward(new Float64Array([1, -2])))).toEqual([1, 1]);
    });
  });

  describe('(b) explicit forward/derivative on typed arrays', () => {
    for (const [C, tol] of [
      [Float64Array, 1e-15],
      [Float32Array, 1e-6],
    ] as const) {
      test(`forward, derivative, backward = derivative * gradOut (${C.name})`, () => {
        for (const k of [2, 0.5]) {
          const act = activations.get('bent_identity', k === 2 ? undefined : { k });
          expect(act.params).toEqual({ k });
          const x = C.from(XS);
          expectClose(act.forward(x), XS.map((v) => bentRef(v, k)), tol, 'forward');
          expectClose(act.derivative(x), XS.map((v) => bentDerivRef(v, k)), tol, 'derivative');
          const g = C.from(XS.map((_, i) => ((i * 3) % 7) - 3));
          const out = new C(XS.length);
          expect(act.backward(x, g, out)).toBe(out);
          expectClose(out, XS.map((v, i) => C.from([bentDerivRef(v, k)])[0] * g[i]), tol, 'backward');
        }
      });
    }

    test('declared parameters: defaults, type and bound checks, unknown names', () => {
      expect(activations.get('bent_identity').toJSON()).toEqual({ name: 'bent_identity', k: 2 });
      expect(() => activations.get('bent_identity', { k: 0 })).toThrow(RangeError);
      expect(() => activations.get('bent_identity', { k: 0 })).toThrow(/bent_identity: parameter 'k' must be a finite number > 0, got 0/);
      expect(() => activations.get('bent_identity', { k: '2' })).toThrow(TypeError);
      expect(() => activations.get('bent_identity', { kk: 1 })).toThrow(/bent_identity: unknown parameter 'kk'; its parameters are k/);

      registerActivation(
        'scaled_tanh',
        (x, { scale, mode, clip }) => {
          const y = x.tanh().mul(scale as number);
          return mode === 'neg' ? y.neg() : clip ? y.mul(0.5) : y;
        },
        {
          params: {
            scale: { default: 1, min: 0.25, max: 4 },
            mode: { default: 'pos', choices: ['pos', 'neg'] },
            clip: false,
            odd: { default: 3, integer: true, validate: (v) => ((v as number) % 2 === 1 ? true : 'must be odd') },
          },
        },
      );
      expect(activations.get('scaled_tanh').toJSON()).toEqual({ name: 'scaled_tanh', scale: 1, mode: 'pos', clip: false, odd: 3 });
      const x = new Float64Array([0.3, -1]);
      const y = activations.get('scaled_tanh', { scale: 2, mode: 'neg' }).forward(x);
      expect(Array.from(y)).toEqual([-2 * Math.tanh(0.3), -2 * Math.tanh(-1)]);
      const bad: [Record<string, unknown>, ErrorConstructor, RegExp][] = [
        [{ scale: 5 }, RangeError, /'scale' must be <= 4, got 5/],
        [{ scale: 0.1 }, RangeError, /'scale' must be a finite number >= 0.25/],
        [{ mode: 'up' }, RangeError, /'mode' must be 'pos' or 'neg', got 'up'/],
        [{ clip: 1 }, TypeError, /'clip' must be true or false/],
        [{ odd: 4 }, RangeError, /'odd' must be odd, got 4/],
        [{ odd: 3.5 }, RangeError, /'odd' must be an integer, got 3\.5/],
      ];
      for (const [p, type, re] of bad) {
        let err: unknown = null;
        try {
          activations.get('scaled_tanh', p);
        } catch (e) {
          err = e;
        }
        expect([p, err instanceof type, String(err)]).toEqual([p, true, expect.stringMatching(re)]);
      }
      // nonZero: 0 is refused (a divisor), any other finite value, negative ones included, is taken
      const spec = { params: { s: { default: 1, nonZero: true } } };
      registerActivation('inv_scaled', (x, { s }) => x.div(s as number), spec);
      expect(() => activations.get('inv_scaled', { s: 0 })).toThrow(
        new RangeError(`inv_scaled: parameter 's' must be a finite number other than 0, got 0`),
      );
      expect(Array.from(activations.get('inv_scaled', { s: -2 }).forward(new Float64Array([3])))).toEqual([-1.5]);
    });

    test('results of the wrong length or type fail naming the activation; number[] results are accepted', () => {
      registerActivation('short_forward', { forward: (x) => x.subarray(1), derivative: (x) => x });
      registerActivation('string_derivative', { forward: (x) => x, derivative: () => 'no' as unknown as number[] });
      registerActivation('plain_arrays', { forward: (x) => Array.from(x, (v) => 2 * v), derivative: (x) => Array.from(x, () => 2) });
      expect(() => activations.get('short_forward').forward(new Float32Array(3))).toThrow(
        /activation 'short_forward': forward returned 2 values for 3 inputs/,
      );
      expect(() => activations.get('string_derivative').derivative(new Float32Array(3))).toThrow(TypeError);
      expect(() => activations.get('string_derivative').backward(new Float32Array(3), new Float32Array(3))).toThrow(
        /'string_derivative': derivative must return/,
      );
      // elements that are not numbers (undefined became NaN, '1' became 1)
      registerActivation('holey', { forward: (x) => [undefined, ...Array.from(x).slice(1)] as number[], derivative: (x) => Array.from(x, () => '1') as unknown as number[] });
      expect(() => activations.get('holey').forward(new Float32Array(3))).toThrow(
        new TypeError(`activation 'holey': forward returned undefined at index 0, not a number`),
      );
      expect(() => activations.get('holey').derivative(new Float32Array(2))).toThrow(
        new TypeError(`activation 'holey': derivative returned string at index 0, not a number`),
      );
      const p = activations.get('plain_arrays');
      expect(Array.from(p.forward(new Float32Array([1, -2])))).toEqual([2, -4]);
      expect(Array.from(p.backward(new Float64Array([1, -2]), new Float64Array([3, 5])))).toEqual([6, 10]);
    });

    test('functions that write into their argument never change the caller\'s x (nor what autograd saved)', () => {
      registerActivation(
        'sq_in_place',
        {
          forward: (x) => {
            for (let i = 0; i < x.length; i++) x[i] = x[i] * x[i];
            return x;
          },
          derivative: (x) => {
            for (let i = 0; i < x.length; i++) x[i] = 2 * x[i];
            return x;
          },
        },
        { override: true },
      );
      try {
        const act = activations.get('sq_in_place');
        const x = new Float64Array([1, 2, 3]);
        expect(Array.from(act.forward(x))).toEqual([1, 4, 9]);
        expect(Array.from(x)).toEqual([1, 2, 3]);
        expect(Array.from(act.derivative(x))).toEqual([2, 4, 6]);
        expect(Array.from(act.backward(x, new Float64Array([1, 1, 2])))).toEqual([2, 4, 12]);
        expect(Array.from(x)).toEqual([1, 2, 3]);
        // in place: the result over x, as asked
        expect(act.forward(x, x)).toBe(x);
        expect(Array.from(x)).toEqual([1, 4, 9]);
        // autograd saves x for the backward: d/dx sum(x^2) = 2x at the original x
        const t = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
        nn.activation('sq_in_place').forward(t).sum().backward();
        expect(Array.from(t.grad!.data)).toEqual([2, 4, 6]);
        expect(Array.from(t.data)).toEqual([1, 2, 3]);
      } finally {
        unregisterActivation('sq_in_place');
      }
    });
  });

  describe('names and registration rules', () => {
    test('\'name\' is never a parameter (it would rename the activation in its JSON); learnable is a boolean', () => {
      registerActivation('any_params', (x) => x.mul(2), { override: true });
      try {
        expect(activations.get('any_params', { k: 2 }).toJSON()).toEqual({ name: 'any_params', k: 2 });
        expect(() => activations.get('any_params', { name: 'relu' })).toThrow(RangeError);
        expect(() => activations.get('any_params', { name: 'relu' })).toThrow(/'name' cannot be a parameter/);
      } finally {
        unregisterActivation('any_params');
      }
      expect(() => nn.activation('gelu', { name: 'relu' })).toThrow(/gelu: unknown parameter 'name'/);
      expect(() => nn.activation('swish', { learnable: 'yes' })).toThrow(TypeError);
      expect(() => nn.activation('swish', { learnBeta: 1, beta: 2 })).toThrow(/'learnBeta' must be a boolean/);
      expect(() => nn.activation('relu', { learnable: true })).toThrow(/relu: unknown parameter 'learnable'/);
      expect(nn.activation('swish', { learnable: true }).parameters()).toHaveLength(1);
      expect(nn.activation('silu', { learnable: false }).parameters()).toHaveLength(0);
    });

    test('built-in names and aliases are protected, even with override: true', () => {
      const fn = (x: Tensor): Tensor => x;
      expect(() => registerActivation('swish', mySwish)).toThrow(/'swish' is a built-in activation; built-in names are protected/);
      expect(() => registerActivation('swish', mySwish, { override: true })).toThrow(/built-in.*even with override: true/);
      expect(() => registerActivation('relu', fn, { override: true })).toThrow(/'relu' is a built-in/);
      expect(() => registerActivation('softrelu', fn)).toThrow(/'softrelu' is an alias of the built-in activation 'softplus'/);
      expect(() => unregisterActivation('swish')).toThrow(/built-in/);
      // RangeErrors, as for every other bad argument (naming it)
      expect(() => registerActivation('swish', mySwish)).toThrow(RangeError);
      expect(() => unregisterActivation('swish')).toThrow(RangeError);
      registerActivation('twice_registered', fn);
      try {
        expect(() => registerActivation('twice_registered', fn)).toThrow(RangeError);
        expect(() => registerActivation('twice_registered', fn)).toThrow(/already registered; pass \{ override: true/);
      } finally {
        unregisterActivation('twice_registered');
      }
      // the built-ins are untouched
      expect(activations.get('swish').opId).toBe(ActOp.swish);
      expect(activations.get('softrelu').name).toBe('softplus');
      expect(activations.list().find((e) => e.name === 'swish')!.custom).toBeUndefined();
    });

    test('malformed names, definitions and options: TypeError/RangeError naming the problem; nothing registered', () => {
      const fn = (x: Tensor): Tensor => x;
      const cases: ErrorCase[] = [
        [() => registerActivation('my act', fn), TypeError, /'name' must be an identifier like 'my_act', got "my act"/],
        [() => registerActivation('', fn), TypeError, /'name' must be an identifier/],
        [() => registerActivation(42 as unknown as string, fn), TypeError, /'name' must be a string, got number 42/],
        [() => registerActivation('bad_def', 3 as unknown as typeof fn), TypeError, /'definition' must be a function .* got number 3/],
        [() => registerActivation('bad_def', null as unknown as typeof fn), TypeError, /'definition' must be/],
        [() => registerActivation('bad_def', { forward: fn } as never), TypeError, /needs a 'derivative\(x, params\)' function/],
        [() => registerActivation('bad_def', { forward: fn, derivative: fn, backward: fn } as never), RangeError, /unknown key 'backward'/],
        [() => registerActivation('bad_def', fn, 'x' as never), TypeError, /'options' must be an object/],
        [() => registerActivation('bad_def', fn, { override: 'yes' } as never), TypeError, /'override' must be a boolean/],
        [() => registerActivation('bad_def', fn, { overide: true } as never), RangeError, /unknown key 'overide'/],
        [() => registerActivation('bad_def', fn, { params: [] as never }), TypeError, /'params' must be an object/],
        [() => registerActivation('bad_def', fn, { params: { beta: { default: 'a' } } }), TypeError, /string parameter needs 'choices'/],
        [() => registerActivation('bad_def', fn, { params: { beta: { default: null as never } } }), TypeError, /'default' must be/],
        [() => registerActivation('bad_def', fn, { params: { beta: { default: 1, min: 2 } } }), RangeError, /the default 1 fails its own checks/],
        [() => registerActivation('bad_def', fn, { params: { beta: { default: 1, step: 2 } as never } }), RangeError, /unknown key 'step'/],
        [() => registerActivation('bad_def', fn, { params: { name: 1 } }), RangeError, /parameter name 'name'/],
        [
          () => registerActivation('bad_def', { ...bentDefinition }, { params: { k: 1 } }),
          RangeError,
          /in the definition or in the options, not both/,
        ],
      ];
      expectErrors(cases, 90);
      expect(activations.has('bad_def')).toBe(false);
      expect(activations.has('my act')).toBe(false);
    });

    test('re-registering a custom name needs override: true; override replaces it in place; unregister removes it', () => {
      registerActivation('doubler', (x) => x.mul(2));
      const position = activations.names().indexOf('doubler');
      expect(() => registerActivation('doubler', (x) => x.mul(3))).toThrow(/'doubler' is already registered; pass \{ override: true \}/);
      expect(activations.get('doubler').forward(new Float64Array([1.5]))[0]).toBe(3);
      registerActivation('doubler', { forward: (x) => x.map((v) => 3 * v), derivative: (x) => x.map(() => 3) }, { override: true });
      expect(activations.get('doubler').forward(new Float64Array([1.5]))[0]).toBe(4.5);
      expect(activations.get('doubler').derivative(new Float64Array([1.5]))[0]).toBe(3);
      expect(activations.names().indexOf('doubler')).toBe(position);
      expect(activations.names().filter((n) => n === 'doubler')).toHaveLength(1);
      // override on a new name simply registers it
      registerActivation('tripler', (x) => x.mul(3), { override: true });
      expect(unregisterActivation('tripler')).toBe(true);
      expect(unregisterActivation('doubler')).toBe(true);
      expect(unregisterActivation('doubler')).toBe(false);
      expect(activations.has('doubler')).toBe(false);
      expect(() => activations.get('doubler')).toThrow(/unknown activation 'doubler'/);
    });

    test('list(): custom activations are marked, with their parameters and description', () => {
      const list = activations.list();
      const byName = Object.fromEntries(list.map((e) => [e.name, e]));
      expect(byName.my_swish).toEqual({
        name: 'my_swish',
        aliases: [],
        params: [],
        description: expect.stringContaining('user-registered'),
        custom: true,
      });
      expect(byName.bent_identity.custom).toBe(true);
      expect(byName.bent_identity.params).toEqual([{ name: 'k', default: 2, description: 'inverse scale of the bend' }]);
      for (const builtin of ['relu', 'tanh', 'swish', 'prelu', 'gelu']) expect('custom' in byName[builtin]).toBe(false);
      expect(activations.isCustom('my_swish')).toBe(true);
      expect(activations.isCustom('relu')).toBe(false);
      expect(activations.isCustom('nope')).toBe(false);
      // unknown names list the custom ones too
      expect(() => activations.get('nope')).toThrow(/known activations: .*my_swish.*bent_identity/);
    });
  });

  describe('gradcheck in float64 (both kinds, through Tensor ops and nn modules)', () => {
    const x64 = (): Tensor =>
      tensor(Array.from({ length: 15 }, (_, i) => ((i * 37) % 17) / 3 - 2.7), { shape: [3, 5], dtype: 'float64' }).requiresGrad_();

    test('Tensor.activation and nn.activation', () => {
      expect(gradcheck((t: Tensor) => t.activation('my_swish'), [x64()])).toBe(true);
      expect(gradcheck((t: Tensor) => t.activation('my_swish', { beta: 1.7 }), [x64()])).toBe(true);
      expect(gradcheck((t: Tensor) => t.activation({ name: 'bent_identity', k: 0.7 }), [x64()])).toBe(true);
      const m1 = nn.activation({ name: 'my_swish', beta: 0.6 });
      const m2 = nn.activation('bent_identity', { k: 3 });
      expect(gradcheck((t: Tensor) => m2.forward(m1.forward(t)), [x64()])).toBe(true);
    });

    test('a wrong derivative is caught (the check can fail)', () => {
      registerActivation('wrong_derivative', {
        forward: (x) => x.map((v) => v * v),
        derivative: (x) => x.map((v) => v), // should be 2x
      });
      expect(() => gradcheck((t: Tensor) => t.activation('wrong_derivative'), [x64()])).toThrow();
    });

    test('nn.MLP (float64) with a custom activation: gradients wrt input and weights', () => {
      for (const activation of ['my_swish', { name: 'bent_identity', k: 1.5 }] as const) {
        const mlp = new nn.MLP({ inputs: 5, hidden: [4, 3], outputs: 2, activation, dtype: 'float64', seed: 3 });
        expect(gradcheck((t: Tensor) => mlp.forward(t), [x64()])).toBe(true);
        const w = mlp.linears[0].weight;
        expect(gradcheck((_w: Tensor) => mlp.forward(x64().detach()), [w])).toBe(true);
      }
    });
  });

  describe('by name everywhere', () => {
    test('nn.activation, Tensor.activation and nn.MLP use the registered function', () => {
      const x = tensor(XS, { dtype: 'float64' });
      const want = XS.map((v) => swishRef(v, 2));
      expectClose(nn.activation('my_swish', { beta: 2 }).forward(x).data, want, 1e-13, 'nn.activation');
      expectClose(x.activation({ name: 'my_swish', beta: 2 }).data, want, 1e-13, 'Tensor.activation');
      const m = nn.activation({ name: 'bent_identity', k: 4 });
      expect(m).toBeInstanceOf(nn.Activation);
      expect((m as nn.Activation).config()).toEqual({ name: 'bent_identity', k: 4 });

      bentCalls = { forward: 0, derivative: 0 };
      const mlp = new nn.MLP({ inputs: 3, hidden: [4, 4], outputs: 2, activation: { name: 'bent_identity', k: 4 }, seed: 1 });
      const out = mlp.forward(tensor([[0.1, -0.2, 0.3]]));
      out.sum().backward();
      expect(bentCalls).toEqual({ forward: 2, derivative: 2 }); // one per hidden layer, each way
      for (const p of mlp.parameters()) expect(p.grad).not.toBeNull();
      const cfg = mlp.toJSON().config as Record<string, unknown>;
      expect(cfg.activation).toEqual({ name: 'bent_identity', k: 4 });
      expect(cfg.activationResolved).toEqual({ name: 'bent_identity', k: 4 });
      // the JSON rebuilds the same architecture, resolving the name again
      const again = nn.fromJSON(mlp.toJSON());
      again.loadStateDict(mlp.stateDict());
      const xin = tensor([[0.5, 0.25, -1]]);
      expect(Array.from(again.forward(xin).data)).toEqual(Array.from(mlp.forward(xin).data));
    });

    /** Two well separated Gaussian blobs in 4-D (class = sign of the first mean), 240 samples. */
    function blobs(): { X: Float32Array; y: Int32Array } {
      let s = 12345;
      const rnd = (): number => {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        return s / 0x7fffffff;
      };
      const gauss = (): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
      const n = 240;
      const X = new Float32Array(n * 4);
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        y[i] = i % 2;
        for (let j = 0; j < 4; j++) X[i * 4 + j] = (y[i] === 1 ? 1.5 : -1.5) * (j === 0 ? 1 : 0.5) + 0.6 * gauss();
      }
      return { X, y };
    }

    test('NeuralNetClassifier: module__activation by name, save records it, load needs the registration', async () => {
      const { X, y } = blobs();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-reg-'));
      try {
        for (const activation of ['my_swish', { name: 'bent_identity', k: 3 }] as const) {
          const net = new NeuralNetClassifier({
            moduleParams: { inputs: 4, hidden: [8], outputs: 2 },
            lr: 0.1,
            optimizerParams: { momentum: 0.9 },
            maxEpochs: 8,
            batchSize: 32,
            verbose: 0,
          }).setParams({ module__activation: activation });
          await net.fit(X, y);
          const h = net.history.toJSON();
          expect(h[h.length - 1].train_loss as number).toBeLessThan(h[0].train_loss as number);
          expect(net.score(X, y)).toBeGreaterThan(0.9);
          const file = path.join(dir, `model-${typeof activation === 'string' ? activation : activation.name}.json`);
          net.save(file);
          const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
          expect(saved.moduleParams.activation).toEqual(activation);
          const loaded = NeuralNetClassifier.load(file);
          expect(Array.from(loaded.predictProba(X))).toEqual(Array.from(net.predictProba(X)));
        }
        // Loading without the registration fails loudly, naming the activation; re-registering fixes it.
        const file = path.join(dir, 'model-my_swish.json');
        expect(unregisterActivation('my_swish')).toBe(true);
        try {
          expect(() => NeuralNetClassifier.load(file)).toThrow(/uses the activation 'my_swish', which is not registered in this process/);
          expect(() => new NeuralNetClassifier({ moduleParams: { inputs: 4, hidden: [3], outputs: 2, activation: 'my_swish' } }).initialize()).toThrow(
            /unknown activation 'my_swish'/,
          );
        } finally {
          registerActivation('my_swish', mySwish);
        }
        expect(NeuralNetClassifier.load(file).predict(X).length).toBe(y.length);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test('grid search over custom names and { name, ...params } (sequential)', async () => {
      const { X, y } = blobs();
      const net = new NeuralNetClassifier({ moduleParams: { inputs: 4, hidden: [6], outputs: 2 }, maxEpochs: 2, batchSize: 32, verbose: 0, lr: 0.05 });
      const values = ['my_swish', { name: 'my_swish', beta: 2 }, { name: 'bent_identity', k: 0.5 }, 'relu'];
      const gs = await new GridSearchCV(net, { module__activation: values }, { cv: 2, verbose: 0, refit: false }).fit(X, y);
      expect(gs.cvResults.map((r) => r.param_module__activation)).toEqual(values);
      for (const r of gs.cvResults) for (const k of ['split0_test_score', 'split1_test_score']) expect(r[k]).toBeGreaterThanOrEqual(0);
      // each candidate's scores are those of a plain fit with that activation on the same folds
      const folds = [...new (await import('../lib')).StratifiedKFold({ nSplits: 2 }).split(y.length, y)];
      const { takeRows: gather } = await import('../lib/data/batch');
      const Xtr = gather(X, 4, folds[1].train);
      const Xte = gather(X, 4, folds[1].test);
      const est = net.clone().setParams({ module__activation: values[1] });
      await est.fit(Xtr, Int32Array.from(folds[1].train, (i) => y[i]));
      expect(est.score(Xte, Int32Array.from(folds[1].test, (i) => y[i]))).toBe(gs.cvResults[1].split1_test_score);
      // unknown names fail in the constructor, before any fit, listing the known ones
      expect(() => new GridSearchCV(net, { module__activation: ['my_swsh'] }, { cv: 2, verbose: 0 })).toThrow(
        /^module__activation=my_swsh: unknown activation 'my_swsh'; known activations: .*my_swish/,
      );
    });

    test('names that are Object.prototype members (constructor, toString, __proto__) work in nn and nn.MLP', () => {
      const names = ['constructor', 'toString', 'hasOwnProperty', '__proto__'];
      try {
        for (const name of names) {
          registerActivation(name, (x: Tensor) => x.mul(2));
          const x = tensor([[1, -2]]);
          expect([name, Array.from(nn.activation(name).forward(x).data)]).toEqual([name, [2, -4]]);
          const mlp = new nn.MLP({ inputs: 2, hidden: [3], outputs: 2, activation: name, seed: 1 });
          expect(mlp.forward(x).shape).toEqual([1, 2]);
        }
      } finally {
        for (const name of names) unregisterActivation(name);
      }
    });
  });

  describe('the CLI: --require MODULE registers activations (compiled package)', () => {
    const maybe = haveDist ? test : test.skip;
    let dir = '';
    let moduleFile = '';
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-cli-'));
      moduleFile = path.join(dir, 'my-activations.js');
      fs.writeFileSync(
        moduleFile,
        `const { registerActivation } = require(${JSON.stringify(DIST_INDEX)});\n` +
          `registerActivation('my_swish', (x, { beta = 1 }) => x.mul(x.mul(beta).sigmoid()));\n` +
          `registerActivation('bent_identity', {\n` +
          `  forward: (x, { k }) => x.map((v) => (Math.sqrt(v * v + 1) - 1) / k + v),\n` +
          `  derivative: (x, { k }) => x.map((v) => v / (k * Math.sqrt(v * v + 1)) + 1),\n` +
          `  params: { k: { default: 2, greaterThan: 0 } },\n` +
          `});\n`,
      );
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    const cli = (args: string[]) => spawnSync(process.execPath, [DIST_CLI, ...args], { cwd: dir, encoding: 'utf8', env: process.env });

    maybe('train --require ./my-activations.js --activation my_swish:beta=1.5 (and without --require: a named error)', () => {
      const json = path.join(dir, 'train.json');
      const r = cli(['train', '--require', './my-activations.js', '--activation', 'my_swish:beta=1.5', '--limit', '300', '--epochs', '1', '--hidden', '8', '--quiet', '--json', json]);
      expect([r.status, r.stderr]).toEqual([0, '']);
      const out = JSON.parse(fs.readFileSync(json, 'utf8'));
      expect(out.config.activation).toEqual({ name: 'my_swish', beta: 1.5 });
      expect(out.history).toHaveLength(1);
      expect(out.test_acc).toBeGreaterThan(0.1);

      const r2 = cli(['train', '--activation', 'my_swish', '--limit', '300', '--epochs', '1', '--quiet']);
      expect(r2.status).toBe(2); // a bad --activation value is a usage error, found before MNIST is loaded
      expect(r2.stderr).toMatch(/unknown activation 'my_swish'/);
    });

    maybe('grid --require with --jobs 2: the workers register the custom activations too', () => {
      const json = path.join(dir, 'grid.json');
      const r = cli([
        'grid', '--require', moduleFile, '--activations', 'my_swish:beta=2,bent_identity,relu', '--cv', '2', '--epochs', '1',
        '--limit', '300', '--hidden', '8', '--jobs', '2', '--no-refit', '--quiet', '--json', json,
      ]);
      expect([r.status, r.stderr]).toEqual([0, '']);
      const out = JSON.parse(fs.readFileSync(json, 'utf8'));
      expect(out.cvResults.map((row: Record<string, unknown>) => row.param_module__activation)).toEqual([
        { name: 'my_swish', beta: 2 },
        'bent_identity',
        'relu',
      ]);
      for (const row of out.cvResults) expect(row.split0_test_score).toBeGreaterThan(0);
    });
  });
});
