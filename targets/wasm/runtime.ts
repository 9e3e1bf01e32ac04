// Running compiled output in this process (tests, `sparsec run` on a compiled folder): inputs are
// copied to their slots, `run` is called, outputs are read back.
import { Tensor } from '../../src/ir/tensor.js';
import type { ElementType } from '../../src/ir/types.js';
import type { Manifest } from './compile.js';
import { DTYPE_NAMES, type DtypeName } from './dtype.js';

/** The math functions compiled modules import (env.log, env.tanh, env.pow; exp and erf are compiled in). */
export function hostMath(): Record<string, (x: number, y: number) => number> {
  return { log: Math.log, tanh: Math.tanh, pow: Math.pow };
}

const ELEMENT_OF = Object.fromEntries(Object.entries(DTYPE_NAMES).map(([et, n]) => [n, et])) as Record<DtypeName, ElementType>;

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
        const et = ELEMENT_OF[slot.dtype];
        if (t.elementType !== et || t.shape.join('x') !== slot.shape.join('x')) {
          throw new Error(`input '${slot.name}': expected ${slot.dtype}[${slot.shape.join('x')}], got ${DTYPE_NAMES[t.elementType as keyof typeof DTYPE_NAMES] ?? t.elementType}[${t.shape.join('x')}]`);
        }
        new Uint8Array(memory.buffer, slot.offset, t.data.byteLength).set(t.bytes());
      });
      run();
      return manifest.outputs.map((slot) => {
        const et = ELEMENT_OF[slot.dtype];
        const t = Tensor.zeros(et, slot.shape);
        return Tensor.fromBytes(et, slot.shape, new Uint8Array(memory.buffer, slot.offset, t.data.byteLength));
      });
    },
  };
}
