// sparsec's public API: what `import ... from 'sparsec'` gives a user writing passes or tools.
export * from './ir/index.js';
export { allOpDefs, getOpDef, opDefForOnnx, DIALECTS } from './dialects/index.js';
export { importOnnx, importOnnxFile, type ImportOptions, type ImportResult } from './importer/import.js';
export { interpret, InterpError, type InterpretOptions } from './interp/interpret.js';
export { compareTensors, type Tolerance } from './interp/compare.js';
export { readTensorFile, encodeTensor, OnnxError } from './onnx/proto.js';
export { UnsupportedError } from './util/errors.js';
export { definePass, isPass, type Pass, type PassContext, type PassOptionSpec, type PassSpec } from './pass/define.js';
export { pattern, applyPatterns, applyPatternsGreedily, Rewriter, type Pattern } from './pass/rewrite.js';
export { parsePipeline, printPipeline, PipelineError, type PipelineEntry } from './pass/pipeline.js';
export { runPipeline, PassError, type PassRecord, type RunPipelineOptions } from './pass/manager.js';
export { passRegistry, loadPassFile, PassLoadError } from './pass/registry.js';
export { constValue, hasOneUse, isStatic } from './pass/helpers.js';
export { checkPassSemantics, type SemanticsReport } from './pass/semantics.js';
