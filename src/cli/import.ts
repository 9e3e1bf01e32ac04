// `sparsec import`: ONNX model in, textual IR out.
import { importOnnxFile } from '../importer/import.js';
import { printModule } from '../ir/printer.js';
import type { Io, ParsedArgs } from './command.js';
import { writeOutput } from './io.js';
import { listOption, parseShapes } from './options.js';

export async function runImport(args: ParsedArgs, io: Io): Promise<number> {
  const shapes = parseShapes(listOption(args, 'shape'));
  const r = importOnnxFile(args.positionals[0]!, { shapes });
  writeOutput(args.options['output'] as string | undefined, printModule(r.module, { elideWeights: args.options['elide-weights'] === true }), io);
  return 0;
}
