// Every sparsec command as data: name, usage, options and help, and how to load its implementation.
// This file imports nothing heavy, so `sparsec --help` and a command's argument errors are instant;
// a command's own module (and what it needs: the importer, the passes, binaryen) loads when it runs.
import type { Command, OptionSpec } from './command.js';
import { DEFAULT_COMPILE_PIPELINE } from './pipelines.js';
import { DEFAULT_TARGET, TARGET_NAMES } from '../../targets/index.js';


/** Options several commands take, declared once so that they read the same everywhere. */
const OPTION = {
  pipeline: { type: 'string', short: 'p', arg: 'PIPELINE', help: 'passes to run before lowering' },
  target: { type: 'string', arg: 'NAME', help: `the target: ${TARGET_NAMES.join(', ')} (default ${DEFAULT_TARGET})` },
  budget: { type: 'string', arg: 'SECONDS', help: 'time tuning may spend (default 60); layers left keep their defaults' },
  db: { type: 'string', arg: 'FILE', help: 'the tuning database (default $XDG_CACHE_HOME/sparsec/tuning.jsonl): its choices are used, tuning adds to it' },
  dbAnyMachine: { type: 'boolean', help: "use other machines' records when this one has none" },
  outputIr: { type: 'string', short: 'o', arg: 'FILE', help: 'write the IR here instead of standard output' },
  elideWeights: { type: 'boolean', help: 'print large tensors as a summary (shape, count, nonzeros, hash)' },
  shape: { type: 'string', arg: 'NAME=DIMS', multiple: true, help: 'static shape for an input, e.g. input=1x3x224x224 (repeatable)' },
  loadPass: { type: 'string', arg: 'FILE', multiple: true, help: 'load passes from a TypeScript/JavaScript file (repeatable)' },
  weightDtype: { type: 'string', arg: 'f32|f16', help: 'f16: round the weights of dense products to f16 (lossy: the output error it causes is measured and printed; matrix-vector kernels then read half the bytes); default f32' },
} as const satisfies Record<string, OptionSpec>;

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  {
    name: 'import',
    summary: 'Import an ONNX model and print its IR.',
    usage: '<model.onnx> [-o out.ir] [--elide-weights] [--shape name=1x3x224x224]',
    description: 'Converts every node to the nn dialect, folds constant sub-graphs (static shapes included) and prints the verified IR. Dynamic dims stay named ({N}); --shape fixes an input\'s shape.',
    positionals: [1, 1],
    options: {
      output: OPTION.outputIr,
      'elide-weights': OPTION.elideWeights,
      shape: OPTION.shape,
    },
    load: async () => (await import('./import.js')).runImport,
  },
  {
    name: 'opt',
    summary: 'Parse, verify, run passes and print a textual IR file.',
    usage: '<file.ir | -> [-p pipeline] [-o out.ir] [--elide-weights] [--timing] [--stats]',
    description: 'Reads IR (use - for standard input), checks it with the verifier, runs the pass pipeline (verifying after each pass) and prints the result in canonical form. IR dumps and tables go to standard error.',
    positionals: [1, 1],
    options: {
      pipeline: { type: 'string', short: 'p', arg: 'PIPELINE', help: 'passes to run, e.g. "canonicalize,fuse-activation{ops=relu+clip}" (see sparsec passes)' },
      'load-pass': OPTION.loadPass,
      'print-ir-after-all': { type: 'boolean', help: 'print the IR after every pass' },
      'print-ir-after-change': { type: 'boolean', help: 'print the IR after each pass that changed it' },
      'print-ir-before': { type: 'string', arg: 'PASS', multiple: true, help: 'print the IR before the named pass (repeatable)' },
      timing: { type: 'boolean', help: 'print a table of time per pass' },
      stats: { type: 'boolean', help: 'print what each pass did (ops removed, weights folded...)' },
      'reproducer-dir': { type: 'string', arg: 'DIR', help: 'where a failing pass writes its reproducer (default: .)' },
      output: OPTION.outputIr,
      'elide-weights': OPTION.elideWeights,
      'inline-limit': { type: 'number', arg: 'N', help: 'tensors with more elements go to the resource table (default 16)' },
      'no-verify': { type: 'boolean', help: 'skip the verifier (to look at broken IR)' },
      'no-locations': { type: 'boolean', help: 'leave out loc(...) labels' },
    },
    load: async () => (await import('./opt.js')).runOpt,
  },
  {
    name: 'passes',
    summary: 'List the passes with their summaries and options.',
    usage: '[--load-pass FILE]',
    description: 'Lists the built-in passes, those named by sparsec.config.ts, and those loaded with --load-pass. Use them in `sparsec opt -p "a,b{option=value}"`.',
    positionals: [0, 0],
    options: {
      'load-pass': OPTION.loadPass,
    },
    load: async () => (await import('./passes.js')).runPasses,
  },
  {
    name: 'analyze',
    summary: 'Per-layer sparsity report: density, channel facts, N:M compliance, block density, FLOPs, channel-elimination savings.',
    usage: '<model.onnx | file.ir> [--json]',
    description: 'For every Conv, Gemm and MatMul with a constant weight: weight shape and density; output channels that are zero, constant or dead (mask propagation); whether the weight already satisfies 1:2, 2:4, 4:8 along its reduction axis; the fraction of nonzero 1x4, 4x1 and 4x4 blocks; dense FLOPs; and what channel elimination would remove. Then model totals.',
    positionals: [1, 1],
    options: {
      json: { type: 'boolean', help: 'print the report as JSON' },
    },
    load: async () => (await import('./analyze.js')).runAnalyze,
  },
  {
    name: 'compile',
    summary: 'Compile a model to WebAssembly SIMD (model.wasm, model.relaxed.wasm where a kernel fuses multiply-adds, model.mjs, model.d.mts, manifest.json) or, with --target webgpu, to WGSL (model.wgsl, weights.bin, model.mjs, model.d.mts, manifest.json).',
    usage: '<model.onnx | file.ir> (-o DIR | --emit plan) [--target wasm|webgpu] [-p pipeline] [--shape name=dims] [--emit wat] [--tune [--budget SECONDS]] [--weight-dtype f16]',
    description: `Runs the pass pipeline (default: ${DEFAULT_COMPILE_PIPELINE}), legalises, selects a kernel per op (the kernel plan; --emit plan prints it, manifest.json carries it), then renders one wasm module with a static memory plan. Shapes must be static: a named leading (batch) dim of an input becomes 1 unless --shape says otherwise; other named dims need --shape. Element types: f32, f64, signed and unsigned 8-64-bit integers, bool.`,
    moreHelp: async () => `Ops: ${(await import('../../targets/wasm/compile.js')).SUPPORTED_WASM_OPS.join(', ')}.`,
    positionals: [1, 1],
    options: {
      output: { type: 'string', short: 'o', arg: 'DIR', help: 'output folder' },
      pipeline: OPTION.pipeline,
      shape: OPTION.shape,
      target: OPTION.target,
      tune: { type: 'boolean', help: 'choose each layer\'s kernel, format and schedule by measuring them on this machine (each candidate checked against the interpreter first)' },
      budget: OPTION.budget,
      db: OPTION.db,
      'db-any-machine': OPTION.dbAnyMachine,
      'weight-dtype': OPTION.weightDtype,
      emit: { type: 'string', arg: 'plan|wat', help: "plan: print the kernel plan (which kernel, format and schedule each op gets, and why); wat: also write model.wat (the text form)" },
      'load-pass': OPTION.loadPass,
    },
    load: async () => (await import('./compile.js')).runCompile,
  },
  {
    name: 'tune',
    summary: 'Measure each layer\'s kernel, format and schedule on this machine and keep the choices in the tuning database.',
    usage: '<model.onnx | file.ir> [--target wasm|webgpu] [--budget SECONDS] [--db FILE] [-p pipeline] [--shape name=dims] [--weight-dtype f16] [--json]',
    description: 'As compile --tune, without writing a model: the choices of every kernel that applies to a layer are ranked by the cost model, and the default and the best 4 are checked against the interpreter and timed side by side; one faster beyond the noise replaces the default, and the whole model keeps its defaults if the tuned one measures slower. Prints per layer the default and the chosen, their times and the speedup, then the whole model default against tuned, timed side by side. Progress goes to standard error. docs/tuning.md.',
    positionals: [1, 1],
    options: {
      pipeline: OPTION.pipeline,
      shape: OPTION.shape,
      target: OPTION.target,
      budget: OPTION.budget,
      db: OPTION.db,
      'db-any-machine': OPTION.dbAnyMachine,
      'weight-dtype': OPTION.weightDtype,
      json: { type: 'boolean', help: 'print the report as JSON' },
      'load-pass': OPTION.loadPass,
    },
    load: async () => (await import('./tune.js')).runTune,
  },
  {
    name: 'run',
    summary: 'Run a model or IR file in the reference interpreter.',
    usage: '<model.onnx | file.ir | compiled dir> --data DIR [--out DIR] [--check] [--rtol r --atol a]',
    description: 'Reads input_N.pb from the data folder, runs the model (the reference interpreter for .onnx and .ir, the compiled wasm for a folder written by sparsec compile), writes output_N.pb to --out, and with --check compares with the output_N.pb in the data folder (exit code 1 on a mismatch).',
    positionals: [1, 1],
    options: {
      data: { type: 'string', arg: 'DIR', help: 'folder with input_0.pb, input_1.pb, ... (and output_N.pb for --check)' },
      out: { type: 'string', arg: 'DIR', help: 'write output_N.pb files here' },
      check: { type: 'boolean', help: 'compare with the output_N.pb files in the data folder' },
      rtol: { type: 'number', arg: 'R', help: 'relative tolerance for --check (default 1e-3)' },
      atol: { type: 'number', arg: 'A', help: 'absolute tolerance for --check (default 1e-7)' },
    },
    load: async () => (await import('./run.js')).runRun,
  },
  {
    name: 'conformance',
    summary: 'Run ONNX conformance test folders and report passed / failed / unsupported.',
    usage: '<test dirs or parent dirs...> [--target interp] [--json] [--rtol 1e-3 --atol 1e-7]',
    description: 'Each test folder holds model.onnx and test_data_set_*/ with input_N.pb and output_N.pb. Prints one row per test, a per-op coverage table and a closing count; exit code 1 when any test fails.',
    positionals: [1, Infinity],
    options: {
      target: { type: 'string', arg: 'NAME', help: `what runs the model: interp (the reference interpreter, default) or a compile target (${TARGET_NAMES.join(', ')})` },
      json: { type: 'boolean', help: 'print the results as JSON' },
      rtol: { type: 'number', arg: 'R', help: 'relative tolerance (default 1e-3)' },
      atol: { type: 'number', arg: 'A', help: 'absolute tolerance (default 1e-7)' },
    },
    load: async () => (await import('./conformance.js')).runConformance,
  },
];
