/**
 * Seeded pseudo-random numbers: every random choice in swishnet (weight init, shuffling, splits, dropout)
 * draws from an Rng so that training is reproducible from a seed.
 *
 * Generator: xoshiro128** (Blackman & Vigna), state seeded through splitmix32 so that any safe integer seed
 * (0 and negative ones included) gives a well-mixed state of its own. 32-bit integer arithmetic only, so it is
 * exact in JS.
 */
// Module-level bindings: global lookups (Math.*) are slow under jest's sandbox, and these run per draw.
import { describe, describeTyped } from '../activations/validate';

const imul = Math.imul;
const floor = Math.floor;
const finite = Number.isFinite;

/** An Rng's state as getState() gives it. */
export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed: number = 0) {
    checkSeed(seed, 'Rng');
    // Seeds in [0, 2^32) give the same state as they always have. A larger seed's high word goes through a hash
    // (a bijection, never 0 for a high word below 2^22) into s2, which makes every safe-integer seed its own
    // state (XOR-ing the two words made 1 and 2^32 the same seed); four discarded draws spread it to all words.
    // A negative seed -m takes m's words with the high word offset by 2^21 (above any seed's), so -1 and 1 differ.
    const m = seed < 0 ? -seed : seed;
    this.seedState(m >>> 0);
    const hi = floor(m / 4294967296) + (seed < 0 ? 2097152 : 0);
    if (hi > 0) {
      this.s2 = (this.s2 ^ mix32(hi)) >>> 0;
      if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
      for (let i = 0; i < 4; i++) this.nextUint32();
    }
  }

  /** Rng.fork's streams: the state of the 53-bit seed as before the high word was hashed (kept bit for bit). */
  private static forked(seed: number): Rng {
    const r = new Rng(0);
    r.seedState(((seed >>> 0) ^ floor(seed / 4294967296)) >>> 0);
    return r;
  }

  private seedState(x32: number): void {
    let x = x32;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = imul(rotl(imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    // one test per draw (a NaN or infinite bound makes hi - lo non-finite too); the reasons only when it fails
    if (typeof lo !== 'number' || typeof hi !== 'number' || !(lo <= hi) || !finite(hi - lo)) {
      checkFiniteArg(lo, 'Rng.uniform', 'lo');
      checkFiniteArg(hi, 'Rng.uniform', 'hi');
      if (!(lo <= hi)) throw new RangeError(`Rng.uniform: lo (${lo}) must not exceed hi (${hi})`);
      throw new RangeError(`Rng.uniform: hi - lo (${hi} - ${lo}) overflows: the draw would be infinite`);
    }
    return lo + (hi - lo) * this.random();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (typeof n !== 'number') throw new TypeError(`Rng.int: n must be a positive integer, got ${describeTyped(n)}`);
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    if (n <= 4294967296) {
      // Lemire-style rejection for an unbiased result.
      const limit = 4294967296 - (4294967296 % n);
      for (;;) {
        const r = this.nextUint32();
        if (r < limit) return r % n;
      }
    }
    return floor(this.random() * n);
  }

  /** Standard normal (Box-Muller, polar form). */
  normal(mean = 0, std = 1): number {
    if (typeof mean !== 'number' || typeof std !== 'number' || !finite(mean) || !finite(std) || std < 0) {
      checkFiniteArg(mean, 'Rng.normal', 'mean');
      checkFiniteArg(std, 'Rng.normal', 'std');
      throw new RangeError(`Rng.normal: std must be >= 0, got ${std}`);
    }
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return mean + std * s;
    }
    let u: number, v: number, s: number;
    do {
      u = this.random() * 2 - 1;
      v = this.random() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return mean + std * u * m;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    if (a === null || typeof a !== 'object') {
      throw new TypeError(`Rng.shuffle: a must be an array or typed array (shuffled in place), got ${describe(a)}`);
    }
    const len: unknown = a.length;
    if (typeof len !== 'number' || !Number.isSafeInteger(len) || len < 0) {
      throw new TypeError(`Rng.shuffle: a must be an array or typed array, got one with length ${describeTyped(len)}`);
    }
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    if (typeof n !== 'number') {
      throw new TypeError(
        `Rng.permutation: n must be a non-negative integer (the permutation is of 0..n-1; ` +
          `shuffle(a.slice()) permutes an array's elements), got ${describeTyped(n)}`,
      );
    }
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw new RangeError(`Rng.permutation: n must be an integer in [0, 2^31), got ${n}`);
    }
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** A generator in this one's exact state: it draws the same sequence from here on, independently. */
  clone(): Rng {
    return new Rng(0).setState(this.getState());
  }

  /** The generator's state (plain data, for a copy in another thread): give it to setState to go on from here. */
  getState(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  /** Continues from a state getState() returned. */
  setState(state: RngState): this {
    if (state === null || typeof state !== 'object') {
      throw new TypeError('Rng.setState: state must be an object { s, spare } as getState() returns');
    }
    const s = state.s;
    const ok = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
    if (!Array.isArray(s) || s.length !== 4 || !s.every(ok) || s.every((v) => v === 0)) {
      throw new RangeError('Rng.setState: s must be four 32-bit unsigned integers, not all 0');
    }
    if (state.spare !== null && typeof state.spare !== 'number') {
      throw new TypeError('Rng.setState: spare must be a number or null');
    }
    if (state.spare !== null && !Number.isFinite(state.spare)) {
      throw new RangeError(`Rng.setState: spare must be a finite number or null, got ${state.spare}`);
    }
    [this.s0, this.s1, this.s2, this.s3] = s;
    this.spare = state.spare;
    return this;
  }

  /**
   * Advances the generator by 2^64 draws (xoshiro128**'s jump polynomial), in 128 steps: the streams of one seed
   * jumped 0, 1, 2... times never overlap for any practical length, which is how swishnet derives a stream per
   * purpose from one seed (`streamFor`).
   */
  jump(): this {
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (const word of JUMP) {
      for (let b = 0; b < 32; b++) {
        if ((word >>> b) & 1) {
          t0 ^= this.s0;
          t1 ^= this.s1;
          t2 ^= this.s2;
          t3 ^= this.s3;
        }
        this.nextUint32();
      }
    }
    this.s0 = t0 >>> 0;
    this.s1 = t1 >>> 0;
    this.s2 = t2 >>> 0;
    this.s3 = t3 >>> 0;
    this.spare = null;
    return this;
  }

  /** A new independent generator derived from this one (for per-fold / per-worker streams). */
  fork(): Rng {
    // the dropout streams of nn.MLP come from here: seeded as they always were (the 32-bit fold of the two draws)
    return Rng.forked(this.nextUint32() * 2097152 + (this.nextUint32() >>> 11));
  }
}

/** xoshiro128**'s jump polynomial: 2^64 calls to nextUint32. */
const JUMP = [0x8764000b, 0xf542d2d3, 0x6fa035c3, 0x77f2db5b] as const;

/**
 * What a seed's stream is for. One seed gives each purpose its own stream (`new Rng(seed)` jumped `purpose` times),
 * so the initial weights, the epoch shuffles and the dropout masks of a fit seeded once are independent (with one
 * stream, the first epochs were shuffled with the draws that set the weights, and a unit's first dropout mask
 * followed its weight's sign). The weights keep `new Rng(seed)`.
 */
export const Purpose = { weights: 0, shuffle: 1, dropout: 2 } as const;

/** The largest purpose streamFor takes (each one more is a jump: ~3 us). */
const MAX_PURPOSE = 1023;

/** The stream of `seed` for `purpose` (see Purpose; other integers up to 1023 for a user's own streams). */
export function streamFor(seed: number, purpose: number, where = 'streamFor'): Rng {
  checkSeed(seed, where);
  if (typeof purpose !== 'number') {
    throw new TypeError(`streamFor: 'purpose' must be an integer (Purpose.weights/shuffle/dropout), got ${describeTyped(purpose)}`);
  }
  if (!Number.isInteger(purpose) || purpose < 0 || purpose > MAX_PURPOSE) {
    throw new RangeError(`streamFor: 'purpose' must be an integer in [0, ${MAX_PURPOSE}], got ${purpose}`);
  }
  const r = new Rng(seed);
  for (let i = 0; i < purpose; i++) r.jump();
  return r;
}

/**
 * A seed must be a safe integer (negative ones included, as torch.manual_seed takes them): a fraction is refused
 * rather than truncated (3 and 3.7 were the same seed). `where` names the caller in the message.
 */
export function checkSeed(seed: unknown, where: string): asserts seed is number {
  if (typeof seed !== 'number') throw new TypeError(`${where}: 'seed' must be an integer, got ${typeof seed}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${where}: 'seed' must be a safe integer, got ${String(seed)}`);
}

/** TypeError (not a number) or RangeError (NaN, infinite) naming `name` unless `v` is a finite number. */
function checkFiniteArg(v: unknown, where: string, name: string): void {
  if (typeof v !== 'number') throw new TypeError(`${where}: ${name} must be a finite number, got ${describeTyped(v)}`);
  if (!finite(v)) throw new RangeError(`${where}: ${name} must be a finite number, got ${v}`);
}

/** A 32-bit finalizer (murmur3's fmix32) with an odd offset, so that mix32(h) != 0 for every h > 0 we feed. */
function mix32(h: number): number {
  let z = (h + 0x6a09e667) >>> 0;
  z = imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
