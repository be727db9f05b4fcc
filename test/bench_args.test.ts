/**
 * `npm run bench` argument checks (scripts/bench.js): what would be lost or ignored is refused before any
 * benchmark runs, with one line `bench: ...` and exit 2. An --json path that cannot be written (the figures were
 * lost with a stack trace after every suite had run); --ops / --sizes (and the other suite options) when no
 * selected suite takes them (they were silently ignored).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..');
const script = path.join(root, 'scripts', 'bench.js');

/**
 * Runs the bench script on the js kernels (--mock-native, --no-build); a benchmark that starts is cut at 20 s.
 * asNobody: as the user nobody (runuser), for a permission check that root would pass.
 */
function bench(args: string[], asNobody = false) {
  const node = [process.execPath, script, '--no-build', '--mock-native', ...args];
  const [cmd, ...argv] = asNobody ? ['runuser', '-u', 'nobody', '--', ...node] : node;
  const r = spawnSync(cmd, argv, {
    cwd: root,
    encoding: 'utf8',
    timeout: 20000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, stdout: r.stdout || '', stderr: (r.stderr || '').trim() };
}

/** Exit 2 with one line naming `what`, before any suite ran. */
function expectUsageError(args: string[], what: RegExp, asNobody = false) {
  const r = bench(args, asNobody);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: expect.stringMatching(what) });
  expect(r.stderr.split('\n')).toHaveLength(1);
  expect(r.stdout).not.toMatch(/===/);
}

const tiny = ['--quick', '--no-tfjs', '--ops', 'relu', '--sizes', '1024'];

describe('--json FILE is checked before any benchmark', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-bench-args-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a path under a file', () => {
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, 'x');
    const json = path.join(file, 'sub', 'out.json');
    expectUsageError(['activations', ...tiny, '--json', json], /^bench: --json: .*is a file, not a directory/);
  });

  test('a folder', () => {
    expectUsageError(['activations', ...tiny, '--json', dir], /^bench: --json: .*is a folder/);
  });

  // root may write anywhere: as root (CI), the script runs as nobody, in a folder root owns
  const root = process.getuid?.() === 0;
  const nobodyRuns =
    root && spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', '0']).status === 0;
  (!root || nobodyRuns ? test : test.skip)('a folder that is not writable', () => {
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro, { mode: 0o555 });
    fs.chmodSync(ro, 0o555);
    if (root) fs.chmodSync(dir, 0o755); // nobody may look in, not write
    const json = path.join(ro, 'out.json');
    expectUsageError(['activations', ...tiny, '--json', json], /^bench: --json: .*not writable/, root);
  });

  test('folders that do not exist yet are created, and the figures written', () => {
    const out = path.join(dir, 'new', 'sub', 'out.json');
    const r = bench(['activations', ...tiny, '--json', out]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(Object.keys(JSON.parse(fs.readFileSync(out, 'utf8')).suites)).toEqual(['activations']);
  }, 60000);
});

describe('a suite option no selected suite takes is a usage error', () => {
  test.each([
    [['gemm', '--ops', 'relu'], /^bench: --ops applies only to the activations suite.*: gemm$/],
    [['gemm', '--sizes', '65536'], /^bench: --sizes applies only to the activations suite.*: gemm$/],
    [['train', '--quick', '--ops', 'relu'], /^bench: --ops applies only to the activations suite.*: train$/],
    [['gemm', '--no-tfjs'], /^bench: --no-tfjs applies only to the activations and train suites.*: gemm$/],
    [['train', '--reps', '5'], /^bench: --reps applies only to the activations and gemm suites.*: train$/],
  ])('%j', (args, what) => expectUsageError(args as string[], what as RegExp));

  test('taken when one selected suite takes it', () => {
    const r = bench(['activations', 'gemm', '--json', '', '--ops', 'relu']);
    // the empty --json path is refused after the suite options passed
    expect(r.stderr).toBe('bench: --json: needs a file name');
  });
});
