// `sparsec import`: ONNX model in, textual IR out.
import { importOnnxFile } from '../importer/import.js';
import { printModule } from '../ir/printer.js';
import { CliError, type Command } from './command.js';
import { writeOutput } from './opt.js';

/** Parses `name=1x3x224x224` options into a shape table. */
export function parseShapes(values: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const v of values) {
    const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(v);
    if (!m) throw new CliError(`--shape needs name=DIMS such as input=1x3x224x224, got '${v}'`);
    out[m[1]!] = m[2]!.split('x').map(Number);
  }
  return out;
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Import an ONNX model and print its IR.',
  usage: '<model.onnx> [-o out.ir] [--elide-weights] [--shape name=1x3x224x224]',
  description: 'Converts every node to the nn dialect, folds constant sub-graphs (static shapes included) and prints the verified IR. Dynamic dims stay named ({N}); --shape fixes an input\'s shape.',
  positionals: [1, 1],
  options: {
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'write the IR here instead of standard output' },
    'elide-weights': { type: 'boolean', help: 'print large tensors as a summary (shape, count, nonzeros, hash)' },
    shape: { type: 'string', arg: 'NAME=DIMS', multiple: true, help: 'static shape for an input, e.g. input=1x3x224x224 (repeatable)' },
  },
  run(args, io) {
    const shapes = parseShapes((args.options['shape'] as string[] | undefined) ?? []);
    const r = importOnnxFile(args.positionals[0]!, { shapes });
    writeOutput(args.options['output'] as string | undefined, printModule(r.module, { elideWeights: args.options['elide-weights'] === true }), io);
    return 0;
  },
};
