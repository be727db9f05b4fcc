import * as path from 'path';
import { createRequire } from 'module';

/**
 * Resolves a module named on the command line (`--require`) or in a grid search's `requires` as the user's own
 * code would: from the current directory (`./acts` finds ./acts.js or ./acts/index.js, a bare name the user's
 * node_modules), not from swishnet's own folder, where a plain `require` in swishnet would look. Throws Node's
 * "Cannot find module" error (code MODULE_NOT_FOUND) when there is no such module.
 */
export function resolveRequire(spec: string): string {
  if (typeof spec !== 'string' || spec === '') throw new TypeError(`requires: expected a module path or name, got ${String(spec)}`);
  return createRequire(path.join(process.cwd(), 'noop.js')).resolve(spec);
}
