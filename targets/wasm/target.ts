// The wasm target behind the Target seam: compile writes model.wasm, its loader model.mjs, the
// loader's types model.d.mts and manifest.json (and model.wat on request); instantiate runs them here.
import { probeWasm } from './probe.js';
import { enableRelaxedSimd } from './features.js';
import type { Func } from '../../src/ir/core.js';
import type { Tensor } from '../../src/ir/tensor.js';
import type { Artifact, CompileOptions, FileReader, Model, Target } from '../target.js';
import { planWasm, renderWasm, SUPPORTED_WASM_OPS, WASM_CAPS, WasmCompileError } from './compile.js';
import type { KernelPlan } from '../../src/lower/plan.js';
import { wasmToText } from './emit.js';
import { loaderSource, typesSource } from './loader.js';
import { instantiate, ModelLoadError } from './runtime.js';
import { UnsupportedError } from '../../src/util/errors.js';

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

function compile(plan: KernelPlan, opts: CompileOptions = {}): Artifact {
  const { wasm, relaxedWasm, manifest } = renderWasm(plan);
  const full = { target: 'wasm', ...manifest, ...(opts.pipeline !== undefined ? { pipeline: opts.pipeline } : {}), ...(opts.source !== undefined ? { source: opts.source } : {}), ...(opts.lossy?.length ? { lossy: opts.lossy } : {}) };
  const kernels = [...new Set(manifest.kernels.map((k) => k.kernel))].join(', ');
  return {
    files: {
      'model.wasm': wasm,
      ...(relaxedWasm ? { 'model.relaxed.wasm': relaxedWasm } : {}),
      'manifest.json': JSON.stringify(full, null, 2) + '\n',
      'model.mjs': loaderSource(full),
      'model.d.mts': typesSource(full),
      ...(opts.emit?.includes('wat') ? { 'model.wat': wasmToText(wasm) } : {}),
    },
    stale: [...(opts.emit?.includes('wat') ? [] : ['model.wat']), ...(relaxedWasm ? [] : ['model.relaxed.wasm'])],
    inputs: manifest.inputs,
    outputs: manifest.outputs,
    kernels: manifest.kernels,
    summary: `model.wasm (${kb(wasm.byteLength)})${relaxedWasm ? ', model.relaxed.wasm' : ''}, model.mjs, model.d.mts, manifest.json: ${manifest.kernels.length} kernels (${kernels}), weights ${kb(manifest.weightBytes)}, activation arena ${kb(manifest.arenaBytes)}`,
  };
}

async function load(read: FileReader): Promise<Model> {
  const manifestText = read('manifest.json');
  if (manifestText === undefined) throw new ModelLoadError('the compiled model has no manifest.json');
  let manifest: unknown;
  try {
    manifest = JSON.parse(typeof manifestText === 'string' ? manifestText : new TextDecoder().decode(manifestText));
  } catch (e) {
    throw new ModelLoadError(`cannot read manifest.json: ${(e as Error).message}`);
  }
  // The relaxed-SIMD variant where this engine has it (turned on in Node 20), else the SIMD128 module.
  const relaxed = (manifest as { relaxedSimd?: unknown }).relaxedSimd === true && (await enableRelaxedSimd()) ? read('model.relaxed.wasm') : undefined;
  const wasm = relaxed ?? read('model.wasm');
  if (!(wasm instanceof Uint8Array)) throw new ModelLoadError('the compiled model has no model.wasm');
  const compiled = await instantiate(wasm, manifest, relaxed ? 'model.relaxed.wasm' : 'model.wasm');
  const runSync = (inputs: readonly Tensor[]) => compiled.run(inputs);
  return { inputs: compiled.manifest.inputs, outputs: compiled.manifest.outputs, runSync, run: async (inputs) => runSync(inputs) };
}

export const wasmTarget: Target = {
  name: 'wasm',
  summary: 'WebAssembly with SIMD128 (binaryen.js): one module with a static memory plan, for Node and browsers',
  ops: SUPPORTED_WASM_OPS,
  emits: ['wat'],
  caps: WASM_CAPS,
  plan: (func: Func) => planWasm(func),
  compile,
  instantiate: load,
  probe: probeWasm,
  isUnsupported: (e) => e instanceof WasmCompileError || e instanceof UnsupportedError,
};
