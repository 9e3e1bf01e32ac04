// `sparsec compile`: model in, the target's output folder out (wasm: model.wasm, model.mjs,
// model.d.mts, manifest.json).
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { join, resolve } from 'node:path';
import { graphInputs, importOnnxFile, type InputSignature } from '../importer/import.js';
import { parseModule } from '../ir/parser.js';
import { verifyOrThrow } from '../ir/verifier.js';
import { runPipeline } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { printPlan, type KernelPlan } from '../lower/plan.js';
import type { Target } from '../../targets/target.js';
import type { Module } from '../ir/core.js';
import type { TuneResult } from '../tune/tune.js';
import { DEFAULT_TARGET, loadTarget, type Artifact } from '../../targets/index.js';
import { CliError, type Io, type ParsedArgs } from './command.js';
import { UserError } from '../util/errors.js';
import { progress, readInput } from './io.js';
import { loadRegistry } from './opt.js';
import { listOption, parseShapes } from './options.js';
import { DEFAULT_COMPILE_PIPELINE } from './pipelines.js';

/**
 * A compile is a short process, and V8's optimising tier
 * (TurboFan) would recompile binaryen's large wasm in the background at a cost above its gain.
 * Baseline-compiled wasm only: compile of examples/mlp-sparse90.onnx 2.6 s -> 1.3 s, of light
 * ResNet-50 10.8 s -> 9.9 s (2 cores). Set before binaryen loads (the target loads it), and not for --tune, which times compiled kernels that must run as optimised code.
 */
function baselineWasmOnly(): void {
  setFlagsFromString('--liftoff-only');
}

export async function runCompile(args: ParsedArgs, io: Io): Promise<number> {
  const out = args.options['output'] as string | undefined;
  const emit = args.options['emit'] as string | undefined;
  if (!out && emit !== 'plan') throw new CliError('compile needs -o DIR (or --emit plan to print the kernel plan)');
  const budget = args.options['tune'] ? budgetSeconds(args.options['budget'] as string | undefined) : undefined;
  if (budget === undefined) baselineWasmOnly();
  const target = await loadTarget((args.options['target'] as string | undefined) ?? DEFAULT_TARGET);
  if (emit !== undefined && emit !== 'plan' && !target.emits.includes(emit)) throw new CliError(`--emit takes ${['plan', ...target.emits].map((e) => `'${e}'`).join(', ')} for target '${target.name}', got '${emit}'`);
  const { module, file, pipeline, lossy } = await loadForCompile(args, io);
  const { plan } = await tuned(target.plan(module.funcs[0]!), target, args, budget, io);
  if (emit === 'plan') {
    io.out(printPlan(plan));
    if (!out) return 0;
  }
  const artifact = target.compile(plan, { source: file, pipeline, emit: emit === undefined || emit === 'plan' ? [] : [emit], ...(lossy ? { lossy: [lossy] } : {}) });
  writeAll(resolve(io.cwd, out!), artifact);
  io.out(`wrote ${out}/${artifact.summary}\n`);
  return 0;
}

/**
 * The model named by the first positional, imported (static shapes) and run through the pipeline;
 * with --weight-dtype f16 its product weights rounded, and the line that says what that cost.
 */
export async function loadForCompile(args: ParsedArgs, io: Io): Promise<{ module: Module; file: string; pipeline: string; lossy?: string }> {
  const file = args.positionals[0]!;
  const dtype = weightDtype(args);
  const shapes = parseShapes(listOption(args, 'shape'));
  let module;
  if (file.endsWith('.onnx')) {
    const path = resolve(io.cwd, file);
    module = importOnnxFile(path, { shapes, dims: staticDims(graphInputs(path), shapes, io) }).module;
  } else {
    module = parseModule(readInput(file, io), { file });
    verifyOrThrow(module, file);
  }
  const registry = await loadRegistry(listOption(args, 'load-pass'), io);
  const pipeline = (args.options['pipeline'] as string | undefined) ?? DEFAULT_COMPILE_PIPELINE;
  runPipeline(module, parsePipeline(pipeline, registry), { log: io.err });
  if (dtype === 'f32') return { module, file, pipeline };
  const { roundWeightsToHalf, describeRounding } = await import('../lower/weight-dtype.js');
  const lossy = describeRounding(roundWeightsToHalf(module));
  io.err(`${lossy}\n`);
  return { module, file, pipeline, lossy };
}

/** --weight-dtype: f32 (the default) or f16. */
function weightDtype(args: ParsedArgs): 'f32' | 'f16' {
  const v = (args.options['weight-dtype'] as string | undefined) ?? 'f32';
  if (v !== 'f32' && v !== 'f16') throw new CliError(`--weight-dtype takes f32 or f16, got '${v}'`);
  return v;
}

/** `--tune [--budget SECONDS]`: measures the plan's choices; progress and a summary on standard error. */
export function budgetSeconds(budget: string | undefined): number {
  const seconds = budget === undefined ? 60 : Number(budget.replace(/s$/, ''));
  if (!Number.isFinite(seconds) || seconds <= 0) throw new CliError(`--budget takes a number of seconds > 0, e.g. 60 or 60s, got '${budget}'`);
  return seconds;
}

/**
 * The tuning database's choices (default file: $XDG_CACHE_HOME/sparsec/tuning.jsonl, or --db), and
 * with --tune, measurements of what it lacks, appended to it. Without a database file, the plan as is.
 */
