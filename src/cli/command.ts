// How CLI commands are declared (a table of options), parsed, and documented in --help.
import { UserError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean' | 'number';
  readonly short?: string;
  readonly help: string;
  /** Placeholder shown in help, e.g. FILE. */
  readonly arg?: string;
  /** May be given more than once (values collect into an array). */
  readonly multiple?: boolean;
}

export interface Io {
  out(s: string): void;
  err(s: string): void;
  readonly cwd: string;
  /** Standard input, read when a command's input is `-`. */
  readStdin(): string;
  /** Reads a file (relative to cwd); the test runner serves test cases from memory through this. */
  readFile(path: string): string;
  /** Whether standard error is a terminal (progress is then one line rewritten in place). */
  readonly errIsTerminal?: boolean;
}

export type ParsedArgs = {
  positionals: string[];
  options: Record<string, string | boolean | number | string[] | undefined>;
};

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage after `sparsec <name>`, e.g. `<file.ir> [-o out.ir]`. */
  readonly usage: string;
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Min and max number of positional arguments. */
  readonly positionals: readonly [number, number];
  /** Help that needs the implementation loaded (e.g. the ops a target supports); shown by `--help`. */
  moreHelp?(): Promise<string>;
  /**
   * Loads the command's implementation: its module, and only then what it needs (the importer, the
   * passes, binaryen), so that other commands and `--help` do not pay for them.
   */
  load(): Promise<CommandRun>;
}

/** What a command does with its parsed arguments; returns the exit code. */
export type CommandRun = (args: ParsedArgs, io: Io) => Promise<number>;

/** A mistake by the user: printed as one line, exit code 1. */
export class CliError extends UserError {}

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', help: 'show help for the command' },
  debug: { type: 'boolean', help: 'show the stack trace of an error' },
};

export function parseArgs(cmd: Command, argv: readonly string[]): ParsedArgs {
  const specs: Record<string, OptionSpec> = { ...cmd.options, ...GLOBAL_OPTIONS };
  const byShort = new Map(Object.entries(specs).filter(([, s]) => s.short).map(([n, s]) => [s.short!, n]));
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  const accepted = () => Object.keys(specs).map((n) => `--${n}`).join(', ');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.length < 2 || !a.startsWith('-')) {
      positionals.push(a);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq > 0 ? a.slice(eq + 1) : undefined;
    } else {
      const n = byShort.get(a.slice(1, 2));
      if (!n) throw new CliError(`unknown option '${a}' for '${cmd.name}' (accepted: ${accepted()})`);
      name = n;
      inline = a.length > 2 ? a.slice(2) : undefined;
    }
    const spec = specs[name];
    if (!spec) throw new CliError(`unknown option '--${name}' for '${cmd.name}'${didYouMean(name, Object.keys(specs), 2).replace(/'(.*)'/, "'--$1'")} (accepted: ${accepted()})`);
    let value: string | boolean | number;
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new CliError(`option '--${name}' takes no value`);
      value = true;
    } else {
      const raw = inline ?? argv[++i];
      if (raw === undefined) throw new CliError(`option '--${name}' needs a value (${spec.arg ?? spec.type})`);
      if (spec.type === 'number') {
        value = Number(raw);
        if (!Number.isFinite(value)) throw new CliError(`option '--${name}' needs a number, got '${raw}'`);
      } else value = raw;
    }
    if (spec.multiple) options[name] = [...((options[name] as string[] | undefined) ?? []), String(value)];
    else options[name] = value;
  }
  if (!options['help']) {
    const [min, max] = cmd.positionals;
    if (positionals.length < min) throw new CliError(`'${cmd.name}' needs ${min === max ? min : `at least ${min}`} argument(s): sparsec ${cmd.name} ${cmd.usage}`);
    if (positionals.length > max) throw new CliError(`'${cmd.name}' takes at most ${max} argument(s), got ${positionals.length}: ${positionals.join(' ')}`);
  }
  return { positionals, options };
}

export async function commandHelp(cmd: Command): Promise<string> {
  const lines = [`Usage: sparsec ${cmd.name} ${cmd.usage}`, '', cmd.summary];
  if (cmd.description) lines.push('', cmd.description);
  if (cmd.moreHelp) lines.push('', await cmd.moreHelp());
  lines.push('', 'Options:');
  const specs = { ...cmd.options, ...GLOBAL_OPTIONS };
  const rows = Object.entries(specs).map(([n, s]) => [`${s.short ? `-${s.short}, ` : '    '}--${n}${s.type !== 'boolean' ? ` ${s.arg ?? s.type.toUpperCase()}` : ''}`, s.help] as const);
  const w = Math.max(...rows.map(([l]) => l.length));
  for (const [l, h] of rows) lines.push(`  ${l.padEnd(w)}  ${h}`);
  return lines.join('\n') + '\n';
}
