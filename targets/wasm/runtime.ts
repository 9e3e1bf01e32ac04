// Running compiled output in this process (tests, `sparsec run` on a compiled folder): the manifest
// is checked (one line naming the bad field), the module must be a sparsec module carrying the
// manifest's fingerprint, inputs are copied to their slots, `run` is called, outputs are read back.
import { Tensor } from '../../src/ir/tensor.js';
import type { ElementType } from '../../src/ir/types.js';
import { UserError } from '../../src/util/errors.js';
import { WASM32_MAX_BYTES } from '../../src/util/limits.js';
import type { Manifest, TensorSlot } from './compile.js';
import { DTYPE_NAMES, elemBytes, type DtypeName } from './dtype.js';
import { readFingerprint } from './fingerprint.js';

/** The math functions compiled modules import (env.log, env.tanh, env.pow; exp and erf are compiled in). */
export function hostMath(): Record<string, (x: number, y: number) => number> {
  return { log: Math.log, tanh: Math.tanh, pow: Math.pow };
}

/** The IR element type of each loader dtype name. */
export const ELEMENT_OF = Object.fromEntries(Object.entries(DTYPE_NAMES).map(([et, n]) => [n, et])) as Record<DtypeName, ElementType>;

/** A compiled model that cannot be loaded or run as given: a bad manifest, a module that is not sparsec's or not the manifest's, wrong inputs. */
export class ModelLoadError extends UserError {
  override name = 'ModelLoadError';
}

export interface CompiledModel {
  readonly manifest: Manifest;
  run(inputs: readonly Tensor[]): Tensor[];
}

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return Array.isArray(v) ? `an array of ${v.length}` : `${(v as object).constructor?.name ?? 'an object'}`;
  return String(v);
};

const slotBytes = (s: TensorSlot): number => elemBytes(ELEMENT_OF[s.dtype]) * s.shape.reduce((a, b) => a * b, 1);

/**
 * Checks a manifest read from manifest.json (types, shapes, dtypes, offsets within the memory) and
 * returns it typed; a bad field is a ModelLoadError naming it, e.g. "manifest.json: inputs[0].shape[1]
 * must be a non-negative integer, got -3".
 */
export function validateManifest(m: unknown): Manifest {
  const bad = (field: string, want: string, got: unknown): never => {
    throw new ModelLoadError(`manifest.json: ${field} must be ${want}, got ${show(got)}`);
  };
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) bad('the manifest', 'an object', m);
  const o = m as Record<string, unknown>;
  const memoryBytes = o['memoryBytes'];
  if (!isInt(memoryBytes) || memoryBytes > WASM32_MAX_BYTES) bad('memoryBytes', `an integer from 0 to ${WASM32_MAX_BYTES}`, memoryBytes);
  if (typeof o['fingerprint'] !== 'string' || !/^[0-9a-f]{1,64}$/.test(o['fingerprint'])) bad('fingerprint', 'the hex string sparsec compile wrote', o['fingerprint']);
  for (const list of ['inputs', 'outputs'] as const) {
    const slots = o[list];
    if (!Array.isArray(slots)) bad(list, 'an array', slots);
    (slots as unknown[]).forEach((s, i) => {
      const at = `${list}[${i}]`;
      if (s === null || typeof s !== 'object' || Array.isArray(s)) bad(at, 'an object with name, shape, dtype and offset', s);
      const t = s as Record<string, unknown>;
      if (typeof t['name'] !== 'string') bad(`${at}.name`, 'a string', t['name']);
      if (typeof t['dtype'] !== 'string' || !(t['dtype'] in ELEMENT_OF)) bad(`${at}.dtype`, `one of ${Object.keys(ELEMENT_OF).join(', ')}`, t['dtype']);
      const shape = t['shape'];
      if (!Array.isArray(shape)) bad(`${at}.shape`, 'an array of non-negative integers', shape);
      (shape as unknown[]).forEach((d, k) => { if (!isInt(d)) bad(`${at}.shape[${k}]`, 'a non-negative integer', d); });
      if (!isInt(t['offset'])) bad(`${at}.offset`, 'a non-negative integer', t['offset']);
      const bytes = slotBytes(t as unknown as TensorSlot);
      if ((t['offset'] as number) + bytes > (memoryBytes as number)) {
        bad(`${at}.offset`, `within the memory (${bytes} bytes of ${String(t['dtype'])}[${(shape as number[]).join('x')}] from the offset must end by memoryBytes = ${String(memoryBytes)})`, t['offset']);
      }
    });
  }
  if (o['relaxedSimd'] !== undefined && typeof o['relaxedSimd'] !== 'boolean') bad('relaxedSimd', 'true or false', o['relaxedSimd']);
  return m as Manifest;
}

