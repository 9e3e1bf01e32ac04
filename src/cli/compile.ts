// `sparsec compile`: model in, a folder with model.wasm, model.mjs (loader), model.d.ts and
// manifest.json out.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importOnnxFile } from '../importer/import.js';
import { parseModule } from '../ir/parser.js';
import { verifyOrThrow } from '../ir/verifier.js';
import { runPipeline } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { compileWasm, SUPPORTED_WASM_OPS } from '../../targets/wasm/compile.js';
import { wasmToText } from '../../targets/wasm/emit.js';
import { loaderSource, typesSource } from '../../targets/wasm/loader.js';
import { CliError, type Command } from './command.js';
import { parseShapes } from './import.js';
import { loadRegistry, readInput } from './opt.js';

export const DEFAULT_COMPILE_PIPELINE = 'canonicalize,fold-batchnorm,mask-propagation,channel-elimination,fuse-bias,fuse-activation{ops=relu+clip},nm-layout,sparsify{max-density=0.55}';

export const compileCommand: Command = {
  name: 'compile',
  summary: 'Compile a model to WebAssembly SIMD (model.wasm, model.mjs, model.d.ts, manifest.json).',
  usage: '<model.onnx | file.ir> -o DIR [-p pipeline] [--shape name=dims] [--emit wat]',
  description: `Runs the pass pipeline (default: ${DEFAULT_COMPILE_PIPELINE}), then lowers to one wasm module with a static memory plan. Shapes must be static: fix named dims with --shape. Element types: f32, f64, signed and unsigned 8-64-bit integers, bool. Ops: ${SUPPORTED_WASM_OPS.join(', ')}.`,
  positionals: [1, 1],
  options: {
    output: { type: 'string', short: 'o', arg: 'DIR', help: 'output folder' },
    pipeline: { type: 'string', short: 'p', arg: 'PIPELINE', help: 'passes to run before lowering' },
    shape: { type: 'string', arg: 'NAME=DIMS', multiple: true, help: 'static shape for an input (repeatable)' },
    emit: { type: 'string', arg: 'wat', help: 'also write model.wat (the text form)' },
    'load-pass': { type: 'string', arg: 'FILE', multiple: true, help: 'load passes from a file (repeatable)' },
  },
  async run(args, io) {
    const out = args.options['output'] as string | undefined;
    if (!out) throw new CliError('compile needs -o DIR');
    const file = args.positionals[0]!;
    const shapes = parseShapes((args.options['shape'] as string[] | undefined) ?? []);
    let module;
    if (file.endsWith('.onnx')) module = importOnnxFile(resolve(io.cwd, file), { shapes }).module;
    else {
      module = parseModule(readInput(file, io), { file });
      verifyOrThrow(module, file);
    }
    const registry = await loadRegistry((args.options['load-pass'] as string[] | undefined) ?? [], io);
    const pipeline = (args.options['pipeline'] as string | undefined) ?? DEFAULT_COMPILE_PIPELINE;
    runPipeline(module, parsePipeline(pipeline, registry), { log: io.err });
    const { wasm, manifest } = compileWasm(module.funcs[0]!);
    const dir = resolve(io.cwd, out);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.wasm'), wasm);
    const full = { ...manifest, pipeline, source: file };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(full, null, 2) + '\n');
    writeFileSync(join(dir, 'model.mjs'), loaderSource(full));
    writeFileSync(join(dir, 'model.d.ts'), typesSource(full));
    if (args.options['emit'] === 'wat') {
      writeFileSync(join(dir, 'model.wat'), wasmToText(wasm));
    } else if (args.options['emit'] !== undefined) throw new CliError(`--emit takes 'wat', got '${String(args.options['emit'])}'`);
    const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
    io.out(`wrote ${out}/model.wasm (${kb(wasm.byteLength)}), model.mjs, model.d.ts, manifest.json: ${manifest.kernels.length} kernels (${[...new Set(manifest.kernels.map((k) => k.kernel))].join(', ')}), weights ${kb(manifest.weightBytes)}, activation arena ${kb(manifest.arenaBytes)}\n`);
    return 0;
  },
};
