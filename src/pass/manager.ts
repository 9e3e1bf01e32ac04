// The pass manager: runs a pipeline, verifies after every pass, writes a reproducer when a pass
// throws or leaves invalid IR, and collects timings, statistics and IR dumps.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Module } from '../ir/core.js';
import { printModule } from '../ir/printer.js';
import { verify } from '../ir/verifier.js';
import type { PassContext } from './define.js';
import { UserError } from '../util/errors.js';
import { printPipeline, resolvedOptions, type PipelineEntry } from './pipeline.js';
import { PassError } from './pass-error.js';

export { PassError };

export interface RunPipelineOptions {
  printIrAfterAll?: boolean;
  printIrAfterChange?: boolean;
  /** Pass names to print the IR before. */
  printIrBefore?: readonly string[];
  /** Where dumps and messages go (stderr in the CLI). */
  log?: (s: string) => void;
  /** Folder for reproducer files (default: the current directory). */
  reproducerDir?: string;
  /** Skip the verifier between passes (not recommended). */
  noVerify?: boolean;
}

export interface PassRecord {
  readonly name: string;
  readonly ms: number;
  readonly changed: boolean | undefined;
  readonly stats: ReadonlyMap<string, number>;
}

const dump = (m: Module) => printModule(m, { elideWeights: true });

/** Runs the pipeline in place; returns what each pass did. */
export function runPipeline(module: Module, entries: readonly PipelineEntry[], opts: RunPipelineOptions = {}): PassRecord[] {
  const log = opts.log ?? ((s: string) => process.stderr.write(s));
  const records: PassRecord[] = [];
  const wantChange = opts.printIrAfterChange === true;
  for (const e of entries) {
    const name = e.pass.name;
    const label = printPipeline([e]);
    if (opts.printIrBefore?.includes(name)) log(`// -----// IR Dump Before ${label} //----- //\n${dump(module)}\n`);
    const before = wantChange ? dump(module) : undefined;
    const inputText = () => printModule(module);
    let snapshot: string | undefined;
    const stats = new Map<string, number>();
    const ctx: PassContext<Record<string, unknown>> = {
      options: resolvedOptions(e),
      stat: (s, n = 1) => void stats.set(s, (stats.get(s) ?? 0) + n),
    };
    // Keep the input text only when a failure needs it (printing big modules costs time).
    const t0 = performance.now();
    try {
      e.pass.run(module, ctx as never);
    } catch (err) {
      // The input's fault (a size limit, options that do not fit this module): no reproducer needed.
      if (err instanceof UserError) throw new PassError(name, `pass '${name}': ${err.message}`, undefined, err);
      snapshot = safePrint(module) ?? inputText();
      const file = writeReproducer(opts.reproducerDir, name, label, snapshot, `pass '${name}' threw: ${(err as Error).message}`);
      throw new PassError(name, `pass '${name}' failed: ${(err as Error).message} (IR at the failure written to ${file})`, file, err);
    }
    const ms = performance.now() - t0;
    if (!opts.noVerify) {
      const problems = verify(module);
      if (problems.length) {
        const text = safePrint(module) ?? '// (the IR could not be printed)\n';
        const file = writeReproducer(opts.reproducerDir, name, label, text, `pass '${name}' produced invalid IR: ${problems[0]!.message}`);
        throw new PassError(name, `pass '${name}' produced invalid IR: ${problems[0]!.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''} (the IR it produced is in ${file})`, file);
      }
    }
    const after = wantChange || opts.printIrAfterAll ? dump(module) : undefined;
    const changed = before === undefined ? undefined : before !== after;
    if (opts.printIrAfterAll || changed) log(`// -----// IR Dump After ${label} //----- //\n${after}\n`);
    records.push({ name: label, ms, changed, stats });
  }
  return records;
}

function safePrint(m: Module): string | undefined {
  try {
    return printModule(m);
  } catch {
    return undefined;
  }
}

function writeReproducer(dir: string | undefined, pass: string, label: string, ir: string, why: string): string {
  const d = resolve(dir ?? '.');
  mkdirSync(d, { recursive: true });
  const file = join(d, `sparsec-reproducer-${pass}.ir`);
  const header = `// sparsec reproducer: ${why.replace(/\n/g, ' ')}\n// To look at it: sparsec opt --no-verify ${file}\n// To rerun the pass: sparsec opt <input.ir> -p "${label}"\n`;
  writeFileSync(file, header + ir);
  return file;
}

/** The --timing table. */
export function timingTable(records: readonly PassRecord[]): string {
  const total = records.reduce((s, r) => s + r.ms, 0);
  const w = Math.max(4, ...records.map((r) => r.name.length));
  const lines = ['pass timing:', `  ${'pass'.padEnd(w)}  ${'ms'.padStart(9)}  ${'%'.padStart(5)}`];
  for (const r of records) lines.push(`  ${r.name.padEnd(w)}  ${r.ms.toFixed(2).padStart(9)}  ${(total ? (100 * r.ms) / total : 0).toFixed(1).padStart(5)}`);
  lines.push(`  ${'total'.padEnd(w)}  ${total.toFixed(2).padStart(9)}  100.0`);
  return lines.join('\n') + '\n';
}

/** The --stats table. */
export function statsTable(records: readonly PassRecord[]): string {
  const lines = ['pass statistics:'];
  for (const r of records) {
    if (r.stats.size === 0) lines.push(`  ${r.name}: (nothing to report)`);
    else lines.push(`  ${r.name}: ${[...r.stats].map(([k, v]) => `${v} ${k}`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}
