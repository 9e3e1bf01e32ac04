// The sparsec command line: a table of commands, help and version, and one-line errors.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { elide } from '../util/limits.js';
import { PassError } from '../pass/pass-error.js';
import { CliError, commandHelp, parseArgs, type Io } from './command.js';
import { closeTargets } from '../../targets/index.js';
import { COMMANDS } from './commands.js';
import { didYouMean } from '../util/suggest.js';

/** sparsec's version, from its package.json (found from here: src/cli in the sources, dist/src/cli when built). */
export function version(): string {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    let pkg: { name?: string; version?: string };
    try {
      pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as typeof pkg;
    } catch {
      continue;
    }
    if (pkg.name === 'sparsec' && pkg.version) return pkg.version;
  }
  throw new Error(`no package.json of sparsec above ${import.meta.url}`);
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
  errIsTerminal: process.stderr.isTTY === true,
};

/** Runs the CLI; returns the exit code. Errors become one line on stderr unless --debug is given. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      const target = first === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
      io.out(target ? await commandHelp(target) : mainHelp());
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
      io.out(await commandHelp(cmd));
      return 0;
    }
    const run = await cmd.load();
    return await run(args, io);
  } catch (e) {
    io.err(`sparsec: error: ${errorLine(e)}\n`);
    if (debug && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return 1;
  } finally {
    // a WebGPU device keeps Node running until it is destroyed
    await closeTargets();
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
