// The sparsec command line: a table of commands, help and version, and one-line errors.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { elide } from '../util/limits.js';
import { PassError } from '../pass/manager.js';
import { CliError, commandHelp, parseArgs, type Command, type Io } from './command.js';
import { optCommand } from './opt.js';
import { importCommand } from './import.js';
import { runCommand } from './run.js';
import { conformanceCommand } from './conformance.js';
import { passesCommand } from './passes.js';
import { analyzeCommand } from './analyze.js';
import { compileCommand } from './compile.js';
import { didYouMean } from '../util/suggest.js';

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [importCommand, optCommand, passesCommand, analyzeCommand, compileCommand, runCommand, conformanceCommand];

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'sparsec: a compiler for pruned neural networks (ONNX in, sparse WebAssembly and WGSL out)',
    '',
    'Usage: sparsec <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help; `sparsec <command> --help` for a command',
    '  -V, --version  print the version',
    '  --debug        show the stack trace of an error',
    '',
  ].join('\n');
}

export const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  cwd: process.cwd(),
  readStdin: () => readFileSync(0, 'utf8'),
  readFile: (path) => readFileSync(resolve(process.cwd(), path), 'utf8'),
};

/** Runs the CLI; returns the exit code. Errors become one line on stderr unless --debug is given. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      const target = first === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
      io.out(target ? commandHelp(target) : mainHelp());
      return 0;
    }
    if (first === '--version' || first === '-V') {
      io.out(`sparsec ${version()}\n`);
      return 0;
    }
    const cmd = COMMANDS.find((c) => c.name === first);
    if (!cmd) {
      const what = first.startsWith('-') ? `unknown option '${first}'` : `unknown command '${first}'${didYouMean(first, COMMANDS.map((c) => c.name), 2)}`;
      throw new CliError(`${what} (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see sparsec --help)`);
    }
    const args = parseArgs(cmd, rest);
    if (args.options['help']) {
      io.out(commandHelp(cmd));
      return 0;
    }
    return await cmd.run(args, io);
  } catch (e) {
    io.err(`sparsec: error: ${errorLine(e)}\n`);
    if (debug && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return 1;
  }
}

function errorLine(e: unknown): string {
  if (e instanceof UserError || e instanceof PassError) return e.message;
  const what = e instanceof Error ? e.message : `a non-Error value was thrown: ${elide(typeof e === 'object' ? safeJson(e) : String(e))}`;
  return `${what} (internal error; run with --debug for the stack trace)`;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
