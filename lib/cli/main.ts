#!/usr/bin/env node
/** The `swishnet` command line: swishnet <command> [options]. */
import { UsageError } from './args';
import { commands } from './commands';

function mainHelp(): string {
  const w = Math.max(...Object.keys(commands).map((c) => c.length));
  return (
    'Usage: swishnet <command> [options]\n\n' +
    'Train neural networks in Node.js with SIMD activation and GEMM kernels.\n\nCommands:\n' +
    Object.entries(commands)
      .map(([name, c]) => `  ${name.padEnd(w)}  ${c.summary}`)
      .join('\n') +
    '\n\nRun `swishnet <command> --help` for the options of a command.\n'
  );
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    const { packageVersion } = await import('../info');
    console.log(packageVersion());
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`swishnet: unknown command '${name}'\n\n${mainHelp()}`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`swishnet ${name}: ${e.message}\n(see swishnet ${name} --help)\n`);
      return 2;
    }
    // A progress bar may be on the current line of a terminal: clear it before the message.
    const clear = process.stderr.isTTY ? '\r\x1b[K' : '';
    if ((e as Error)?.name === 'AbortError') {
      process.stderr.write(`${clear}swishnet ${name}: stopped\n`);
      return 130;
    }
    // The message is what a user acts on; the stack trace only helps when debugging swishnet itself.
    const err = e instanceof Error ? e : new Error(String(e));
    const detail = process.env.SWISHNET_DEBUG ? String(err.stack) : `${err.name}: ${err.message}`;
    process.stderr.write(`${clear}swishnet ${name}: ${detail}\n`);
    if (!process.env.SWISHNET_DEBUG) process.stderr.write('(SWISHNET_DEBUG=1 prints the stack trace)\n');
    return 1;
  }
}

/**
 * `swishnet train --save m.json | head`: a closed stdout pipe must not end the program, or stop it from writing
 * the files it was asked for. Output to the closed pipe is discarded from then on and the command finishes with
 * its own exit code (an unhandled EPIPE printed a stack trace and exited 1; exiting 0 at once skipped --save and
 * --json). Other stream errors are rethrown.
 */
export function discardOutputOnClosedPipe(out: NodeJS.WritableStream): void {
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    out.write = (() => true) as NodeJS.WritableStream['write'];
  });
}

if (require.main === module) {
  discardOutputOnClosedPipe(process.stdout);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(String(e?.stack ?? e) + '\n');
      process.exitCode = 1;
    },
  );
}
