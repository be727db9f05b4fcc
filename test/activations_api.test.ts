/**
 * The public activation API: registry (names, aliases, params, defaults, list), validation errors (thrown
 * before any kernel runs), PReLU per channel, swish/PReLU parameter gradients, visualizeActivation.
 * Numerical accuracy of every op is covered by activations.test.ts; here values are checked against the
 * float64 reference with loose-enough tolerances that hold on every backend.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { backend, setBackend, type Backend } from '../lib/backend';
import { ActOp } from '../lib/backend/ops';
import type { FloatArray } from '../lib/backend/types';
import * as activations from '../lib/activations';
import { register } from '../lib/activations/registry';
import { visualizeActivation, linspace } from '../lib/viz/visualize';
import { sweep, uniform } from './helpers/edge';
import { tensor } from '../lib/autograd';
import * as nn from '../lib/nn';
import { activation as opsActivation } from '../lib/ops/activation';
import { linearAct } from '../lib/ops/matmul';
import { refDerivative, refForward, refSwishBetaGrad } from './helpers/reference';

const be = backend();
const DTYPES = [Float32Array, Float64Array] as const;

/** Relative closeness for values that went through one dtype's kernels. */
function close(got: number, want: number, dtype: typeof Float32Array | typeof Float64Array, abs = 0): boolean {
  if (want !== want) return got !== got;
  if (!Number.isFinite(want)) return got === want;
  const tol = dtype === Float32Array ? 4e-6 : 1e-13;
  return Math.abs(got - want) <= tol * Math.abs(want) + abs;
}

/** Runs fn with a backend that records every kernel call (and forwards it), then restores the backend. */
function recordingCalls(fn: () => void): string[] {
  const calls: string[] = [];
  const inner = backend();
  const spy = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as Backend;
  setBackend(spy);
  try {
    fn();
  } finally {
    setBackend(inner);
  }
  return calls;
}

