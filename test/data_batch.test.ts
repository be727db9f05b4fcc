import { Rng, streamFor } from '../lib/util/random';
import { expectErrors, type ErrorCase } from './helpers/throws';
import { arange, batchIndices, batchRanges, numBatches, shuffledIndices, takeRows } from '../lib/data/batch';

describe('batch ranges', () => {
  test('cover 0..n-1 in order; last batch partial unless dropLast', () => {
    expect([...batchRanges(10, 4)]).toEqual([
      { index: 0, start: 0, end: 4, size: 4 },
      { index: 1, start: 4, end: 8, size: 4 },
      { index: 2, start: 8, end: 10, size: 2 },
    ]);
    expect([...batchRanges(10, 4, { dropLast: true })].map((r) => r.end)).toEqual([4, 8]);
    expect([...batchRanges(8, 4)].length).toBe(2);
    expect([...batchRanges(0, 4)]).toEqual([]);
    expect(numBatches(60000 * 0.8, 128)).toBe(375);
    expect(numBatches(101, 10)).toBe(11);
    expect(numBatches(101, 10, true)).toBe(10);
  });

  test('batchIndices yields views of the order', () => {
    const order = Int32Array.from([5, 3, 1, 0, 2, 4, 6]);
    const b = [...batchIndices(order, 3)];
    expect(b.map((v) => [...v])).toEqual([[5, 3, 1], [0, 2, 4], [6]]);
    expect(b[1].buffer).toBe(order.buffer);
  });

  test('argument errors name the argument', () => {
    expect(() => [...batchRanges(10, 0)]).toThrow(/batchSize must be in/);
    expect(() => numBatches(1.5, 2)).toThrow(/n must be an integer/);
    expect(() => [...batchIndices([1, 2] as unknown as Int32Array, 1)]).toThrow(/order must be an Int32Array/);
  });
});

describe('shuffledIndices', () => {
  test('a permutation, reproducible from the seed', () => {
    const a = shuffledIndices(1000, new Rng(11));
    expect([...a].sort((x, y) => x - y)).toEqual([...arange(1000)]);
    expect([...a]).toEqual([...shuffledIndices(1000, new Rng(11))]);
    expect([...a]).not.toEqual([...shuffledIndices(1000, new Rng(12))]);
    expect([...a]).not.toEqual([...arange(1000)]);
  });

  test('errors', () => {
    expect(() => shuffledIndices(10, {} as Rng)).toThrow(TypeError);
    expect(() => shuffledIndices(-1, new Rng(1))).toThrow(RangeError);
  });
});

describe('Rng argument checks', () => {
  test('uniform, normal, int, permutation and shuffle refuse bad arguments with named errors', () => {
    const r = new Rng(0);
    const cases: ErrorCase[] = [
      [() => r.uniform('0' as never, 1), TypeError, /^TypeError: Rng.uniform: lo must be a finite number, got string/],
      [() => r.uniform(0, '1' as never), TypeError, /Rng.uniform: hi must be a finite number, got string "1"/],
      [() => r.uniform(0, NaN), RangeError, /Rng.uniform: hi must be a finite number, got NaN/],
      [() => r.normal('3' as never, 1), TypeError, /Rng.normal: mean must be a finite number, got string "3"/],
      [() => r.normal(0, Infinity), RangeError, /Rng.normal: std must be a finite number, got Infinity/],
      [() => r.normal(0, -1), RangeError, /^RangeError: Rng.normal: std must be >= 0, got -1$/],
      [() => r.int('3' as never), TypeError, /Rng.int: n must be a positive integer, got string "3"/],
      [() => r.int(2.5), RangeError, /Rng.int: n must be a positive integer, got 2.5/],
      [() => r.permutation([5] as never), TypeError, /Rng.permutation: n must be a non-negative integer .*got Array/],
      [() => r.permutation(2.5), RangeError, /Rng.permutation: n must be an integer in \[0, 2\^31\), got 2.5/],
      [() => r.permutation(-1), RangeError, /Rng.permutation: n must be an integer in \[0, 2\^31\), got -1/],
      [() => r.permutation(2 ** 40), RangeError, /Rng.permutation: .*got 1099511627776/],
      [() => r.shuffle(undefined as never), TypeError, /^TypeError: Rng.shuffle: a must be an array .*got undefined$/],
      [() => r.shuffle('abc' as never), TypeError, /Rng.shuffle: a must be an array .*got string/],
      [() => r.shuffle({ length: -1 }), TypeError, /Rng.shuffle: .*length number -1/],
    ];
    expectErrors(cases);
  });

  test('good arguments draw as before (a rejected call draws nothing)', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    expect(() => a.normal(0, -1)).toThrow(RangeError);
    expect(() => a.uniform(NaN, 1)).toThrow(RangeError);
    const draws = (r: Rng): number[] => [r.uniform(2, 3), r.normal(1, 0), r.normal(), r.int(7)];
    expect(draws(a)).toEqual(draws(b));
    expect([...a.permutation(0)]).toEqual([]);
    expect([...a.permutation(5)]).toEqual([...b.permutation(5)]);
    expect(a.shuffle([1, 2, 3])).toEqual(b.shuffle([1, 2, 3]));
  });
});

