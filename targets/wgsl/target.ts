// The WebGPU target behind the Target seam: compile writes model.wgsl (the shaders), weights.bin,
// the loader model.mjs with its types model.d.mts, and manifest.json; instantiate runs the same
// loader in this process on the process's device (device.ts).
import type { Func } from '../../src/ir/core.js';
import { Tensor } from '../../src/ir/tensor.js';
import type { ElementType } from '../../src/ir/types.js';
import { UnsupportedError, UserError } from '../../src/util/errors.js';
import type { KernelPlan } from '../../src/lower/plan.js';
import type { Artifact, CompileOptions, FileReader, Model, Target } from '../target.js';
import { DTYPE_NAMES } from '../wasm/dtype.js';
import { planWebGpu, renderWebGpu, SUPPORTED_WEBGPU_OPS, WEBGPU_CAPS, WgslCompileError, type WebGpuManifest } from './compile.js';
import { processDevice, releaseDevice } from './device.js';
import { webgpuLoaderSource, webgpuTypesSource } from './loader.js';

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

export class WebGpuLoadError extends UserError {
  override name = 'WebGpuLoadError';
}

function compile(plan: KernelPlan, opts: CompileOptions = {}): Artifact {
  const { wgsl, weights, manifest } = renderWebGpu(plan);
  const full = { ...manifest, ...(opts.pipeline !== undefined ? { pipeline: opts.pipeline } : {}), ...(opts.source !== undefined ? { source: opts.source } : {}), ...(opts.lossy?.length ? { lossy: opts.lossy } : {}) };
  const kernels = [...new Set(manifest.kernels.map((k) => k.kernel))].join(', ');
  return {
    files: {
      'model.wgsl': wgsl,
      'weights.bin': weights,
      'manifest.json': JSON.stringify(full, null, 2) + '\n',
      'model.mjs': webgpuLoaderSource(manifest),
      'model.d.mts': webgpuTypesSource(manifest),
    },
    stale: ['model.wasm', 'model.relaxed.wasm', 'model.wat'],
    inputs: manifest.inputs,
    outputs: manifest.outputs,
    kernels: manifest.kernels,
    summary: `model.wgsl (${manifest.shaders} shader${manifest.shaders === 1 ? '' : 's'}, ${manifest.dispatches.length} dispatch${manifest.dispatches.length === 1 ? '' : 'es'}), weights.bin (${kb(manifest.weightBytes)}), model.mjs, model.d.mts, manifest.json: ${manifest.kernels.length} kernels (${kernels}), activation buffer ${kb(manifest.memBytes)}`,
  };
}

const ELEMENT_OF = Object.fromEntries(Object.entries(DTYPE_NAMES).map(([et, n]) => [n, et])) as Record<string, ElementType>;

interface LoadedModel {
  run(feeds: Record<string, unknown>): Promise<Record<string, ArrayLike<number | bigint>>>;
  timer(feeds: Record<string, unknown>): Promise<() => Promise<number>>;
  profile(feeds: Record<string, unknown>, opts: { reps?: number }): Promise<{ clock: string; runMs: number; dispatches: { label: string; ms: number }[] }>;
  destroy(): void;
}

interface LoadedModule {
  load(files: Record<string, unknown>, opts: { device: unknown }): Promise<LoadedModel>;
}

async function instantiate(read: FileReader): Promise<Model> {
  const text = (name: string) => {
    const f = read(name);
    if (f === undefined) throw new WebGpuLoadError(`the compiled model has no ${name}`);
    return typeof f === 'string' ? f : new TextDecoder().decode(f);
  };
  let manifest: WebGpuManifest;
  try {
    manifest = JSON.parse(text('manifest.json')) as WebGpuManifest;
  } catch (e) {
    throw new WebGpuLoadError(`cannot read manifest.json: ${(e as Error).message}`);
  }
  if (manifest.target !== 'webgpu') throw new WebGpuLoadError(`manifest.json is for target '${String(manifest.target)}', not webgpu`);
  const weights = read('weights.bin');
  if (!(weights instanceof Uint8Array)) throw new WebGpuLoadError('the compiled model has no weights.bin');
  // the loader the compile wrote, run here as a module
  const loader = (await import(`data:text/javascript;base64,${Buffer.from(text('model.mjs')).toString('base64')}`)) as LoadedModule;
  const { device } = await processDevice();
  const model = await loader.load({ 'model.wgsl': text('model.wgsl'), 'weights.bin': weights }, { device });
  const feedsOf = (inputs: readonly Tensor[]) => {
    const feeds: Record<string, unknown> = {};
    manifest.inputs.forEach((slot, i) => {
      const t = inputs[i]!;
      feeds[slot.name] = slot.dtype === 'bool' ? Uint8Array.from(t.data as ArrayLike<number>) : t.data;
    });
    return feeds;
  };
  return {
    inputs: manifest.inputs, outputs: manifest.outputs,
    async run(inputs: readonly Tensor[]): Promise<Tensor[]> {
      const out = await model.run(feedsOf(inputs));
      return manifest.outputs.map((slot) => {
        const et = ELEMENT_OF[slot.dtype]!;
        const v = out[slot.name]!;
        return et === 'bool' ? Tensor.from('bool', slot.shape, Array.from(v as ArrayLike<number>, (x) => x !== 0)) : new Tensor(et, slot.shape, v as never);
      });
    },
    timer: (inputs) => model.timer(feedsOf(inputs)),
    async profile(inputs, reps) {
      const p = await model.profile(feedsOf(inputs), reps === undefined ? {} : { reps });
      return { clock: p.clock, runMs: p.runMs, steps: p.dispatches };
    },
    dispose: () => model.destroy(),
  };
}

export const webgpuTarget: Target = {
  name: 'webgpu',
  summary: 'WebGPU compute shaders (WGSL): one shader per kernel call over two storage buffers, for browsers and Node (the webgpu package)',
  ops: SUPPORTED_WEBGPU_OPS,
  emits: [],
  caps: WEBGPU_CAPS,
  plan: (func: Func) => planWebGpu(func),
  compile,
  instantiate,
  close: releaseDevice,
  machine: async () => `webgpu adapter: ${(await processDevice()).adapter}`,
  isUnsupported: (e) => e instanceof WgslCompileError || e instanceof UnsupportedError,
};