describe(`activations API [backend=${be.name}, isa=${be.isa}]`, () => {
  describe('registry', () => {
    test('list(): every PyTorch name with its parameters and defaults', () => {
      const list = activations.list();
      const byName = Object.fromEntries(list.map((e) => [e.name, e]));
      expect(list.map((e) => e.name).sort()).toEqual(
        [
          'sigmoid',
          'tanh',
          'softsign',
          'relu',
          'softplus',
          'leaky_relu',
          'prelu',
          'elu',
          'selu',
          'swish',
          'silu',
          'gelu',
          'mish',
          'hardswish',
          'hardsigmoid',
          'relu6',
          'celu',
        ].sort(),
      );
      const defaults = (name: string): Record<string, unknown> =>
        Object.fromEntries(byName[name].params.map((p) => [p.name, p.default]));
      expect(defaults('softplus')).toEqual({ beta: 1, threshold: 20 });
      expect(defaults('leaky_relu')).toEqual({ alpha: 0.01 });
      expect(defaults('prelu')).toEqual({ alpha: 0.25, inner: 1 });
      expect(defaults('elu')).toEqual({ alpha: 1 });
      expect(defaults('swish')).toEqual({ beta: 1, learnable: false });
      expect(defaults('gelu')).toEqual({ approximate: 'none' });
      expect(defaults('celu')).toEqual({ alpha: 1 });
      for (const n of ['sigmoid', 'tanh', 'relu', 'selu', 'silu', 'mish', 'hardswish', 'hardsigmoid', 'relu6']) {
        expect([n, byName[n].params]).toEqual([n, []]);
      }
      expect(byName.softplus.aliases).toEqual(['softrelu']);
      expect(byName.swish.params.find((p) => p.name === 'beta')!.learnable).toBe(true);
      expect(byName.prelu.params.find((p) => p.name === 'alpha')!.learnable).toBe(true);
      expect(byName.softplus.params.every((p) => !p.learnable)).toBe(true);
      for (const e of list) expect(typeof e.description === 'string' && e.description.length > 0).toBe(true);
      expect(activations.names()).toEqual(list.map((e) => e.name));
      expect(activations.has('softrelu')).toBe(true);
      expect(activations.has('nope')).toBe(false);
    });

    test('get: by name, by { name, ...params }, aliases, defaults filled in, resolved kernel op', () => {
      const a = activations.get('swish', { beta: 1.5 });
      const b = activations.get({ name: 'swish', beta: 1.5 });
      expect(a.params).toEqual({ beta: 1.5, learnable: false });
      expect(b.toJSON()).toEqual(a.toJSON());
      expect([a.name, a.opId, a.a, a.b]).toEqual(['swish', ActOp.swish, 1.5, 0]);
      // params given both ways: the second argument wins
      expect(activations.get({ name: 'swish', beta: 2 }, { beta: 3 }).a).toBe(3);
      // undefined means "default"
      expect(activations.get('swish', { beta: undefined }).a).toBe(1);

      const sp = activations.get('softrelu', { beta: 2 });
      expect(sp.name).toBe('softplus');
      expect(sp.toJSON()).toEqual({ name: 'softplus', beta: 2, threshold: 20 });
      expect([sp.opId, sp.a, sp.b]).toEqual([ActOp.softplus, 2, 20]);

      const silu = activations.get('silu');
      expect([silu.opId, silu.a, silu.toJSON()]).toEqual([ActOp.swish, 1, { name: 'silu' }]);
      expect(activations.get('gelu').opId).toBe(ActOp.gelu);
      expect(activations.get('gelu', { approximate: 'tanh' }).opId).toBe(ActOp.gelu_tanh);
      expect(activations.get('leaky_relu').a).toBe(0.01);
      expect([activations.get('celu').opId, activations.get('celu').a]).toEqual([ActOp.celu, 1]);
      expect(activations.get('swish', { learnable: true }).params.learnable).toBe(true);

      const pr = activations.get('prelu');
      expect([pr.opId, pr.a]).toEqual([ActOp.leaky_relu, 0.25]);
      const pc = activations.get('prelu', { alpha: new Float32Array([0.5, 0.25]), inner: 3 });
      expect(pc.opId).toBe(-1);
      expect(pc.toJSON()).toEqual({ name: 'prelu', alpha: [0.5, 0.25], inner: 3 });
    });

    test('get(activation) returns it; toJSON() round-trips for every activation', () => {
      const s = activations.get('swish', { beta: 0.5 });
      expect(activations.get(s)).toBe(s);
      expect(activations.get(s, { beta: 2 }).toJSON()).toEqual({ name: 'swish', beta: 2, learnable: false });
      const x = Float64Array.from(sweep(64, 9));
      for (const { name } of activations.list()) {
        const act = activations.get(name);
        const json = act.toJSON();
        expect(JSON.parse(JSON.stringify(json))).toEqual(json);
        const again = activations.get(json);
        expect(again.toJSON()).toEqual(json);
        expect([name, again.opId, again.a, again.b]).toEqual([name, act.opId, act.a, act.b]);
        expect(again.forward(x)).toEqual(act.forward(x));
      }
    });

    test('unknown names: an Error that lists the known names', () => {
      let err: unknown;
      try {
        activations.get('swishh');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      const msg = (err as Error).message;
      expect(msg).toContain("'swishh'");
      for (const n of activations.names()) expect(msg).toContain(n);
      expect(() => activations.get({ name: 'nope' })).toThrow(RangeError);
      expect(() => activations.get({ name: 'nope' })).toThrow(/unknown activation 'nope'.*relu/);
      expect(() => activations.get('nope')).not.toThrow(/approximate/);
    });

    test("'gelu_tanh' (a kernel, not a name) is unknown with a pointer to gelu { approximate: 'tanh' }", () => {
      const hint = new RegExp(
        "^unknown activation 'gelu_tanh'; for gelu's tanh approximation use gelu with \\{ approximate: 'tanh' \\}",
      );
      expect(() => activations.get('gelu_tanh')).toThrow(RangeError);
      expect(() => activations.get('gelu_tanh')).toThrow(hint);
      expect(() => activations.get({ name: 'gelu_tanh' })).toThrow(hint);
      expect(() => nn.activation('gelu_tanh')).toThrow(hint);
      expect(activations.has('gelu_tanh')).toBe(false); // no new name
      expect(activations.get('gelu', { approximate: 'tanh' }).opId).toBe(ActOp.gelu_tanh);
    });

    test('bad names, params and parameter values: TypeError/RangeError naming the culprit', () => {
      expect(() => activations.get(42 as unknown as string)).toThrow(TypeError);
      expect(() => activations.get(null as unknown as string)).toThrow(TypeError);
      expect(() => activations.get({} as unknown as string)).toThrow(TypeError);
      expect(() => activations.get('swish', 1.5 as unknown as Record<string, unknown>)).toThrow(TypeError);
      const cases: [string, Record<string, unknown>, ErrorConstructor, RegExp][] = [
        ['swish', { gamma: 1 }, RangeError, /swish: unknown parameter 'gamma'.*beta/],
        ['relu', { alpha: 1 }, RangeError, /relu: unknown parameter 'alpha'; it takes no parameters/],
        ['swish', { beta: NaN }, RangeError, /'beta'.*NaN/],
        ['swish', { beta: Infinity }, RangeError, /'beta'/],
        ['swish', { beta: '1.5' }, TypeError, /'beta'.*string/],
        ['swish', { learnable: 1 }, TypeError, /'learnable'/],
        ['softplus', { beta: 0 }, RangeError, /softplus: parameter 'beta' must be a finite number >= 1e-20, <= 1e\+20, got 0/],
        // parameters the float32 kernels cannot hold (NaN out of ordinary inputs before)
        ['softplus', { beta: 1e39 }, RangeError, /softplus: parameter 'beta'/],
        ['leaky_relu', { alpha: 1e39 }, RangeError, /leaky_relu: parameter 'alpha' must be a finite number with \|x\| <= 1e\+20, got 1e\+39/],
        ['elu', { alpha: -1e21 }, RangeError, /elu: parameter 'alpha'/],
        ['swish', { beta: 1e39 }, RangeError, /swish: parameter 'beta'/],
        ['swish', { beta: 1e-30 }, RangeError, /swish: parameter 'beta' must be a finite number that is 0 or has 1e-20 <= \|x\| <= 1e\+20, got 1e-30/],
        ['prelu', { alpha: 1e39 }, RangeError, /prelu: parameter 'alpha' must be/],
        ['prelu', { alpha: [0.1, -1e39] }, RangeError, /prelu: parameter 'alpha'\[1\] must have \|x\| <= 1e\+20, got -1e\+39/],
        ['softplus', { beta: -1 }, RangeError, /'beta'/],
        ['softplus', { threshold: -Infinity }, RangeError, /'threshold'/],
        ['celu', { alpha: 0 }, RangeError, /celu: parameter 'alpha' must be a finite number >= 1e-20, <= 1e\+20, got 0/],
        ['celu', { alpha: -2 }, RangeError, /celu: parameter 'alpha' must be a finite number >= 1e-20, <= 1e\+20, got -2/],
        ['celu', { alpha: 1e300 }, RangeError, /celu: parameter 'alpha'/],
        ['elu', { alpha: NaN }, RangeError, /'alpha'/],
        ['leaky_relu', { alpha: Infinity }, RangeError, /'alpha'/],
        ['gelu', { approximate: 'fast' }, RangeError, /'approximate' must be 'none' or 'tanh'/],
        ['gelu', { approximate: true }, TypeError, /'approximate'/],
        ['prelu', { alpha: [] }, RangeError, /'alpha' must not be empty/],
        ['prelu', { alpha: [0.1, NaN] }, RangeError, /'alpha'\[1\] must have \|x\| <= 1e\+20, got NaN/],
        ['prelu', { alpha: [0.1, '2'] }, TypeError, /'alpha'\[1\]/],
        ['prelu', { alpha: 'x' }, TypeError, /'alpha'/],
        ['prelu', { inner: 0 }, RangeError, /'inner'/],
        ['prelu', { inner: 1.5 }, RangeError, /'inner'/],
      ];
      for (const [name, params, type, re] of cases) {
        let err: unknown = null;
        try {
          activations.get(name, params);
        } catch (e) {
          err = e;
        }
        expect([name, params, err instanceof type, String(err)]).toEqual([name, params, true, expect.stringMatching(re)]);
      }
    });

    test('register: names and aliases are unique and well-formed', () => {
      const spec = activations.spec('relu');
      expect(() => register(spec)).toThrow(/already registered/);
      expect(() => register({ ...spec, name: 'my relu' })).toThrow(TypeError);
      expect(() => register({ ...spec, name: 'relu_alias_clash', aliases: ['softrelu'] })).toThrow(/'softrelu'/);
      expect(activations.has('relu_alias_clash')).toBe(false);
    });
  });

  describe('arguments', () => {
    test('x, gradOut, y: TypeError for non-float arrays and mixed dtypes; RangeError for lengths and any bad out', () => {
      const act = activations.get('swish');
      const x = new Float32Array(4);
      const bad: [() => unknown, ErrorConstructor, RegExp][] = [
        [() => act.forward([1, 2] as unknown as Float32Array), TypeError, /^x must be a Float32Array or Float64Array, got Array/],
        [() => act.forward(new Int32Array(2) as unknown as Float32Array), TypeError, /^x .*Int32Array/],
        [() => act.forward(null as unknown as Float32Array), TypeError, /^x .*null/],
        [() => act.forward(undefined as unknown as Float32Array), TypeError, /^x /],
        [() => act.forward(x, new Float64Array(4) as unknown as Float32Array), RangeError, /^out is a Float64Array but x is a Float32Array/],
        [() => act.forward(x, new Float32Array(3)), RangeError, /^out has length 3 but x has length 4/],
        [() => act.forward(x, [0, 0, 0, 0] as unknown as Float32Array), RangeError, /^out /],
        [() => act.backward(x, x, new Float64Array(4) as unknown as Float32Array), RangeError, /^out is a Float64Array/],
        [() => act.derivative(x, new Int32Array(4) as unknown as Float32Array), RangeError, /^out .*Int32Array/],
        [() => act.derivative('x' as unknown as Float32Array), TypeError, /^x /],
        [() => act.derivative(x, new Float32Array(5)), RangeError, /^out /],
        [() => act.backward(x, undefined as unknown as Float32Array), TypeError, /^gradOut /],
        [() => act.backward(x, new Float64Array(4) as unknown as Float32Array), TypeError, /^gradOut is a Float64Array/],
        [() => act.backward(x, new Float32Array(2)), RangeError, /^gradOut has length 2/],
        [() => act.backward(x, new Float32Array(4), new Float32Array(1)), RangeError, /^out /],
        [() => act.backward(x, new Float32Array(4), null, { y: new Float64Array(4) as unknown as Float32Array }), TypeError, /^y /],
        [() => act.backward(x, new Float32Array(4), null, { y: new Float32Array(9) }), RangeError, /^y /],
        [() => act.backward(x, new Float32Array(4), null, 3 as unknown as { y?: Float32Array }), TypeError, /options/],
        [() => act.paramGrad!(new Uint8Array(4) as unknown as Float32Array), TypeError, /^x /],
        [() => act.paramGrad!(x, new Float32Array(3)), RangeError, /^gradOut /],
      ];
      const calls = recordingCalls(() => {
        for (const [fn, type, re] of bad) {
          let err: unknown = null;
          try {
            fn();
          } catch (e) {
            err = e;
          }
          expect([String(fn), err instanceof type, String((err as Error)?.message)]).toEqual([String(fn), true, expect.stringMatching(re)]);
        }
      });
      expect(calls).toEqual([]); // nothing reached the backend
    });

    test('a typed array subclass whose `length` is not its element count: TypeError naming it (RangeError for out), no kernel call', () => {
      // the checks once read the overridden length: js computed on 6 of 4 elements, native threw from C++
      class Longer extends Float32Array {
        override get length(): number {
          return 6;
        }
      }
      class Shorter extends Float64Array {
        override get length(): number {
          return 2;
        }
      }
      class Plain extends Float32Array {}
      const act = activations.get('swish');
      const prelu = activations.get('prelu', { alpha: [0.1, 0.2] });
      const evil = new Longer(4).fill(-1);
      const x = new Float32Array(4).fill(-1);
      const short = new Shorter(4);
      const bad: [() => unknown, RegExp, ErrorConstructor?][] = [
        [() => act.forward(evil), /^x has a 'length' of 6 but holds 4 elements \(class Longer overrides it\)/],
        [() => activations.get('sigmoid').forward(evil), /^x has a 'length' of 6/],
        [() => act.forward(short), /^x has a 'length' of 2 but holds 4 elements/],
        [() => act.forward(new Float32Array(6), new Longer(4)), /^out has a 'length' of 6/, RangeError], // any bad out
        [() => act.derivative(evil), /^x /],
        [() => act.backward(x, new Longer(4)), /^gradOut has a 'length' of 6/],
        [() => act.backward(x, x, null, { y: new Longer(4) }), /^y has a 'length' of 6/],
        [() => act.paramGrad!(evil), /^x /],
        [() => act.paramGrad!(new Float32Array(6), new Longer(4)), /^gradOut /],
        [() => prelu.forward(evil), /^x has a 'length' of 6/],
        [() => prelu.paramGrad!(evil), /^x /],
      ];
      const calls = recordingCalls(() => {
        for (const [fn, re, type = TypeError] of bad) {
          let err: unknown = null;
          try {
            fn();
          } catch (e) {
            err = e;
          }
          expect([String(fn), err instanceof type, String((err as Error)?.message)]).toEqual([
            String(fn),
            true,
            expect.stringMatching(re),
          ]);
        }
      });
      expect(calls).toEqual([]);
      // a subclass that leaves length alone works as its base class
      expect(Array.from(activations.get('relu').forward(Plain.from([-1, 2])))).toEqual([0, 2]);
    });

    test('partially overlapping out is a RangeError; the same array (in place) is fine', () => {
      const act = activations.get('tanh');
      const buf = new Float64Array(16).fill(0.5);
      const x = buf.subarray(0, 8);
      expect(() => act.forward(x, buf.subarray(4, 12))).toThrow(/^out partially overlaps x/);
      expect(() => act.backward(x, buf.subarray(8, 16), buf.subarray(7, 15))).toThrow(RangeError);
      expect(() => act.forward(x, buf.subarray(8, 16))).not.toThrow(); // adjacent, no overlap
      expect(act.forward(x, x)).toBe(x);
      expect(buf[0]).toBeCloseTo(Math.tanh(0.5), 15);
      // y and gradOut are only read, so they may overlap each other
      const g = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(() => act.backward(x, g, null, { y: g })).not.toThrow();
    });

    test('forward/derivative/backward allocate an output of x’s dtype, or fill and return `out`', () => {
      for (const T of DTYPES) {
        const act = activations.get('gelu');
        const x = T.from([-2, -0.5, 0, 0.5, 2]);
        const y = act.forward(x);
        expect(y).toBeInstanceOf(T);
        expect(y).not.toBe(x);
        const out = new T(5);
        expect(act.forward(x, out)).toBe(out);
        expect(Array.from(out)).toEqual(Array.from(y));
        const d = act.derivative(x);
        expect(d).toBeInstanceOf(T);
        const go = T.from([1, -2, 0.5, 3, 0]);
        const gi = act.backward(x, go);
        expect(gi).toBeInstanceOf(T);
        gi.forEach((v, i) => expect(close(v, d[i] * go[i], T, 1e-300)).toBe(true));
        x.forEach((v, i) => {
          expect(close(y[i], refForward('gelu', v, 0, 0), T, 1e-300)).toBe(true);
          expect(close(d[i], refDerivative('gelu', v, 0, 0), T, 1e-300)).toBe(true);
        });
        expect(act.forward(new T(0))).toHaveLength(0);
      }
    });
  });

  describe('PReLU', () => {
    function refPrelu(x: ArrayLike<number>, alpha: number[], inner: number) {
      const c = (i: number) => Math.floor(i / inner) % alpha.length;
      const y = Array.from(x, (v, i) => (v > 0 ? v : alpha[c(i)] * v));
      const d = Array.from(x, (v, i) => (v > 0 ? 1 : alpha[c(i)]));
      return { y, d, c };
    }

    for (const T of DTYPES) {
      test(`${T.name}: one alpha per channel (element i in channel floor(i / inner) % channels)`, () => {
        const alphaList = [0.1, -0.3, 0.25];
        for (const alpha of [alphaList, Float32Array.from(alphaList), Float64Array.from(alphaList)]) {
          for (const inner of [1, 4]) {
            const n = 3 * inner * 5;
            const x = T.from(sweep(n, inner + 17, -3));
            x[0] = 0;
            x[1] = -0;
            const act = activations.get('prelu', { alpha, inner });
            const want = refPrelu(x, Array.from(T.from(Array.from(alpha))), inner); // alpha as given, in x's dtype
            const y = act.forward(x);
            const go = T.from(uniform(n, 5));
            const gi = act.backward(x, go);
            const d = act.derivative(x);
            for (let i = 0; i < n; i++) {
              expect([i, close(y[i], want.y[i], T)]).toEqual([i, true]);
              expect([i, d[i]]).toEqual([i, want.d[i]]); // 1 or alpha[c], exact in either dtype
              expect([i, close(gi[i], want.d[i] * go[i], T)]).toEqual([i, true]);
            }
            // d/d alpha_c = sum over channel-c elements with x <= 0 of x * go
            const ga = act.paramGrad!(x, go) as FloatArray;
            expect(ga).toBeInstanceOf(T);
            expect(ga).toHaveLength(3);
            const wantGa = [0, 0, 0];
            const scale = [0, 0, 0];
            x.forEach((v, i) => {
              if (v <= 0) {
                wantGa[want.c(i)] += v * go[i];
                scale[want.c(i)] += Math.abs(v * go[i]);
              }
            });
            for (let c = 0; c < 3; c++) {
              expect(Math.abs(ga[c] - wantGa[c])).toBeLessThanOrEqual((T === Float32Array ? 1e-6 : 1e-13) * scale[c]);
            }
            // in place
            const xc = x.slice();
            act.forward(xc, xc);
            expect(Array.from(xc)).toEqual(Array.from(y));
          }
        }
      });

      test(`${T.name}: scalar alpha runs as leaky_relu and its paramGrad is a number`, () => {
        const act = activations.get('prelu', { alpha: 0.2 });
        const x = T.from([-3, -1, 0, 2, -0.5]);
        const go = T.from([1, 2, 3, 4, 5]);
        expect(Array.from(act.forward(x))).toEqual(Array.from(T.from([0.2 * -3, 0.2 * -1, 0, 2, 0.2 * -0.5])));
        const g = act.paramGrad!(x, go);
        expect(typeof g).toBe('number');
        expect(g as number).toBeCloseTo(-3 * 1 + -1 * 2 + 0 + -0.5 * 5, 5);
        expect(act.paramGrad!(x) as number).toBeCloseTo(-4.5, 5); // gradOut omitted: ones
      });
    }

    test('float32: leaky_relu and prelu use alpha as a float32 (as PyTorch and the native kernels), so every backend and a scalar or per-channel alpha give the same bits', () => {
      // x times fround(alpha) is exact in float64 (24 + 24 bits), so the float32 result is that product rounded once
      const x = new Float32Array(4098); // a tail: 4098 = 512 * 8 + 2
      for (let i = 0; i < x.length; i++) x[i] = -Math.fround(0.001 + (i * 7.77) / x.length) * (1 + (i % 13));
      const go = x.map((v, i) => Math.fround(Math.sin(i) + 1.5));
      for (const [name, params] of [
        ['leaky_relu', {}],
        ['leaky_relu', { alpha: 0.3 }],
        ['prelu', { alpha: 0.1 }],
        ['prelu', { alpha: [0.1, 0.1] }],
      ] as const) {
        const act = activations.get(name, params as Record<string, unknown>);
        const a32 = Math.fround(name === 'leaky_relu' ? ('alpha' in params ? params.alpha : 0.01) : 0.1);
        const y = act.forward(x);
        const gi = act.backward(x, go);
        const d = act.derivative(x);
        let bad = 0;
        for (let i = 0; i < x.length; i++) {
          if (y[i] !== Math.fround(a32 * x[i]) || gi[i] !== Math.fround(a32 * go[i]) || d[i] !== a32) bad++;
        }
        expect(`${name} ${JSON.stringify(params)}: ${bad} of ${x.length} differ`).toBe(
          `${name} ${JSON.stringify(params)}: 0 of ${x.length} differ`,
        );
      }
    });

    test('inner: channels * inner must stay <= 2^53 - 1, a RangeError naming inner (it reached C++ before)', () => {
      const calls = recordingCalls(() => {
        expect(() => activations.get('prelu', { alpha: [0.1, 0.2], inner: 2 ** 53 })).toThrow(RangeError);
        expect(() => activations.get('prelu', { alpha: [0.1, 0.2], inner: 2 ** 53 })).toThrow(/^prelu: .*'inner'/);
        expect(() => activations.get('prelu', { inner: 2 ** 53 })).toThrow(/^prelu: parameter 'inner'/);
        expect(() => activations.get('prelu', { alpha: [0.1, 0.2], inner: 2 ** 52 })).toThrow(
          /^prelu: parameter 'inner' must keep channels \* inner <= 2\^53 - 1 .*inner 4503599627370496 with 2 alpha/,
        );
        expect(() => activations.get('prelu', { alpha: [0.1, 0.2, 0.3], inner: 2 ** 52 })).toThrow(/'inner'/);
      });
      expect(calls).toEqual([]);
      // the largest allowed inner runs on every backend (only an empty x is a whole number of channel blocks)
      for (const [alpha, inner] of [[[0.1, 0.2], 2 ** 52 - 1], [0.1, 2 ** 53 - 1]] as const) {
        const act = activations.get('prelu', { alpha: alpha as number | number[], inner });
        expect(act.forward(new Float32Array(0)).length).toBe(0);
        expect(act.backward(new Float64Array(0), new Float64Array(0)).length).toBe(0);
      }
      expect(Array.from(activations.get('prelu', { alpha: 0.5, inner: 2 ** 53 - 1 }).forward(Float32Array.of(-2, 1))))
        .toEqual([-1, 1]);
    });

    test('x length not a multiple of channels * inner: RangeError before any kernel call', () => {
      const act = activations.get('prelu', { alpha: [0.1, 0.2], inner: 3 });
      const calls = recordingCalls(() => {
        expect(() => act.forward(new Float32Array(7))).toThrow(/^x has length 7, not a multiple of channels \* inner = 2 \* 3 = 6/);
        expect(() => act.paramGrad!(new Float32Array(8))).toThrow(RangeError);
      });
      expect(calls).toEqual([]);
    });

    test('preluBackward adds the alpha gradient to galpha (the Backend contract), one sum per channel', () => {
      for (const T of DTYPES) {
        const x = T.from([-1, 2, -3, -4, 0.5, -0.5]); // channels 0 1 0 1 0 1 (inner 1)
        const go = T.from([1, 1, 2, 1, 1, 2]);
        const galpha = T.from([10, 20]);
        backend().preluBackward(x, go, null, T.from([0.1, 0.2]), 2, 1, galpha);
        expect(Array.from(galpha)).toEqual([10 + (-1 - 6), 20 + (-4 - 1)]);
      }
    });

    test('activation() with a per-channel alpha array keeps a float64 input’s alpha in float64', () => {
      const x = tensor([[-1, -1], [-3, 2]], { dtype: 'float64' });
      const y = opsActivation(x, { name: 'prelu', alpha: [0.1, 0.3] });
      expect(Array.from(y.data)).toEqual([-0.1, -0.3, -3 * 0.1, 2]);
    });

    test('NaN in x propagates to y, grad_in and its channel’s alpha gradient', () => {
      for (const T of DTYPES) {
        const act = activations.get('prelu', { alpha: [0.1, 0.2] });
        const x = T.from([NaN, -1, -2, 3]);
        const go = T.from([1, 1, 1, 1]);
        const y = act.forward(x);
        expect(Number.isNaN(y[0])).toBe(true);
        expect(Number.isNaN(act.backward(x, go)[0])).toBe(true);
        const ga = act.paramGrad!(x, go) as FloatArray;
        expect(Number.isNaN(ga[0])).toBe(true);
        expect(ga[1]).toBeCloseTo(-1, 6);
      }
    });
  });

  describe('swish d/d beta', () => {
    for (const T of DTYPES) {
      test(`${T.name}: paramGrad = sum gradOut x^2 s (1 - s), also at the edges`, () => {
        for (const beta of [1, 1.5, -0.75, 0]) {
          const act = activations.get('swish', { beta });
          const x = T.from([...sweep(3000, 21, -6), 0, -0, 1e4, -1e4, 3.4e38, -3.4e38]);
          const go = T.from(uniform(x.length, 22));
          let want = 0;
          let scale = 0;
          let wantOnes = 0;
          x.forEach((v, i) => {
            const t = refSwishBetaGrad(v, beta);
            want += t * go[i];
            scale += Math.abs(t * go[i]);
            wantOnes += t;
          });
          const tol = T === Float32Array ? 1e-6 : 1e-13;
          expect(Math.abs(act.paramGrad!(x, go) as number - want)).toBeLessThanOrEqual(tol * scale);
          expect(Math.abs(act.paramGrad!(x) as number - wantOnes)).toBeLessThanOrEqual(tol * wantOnes);
        }
        // NaN propagates; +-Inf contributes the limit 0
        expect(activations.get('swish').paramGrad!(T.from([1, NaN]))).toBeNaN();
        expect(activations.get('swish').paramGrad!(T.from([Infinity, -Infinity, 0]))).toBe(0);
      });
    }

    test('float64: 1e-14 relative deep in the tails, where x^2 e^-|beta x| has relative condition |beta x|', () => {
      // mpmath (60 digits) of x^2 sigmoid(z) sigmoid(-z), z = beta x exactly. A kernel that rounds z = beta x and
      // drops the error is off by |z| 2^-53 relative (the native one was: 5.7e-14 at the first point).
      const cases: [number, number, number][] = [
        [10, -52.90873814585879, 4.648625879717633e-227],
        [1.1, -600.3, 6.012588080190285e-282],
        [-0.75, 93.7, 2.6511510106188195e-27],
        [3, -211.13, 3.7266448185046537e-271],
        [1.5, 300.1, 2.863327089633586e-191],
        [0.3, -2000.7, 8.59949525359318e-255],
      ];
      const bad: string[] = [];
      for (const [beta, x, want] of cases) {
        const got = activations.get('swish', { beta }).paramGrad(Float64Array.of(x));
        const ref = refSwishBetaGrad(x, beta);
        if (!(Math.abs(got - want) <= 1e-14 * want)) bad.push(`beta ${beta}, x ${x}: ${got}, want ${want}`);
        if (!(Math.abs(ref - want) <= 1e-15 * want)) bad.push(`reference at beta ${beta}, x ${x}: ${ref}`);
      }
      expect(bad).toEqual([]);
    });
  });

  describe('parameters at the bounds, and swish with beta 0', () => {
    for (const T of DTYPES) {
      test(`${T.name}: huge inputs stay finite where the true value is (beta 0 is x / 2; |p| up to 1e20)`, () => {
        const x = T.from([-3e38, -1e30, -1, -0, 0, 1e-30, 1, 1e30, 3e38]);
        const half = activations.get('swish', { beta: 0 });
        // native: beta x is formed from x capped at 1e30 and overflowed (-Infinity for x = 1e30 before)
        expect(Array.from(half.forward(x))).toEqual(Array.from(x, (v) => (T === Float32Array ? Math.fround(v / 2) : v / 2)));
        expect(Array.from(half.derivative(x))).toEqual(new Array(x.length).fill(0.5));
        // beta 0 at the infinities is still x / 2 and 1/2 (beta x = 0 * Inf is NaN: no limit taken from it), and a
        // NaN input gives NaN in the value and the derivative, as for every other beta
        const ends = T.from([-Infinity, Infinity, NaN]);
        expect(Array.from(half.forward(ends))).toEqual([-Infinity, Infinity, NaN]);
        expect(Array.from(half.derivative(ends))).toEqual([0.5, 0.5, NaN]);
        const pg: number = half.paramGrad(T.from([2, -2])); // typed as a number for swish (the type check runs it)
        expect(pg).toBeCloseTo(2, 5); // x^2 / 4 each
        // the same through autograd, nn and the fused Linear + activation GEMM epilogue
        const dtype = T === Float32Array ? 'float32' : 'float64';
        const want = Array.from(x, (v) => (T === Float32Array ? Math.fround(v / 2) : v / 2));
        const t = tensor(x, { dtype });
        expect(Array.from(opsActivation(t, { name: 'swish', beta: 0 }).data)).toEqual(want);
        expect(Array.from(new nn.Swish({ beta: 0 }).forward(t).data)).toEqual(want);
        expect(Array.from(new nn.Swish({ beta: 0, learnBeta: true, dtype }).forward(t).data)).toEqual(want);
        const w = tensor([[1]], { dtype });
        const fused = linearAct(t.reshape([x.length, 1]), w, null, { name: 'swish', beta: 0 });
        expect(Array.from(fused.data)).toEqual(want.map((v) => v + 0)); // (the GEMM's sum of -0 is +0)
        for (const [name, p] of [
          ['leaky_relu', { alpha: 1e20 }],
          ['elu', { alpha: -1e20 }],
          ['swish', { beta: 1e20 }],
          ['swish', { beta: -1e-20 }],
          ['softplus', { beta: 1e20 }],
          ['softplus', { beta: 1e-20 }],
          ['prelu', { alpha: [1e20, -1e20, 1e-20] }],
        ] as const) {
          const a = activations.get(name, p);
          const xs = name === 'prelu' ? T.from([-1, 0, 1e30, -1e30, 1, 2]) : x;
          for (const v of [...a.forward(xs), ...a.derivative(xs)]) expect([name, p, Number.isNaN(v)]).toEqual([name, p, false]);
        }
        // float64 reaches beyond float32's range: beta x overflows to +-Infinity from finite factors (beta 1e20 at
        // x = 1e289), and the limits hold there too (x and 1 on the right, -0 and -0 on the left)
        if (T === Float64Array) {
          const sw = activations.get('swish', { beta: 1e20 });
          const big = Float64Array.of(1e289, -1e289);
          expect(Array.from(sw.forward(big))).toEqual([1e289, -0]);
          expect(Array.from(sw.derivative(big))).toEqual([1, -0]);
        }
      });
    }
  });

  describe('visualizeActivation', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-act-'));
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    test('defaults: 501 points on [-10, 10] inclusive, y = f(x), yp = f’(x) in float64', () => {
      const r = visualizeActivation('swish');
      expect(r.x).toHaveLength(501);
      expect(r.x[0]).toBe(-10);
      expect(r.x[500]).toBe(10);
      expect(r.x[250]).toBeCloseTo(0, 14);
      r.x.forEach((v, i) => expect(Math.abs(v - (-10 + 0.04 * i))).toBeLessThan(1e-13));
      const act = activations.get('swish');
      expect(r.y).toEqual(Array.from(act.forward(Float64Array.from(r.x))));
      expect(r.yp).toEqual(Array.from(act.derivative(Float64Array.from(r.x))));
    });

    test('options: start/end/points, params mixed in, float32, an Activation or a spec object', () => {
      const r = visualizeActivation('swish', { start: -2, end: 2, points: 1000, beta: 1.5, dtype: 'float32' });
      expect(r.x).toHaveLength(1000);
      expect([r.x[0], r.x[999]]).toEqual([-2, 2]);
      for (const v of r.x) expect(Math.fround(v)).toBe(v);
      const act = activations.get('swish', { beta: 1.5 });
      expect(r.y).toEqual(Array.from(act.forward(Float32Array.from(r.x))));
      expect(r.yp).toEqual(Array.from(act.derivative(Float32Array.from(r.x))));
      expect(visualizeActivation(act, { points: 7 })).toEqual(visualizeActivation({ name: 'swish', beta: 1.5 }, { points: 7 }));
      expect(visualizeActivation('relu', { points: 1, start: 3, end: 5 })).toEqual({ x: [3], y: [3], yp: [1] });
      expect(linspace(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    });

    test('savePath: writes pretty JSON { name, params, x, y, yp }, creating directories', () => {
      const file = path.join(tmp, 'deep', 'er', 'gelu.json');
      const r = visualizeActivation('gelu', { approximate: 'tanh', points: 11, savePath: file });
      const text = fs.readFileSync(file, 'utf8');
      expect(text).toContain('\n  "x": [');
      expect(JSON.parse(text)).toEqual({ name: 'gelu', params: { approximate: 'tanh' }, ...r });
    });

    test('bad options are named errors', () => {
      expect(() => visualizeActivation('relu', { points: 0 })).toThrow(/^points must be an integer/);
      expect(() => visualizeActivation('relu', { points: 2.5 })).toThrow(RangeError);
      expect(() => visualizeActivation('relu', { start: NaN })).toThrow(/^start must be finite/);
      expect(() => visualizeActivation('relu', { start: -1.7e308, end: 1.7e308 })).toThrow(/^end - start must be finite/);
      expect(visualizeActivation('relu', { start: -1e307, end: 1e307, points: 3 }).x).toEqual([-1e307, 0, 1e307]);
      expect(() => visualizeActivation('relu', { end: '1' as unknown as number })).toThrow(TypeError);
      expect(() => visualizeActivation('relu', { dtype: 'float16' as 'float32' })).toThrow(/^dtype must be/);
      expect(() => visualizeActivation('relu', { savePath: 3 as unknown as string })).toThrow(/^savePath/);
      expect(() => visualizeActivation('swish', { gamma: 2 })).toThrow(/unknown parameter 'gamma'/);
      expect(() => visualizeActivation('nope')).toThrow(/unknown activation 'nope'/);
    });
  });
});
