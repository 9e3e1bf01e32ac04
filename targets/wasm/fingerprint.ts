// The fingerprint shared by a compiled model.wasm and its model.mjs / manifest.json: a hash of the
// module's bytes and of the inputs and outputs it was compiled with, stored in a custom section at
// the end of the module. Loaders compare it with their own copy, so a model.wasm paired with another
// model's loader (or a truncated one, whose tail is gone) is refused instead of running.
import { hashBytes } from '../../src/ir/tensor.js';

/** Name of the custom section holding the fingerprint (UTF-8 hex digits). */
export const FINGERPRINT_SECTION = 'sparsec.fingerprint';

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b += 128;
    out.push(b);
  } while (n > 0);
  return out;
}

/** The fingerprint of a module (without its fingerprint section) and its inputs and outputs. */
export function fingerprintOf(wasm: Uint8Array, io: unknown): string {
  const text = new TextEncoder().encode(JSON.stringify(io));
  const all = new Uint8Array(wasm.byteLength + text.byteLength);
  all.set(wasm, 0);
  all.set(text, wasm.byteLength);
  return hashBytes(all);
}

/** The module with a custom section holding `fingerprint` appended (custom sections may come last). */
export function appendFingerprint(wasm: Uint8Array, fingerprint: string): Uint8Array {
  const name = new TextEncoder().encode(FINGERPRINT_SECTION), value = new TextEncoder().encode(fingerprint);
  const body = [...uleb(name.byteLength), ...name, ...value];
  const section = Uint8Array.from([0, ...uleb(body.length), ...body]);
  const out = new Uint8Array(wasm.byteLength + section.byteLength);
  out.set(wasm, 0);
  out.set(section, wasm.byteLength);
  return out;
}

/** The fingerprint a compiled module carries, or undefined when it has none (not sparsec's, or truncated). */
export function readFingerprint(module: WebAssembly.Module): string | undefined {
  const s = WebAssembly.Module.customSections(module, FINGERPRINT_SECTION);
  return s.length === 1 ? new TextDecoder().decode(s[0]) : undefined;
}
