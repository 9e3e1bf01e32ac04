// `sparsec export <file.ir | model.onnx> -o model.onnx [-p pipeline]`: the IR (after the passes given)
// written back as an ONNX model, whole or not at all.
import { dirname, resolve } from 'node:path';
import { importOnnxFile } from '../importer/import.js';
import { parseModule } from '../ir/parser.js';
import { verifyOrThrow } from '../ir/verifier.js';
import { runPipeline } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { exportOnnx } from '../export/onnx.js';
import { CliError, type Io, type ParsedArgs } from './command.js';
import { readInput, writeFileWhole } from './io.js';
import { loadRegistry } from './opt.js';
import { listOption, parseShapes } from './options.js';

export async function runExport(args: ParsedArgs, io: Io): Promise<number> {
  const file = args.positionals[0]!;
  const output = args.options['output'] as string | undefined;
  if (output === undefined) throw new CliError('export writes a model: give -o FILE');
  const module = file.endsWith('.onnx')
    ? importOnnxFile(resolve(io.cwd, file), { shapes: parseShapes(listOption(args, 'shape')), baseDir: dirname(resolve(io.cwd, file)) }).module
    : parseModule(readInput(file, io), { file });
  verifyOrThrow(module, file);
  const pipeline = args.options['pipeline'] as string | undefined;
  if (pipeline) runPipeline(module, parsePipeline(pipeline, await loadRegistry(listOption(args, 'load-pass'), io)), { log: io.err });
  const bytes = exportOnnx(module);
  writeFileWhole(output, bytes, io);
  io.out(`wrote ${output} (${(bytes.byteLength / 1024).toFixed(0)} KiB, opset 21)\n`);
  return 0;
}
