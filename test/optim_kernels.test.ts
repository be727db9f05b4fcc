/** The SGD update kernel: native (every ISA) bit-identical to the TypeScript reference, for every option combination. */
import { getJsBackend, getNativeBackend, Rng } from '../lib';

const combos: [number, number, number, boolean, boolean][] = [];
for (const momentum of [0, 0.95])
  for (const dampening of [0, 0.1])
    for (const wd of [0, 1e-3])
      for (const nesterov of [false, true])
        for (const maximize of [false, true]) if (!(nesterov && (momentum === 0 || dampening !== 0))) combos.push([momentum, dampening, wd, nesterov, maximize]);

function data(Ctor: Float32ArrayConstructor | Float64ArrayConstructor, n: number, seed: number) {
  const r = new Rng(seed);
  const w = new Ctor(n).map(() => r.normal());
  const g = new Ctor(n).map(() => r.normal() * 0.1);
  const b = new Ctor(n).map(() => r.normal() * 0.01);
  return { w, g, b };
}

describe('sgdStep kernel', () => {
  const js = getJsBackend();
  const nb = getNativeBackend();
  const isas = nb ? nb.info().isas : [];

  test('the js reference follows PyTorch\'s formula (momentum, first step, nesterov, decay, maximize)', () => {
    const w = Float64Array.of(1, -2);
    const g = Float64Array.of(0.5, 0.25);
    const buf = new Float64Array(2);
    js.sgdStep(w, g, buf, 0.1, 0.9, 0, 0.01, true, false, true);
    // first step: buf = d = g + wd w; u = d + m buf
    const d0 = 0.5 + 0.01 * 1;
    expect(buf[0]).toBe(d0);
    expect(w[0]).toBe(1 - 0.1 * (d0 + 0.9 * d0));
    const w2 = Float64Array.of(1);
    js.sgdStep(w2, Float64Array.of(2), null, 0.5, 0, 0, 0, false, true, false);
    expect(w2[0]).toBe(2); // maximize: w += lr g
  });

  test('float32 parameters use float32 arithmetic (scalars rounded to float, each operation rounded), as PyTorch', () => {
    const fr = Math.fround;
    const w = Float32Array.of(0.3, -1.7);
    const g = Float32Array.of(0.011, 2.5e-3);
    const buf = Float32Array.of(0.2, -0.05);
    const w0 = Float32Array.from(w);
    const b0 = Float32Array.from(buf);
    js.sgdStep(w, g, buf, 0.01, 0.95, 0, 0, false, false, false);
    for (let i = 0; i < 2; i++) {
      const b = fr(fr(fr(0.95) * b0[i]) + g[i]);
      expect(buf[i]).toBe(b);
      expect(w[i]).toBe(fr(w0[i] - fr(fr(0.01) * b)));
    }
    // a double-arithmetic update rounds differently for some inputs: the float path is really taken
    const r = new Rng(3);
    const n = 2000;
    const ww = new Float32Array(n).map(() => r.normal());
    const gg = new Float32Array(n).map(() => r.normal() * 0.1);
    const bb = new Float32Array(n).map(() => r.normal() * 0.01);
    const w64 = Float64Array.from(ww);
    const b64 = Float64Array.from(bb);
    js.sgdStep(ww, gg, bb, 0.01, 0.95, 0, 0, false, false, false);
    let differ = 0;
    for (let i = 0; i < n; i++) {
      const b = 0.95 * b64[i] + gg[i];
      if (fr(b) !== bb[i] || fr(w64[i] - 0.01 * fr(b)) !== ww[i]) differ++;
    }
    expect(differ).toBeGreaterThan(0);
  });

  for (const Ctor of [Float32Array, Float64Array]) {
    test.each(combos)(`${Ctor.name} momentum=%p dampening=%p wd=%p nesterov=%p maximize=%p: native == js on every ISA`, (m, damp, wd, nest, max) => {
      if (!nb) return expect(js.name).toBe('js');
      const prev = nb.info().isa;
      try {
        for (const isa of isas) {
          nb.setIsa(isa);
          for (const n of [0, 1, 7, 8, 33, 1000]) {
            for (const first of [true, false]) {
              const a = data(Ctor, n, n + 1);
              const b = data(Ctor, n, n + 1);
              js.sgdStep(a.w, a.g, m ? a.b : null, 0.01, m, damp, wd, nest, max, first);
              nb.sgdStep(b.w, b.g, m ? b.b : null, 0.01, m, damp, wd, nest, max, first);
              expect(b.w).toEqual(a.w);
              if (m) expect(b.b).toEqual(a.b);
            }
          }
        }
      } finally {
        nb.setIsa(prev);
      }
    });
  }

  test('the native kernel checks lengths and dtypes', () => {
    if (!nb) return;
    // (errors made by the addon come from the main realm, so jest's sandboxed RangeError differs: match by name)
    expect(() => nb.sgdStep(new Float32Array(4), new Float32Array(3), null, 0.1, 0, 0, 0, false, false, false)).toThrow(
      expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/grad must have the parameter's length/) }),
    );
    expect(() => nb.sgdStep(new Float32Array(4), new Float64Array(4) as never, null, 0.1, 0, 0, 0, false, false, false)).toThrow(
      expect.objectContaining({ name: 'TypeError' }),
    );
    expect(() => nb.sgdStep(new Float32Array(4), new Float32Array(4), null, 0.1, 0.9, 0, 0, false, false, false)).toThrow(/momentumBuffer/);
  });
});
