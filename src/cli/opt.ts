// `sparsec opt`: parse, verify and print IR (passes join in with the pass manager).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseModule } from '../ir/parser.js';
import { printModule } from '../ir/printer.js';
import { verifyOrThrow } from '../ir/verifier.js';
import { CliError, type Command, type Io } from './command.js';

export function readInput(file: string, io: Io): string {
  if (file === '-') return io.readStdin();
  try {
    return io.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
}

export function writeOutput(file: string | undefined, text: string, io: Io): void {
  if (file === undefined || file === '-') {
    io.out(text);
    return;
  }
  try {
    writeFileSync(resolve(io.cwd, file), text);
  } catch (e) {
    throw new CliError(`cannot write '${file}': ${(e as Error).message}`);
  }
}

export const optCommand: Command = {
  name: 'opt',
  summary: 'Parse, verify and print a textual IR file.',
  usage: '<file.ir | -> [-o out.ir] [--elide-weights]',
  description: 'Reads IR (use - for standard input), checks it with the verifier and prints it back in canonical form.',
  positionals: [1, 1],
  options: {
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'write the IR here instead of standard output' },
    'elide-weights': { type: 'boolean', help: 'print large tensors as a summary (shape, count, nonzeros, hash)' },
    'inline-limit': { type: 'number', arg: 'N', help: 'tensors with more elements go to the resource table (default 16)' },
    'no-verify': { type: 'boolean', help: 'skip the verifier (to look at broken IR)' },
    'no-locations': { type: 'boolean', help: 'leave out loc(...) labels' },
  },
  run(args, io) {
    const file = args.positionals[0]!;
    const m = parseModule(readInput(file, io), { file: file === '-' ? '<stdin>' : file });
    if (!args.options['no-verify']) verifyOrThrow(m, file === '-' ? '<stdin>' : file);
    const limit = args.options['inline-limit'];
    if (limit !== undefined && (typeof limit !== 'number' || limit < 0 || !Number.isInteger(limit))) {
      throw new CliError(`--inline-limit needs a non-negative integer, got ${String(limit)}`);
    }
    const text = printModule(m, {
      elideWeights: args.options['elide-weights'] === true,
      locations: args.options['no-locations'] !== true,
      ...(typeof limit === 'number' ? { inlineLimit: limit } : {}),
    });
    writeOutput(args.options['output'] as string | undefined, text, io);
    return 0;
  },
};
