// Running compiled output in this process (tests, `sparsec run` on a compiled folder): inputs are
// copied to their slots, `run` is called, outputs are read back.
import { Tensor } from '../../src/ir/tensor.js';
import type { Manifest } from './compile.js';
import { erf } from '../../src/interp/kernels/elementwise.js';

/** The math functions compiled modules import (env.exp, env.log, env.tanh, env.erf). */
export function hostMath(): Record<string, (x: number) => number> {
  return { exp: Math.exp, log: Math.log, tanh: Math.tanh, erf };
}

export interface CompiledModel {
  readonly manifest: Manifest;
  run(inputs: readonly Tensor[]): Tensor[];
}

export async function instantiate(wasm: Uint8Array, manifest: Manifest): Promise<CompiledModel> {
  const { instance } = await WebAssembly.instantiate(wasm as Uint8Array<ArrayBuffer>, { env: hostMath() });
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  const run = instance.exports['run'] as () => void;
  return {
    manifest,
    run(inputs) {
      if (inputs.length !== manifest.inputs.length) throw new Error(`the model takes ${manifest.inputs.length} input(s) (${manifest.inputs.map((i) => i.name).join(', ')}), got ${inputs.length}`);
      manifest.inputs.forEach((slot, i) => {
        const t = inputs[i]!;
        const want = slot.shape.reduce((a, b) => a * b, 1);
        if (t.elementType !== 'f32' || t.size !== want || t.shape.join('x') !== slot.shape.join('x')) {
          throw new Error(`input '${slot.name}': expected float32[${slot.shape.join('x')}], got ${t.elementType}[${t.shape.join('x')}]`);
        }
        new Float32Array(memory.buffer, slot.offset, want).set(t.data as Float32Array);
      });
      run();
      return manifest.outputs.map((slot) => {
        const n = slot.shape.reduce((a, b) => a * b, 1);
        return new Tensor('f32', slot.shape, new Float32Array(memory.buffer, slot.offset, n).slice());
      });
    },
  };
}
