/**
 * Backend selection and the package surface: backendInfo, forced backends and ISAs, the error listing every
 * place tried, the ESM entry, `swishnet info`. Child processes run the compiled package (dist/), which
 * `npm test` builds first.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { backend, backendInfo, setBackend, ACT_OPS, getNativeBackend, getJsBackend } from '../lib';
import { expectErrors } from './helpers/throws';
import { loadNativeBinding } from '../lib/backend/native/binding';

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist', 'index.js');

function node(code: string, env: Record<string, string | undefined> = {}, cwd = root) {
  // PREBUILDS_ONLY (set by the prebuild workflow's test step) would change what the children look for
  const r = spawnSync(process.execPath, ['-e', code], {
    cwd,
    env: { ...process.env, PREBUILDS_ONLY: undefined, ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe(`backend selection (active: ${backend().name}/${backend().isa})`, () => {
  test('backendInfo reports backend, isa, version and the activation table', () => {
    const info = backendInfo();
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(info.version).toBe(pkg.version);
    expect(['native', 'js']).toContain(info.backend);
    expect(info.kernels).toEqual([...ACT_OPS]);
    // the names --activation and activations.get() take (gelu_tanh is a kernel, not a name; prelu and silu are)
    expect(info.activations).toEqual(expect.arrayContaining(['relu', 'prelu', 'silu', 'swish', 'gelu', 'celu']));
    expect(info.activations).not.toContain('gelu_tanh');
    if (info.backend === 'js') {
      expect(info.isa).toBe('js');
      expect(info.streamMinBytes).toBeNull();
    } else {
      expect(info.isas).toContain('scalar');
      expect(info.isas).toContain(info.isa);
      if (info.isa === 'avx2') expect(info.streamMinBytes).toBeGreaterThanOrEqual(1 << 20);
      else expect(info.streamMinBytes).toBeNull();
    }
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });

  test('setBackend refuses anything but js, native or a Backend object, and keeps the active backend', () => {
    const before = backend();
    expectErrors([
      [() => setBackend('JS' as never), RangeError, /^RangeError: setBackend: 'b' must be 'js' or 'native', got 'JS'$/],
      [() => setBackend(null as never), TypeError, /'b' must be 'js', 'native' or a Backend object, got null$/],
      [() => setBackend({ name: 'js' } as never), TypeError, /^TypeError: setBackend: 'b' is not a Backend: it lacks /],
    ]);
    expect(backend()).toBe(before);
    const spy = new Proxy(before, {}); // an object with every method: accepted
    expect(setBackend(spy)).toBe(before);
    expect(setBackend(before)).toBe(spy);
  });

  test('SWISHNET_BACKEND selects the backend', () => {
    const forced = process.env.SWISHNET_BACKEND;
    if (forced) expect(backend().name).toBe(forced);
    if (process.env.SWISHNET_ISA && backend().name === 'native') expect(backend().isa).toBe(process.env.SWISHNET_ISA);
  });

  test('the native binding exposes the same activation order as the TypeScript layer', () => {
    const nb = getNativeBackend();
    if (!nb) {
      expect(backend().name).toBe('js');
      return;
    }
    expect(nb.info().activations).toEqual([...ACT_OPS]);
  });

  test('setThreads and setIsa check their argument in TypeScript, alike on every backend', () => {
    const nb = getNativeBackend();
    const range = "setThreads: 'n' must be an integer in [1, 256], got ";
    for (const be of [getJsBackend(), ...(nb ? [nb] : [])]) {
      const before = be.getThreads();
      // thrown here, not by the addon (whose errors belong to Node's main realm, not jest's: toThrow(Class) fails)
      for (const [bad, shown] of [
        ['2', 'string "2"'],
        [undefined, 'undefined'],
        [null, 'null'],
        [true, 'boolean true'],
        [2n, '2n (a BigInt)'],
      ] as [unknown, string][]) {
        expect(() => be.setThreads(bad as number)).toThrow(TypeError);
        expect(() => be.setThreads(bad as number)).toThrow(new TypeError(range + shown));
      }
      for (const bad of [0, -1, 1.5, NaN, Infinity, 257, 2 ** 53]) {
        expect(() => be.setThreads(bad)).toThrow(RangeError);
        expect(() => be.setThreads(bad)).toThrow(new RangeError(range + String(bad)));
      }
      expect(be.getThreads()).toBe(before);
      be.setThreads(before);
    }
    if (!nb) return;
    const isa = nb.isa;
    expect(() => nb.setIsa(42 as never)).toThrow(TypeError);
    expect(() => nb.setIsa(42 as never)).toThrow(/^setIsa: 'name' must be a string naming .* number 42$/);
    expect(() => nb.setIsa('sse2')).toThrow(RangeError);
    expect(() => nb.setIsa('sse2')).toThrow(`setIsa: 'name' "sse2" is not a kernel family (scalar, avx2, neon)`);
    const missing = ['scalar', 'avx2', 'neon'].find((i) => !nb.info().isas.includes(i));
    if (missing) expect(() => nb.setIsa(missing)).toThrow(RangeError);
    expect(nb.isa).toBe(isa);
    nb.setIsa(isa);
  });

  // (every pass of `npm test`, the js one too, has a binary that loads; a checkout without one has nothing to test)
  const withBinary = getNativeBackend() ? test : test.skip;
  withBinary('where the system refuses threads, setThreads(256) leaves room for libuv\'s (gemmAsync and fs still run)', () => {
    // The child's address space, capped at what Node and the addon take plus 1 GiB: room for ~120 default
    // 8 MiB thread stacks, fewer than 256. libuv starts its own 4 threads only at the first fs call or gemmAsync;
    // a pool that kept every thread it could start left none for them, and libuv abort()ed the process.
    const env = { SWISHNET_BACKEND: 'native' };
    const peak = node(
      `require(${JSON.stringify(dist)}).backend().setThreads(1);` +
        `console.log(/VmPeak:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1])`,
      env,
    );
    expect(peak.stderr).toBe('');
    const limitKb = Number(peak.stdout) + 1024 * 1024;
    const code = `
      const sn = require(${JSON.stringify(dist)});
      sn.backend().setThreads(256);
      const got = sn.backend().getThreads();
      const n = 64, a = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
      sn.gemmAsync(a, a, c, { m: n, n, k: n })
        .then(() => require('fs').promises.readFile(${JSON.stringify(dist)}, 'utf8'))
        .then((text) => console.log(JSON.stringify({ got, c0: c[0], read: text.length > 0 })));`;
    const r = spawnSync('bash', ['-c', `ulimit -v ${limitKb} && exec "$0" -e "$1"`, process.execPath, code], {
      cwd: root,
      env: { ...process.env, PREBUILDS_ONLY: undefined, ...env },
      encoding: 'utf8',
    });
    expect([r.status, r.signal, r.stderr]).toEqual([0, null, '']);
    const out = JSON.parse(r.stdout) as { got: number; c0: number; read: boolean };
    expect(out.got).toBeGreaterThanOrEqual(1);
    expect(out.got).toBeLessThan(256); // the cap did refuse threads: what this test is about
    expect([out.c0, out.read]).toEqual([64, true]);
  });

  test('native and js agree on a quick forward through the public seam', () => {
    const nb = getNativeBackend();
    const js = getJsBackend();
    const x = Float64Array.from({ length: 37 }, (_, i) => (i - 18) / 3);
    const a = new Float64Array(37);
    js.actForward(ACT_OPS.indexOf('swish'), x, a, 1, 0);
    for (let i = 0; i < 37; i++) expect(a[i]).toBeCloseTo(x[i] / (1 + Math.exp(-x[i])), 14);
    if (nb) {
      const b = new Float64Array(37);
      nb.actForward(ACT_OPS.indexOf('swish'), x, b, 1, 0);
      for (let i = 0; i < 37; i++) expect(Math.abs(b[i] - a[i])).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(a[i])));
    }
  });
});

describe('compiled package (dist/)', () => {
  const haveDist = fs.existsSync(dist);
  const maybe = haveDist ? test : test.skip;
  if (!haveDist) console.warn('dist/ is missing: run `npm run build:ts` (npm test does it first)');

  maybe('bad SWISHNET_BACKEND / SWISHNET_ISA values fail with a named RangeError', () => {
    const r = node(`try { require(${JSON.stringify(dist)}).backendInfo(); } catch (e) { console.log(e.name + ': ' + e.message); }`, {
      SWISHNET_BACKEND: 'gpu',
    });
    expect(r.stdout).toMatch(/RangeError: SWISHNET_BACKEND must be 'js' or 'native', got 'gpu'/);
    if (getNativeBackend()) {
      const r2 = node(`try { require(${JSON.stringify(dist)}).backendInfo(); } catch (e) { console.log(e.name + ': ' + e.message); }`, {
        SWISHNET_BACKEND: 'native',
        SWISHNET_ISA: 'sse9',
      });
      expect(r2.stdout).toMatch(/RangeError: SWISHNET_ISA=sse9 is not available here; available kernel families: scalar/);
    }
  });

  maybe('forcing native where no binary loads lists every place tried; without forcing, js is used', () => {
    // A copy of the package without build/ and prebuilds/.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-nobin-'));
    try {
      fs.cpSync(path.join(root, 'dist'), path.join(tmp, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(root, 'package.json'), path.join(tmp, 'package.json'));
      fs.symlinkSync(path.join(root, 'node_modules'), path.join(tmp, 'node_modules'));
      const entry = JSON.stringify(path.join(tmp, 'dist', 'index.js'));
      const forced = node(`try { require(${entry}).backendInfo(); console.log('NO ERROR'); } catch (e) { console.log(e.message); }`, {
        SWISHNET_BACKEND: 'native',
      });
      expect(forced.stdout).toMatch(/SWISHNET_BACKEND=native but no native binary could be loaded/);
      expect(forced.stdout).toContain(path.join(tmp, 'build', 'Release', 'swishnet.node'));
      expect(forced.stdout).toContain(`no prebuilds: ${path.join(tmp, 'prebuilds')} does not exist`);
      const auto = node(`const s=require(${entry}); const i=s.backendInfo(); console.log(i.backend, i.nativeErrors.length > 0);`, {
        SWISHNET_BACKEND: '',
      });
      expect(auto.stdout.trim()).toBe('js true');
      // a binary named by SWISHNET_NATIVE_PATH that does not load is an error too, not a silent fallback to js
      const missing = path.join(tmp, 'nonexistent.node');
      const named = node(`try { require(${entry}).backendInfo(); console.log('NO ERROR'); } catch (e) { console.log(e.message); }`, {
        SWISHNET_BACKEND: '',
        SWISHNET_NATIVE_PATH: missing,
      });
      expect(named.stdout).toMatch(new RegExp(`SWISHNET_NATIVE_PATH=.*nonexistent\\.node but no native binary could be loaded`));
      expect(named.stdout).toMatch(/unset SWISHNET_NATIVE_PATH to use the TypeScript backend/);
      const js = node(`console.log(require(${entry}).backendInfo().backend);`, {
        SWISHNET_BACKEND: 'js',
        SWISHNET_NATIVE_PATH: missing,
      });
      expect(js.stdout.trim()).toBe('js');
      // the CLI's --backend native names the flag, not the variable it sets; setBackend('native') lists the places too
      const cliArgs = [path.join(tmp, 'dist', 'cli', 'main.js'), 'train', '--backend', 'native'];
      const cli = spawnSync(process.execPath, cliArgs, {
        env: { ...process.env, SWISHNET_BACKEND: '', SWISHNET_NATIVE_PATH: '' },
        encoding: 'utf8',
      });
      expect(cli.status).toBe(1);
      expect(cli.stderr).toMatch(/--backend native was given but no native binary could be loaded/);
      expect(cli.stderr).toMatch(/leave --backend out \(or give --backend js\) to use the TypeScript backend/);
      expect(cli.stderr).not.toMatch(/SWISHNET_BACKEND/);
      const set = node(`try { require(${entry}).setBackend('native'); } catch (e) { console.log(e.message); }`, {
        SWISHNET_BACKEND: '',
      });
      expect(set.stdout).toMatch(/setBackend\('native'\) was called but no native binary could be loaded\. Tried:/);
      expect(set.stdout).toContain(path.join(tmp, 'build', 'Release', 'swishnet.node'));
      // setBackend('js') still works where the environment's choice cannot load
      const toJs = node(`const s = require(${entry}); s.setBackend(s.getJsBackend()); s.setBackend('js'); ` +
        'console.log(s.backendInfo().backend);', {
        SWISHNET_BACKEND: 'native',
      });
      expect(toJs.stdout.trim()).toBe('js');
      // a train run that fell back to js says so in its header
      const fell = spawnSync(process.execPath, [cliArgs[0], 'train', '--limit', '500', '--epochs', '1'], {
        env: { ...process.env, SWISHNET_BACKEND: '', SWISHNET_NATIVE_PATH: '' },
        encoding: 'utf8',
      });
      expect(fell.status).toBe(0);
      expect(fell.stdout).toMatch(/backend js .*\n\(the native backend did not load, so the TypeScript one runs/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  maybe('a build/Release binary that does not load does not hide a good prebuild', () => {
    const binary = loadNativeBinding().path;
    if (!binary) return; // (no binary here to copy: the test:install paths cover that case)
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-badbuild-'));
    try {
      fs.cpSync(path.join(root, 'dist'), path.join(tmp, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(root, 'package.json'), path.join(tmp, 'package.json'));
      fs.symlinkSync(path.join(root, 'node_modules'), path.join(tmp, 'node_modules'));
      fs.mkdirSync(path.join(tmp, 'build', 'Release'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'build', 'Release', 'swishnet.node'), 'not a shared object');
      const pre = path.join(tmp, 'prebuilds', `${process.platform}-${process.arch}`);
      fs.mkdirSync(pre, { recursive: true });
      const libc = process.platform === 'linux' ? (fs.existsSync('/etc/alpine-release') ? '.musl' : '.glibc') : '';
      fs.copyFileSync(binary, path.join(pre, `swishnet${libc}.node`));
      const entry = JSON.stringify(path.join(tmp, 'dist', 'index.js'));
      const r = node(`const i = require(${entry}).backendInfo(); console.log(i.backend, i.nativePath);`, {
        SWISHNET_BACKEND: '',
        SWISHNET_NATIVE_PATH: undefined,
      });
      expect(r.stdout.trim()).toBe(`native ${path.join(pre, `swishnet${libc}.node`)}`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  maybe('the ESM entry exports the same API as CommonJS', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import * as s from ${JSON.stringify(path.join(root, 'dist', 'index.mjs'))};
         const c = (await import('module')).createRequire(import.meta.url)(${JSON.stringify(dist)});
         console.log(typeof s.backendInfo, typeof s.activations.get, typeof s.NeuralNetClassifier, Object.keys(c).every((k) => k in s));`,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function function function true');
  });

  /**
   * The type errors of a strict consumer `source` (a .ts file importing the package's dist/), compiled with
   * `options` besides strict, ES2022 and CommonJS.
   */
  function consumerTypeErrors(source: string, options: import('typescript').CompilerOptions = {}): string[] {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const ts = require('typescript') as typeof import('typescript');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-types-'));
    try {
      const file = path.join(tmp, 'consumer.ts');
      fs.writeFileSync(file, source);
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        ...options,
      });
      return ts.getPreEmitDiagnostics(program).map((d) => {
        const where = d.file ? `${path.basename(d.file.fileName)}: ` : '';
        return where + ts.flattenDiagnosticMessageText(d.messageText, ' ');
      });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  maybe('the declarations compile for a strict consumer without @types/node or the DOM library', () => {
    const errors = consumerTypeErrors(
      `import { NeuralNetClassifier, PrintLog, ProgressBar, GridSearchCV, activations } from ${JSON.stringify(dist)};
         const net = new NeuralNetClassifier({ callbacks: [new PrintLog({ write: (s: string) => s.length }), new ProgressBar()] });
         const sig = { aborted: false };
         void net.fit(new Float32Array(8), [0, 1], { signal: sig });
         void new GridSearchCV(net, { lr: [0.1] }, { cv: 3, signal: null });
         activations.get('swish').forward(new Float32Array(3));\n`,
      {
        skipLibCheck: false,
        types: [], // no @types/node
        lib: ['lib.es2022.d.ts'], // no DOM
      },
    );
    expect(errors).toEqual([]);
  });

  maybe("the README's TypeScript patterns type-check for a strict consumer (MNIST statistics, a seeded factory)", () => {
    // loadMnist's mean / std were number | null whatever the normalization, so the README's
    // `stats: { mean: train.mean, std: train.std }` did not compile; a factory's params were Record<string, unknown>,
    // so `new nn.Dropout(p, { seed: params.seed })` did not either
    const errors = consumerTypeErrors(
      `import { loadMnist, loadMnistAsync, nn, NeuralNetClassifier, type MnistNormalize } from ${JSON.stringify(dist)};
         const train = loadMnist({ split: 'train', limit: 100 });
         const test = loadMnist({ split: 'test', stats: { mean: train.mean, std: train.std } });
         const m: number = test.std;
         const raw = loadMnist({ normalize: 'scale01', dtype: 'float64' });
         const none: null = raw.mean;
         const x64: Float64Array = raw.X;
         declare const how: MnistNormalize;
         const either: number | null = loadMnist({ normalize: how }).mean;
         void loadMnistAsync({ normalize: 'standardize' }).then((d) => { const s: number = d.mean; return s; });
         const net = new NeuralNetClassifier({
           module: (params) => new nn.Sequential(
             new nn.Linear(784, 10, { seed: params.seed, dtype: params.dtype }),
             new nn.Dropout(0.5, { seed: params.seed }),
           ),
         });
         void [m, none, x64, either, net];\n`,
    );
    expect(errors).toEqual([]);
  });

  maybe('`swishnet info` prints the backend and `--json` parses', () => {
    const cli = path.join(root, 'dist', 'cli', 'main.js');
    const r = spawnSync(process.execPath, [cli, 'info', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.backend).toBe(backend().name);
    expect(info.version).toBe(backendInfo().version);
    // The plain form: one line per field; the streaming line only where the active kernels stream.
    const text = spawnSync(process.execPath, [cli, 'info'], { encoding: 'utf8' });
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^backend: +${info.backend}$`, 'm'));
    if (info.streamMinBytes === null) expect(text.stdout).not.toMatch(/^streaming:/m);
    else {
      const mib = (info.streamMinBytes / 2 ** 20).toFixed(1).replace('.', '\\.');
      expect(text.stdout).toMatch(new RegExp(`^streaming: +activation calls of >= ${mib} MiB`, 'm'));
    }
    const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/Usage: swishnet <command>/);
    expect(help.stdout).toMatch(/train/);
    const bad = spawnSync(process.execPath, [cli, 'frobnicate'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
