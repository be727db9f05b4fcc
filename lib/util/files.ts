/** Output-path checks shared by the library writers (lib/viz) and the CLI: named errors before any work. */
import * as fs from 'fs';
import * as path from 'path';
import { describe } from '../activations/validate';

/** Whether `file` exists and is a directory (through symlinks). */
export function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The file a path writes to: symlinks resolved (of the file when it exists, else of its directory), so that
 * two names of one file compare equal.
 */
export function realPath(file: string): string {
  const abs = path.resolve(file);
  try {
    return fs.realpathSync(abs);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
    } catch {
      return abs;
    }
  }
}

/** An output file argument: a TypeError unless a non-empty string, a RangeError naming it when it is a directory. */
export function checkOutputFile(file: unknown, name: string): string {
  if (typeof file !== 'string' || file === '') throw new TypeError(`${name} must be a non-empty string, got ${describe(file)}`);
  if (isDirectory(file)) throw new RangeError(`${name} must name a file, got '${file}' (a directory)`);
  return file;
}
