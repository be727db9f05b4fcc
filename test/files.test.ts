/**
 * Output files (lib/util/files writeFileAtomic, used by save, Checkpoint, the CLI's --json/--html/--out and the
 * plot writers): a temporary file renamed over the target, unique per call and thread; symlinks written through;
 * devices written in place; failures named, with no temporary or partial file left; every CLI output tried.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { writeFileAtomic } from '../lib/util/files';
import { NeuralNetClassifier, Checkpoint } from '../lib';

const ROOT = path.resolve(__dirname, '..');
const DIST_FILES = path.join(ROOT, 'dist', 'util', 'files.js');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-files-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const leftovers = (d: string): string[] => fs.readdirSync(d).filter((f) => f.startsWith('.swishnet-'));

function blobs(n = 120, f = 6): { X: Float32Array; y: Int32Array } {
  const X = new Float32Array(n * f);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let j = 0; j < f; j++) X[i * f + j] = ((i * 7 + j * 13) % 11) / 11 - 0.5 + (j % 3 === y[i] ? 1 : 0);
  }
  return { X, y };
}
const tiny = (extra: Record<string, unknown> = {}): NeuralNetClassifier =>
  new NeuralNetClassifier({
    moduleParams: { inputs: 6, hidden: [8], outputs: 3 },
    lr: 0.1,
    maxEpochs: 2,
    batchSize: 32,
    verbose: 0,
    ...extra,
  });

describe('writeFileAtomic', () => {
  test('replaces a file, makes missing folders, writes through a symlink and into a device in place', () => {
    const file = path.join(dir, 'a', 'b', 'out.json');
    writeFileAtomic(file, '{"v":1}');
    writeFileAtomic(file, '{"v":2}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"v":2}');
    const link = path.join(dir, 'link.json');
    fs.symlinkSync(file, link);
    writeFileAtomic(link, '{"v":3}');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"v":3}');
    writeFileAtomic('/dev/null', 'discarded');
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect([leftovers(dir), leftovers(path.dirname(file))]).toEqual([[], []]);
  });

  test('a dangling symlink gets its target created; permissions and hard links are kept; long names work', () => {
    const link = path.join(dir, 'dangling.json');
    fs.symlinkSync(path.join('sub', 'made.json'), link); // relative, to a folder that does not exist yet
    writeFileAtomic(link, 'via the link');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'sub', 'made.json'), 'utf8')).toBe('via the link');
    // a private file stays private (the rename used to leave 0644)
    const priv = path.join(dir, 'private.json');
    fs.writeFileSync(priv, 'old', { mode: 0o600 });
    fs.chmodSync(priv, 0o600);
    writeFileAtomic(priv, 'new');
    expect((fs.statSync(priv).mode & 0o777).toString(8)).toBe('600');
    // a second name of the file keeps seeing it (written in place)
    const hard = path.join(dir, 'hard.json');
    fs.linkSync(priv, hard);
    writeFileAtomic(priv, 'newer');
    expect(fs.readFileSync(hard, 'utf8')).toBe('newer');
    // a 250-byte name: the temporary name does not grow with it (a suffix passed NAME_MAX)
    const long = path.join(dir, 'r'.repeat(245) + '.json');
    writeFileAtomic(long, 'long');
    expect(fs.readFileSync(long, 'utf8')).toBe('long');
    expect(leftovers(dir)).toEqual([]);
  });

  test('/dev/stdout is written in place, whatever stdout is (a file it was redirected to, a pipe)', () => {
    const out = path.join(dir, 'out.txt');
    const code =
      `const { writeFileAtomic } = require(${JSON.stringify(DIST_FILES)});` +
      "console.log('line before'); writeFileAtomic('/dev/stdout', 'JSON\\n'); writeFileAtomic('/dev/stdout', 'again\\n');" +
      "console.log('line after');";
    const fd = fs.openSync(out, 'w');
    const r = spawnSync(process.execPath, ['-e', code], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    fs.closeSync(fd);
    expect([r.status, r.stderr]).toEqual([0, '']);
    // renamed over the redirected file, it took the place of everything printed before and after
    expect(fs.readFileSync(out, 'utf8')).toBe('line before\nJSON\nagain\nline after\n');
    const piped = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect([piped.status, piped.stderr, piped.stdout]).toEqual([0, '', 'line before\nJSON\nagain\nline after\n']);
  });

  test('a failed write is an Error naming the file (code kept; a full disk: below)', () => {
    const file = path.join(dir, 'keep.json');
    fs.writeFileSync(file, 'old');
    fs.writeFileSync(path.join(dir, 'plain'), 'a file, not a folder');
    const under = path.join(dir, 'plain', 'x.json');
    let err: NodeJS.ErrnoException | null = null;
    try {
      writeFileAtomic(under, 'new');
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(err?.message).toMatch(new RegExp(`^cannot write '${under.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}': `));
    expect(['EEXIST', 'ENOTDIR']).toContain(err?.code);
    expect((err as Error & { cause?: unknown }).cause).toHaveProperty('code', err?.code);
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(leftovers(dir)).toEqual([]);
  });

  test('worker threads writing one file at once each use their own temporary file: no error, never a torn file', async () => {
    // The temporary name was `${file}.tmp-${pid}`, which worker threads share: saves failed with ENOENT, and a
    // save could return normally while the file held two writes spliced together.
    const file = path.join(dir, 'shared.json');
    const code = `
      const { workerData: w, parentPort } = require('worker_threads');
      const { writeFileAtomic } = require(${JSON.stringify(DIST_FILES)});
      const body = JSON.stringify({ who: w.who, pad: 'x'.repeat(200000 + w.who * 1000) });
      let errors = 0;
      for (let i = 0; i < 60; i++) { try { writeFileAtomic(w.file, body); } catch (e) { errors++; } }
      parentPort.postMessage(errors);`;
    const run = (who: number): Promise<number> =>
      new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { file, who } });
        w.once('message', resolve);
        w.once('error', reject);
      });
    let torn = 0;
    const watcher = setInterval(() => {
      try {
        JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (e) {
        if (fs.existsSync(file)) torn++;
      }
    }, 1);
    const errors = await Promise.all([run(1), run(2), run(3)]);
    clearInterval(watcher);
    expect(errors).toEqual([0, 0, 0]);
    expect(torn).toBe(0);
    expect([1, 2, 3]).toContain(JSON.parse(fs.readFileSync(file, 'utf8')).who);
    expect(leftovers(dir)).toEqual([]);
  });
});

describe('save and Checkpoint', () => {
  const d = blobs();

  test('save writes through a symlink (the link stays), as the other writers do', async () => {
    const net = tiny();
    await net.fit(d.X, d.y);
    const target = path.join(dir, 'models', 'best.json');
    fs.mkdirSync(path.dirname(target));
    fs.writeFileSync(target, 'OLD');
    const link = path.join(dir, 'best.json');
    fs.symlinkSync(target, link);
    net.save(link);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(NeuralNetClassifier.load(target).getWeights()).toEqual(net.getWeights());
  });

  test('a Checkpoint file that is a directory or under a file is refused before the first epoch', async () => {
    fs.writeFileSync(path.join(dir, 'plain'), '');
    for (const [file, msg] of [
      [dir, /^Checkpoint: file must name a file, got '.*' \(a directory\)$/],
      [path.join(dir, 'plain', 'cp.json'), /^Checkpoint: file '.*cp\.json' cannot be written: '.*plain' is a file, not a directory$/],
    ] as const) {
      let epochs = 0;
      const net = tiny({ callbacks: [new Checkpoint({ monitor: 'train_loss_best', file }), { onEpochEnd: () => void epochs++ }] });
      await expect(net.fit(d.X, d.y)).rejects.toThrow(msg);
      expect(epochs).toBe(0);
    }
    expect(() => tiny().save(path.join(dir, 'plain', 'm.json'))).toThrow(
      /^save: 'file' '.*m\.json' cannot be written: '.*plain' is a file, not a directory$/,
    );
  });
});

describe('a full disk (tmpfs of 64 KiB; needs root to mount)', () => {
  // CI runs as root (it installs packages), where this runs; elsewhere there is no tmpfs to fill
  const asRoot = process.getuid?.() === 0 ? test : test.skip;
  asRoot('swishnet train: the --json that does not fit is named, no partial file is left, --save still happens', () => {
    const full = path.join(dir, 'full');
    fs.mkdirSync(full);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full], { encoding: 'utf8' });
    // a root without the right to mount (a container without CAP_SYS_ADMIN) cannot run this: say so, do not pass
    expect([mounted.status, mounted.stderr]).toEqual([0, '']);
    try {
      fs.writeFileSync(path.join(full, 'filler'), Buffer.alloc(60 * 1024));
      fs.writeFileSync(path.join(full, 'h.json'), '{"old":true}');
      const r = spawnSync(
        process.execPath,
        // 20 epochs: a history of ~8 KB, more than the page h.json holds (a write in place tore it at 4096 bytes)
        [CLI, 'train', '--limit', '300', '--epochs', '20', '--quiet', '--json', path.join(full, 'h.json'),
          '--save', path.join(dir, 'm.json')],
        { encoding: 'utf8' },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/swishnet: cannot write '.*full\/h\.json': ENOSPC/);
      expect(fs.readFileSync(path.join(full, 'h.json'), 'utf8')).toBe('{"old":true}');
      expect(leftovers(full)).toEqual([]);
      expect(NeuralNetClassifier.load(path.join(dir, 'm.json')).history.length).toBe(20);
    } finally {
      spawnSync('umount', [full]);
    }
  }, 60_000);
});

describe('folders and files this process may not write (as uid 65534 when run as root)', () => {
  // root passes every access check, so as root the code runs in a child as nobody (CI runs as root); elsewhere
  // the child runs as this user, whom the same modes bind
  const root = process.getuid?.() === 0;
  const runAsUser = (code: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    fs.chmodSync(dir, 0o755); // mkdtemp's 0700 would keep nobody out
    return spawnSync(process.execPath, ['-e', code, DIST_FILES, ...args], {
      encoding: 'utf8',
      ...(root ? { uid: 65534, gid: 65534 } : {}),
    });
  };
  const giveToUser = (p: string): void => {
    if (root) fs.chownSync(p, 65534, 65534);
  };

  test('writeFileAtomic rewrites in place a file it may write in a folder where it may not create one', () => {
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked);
    const file = path.join(locked, 'model.json');
    fs.writeFileSync(file, '{"old":true}');
    giveToUser(file);
    const ino = fs.statSync(file).ino;
    fs.chmodSync(locked, 0o555);
    try {
      const r = runAsUser("require(process.argv[1]).writeFileAtomic(process.argv[2], '{\"new\":1}')", file);
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(fs.readFileSync(file, 'utf8')).toBe('{"new":1}');
      expect(fs.statSync(file).ino).toBe(ino); // the same file, rewritten: no temporary could be made
      expect(leftovers(locked)).toEqual([]);
    } finally {
      fs.chmodSync(locked, 0o755);
    }
  });

  test('a read-only file in a writable folder: refused for a write in place, allowed through a temporary file', () => {
    const free = path.join(dir, 'free');
    fs.mkdirSync(free);
    giveToUser(free);
    const file = path.join(free, 'model.json');
    fs.writeFileSync(file, '{"old":true}');
    giveToUser(file);
    fs.chmodSync(file, 0o444);
    const r = runAsUser(
      [
        'const f = require(process.argv[1]);',
        'const plain = f.unwritableFolder(process.argv[2]);',
        'const viaTemp = f.unwritableFolder(process.argv[2], { viaTemp: true });',
        "f.writeFileAtomic(process.argv[2], '{\"new\":1}');",
        'console.log(JSON.stringify({ plain, viaTemp }));',
      ].join('\n'),
      file,
    );
    expect([r.status, r.stderr]).toEqual([0, '']);
    const out = JSON.parse(r.stdout) as { plain: string | null; viaTemp: string | null };
    expect(out.plain).toMatch(/the file/);
    expect(out.viaTemp).toBeNull();
    // replaced by the rename: new content, the old mode kept
    expect(fs.readFileSync(file, 'utf8')).toBe('{"new":1}');
    expect(fs.statSync(file).mode & 0o777).toBe(0o444);
    expect(leftovers(free)).toEqual([]);
  });
});
