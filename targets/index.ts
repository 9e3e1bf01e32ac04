// The targets sparsec compiles to, by name. Each loads on first use (wasm brings binaryen), so naming
// them costs nothing.
import { UserError } from '../src/util/errors.js';
import type { Target } from './target.js';

export type { Artifact, CompileOptions, FileReader, IoInfo, KernelInfo, Model, Target } from './target.js';

const TARGETS: Readonly<Record<string, () => Promise<Target>>> = {
  wasm: async () => (await import('./wasm/target.js')).wasmTarget,
  webgpu: async () => (await import('./wgsl/target.js')).webgpuTarget,
};

export const TARGET_NAMES: readonly string[] = Object.keys(TARGETS);
export const DEFAULT_TARGET = 'wasm';

export class UnknownTargetError extends UserError {
  override name = 'UnknownTargetError';
}

const loaded = new Set<Target>();

export async function loadTarget(name: string): Promise<Target> {
  const load = Object.hasOwn(TARGETS, name) ? TARGETS[name] : undefined;
  if (!load) throw new UnknownTargetError(`unknown target '${name}' (targets: ${TARGET_NAMES.join(', ')})`);
  const t = await load();
  loaded.add(t);
  return t;
}

/** Releases what the targets loaded in this process hold (a WebGPU device). */
export async function closeTargets(): Promise<void> {
  for (const t of loaded) await t.close?.();
}
