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

/**
 * Why the folder of an output file cannot be created, or null: the nearest existing ancestor of the file's
 * folder is not a directory (`--json notes.txt/h.json`, where notes.txt is a file). Writing would fail with
 * EEXIST/ENOTDIR only after the work.
 */
export function unwritableFolder(file: string): string | null {
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(dir);
    } catch {
      st = null; // missing (ENOENT) or under a file (ENOTDIR): look further up
    }
    if (st) return st.isDirectory() ? null : `'${dir}' is a file, not a directory`;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * An output file argument: a TypeError unless a non-empty string, a RangeError naming it when it is a directory
 * or its folder cannot be created.
 */
export function checkOutputFile(file: unknown, name: string): string {
  if (typeof file !== 'string' || file === '') throw new TypeError(`${name} must be a non-empty string, got ${describe(file)}`);
  if (isDirectory(file)) throw new RangeError(`${name} must name a file, got '${file}' (a directory)`);
  const why = unwritableFolder(file);
  if (why) throw new RangeError(`${name} '${file}' cannot be written: ${why}`);
  return file;
}
