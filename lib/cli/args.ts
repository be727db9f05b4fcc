/**
 * A small, strict command-line parser: `--name value`, `--name=value`, boolean `--flag`, `--flag=yes|no` (also
 * 1|0, true|false, on|off), `--no-flag`.
 */

export interface OptionSpec {
  name: string;
  type: 'string' | 'number' | 'boolean' | 'int';
  default?: string | number | boolean;
  description: string;
  metavar?: string;
}

export interface ParsedArgs {
  options: Record<string, string | number | boolean | undefined>;
  positionals: string[];
  /** The options the command line set (the others hold their defaults). */
  given: Set<string>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(argv: string[], specs: OptionSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const options: ParsedArgs['options'] = {};
  for (const s of specs) if (s.default !== undefined) options[s.name] = s.default;
  const positionals: string[] = [];
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' && byName.get('help')?.type === 'boolean') {
      options.help = true;
      continue;
    }
    if (/^-[A-Za-z]/.test(arg)) {
      // `-epochs 3` would otherwise pass as a positional and be dropped: options take two dashes.
      const hint = byName.has(arg.slice(1).split('=')[0]) ? ` (did you mean -${arg}?)` : '';
      throw new UsageError(`unknown option ${arg}${hint}: options start with two dashes`);
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    let spec = byName.get(name);
    if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
      if (value !== undefined) throw new UsageError(`--${name} takes no value, got '${value}'`);
      options[name.slice(3)] = false;
      given.add(name.slice(3));
      continue;
    }
    if (!spec) {
      const known = specs.map((s) => `--${s.name}`).join(', ');
      throw new UsageError(`unknown option --${name} (known: ${known})`);
    }
    if (spec.type === 'boolean') {
      options[name] = value === undefined ? true : booleanValue(name, value);
      given.add(name);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      // `--save --quiet` forgot the file name: taking the option as one would write a file named --quiet
      if (argv[i + 1].startsWith('--')) {
        throw new UsageError(
          `--${name} needs a value, got the option ${argv[i + 1]} (for a value that starts with --, write ` +
            `--${name}=${argv[i + 1]})`,
        );
      }
      value = argv[++i];
    }
    if (spec.type === 'number' || spec.type === 'int') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
      if (spec.type === 'int' && !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got '${value}'`);
      options[name] = n;
    } else options[name] = value;
    given.add(name);
    spec = undefined;
  }
  return { options, positionals, given };
}

/** `--flag=VALUE` of a boolean flag: 1|true|yes|on or 0|false|no|off (any case); anything else is refused. */
function booleanValue(name: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new UsageError(`--${name} takes no value or one of 1|true|yes|on, 0|false|no|off; got '${value}'`);
}

/** For commands that take no positional arguments: a stray word is an error, not something silently dropped. */
export function noPositionals(parsed: ParsedArgs, command: string): void {
  if (parsed.positionals.length > 0) {
    throw new UsageError(`unexpected argument${parsed.positionals.length > 1 ? 's' : ''} ${parsed.positionals.map((p) => `'${p}'`).join(' ')} (swishnet ${command} takes only --options)`);
  }
}

export function formatHelp(usage: string, description: string, specs: OptionSpec[]): string {
  const rows = specs.map((s) => {
    const flag = `--${s.name}${s.type === 'boolean' ? '' : ` ${s.metavar ?? s.type.toUpperCase()}`}`;
    const def = s.default !== undefined && s.type !== 'boolean' ? ` [${String(s.default)}]` : '';
    return [flag, s.description + def];
  });
  const w = Math.max(0, ...rows.map((r) => r[0].length));
  return `${usage}\n\n${description}\n\nOptions:\n${rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`).join('\n')}\n`;
}
