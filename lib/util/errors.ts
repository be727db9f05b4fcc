/** Error helpers shared by the library. */
import { describeTyped } from '../activations/validate';

/**
 * `e` again with `context` before its message, as the same class where that is a TypeError or RangeError (the
 * classes callers test for) and an Error otherwise, with `e` as its cause: for an error from a step of a larger
 * job (one candidate of a grid, one chart of a gallery) that its own message does not name.
 */
export function withContext(e: unknown, context: string): Error {
  const msg = `${context}: ${e instanceof Error ? e.message : String(e)}`;
  if (e instanceof RangeError) return new RangeError(msg, { cause: e });
  if (e instanceof TypeError) return new TypeError(msg, { cause: e });
  return new Error(msg, { cause: e });
}

/**
 * RangeError naming `where` and the key unless every own key of the options object `opts` is in `known`: a
 * misspelled option (`{ sed: 7 }` for `{ seed: 7 }`) is refused instead of silently doing nothing.
 */
export function checkOptionKeys(opts: object, known: readonly string[], where: string): void {
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new RangeError(`${where}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
}

/**
 * What fit and grid search read of an abort signal: an AbortSignal, or another implementation's (the
 * abort-controller package's). Structural, so that the declarations need neither the DOM library nor @types/node.
 */
export interface SignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

/**
 * TypeError naming `name` unless `sig` may serve as an abort signal: null or undefined (none), or an object with a
 * boolean `aborted`. A signal is read only through `aborted` and `reason` (and `addEventListener` where it has
 * one), so another implementation's (the abort-controller package's) works too; an AbortController, or anything
 * else, does not. fit, partialFit, GridSearchCV and crossValidate check their signal with it.
 */
export function checkSignalOption(sig: unknown, name: string): void {
  if (sig == null || (typeof sig === 'object' && typeof (sig as { aborted?: unknown }).aborted === 'boolean')) return;
  throw new TypeError(
    `${name} must be an AbortSignal (controller.signal; an object with a boolean 'aborted'), got ${describeTyped(sig)}`,
  );
}
