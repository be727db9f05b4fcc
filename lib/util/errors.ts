/** Error helpers shared by the library. */

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
