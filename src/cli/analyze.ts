// `sparsec analyze`: a per-layer sparsity table of a model.
import { importOnnxFile } from '../importer/import.js';
import { analyzeModel, formatReport } from '../analysis/report.js';
import { parseModule } from '../ir/parser.js';
import { verifyOrThrow } from '../ir/verifier.js';
import type { Command } from './command.js';
import { readInput } from './opt.js';

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'Per-layer sparsity report: density, channel facts, N:M compliance, block density, FLOPs, channel-elimination savings.',
  usage: '<model.onnx | file.ir> [--json]',
  description: 'For every Conv, Gemm and MatMul with a constant weight: weight shape and density; output channels that are zero, constant or dead (mask propagation); whether the weight already satisfies 1:2, 2:4, 4:8 along its reduction axis; the fraction of nonzero 1x4, 4x1 and 4x4 blocks; dense FLOPs; and what channel elimination would remove. Then model totals.',
  positionals: [1, 1],
  options: {
    json: { type: 'boolean', help: 'print the report as JSON' },
  },
  run(args, io) {
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
  },
};