describe('Rng distributions', () => {
  test('int(0) and int(-1) are refused (no draw can be in [0, 0))', () => {
    expectErrors([
      [() => new Rng(1).int(0), RangeError, /Rng.int: n must be a positive integer, got 0/],
      [() => new Rng(1).int(-1), RangeError, /Rng.int: n must be a positive integer, got -1/],
    ]);
    expect(new Rng(1).int(1)).toBe(0);
  });

  test('int(n) is unbiased where 2^32 is not a multiple of n (rejection, not r % n)', () => {
    // n = 3 * 2^30: r % n of a raw 32-bit r would fall below 2^30 half the time instead of a third
    const r = new Rng(21);
    const n = 3 * 2 ** 30;
    let low = 0;
    for (let t = 0; t < 3000; t++) {
      const k = r.int(n);
      expect(k).toBeLessThan(n);
      if (k < 2 ** 30) low++;
    }
    expect(Math.abs(low / 3000 - 1 / 3)).toBeLessThan(0.05); // sd ~0.009
  });

  test('streamFor takes purposes 0..1023', () => {
    expect(streamFor(5, 1023).nextUint32()).toBe(streamFor(5, 1023).nextUint32());
    expect(() => streamFor(5, 1024)).toThrow(RangeError);
    expect(() => streamFor(5, -1)).toThrow(RangeError);
  });

  test('normal(): mean 0, variance 1, and the two values of a Box-Muller pair uncorrelated', () => {
    const r = new Rng(17);
    const n = 20000; // sd of the mean ~0.007, of the variance ~0.01, of the pair correlation ~0.01
    const x = Array.from({ length: n }, () => r.normal());
    const mean = x.reduce((a, b) => a + b) / n;
    const v = x.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    let c = 0;
    for (let i = 0; i < n; i += 2) c += (x[i] - mean) * (x[i + 1] - mean);
    const rho = c / (n / 2) / v;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
    expect(Math.abs(rho)).toBeLessThan(0.05);
    expect(x.filter((t) => Math.abs(t) > 1.96).length / n).toBeCloseTo(0.05, 1.5); // the tails of N(0, 1)
    const s = new Rng(3);
    const y = Array.from({ length: 2000 }, () => s.normal(10, 0.5));
    expect(Math.abs(y.reduce((a, b) => a + b) / 2000 - 10)).toBeLessThan(0.05);
  });

  test('uniform(lo, hi) covers [lo, hi); shuffle and permutation reach every order equally often', () => {
    const r = new Rng(8);
    const u = Array.from({ length: 5000 }, () => r.uniform(2, 3));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThan(3);
    expect(Math.max(...u)).toBeGreaterThan(2.99);
    expect(Math.abs(u.reduce((a, b) => a + b) / 5000 - 2.5)).toBeLessThan(0.02);
    // random() is 27 high bits of one 32-bit draw and 26 of the next: (a >>> 5) * 2^26 + (b >>> 6), over 2^53
    for (let t = 0; t < 100; t++) {
      const c = r.clone();
      const a = c.nextUint32() >>> 5;
      const b = c.nextUint32() >>> 6;
      expect(r.random()).toBe((a * 2 ** 26 + b) / 2 ** 53);
    }
    // 6000 shuffles of 3 elements: each of the 6 orders ~1000 times (sd ~29); two elements swap half the time
    const counts = new Map<string, number>();
    for (let t = 0; t < 6000; t++) {
      const k = r.shuffle([0, 1, 2]).join('');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
    let swapped = 0;
    for (let t = 0; t < 2000; t++) if (r.shuffle([0, 1])[0] === 1) swapped++;
    expect(Math.abs(swapped - 1000)).toBeLessThan(150);
    let fixed = 0; // a uniform permutation of n has on average one fixed point
    for (let t = 0; t < 2000; t++) fixed += r.permutation(10).filter((v, i) => v === i).length;
    expect(Math.abs(fixed / 2000 - 1)).toBeLessThan(0.1);
  });

  test('every safe-integer seed is its own: -m and m, m and m + 2^32 draw different sequences', () => {
    const draws = (seed: number): number[] => {
      const r = new Rng(seed);
      return Array.from({ length: 4 }, () => r.nextUint32());
    };
    for (const m of [1, 7, 2 ** 32, 2 ** 40 + 3]) {
      expect(draws(-m)).not.toEqual(draws(m));
      expect(draws(-m)).toEqual(draws(-m));
    }
    expect(draws(1)).not.toEqual(draws(1 + 2 ** 32));
    expect(draws(0)).not.toEqual(draws(-0 - 2 ** 32));
  });
});

describe('takeRows', () => {
  // 4 x 3 matrix with X[r][c] = 10 r + c
  const X = Float32Array.from({ length: 12 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3));

  test('gathers rows in the given order into a new array of the same type', () => {
    const r = takeRows(X, 3, [2, 0, 2]);
    expect(r).toBeInstanceOf(Float32Array);
    expect([...r]).toEqual([20, 21, 22, 0, 1, 2, 20, 21, 22]);
    expect([...takeRows(Int32Array.from([7, 8, 9]), 1, Int32Array.from([2, 1]))]).toEqual([9, 8]);
    expect(takeRows(new Float64Array(6), 2, [])).toHaveLength(0);
  });

  test('writes into a reusable out buffer', () => {
    const out = new Float32Array(9).fill(-1);
    const r = takeRows(X, 3, Int32Array.from([3, 1]), out);
    expect([...r]).toEqual([30, 31, 32, 10, 11, 12]);
    expect(r.buffer).toBe(out.buffer);
    expect(out[6]).toBe(-1);
  });

  test('indices sharing memory with out: the rows the indices held at the call', () => {
    // out[i] is indices[i + 1], so each row written would change the next index (the generic loop, not a kernel)
    const Xi = Int32Array.from({ length: 100 }, (_, i) => 1000 + i);
    const buf = new ArrayBuffer(9 * 4);
    const indices = Int32Array.from([5, 99, 0, 42, 7, 7, 63, 1]);
    new Int32Array(buf, 0, 8).set(indices);
    const r = takeRows(Xi, 1, new Int32Array(buf, 0, 8), new Int32Array(buf, 4, 8));
    expect([...r]).toEqual([...indices].map((i) => 1000 + i));
  });

  test('errors', () => {
    expect(() => takeRows(X, 5, [0])).toThrow(/not a multiple of features = 5/);
    expect(() => takeRows(X, 3, [4])).toThrow(/indices\[0\] = 4 is not a row/);
    expect(() => takeRows(X, 3, [-1])).toThrow(RangeError);
    expect(() => takeRows(X, 3, [0.5])).toThrow(RangeError);
    expect(() => takeRows(X, 3, [0], new Float64Array(3) as unknown as Float32Array)).toThrow(/out must be a Float32Array/);
    expect(() => takeRows(X, 3, [0, 1], new Float32Array(5))).toThrow(/out has 5 elements/);
    expect(() => takeRows([1, 2] as unknown as Float32Array, 1, [0])).toThrow(TypeError);
  });
});
