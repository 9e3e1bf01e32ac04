// `sparsec opt`: parse, verify and print IR (passes join in with the pass manager).
import { resolve } from 'node:path';
import { parseModule } from '../ir/parser.js';
import { printModule } from '../ir/printer.js';
import { verifyOrThrow } from '../ir/verifier.js';
import { CliError, type Io, type ParsedArgs } from './command.js';
import { readInput, writeOutput } from './io.js';
import { listOption } from './options.js';
import type { Pass } from '../pass/define.js';
import { runPipeline, statsTable, timingTable } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { configPassFiles, loadPassFile, passRegistry } from '../pass/registry.js';

/** Built-in passes plus those from --load-pass files and sparsec.config.ts. */
export async function loadRegistry(files: readonly string[], io: Io): Promise<Map<string, Pass>> {
  const extra: Pass[] = [];
  for (const f of [...(await configPassFiles(io.cwd)), ...files]) extra.push(...(await loadPassFile(f, io.cwd)));
  return passRegistry(extra);
}

export async function runOpt(args: ParsedArgs, io: Io): Promise<number> {
  const file = args.positionals[0]!;
  const registry = await loadRegistry(listOption(args, 'load-pass'), io);
  const pipeline = parsePipeline((args.options['pipeline'] as string | undefined) ?? '', registry);
  for (const name of listOption(args, 'print-ir-before')) {
    if (!registry.has(name)) throw new CliError(`--print-ir-before: unknown pass '${name}' (passes: ${[...registry.keys()].join(', ')})`);
  }
  const m = parseModule(readInput(file, io), { file: file === '-' ? '<stdin>' : file });
  if (!args.options['no-verify']) verifyOrThrow(m, file === '-' ? '<stdin>' : file);
  const records = runPipeline(m, pipeline, {
    printIrAfterAll: args.options['print-ir-after-all'] === true,
    printIrAfterChange: args.options['print-ir-after-change'] === true,
    printIrBefore: listOption(args, 'print-ir-before'),
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
}
