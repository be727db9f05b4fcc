import * as path from 'path';
import { createRequire } from 'module';
import { pathToFileURL } from 'url';

/**
 * Resolves a module named on the command line (`--require`) or in a grid search's `requires` as the user's own
 * code would: from the current directory (`./acts` finds ./acts.js or ./acts/index.js, a bare name the user's
 * node_modules), not from swishnet's own folder, where a plain `require` in swishnet would look. Throws Node's
 * "Cannot find module" error (code MODULE_NOT_FOUND) when there is no such module.
 */
export function resolveRequire(spec: string): string {
  if (typeof spec !== 'string' || spec === '') {
    throw new TypeError(`requires: expected a module path or name, got ${String(spec)}`);
  }
  return createRequire(path.join(process.cwd(), 'noop.js')).resolve(spec);
}

// A real dynamic import: this package compiles to CommonJS, where TypeScript would turn import() into require().
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/**
 * Loads a user's module (resolved by resolveRequire): with require() where that works (CommonJS, and ES modules on
 * Node versions that can require them), else with import() (ES modules on Node 18, or with top-level await).
 */
export async function loadUserModule(file: string): Promise<void> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    require(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw e;
    await importModule(pathToFileURL(file).href);
  }
}
