/** Runs the `swishnet` command line in process (its main()), with stdout and stderr captured. */
import { spawn } from 'child_process';
import * as path from 'path';
import { main } from '../../lib/cli/main';

export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += a.join(' ') + '\n'));
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  const se = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    log.mockRestore();
    so.mockRestore();
    se.mockRestore();
  }
}

/**
 * Runs the built CLI (dist/cli/main.js) in a child process and sends it SIGINT once its stdout matches `when`
 * (as a user pressing Ctrl-C at that point), and a second time once its stderr matches `again` after that.
 * Resolves when it exits; `sent` and `sentAgain` say whether the signals went.
 */
export async function runCliInterrupted(
  argv: string[],
  when: RegExp,
  env: NodeJS.ProcessEnv = {},
  again?: RegExp,
): Promise<{ code: number | null; out: string; err: string; sent: boolean; sentAgain: boolean }> {
  const root = path.join(__dirname, '..', '..');
  const child = spawn(process.execPath, [path.join(root, 'dist', 'cli', 'main.js'), ...argv], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => {
    out += d;
    if (!sent && when.test(out)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  let sentAgain = false;
  child.stderr.on('data', (d: Buffer) => {
    err += d;
    if (again && sent && !sentAgain && again.test(err)) {
      sentAgain = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, out, err, sent, sentAgain };
}
