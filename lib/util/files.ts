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

const DENIED: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

/** Why this process cannot write `p` (a file; a folder: create in it), access's EACCES/EPERM/EROFS, or null. */
function denied(p: string, what: 'the file' | 'the folder'): string | null {
  try {
    fs.accessSync(p, what === 'the file' ? fs.constants.W_OK : fs.constants.W_OK | fs.constants.X_OK);
    return null;
  } catch (e) {
    const why = DENIED[(e as NodeJS.ErrnoException).code ?? ''];
    return why ? `${what} '${p}' is not writable (${why})` : null;
  }
}

/**
 * Why an output file cannot be written, or null, found before the work whose result it holds:
 *  - the nearest existing ancestor of the file's folder is not a directory (`--json notes.txt/h.json`, where
 *    notes.txt is a file: mkdir would fail with EEXIST/ENOTDIR), or cannot be searched;
 *  - the file exists and this process may not write it, or it does not and the nearest existing folder (where
 *    the missing folders would be made, or the file created) may not be written (access W_OK: a folder of
 *    another user, a read-only file system). `viaTemp`: the file is written as a temporary file in its folder,
 *    then renamed over it (NeuralNetClassifier.save), so only that folder must be writable, whether the file
 *    exists or not (a read-only file in a writable folder is replaced).
 */
export function unwritableFolder(file: string, opts: { viaTemp?: boolean } = {}): string | null {
  const abs = path.resolve(file);
  let exists: boolean;
  try {
    exists = !fs.statSync(abs).isDirectory(); // a file, or a device such as /dev/stdout (callers refuse folders)
  } catch {
    exists = false; // missing, or a dangling symlink (writing creates its target): the folders decide
  }
  // a file replaced through a temporary file and a rename needs only its folder to be writable
  if (exists && !opts.viaTemp) return denied(abs, 'the file');
  let dir = path.dirname(abs);
  for (;;) {
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // missing (ENOENT) or under a file (ENOTDIR): look further up; a folder on the way that cannot be searched
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        return DENIED[code ?? ''] ? `the folder '${dir}' cannot be reached (${DENIED[code!]})` : null;
      }
      st = null;
    }
    if (st) return st.isDirectory() ? denied(dir, 'the folder') : `'${dir}' is a file, not a directory`;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * An output file argument: a TypeError unless a non-empty string, a RangeError naming it when it is a directory
 * or cannot be written (unwritableFolder).
 */
export function checkOutputFile(file: unknown, name: string): string {
  if (typeof file !== 'string' || file === '') throw new TypeError(`${name} must be a non-empty string, got ${describe(file)}`);
  if (isDirectory(file)) throw new RangeError(`${name} must name a file, got '${file}' (a directory)`);
  const why = unwritableFolder(file);
  if (why) throw new RangeError(`${name} '${file}' cannot be written: ${why}`);
  return file;
}
