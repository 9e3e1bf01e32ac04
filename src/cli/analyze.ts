// `sparsec analyze`: a per-layer sparsity table of a model.
import { importOnnxFile } from '../importer/import.js';
import { analyzeModel, formatReport } from '../analysis/report.js';
import { parseModule } from '../ir/parser.js';
import { verifyOrThrow } from '../ir/verifier.js';
import type { Io, ParsedArgs } from './command.js';
import { readInput } from './io.js';

export async function runAnalyze(args: ParsedArgs, io: Io): Promise<number> {
  const file = args.positionals[0]!;
  let f;
  if (file.endsWith('.onnx')) f = importOnnxFile(file).module.funcs[0]!;
  else {
    const m = parseModule(readInput(file, io), { file });
    verifyOrThrow(m, file);
    f = m.funcs[0]!;
  }
  const report = analyzeModel(f);
  io.out(args.options['json'] ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
  return 0;
}
