/** Output-path checks shared by the library writers (lib/viz) and the CLI: named errors before any work. */
import * as fs from 'fs';
import * as path from 'path';
import { threadId } from 'worker_threads';
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
 * or cannot be written (unwritableFolder; `viaTemp` as there).
 */
export function checkOutputFile(file: unknown, name: string, opts: { viaTemp?: boolean } = {}): string {
  if (typeof file !== 'string' || file === '') throw new TypeError(`${name} must be a non-empty string, got ${describe(file)}`);
  if (isDirectory(file)) throw new RangeError(`${name} must name a file, got '${file}' (a directory)`);
  const why = unwritableFolder(file, opts);
  if (why) throw new RangeError(`${name} '${file}' cannot be written: ${why}`);
  return file;
}

let tmpCount = 0;

function writableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.W_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The descriptor a path names (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), or null. Written through the
 * descriptor itself: opening the path again gave a new file position, so a stdout redirected to a file was
 * overwritten from its start, and `console.log` output around it was lost.
 */
function stdFd(p: string): number | null {
  if (p === '/dev/stdout') return 1;
  if (p === '/dev/stderr') return 2;
  const m = /^\/(?:dev\/fd|proc\/self\/fd)\/(\d+)$/.exec(p);
  return m ? Number(m[1]) : null;
}

function writeAllSync(fd: number, data: Uint8Array): void {
  for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off);
}

/**
 * Where writing `file` lands: its symlinks followed link by link (readlink, so a dangling link gives the path its
 * target will have, as a plain write creates it), or the path itself. At most 40 links (the kernel's limit).
 */
function linkTarget(file: string): string {
  let p = path.resolve(file);
  for (let i = 0; i < 40; i++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return p; // missing: created there
    }
    if (!st.isSymbolicLink()) return p;
    p = path.resolve(path.dirname(p), fs.readlinkSync(p));
  }
  return p;
}

/**
 * Writes `data` to `file` through a temporary file in the same folder renamed over it: a reader never sees half a
 * file, and a failed write (a full disk) leaves the old file as it was and no temporary file behind. The temporary
 * name is short and unique per call (process, thread, counter), so concurrent writers of one file (worker threads
 * share the pid) never share it, and each removes only its own. An existing file keeps its permission bits. A
 * symlink is written through (its target is replaced or created, the link stays), as a plain write would. Written in
 * place instead, as a plain write: a path under /dev or /proc (`/dev/stdout`, whatever stdout is), a device or FIFO,
 * a file with other hard links (they keep seeing it), and a file this process may write in a folder where it may
 * not create one. Missing folders are made. A failure is an Error naming `file`, with the system error as its
 * `cause` (and its `code`).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  let tmp: string | null = null;
  try {
    const given = path.resolve(file);
    const target = linkTarget(file);
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(target);
    } catch {
      /* missing: created below */
    }
    const inPlace = /^\/(dev|proc)\//.test(given) || /^\/(dev|proc)\//.test(target) ||
      (st !== null && (!st.isFile() || st.nlink > 1));
    if (inPlace) {
      const fd = stdFd(given);
      if (fd === null) fs.writeFileSync(file, data);
      else writeAllSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      return;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const name = path.join(path.dirname(target), `.swishnet-${process.pid}-${threadId}-${++tmpCount}.tmp`);
    try {
      fs.writeFileSync(name, data, { flag: 'wx' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      if (code !== 'EEXIST') tmp = name; // created (a full disk), or not: removed below either way
      // a file this process may write in a folder it may not (another user's folder): no temporary file can be
      // made there, so the file is rewritten in place, as before this function existed
      if ((code !== 'EACCES' && code !== 'EPERM') || !writableFile(target)) throw e;
      fs.writeFileSync(target, data);
      return;
    }
    tmp = name;
    if (st) fs.chmodSync(name, st.mode & 0o7777); // the replaced file's mode (chmod: the umask does not apply)
    fs.renameSync(name, target);
    tmp = null;
  } catch (e) {
    if (tmp !== null) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        /* the error below matters more */
      }
    }
    const err = e as NodeJS.ErrnoException;
    const named = new Error(`cannot write '${file}': ${err?.message ?? String(e)}`, { cause: e });
    if (err?.code) (named as NodeJS.ErrnoException).code = err.code;
    throw named;
  }
}
