/**
 * The default random stream used when a factory (randn, rand), dropout or an initializer gets neither `rng` nor
 * `seed`. Like PyTorch's default generator it starts from a fixed seed, so a script is reproducible run to run;
 * manualSeed(seed) restarts it.
 */
import { checkSeed, Purpose, Rng, streamFor } from '../util/random';

let defaultRng = new Rng(0);

/** Restarts the default random stream from `seed` (torch.manual_seed). */
export function manualSeed(seed: number): void {
  checkSeed(seed, 'manualSeed');
  defaultRng = new Rng(seed);
}

/** The default random stream. */
export function getDefaultRng(): Rng {
  return defaultRng;
}

/**
 * Picks the generator for an options bag { rng?, seed? }: rng first, then the seed's stream for `purpose`
 * (`new Rng(seed)` for the weights; see Purpose), else the default.
 */
export function resolveRng(
  opts: { rng?: Rng; seed?: number } | undefined,
  where: string,
  purpose: number = Purpose.weights,
): Rng {
  if (opts && opts.rng !== undefined && opts.rng !== null) {
    if (!(opts.rng instanceof Rng)) throw new TypeError(`${where}: 'rng' must be an Rng (lib/util/random)`);
    return opts.rng;
  }
  if (opts && opts.seed !== undefined && opts.seed !== null) {
    return streamFor(opts.seed, purpose, where);
  }
  return defaultRng;
}