export async function tuned(plan: KernelPlan, target: Target, args: ParsedArgs, budget: number | undefined, io: Io): Promise<{ plan: KernelPlan; result?: TuneResult; path: string }> {
  const db = await import('../tune/db.js');
  const path = args.options['db'] !== undefined ? resolve(io.cwd, args.options['db'] as string) : db.defaultDbPath();
  const records = db.readDb(path);
  if (budget === undefined && !records.length) return { plan, path };
  const { tune } = await import('../tune/tune.js');
  const { version } = await import('./main.js');
  let machine: string;
  try {
    machine = target.machine ? await target.machine() : db.machineFingerprint();
  } catch (e) {
    // records are keyed by the device: without one, a compile that does not measure takes the defaults
    if (budget !== undefined || !(e instanceof UserError)) throw e;
    io.err(`note: the tuning database ${path} is not used: ${e.message}\n`);
    return { plan, path };
  }
  const lookup = { records, target: target.name, machine, sparsec: db.tuningVersion(version()), anyMachine: args.options['db-any-machine'] === true };
  // On a terminal, what is being measured is one status line rewritten in place, above which the results scroll.
  const { log, status, clear } = progress(io);
  const r = await tune(plan, target, { budgetMs: 1000 * (budget ?? 0), measure: budget !== undefined, db: lookup, log, ...(status ? { status } : {}) });
  clear();
  if (r.fromDb) io.err(`note: ${r.fromDb} layer(s) chose from the tuning database ${path}\n`);
  if (budget !== undefined) {
    db.appendRecords(path, r.records);
    const changed = r.endToEnd?.kept === 'default' ? 0 : r.rows.filter((row) => row.chosen !== row.default).length;
    const dropped = r.endToEnd?.kept === 'default' ? ' (the changes measured slower for the whole model and were dropped)' : '';
    io.err(`tuned ${r.rows.length} layer(s) in ${(r.elapsedMs / 1000).toFixed(1)} s: ${changed} changed, ${r.rows.length - changed} kept their defaults${dropped}${r.skipped ? `, ${r.skipped} left untuned (budget)` : ''}; ${r.records.length} record(s) added to ${path}\n`);
  }
  return { plan: r.plan, result: r, path };
}

/**
 * Sizes for the named dims of the model's inputs, which compiled code needs static. A named dim that
 * --shape fixes on one input has that size everywhere; a named leading dim (the batch) otherwise
 * becomes 1, with a note; any other named or unknown dim not fixed by --shape is an error listing them.
 */
export function staticDims(inputs: readonly InputSignature[], shapes: Readonly<Record<string, readonly number[]>>, io: Io): Record<string, number> {
  const given = (i: InputSignature) => Object.hasOwn(shapes, i.name);
  const dims: Record<string, number> = {};
  for (const i of inputs.filter(given)) {
    (i.dims ?? []).forEach((d, k) => {
      const size = shapes[i.name]![k];
      if (typeof d === 'string' && size !== undefined && !Object.hasOwn(dims, d)) dims[d] = size;
    });
  }
  const free = inputs.filter((i) => !given(i) && i.dims);
  const batch = [...new Set(free.map((i) => i.dims![0]).filter((d): d is string => typeof d === 'string' && !Object.hasOwn(dims, d)))];
  const known = (d: string | number | null, axis: number) => typeof d === 'number' || (d !== null && (Object.hasOwn(dims, d) || batch.includes(d) || axis === 0));
  const open = free.filter((i) => i.dims!.some((d, axis) => !known(d, axis)));
  const show = (i: InputSignature) => `'${i.name}' [${i.dims!.map((d) => d ?? '?').join(', ')}]`;
  const example = (i: InputSignature, batchSize: number) => `--shape ${i.name}=${i.dims!.map((d) => (typeof d === 'number' ? d : d === null ? '<size>' : Object.hasOwn(dims, d) ? dims[d] : batch.includes(d) ? batchSize : `<${d}>`)).join('x')}`;
  if (open.length) {
    throw new CliError(`compiled code needs static shapes: give ${open.map((i) => example(i, 1)).join(' ')} with sizes for the named or unknown dims of ${open.length === 1 ? 'input' : 'inputs'} ${open.map(show).join(', ')} (a leading named dim is the batch and defaults to 1)`);
  }
  if (batch.length) {
    const withBatch = free.filter((i) => i.dims!.some((d) => typeof d === 'string' && batch.includes(d)));
    io.err(`note: batch size 1 for ${withBatch.map(show).join(', ')} (named leading dim ${batch.join(', ')}); choose another with ${withBatch.map((i) => example(i, 8)).join(' ')}\n`);
  }
  for (const d of batch) dims[d] = 1;
  return dims;
}

/** Writes every file of the output folder, or none (each goes to a temporary name first); removes what an earlier compile left that this one did not write. */
function writeAll(dir: string, artifact: Artifact): void {
  const tmp = `.tmp-${process.pid}`;
  const names = Object.keys(artifact.files);
  try {
    mkdirSync(dir, { recursive: true });
    for (const name of names) writeFileSync(join(dir, name + tmp), artifact.files[name]!);
    for (const name of names) renameSync(join(dir, name + tmp), join(dir, name));
    for (const name of artifact.stale) rmSync(join(dir, name), { force: true });
  } catch (e) {
    for (const name of names) rmSync(join(dir, name + tmp), { force: true });
    throw new CliError(`cannot write the output folder '${dir}': ${(e as Error).message}`);
  }
}
