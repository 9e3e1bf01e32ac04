// `sparsec compile`: model in, a folder with model.wasm, model.mjs (loader), model.d.mts and
// manifest.json out.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { graphInputs, importOnnxFile, type InputSignature } from '../importer/import.js';
import { parseModule } from '../ir/parser.js';
import { verifyOrThrow } from '../ir/verifier.js';
import { runPipeline } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { compileWasm } from '../../targets/wasm/compile.js';
import { wasmToText } from '../../targets/wasm/emit.js';
import { loaderSource, typesSource } from '../../targets/wasm/loader.js';
import { CliError, type Io, type ParsedArgs } from './command.js';
import { readInput } from './io.js';
import { loadRegistry } from './opt.js';
import { listOption, parseShapes } from './options.js';
import { DEFAULT_COMPILE_PIPELINE } from './pipelines.js';

export async function runCompile(args: ParsedArgs, io: Io): Promise<number> {
  const out = args.options['output'] as string | undefined;
  if (!out) throw new CliError('compile needs -o DIR');
  const emit = args.options['emit'];
  if (emit !== undefined && emit !== 'wat') throw new CliError(`--emit takes 'wat', got '${String(emit)}'`);
  const file = args.positionals[0]!;
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
  const { wasm, manifest } = compileWasm(module.funcs[0]!);
  const full = { ...manifest, pipeline, source: file };
  writeAll(resolve(io.cwd, out), {
    'model.wasm': wasm,
    'manifest.json': JSON.stringify(full, null, 2) + '\n',
    'model.mjs': loaderSource(full),
    'model.d.mts': typesSource(full),
    ...(emit === 'wat' ? { 'model.wat': wasmToText(wasm) } : {}),
  });
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  io.out(`wrote ${out}/model.wasm (${kb(wasm.byteLength)}), model.mjs, model.d.mts, manifest.json: ${manifest.kernels.length} kernels (${[...new Set(manifest.kernels.map((k) => k.kernel))].join(', ')}), weights ${kb(manifest.weightBytes)}, activation arena ${kb(manifest.arenaBytes)}\n`);
  return 0;
}

/**
 * Sizes for the named dims of the model's inputs, which the wasm target needs static. A named leading
 * dim (the batch) becomes 1, with a note; any other named or unknown dim of an input that --shape does
 * not fix is an error listing them all.
 */
export function staticDims(inputs: readonly InputSignature[], shapes: Readonly<Record<string, readonly number[]>>, io: Io): Record<string, number> {
  const free = inputs.filter((i) => !shapes[i.name] && i.dims);
  const batch = [...new Set(free.map((i) => i.dims![0]).filter((d): d is string => typeof d === 'string'))];
  const open = free.filter((i) => i.dims!.some((d, axis) => d === null || (typeof d === 'string' && !(axis === 0 || batch.includes(d)))));
  const show = (i: InputSignature) => `'${i.name}' [${i.dims!.map((d) => d ?? '?').join(', ')}]`;
  if (open.length) {
    const example = (i: InputSignature) => `--shape ${i.name}=${i.dims!.map((d) => (typeof d === 'number' ? d : d !== null && batch.includes(d) ? 1 : `<${d ?? 'size'}>`)).join('x')}`;
    throw new CliError(`the wasm target needs static shapes: give ${open.map(example).join(' ')} with sizes for the named or unknown dims of ${open.length === 1 ? 'input' : 'inputs'} ${open.map(show).join(', ')} (a leading named dim is the batch and defaults to 1)`);
  }
  if (batch.length) {
    const withBatch = free.filter((i) => typeof i.dims![0] === 'string');
    const other = (i: InputSignature) => `--shape ${i.name}=${i.dims!.map((d, axis) => (axis === 0 ? 8 : d)).join('x')}`;
    io.err(`note: batch size 1 for ${withBatch.map(show).join(', ')} (named leading dim ${batch.join(', ')}); choose another with ${other(withBatch[0]!)}\n`);
  }
  return Object.fromEntries(batch.map((d) => [d, 1]));
}

/** Writes every file of the output folder, or none: each goes to a temporary name first. */
function writeAll(dir: string, files: Record<string, Uint8Array | string>): void {
  const tmp = `.tmp-${process.pid}`;
  try {
    mkdirSync(dir, { recursive: true });
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name + tmp), data);
    for (const name of Object.keys(files)) renameSync(join(dir, name + tmp), join(dir, name));
  } catch (e) {
    for (const name of Object.keys(files)) rmSync(join(dir, name + tmp), { force: true });
    throw new CliError(`cannot write the output folder '${dir}': ${(e as Error).message}`);
  }
}
