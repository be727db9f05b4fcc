/**
 * Checks of the backend settings, shared by both backends (and the environment variables) so that a bad value is
 * the same named TypeError/RangeError everywhere, thrown before anything reaches the native binding.
 */
import { describeTyped } from '../activations/validate';

/**
 * Counts the changes of the kernels in use (setBackend, setIsa): a fit compares the count at each batch, which
 * costs nothing, where reading the native ISA back costs an N-API call (~5 us).
 */
export const kernelChanges = { count: 0 };

/** The most threads a native thread pool runs (ThreadPool::kMaxThreads in native/src/gemm/thread_pool.h). */
export const MAX_THREADS = 256;

/** Every kernel family a native binary may have; info().isas lists those of this binary and CPU. */
export const KNOWN_ISAS: readonly string[] = ['scalar', 'avx2', 'neon'];

/** setThreads(n): n must be an integer in [1, MAX_THREADS]. */
export function checkThreads(n: unknown, where = 'setThreads'): number {
  const want = `an integer in [1, ${MAX_THREADS}]`;
  if (typeof n !== 'number') throw new TypeError(`${where}: 'n' must be ${want}, got ${describeTyped(n)}`);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) throw new RangeError(`${where}: 'n' must be ${want}, got ${n}`);
  return n;
}

/** setIsa(name): name must be a known kernel family that `available` (this binary on this CPU) has. */
export function checkIsa(name: unknown, available: readonly string[], where = 'setIsa'): string {
  if (typeof name !== 'string') {
    const known = KNOWN_ISAS.join(', ');
    const got = describeTyped(name);
    throw new TypeError(`${where}: 'name' must be a string naming a kernel family (${known}), got ${got}`);
  }
  if (!KNOWN_ISAS.includes(name)) {
    throw new RangeError(`${where}: 'name' ${JSON.stringify(name)} is not a kernel family (${KNOWN_ISAS.join(', ')})`);
  }
  if (!available.includes(name)) {
    throw new RangeError(
      `${where}: kernel family '${name}' is not available here (this binary on this CPU has ${available.join(', ')})`,
    );
  }
  return name;
}
