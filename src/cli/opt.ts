// `sparsec opt`: parse, verify and print IR (passes join in with the pass manager).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseModule } from '../ir/parser.js';
import { printModule } from '../ir/printer.js';
import { verifyOrThrow } from '../ir/verifier.js';
import { CliError, type Command, type Io } from './command.js';
import type { Pass } from '../pass/define.js';
import { runPipeline, statsTable, timingTable } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { configPassFiles, loadPassFile, passRegistry } from '../pass/registry.js';

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

/** Built-in passes plus those from --load-pass files and sparsec.config.ts. */
export async function loadRegistry(files: readonly string[], io: Io): Promise<Map<string, Pass>> {
  const extra: Pass[] = [];
  for (const f of [...(await configPassFiles(io.cwd)), ...files]) extra.push(...(await loadPassFile(f, io.cwd)));
  return passRegistry(extra);
}

export const optCommand: Command = {
  name: 'opt',
  summary: 'Parse, verify, run passes and print a textual IR file.',
  usage: '<file.ir | -> [-p pipeline] [-o out.ir] [--elide-weights] [--timing] [--stats]',
  description: 'Reads IR (use - for standard input), checks it with the verifier, runs the pass pipeline (verifying after each pass) and prints the result in canonical form. IR dumps and tables go to standard error.',
  positionals: [1, 1],
  options: {
    pipeline: { type: 'string', short: 'p', arg: 'PIPELINE', help: 'passes to run, e.g. "canonicalize,fuse-activation{ops=relu+clip}" (see sparsec passes)' },
    'load-pass': { type: 'string', arg: 'FILE', multiple: true, help: 'load passes from a TypeScript/JavaScript file (repeatable)' },
    'print-ir-after-all': { type: 'boolean', help: 'print the IR after every pass' },
    'print-ir-after-change': { type: 'boolean', help: 'print the IR after each pass that changed it' },
    'print-ir-before': { type: 'string', arg: 'PASS', multiple: true, help: 'print the IR before the named pass (repeatable)' },
    timing: { type: 'boolean', help: 'print a table of time per pass' },
    stats: { type: 'boolean', help: 'print what each pass did (ops removed, weights folded...)' },
    'reproducer-dir': { type: 'string', arg: 'DIR', help: 'where a failing pass writes its reproducer (default: .)' },
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'write the IR here instead of standard output' },
    'elide-weights': { type: 'boolean', help: 'print large tensors as a summary (shape, count, nonzeros, hash)' },
    'inline-limit': { type: 'number', arg: 'N', help: 'tensors with more elements go to the resource table (default 16)' },
    'no-verify': { type: 'boolean', help: 'skip the verifier (to look at broken IR)' },
    'no-locations': { type: 'boolean', help: 'leave out loc(...) labels' },
  },
  async run(args, io) {
    const file = args.positionals[0]!;
    const registry = await loadRegistry((args.options['load-pass'] as string[] | undefined) ?? [], io);
    const pipeline = parsePipeline((args.options['pipeline'] as string | undefined) ?? '', registry);
    for (const name of (args.options['print-ir-before'] as string[] | undefined) ?? []) {
      if (!registry.has(name)) throw new CliError(`--print-ir-before: unknown pass '${name}' (passes: ${[...registry.keys()].join(', ')})`);
    }
    const m = parseModule(readInput(file, io), { file: file === '-' ? '<stdin>' : file });
    if (!args.options['no-verify']) verifyOrThrow(m, file === '-' ? '<stdin>' : file);
    const records = runPipeline(m, pipeline, {
      printIrAfterAll: args.options['print-ir-after-all'] === true,
      printIrAfterChange: args.options['print-ir-after-change'] === true,
      printIrBefore: (args.options['print-ir-before'] as string[] | undefined) ?? [],
      log: io.err,
      noVerify: args.options['no-verify'] === true,
      ...(args.options['reproducer-dir'] ? { reproducerDir: resolve(io.cwd, args.options['reproducer-dir'] as string) } : {}),
    });
    if (args.options['timing']) io.err(timingTable(records));
    if (args.options['stats']) io.err(statsTable(records));
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