/** Loads a compiled module (`file`: its name in messages, model.wasm or model.relaxed.wasm) with its manifest. */
export async function instantiate(wasm: Uint8Array, manifestIn: unknown, file = 'model.wasm'): Promise<CompiledModel> {
  const manifest = validateManifest(manifestIn);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new ModelLoadError(`${file} is not a valid sparsec module: ${(e as Error).message}`);
  }
  const fp = readFingerprint(module);
  if (fp === undefined) throw new ModelLoadError(`${file} is not a valid sparsec module: it carries no sparsec fingerprint (truncated, or not written by sparsec compile)`);
  if (fp !== manifest.fingerprint) throw new ModelLoadError(`${file} does not match manifest.json: the module's fingerprint is ${fp}, the manifest's is ${manifest.fingerprint} (they come from different compiles)`);
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: hostMath() });
  } catch (e) {
    throw new ModelLoadError(`${file} is not a valid sparsec module: ${(e as Error).message}`);
  }
  const memory = instance.exports['memory'];
  const run = instance.exports['run'];
  if (!(memory instanceof WebAssembly.Memory) || typeof run !== 'function') throw new ModelLoadError(`${file} is not a valid sparsec module: it does not export 'memory' and 'run'`);
  for (const s of [...manifest.inputs, ...manifest.outputs]) {
    if (s.offset + slotBytes(s) > memory.buffer.byteLength) throw new ModelLoadError(`manifest.json: '${s.name}' (offset ${s.offset}, ${slotBytes(s)} bytes) lies outside the module's ${memory.buffer.byteLength} bytes of memory`);
  }
  return {
    manifest,
    run(inputs) {
      if (!Array.isArray(inputs)) throw new ModelLoadError(`run() takes an array of ${manifest.inputs.length} tensor(s) (${manifest.inputs.map((i) => i.name).join(', ')}), got ${show(inputs)}`);
      if (inputs.length !== manifest.inputs.length) throw new ModelLoadError(`the model takes ${manifest.inputs.length} input(s) (${manifest.inputs.map((i) => i.name).join(', ')}), got ${inputs.length}`);
      manifest.inputs.forEach((slot, i) => {
        const t: unknown = inputs[i];
        const et = ELEMENT_OF[slot.dtype];
        if (!(t instanceof Tensor)) throw new ModelLoadError(`input '${slot.name}': expected a tensor ${slot.dtype}[${slot.shape.join('x')}], got ${show(t)}`);
        if (t.elementType !== et || t.shape.join('x') !== slot.shape.join('x')) {
          throw new ModelLoadError(`input '${slot.name}': expected ${slot.dtype}[${slot.shape.join('x')}], got ${DTYPE_NAMES[t.elementType as keyof typeof DTYPE_NAMES] ?? t.elementType}[${t.shape.join('x')}]`);
        }
        new Uint8Array(memory.buffer, slot.offset, t.data.byteLength).set(t.bytes());
      });
      (run as () => void)();
      return manifest.outputs.map((slot) => {
        const et = ELEMENT_OF[slot.dtype];
        return Tensor.fromBytes(et, slot.shape, new Uint8Array(memory.buffer, slot.offset, slotBytes(slot)));
      });
    },
  };
}
