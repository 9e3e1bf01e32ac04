// Relaxed SIMD (fused multiply-add) detection. A compile may write model.relaxed.wasm beside
// model.wasm (same model, same memory layout, f32x4.relaxed_madd in the hot loops); loaders take it
// where the engine validates a relaxed-SIMD module (Chrome 114+, Node 22+) and model.wasm elsewhere.
// Node 20 has relaxed SIMD behind a V8 flag: sparsec's own runs (CLI, benchmarks, tests) turn it on.

/** The smallest module using relaxed SIMD: one function returning f32x4.relaxed_madd of its three v128 parameters. */
export const RELAXED_SIMD_PROBE: readonly number[] = [0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11];

export const relaxedSimdSupported = (): boolean => WebAssembly.validate(Uint8Array.from(RELAXED_SIMD_PROBE));

let tried = false;

/** In Node versions that have relaxed SIMD behind a flag (20), turns it on for this process; true when the engine then has it. */
export async function enableRelaxedSimd(): Promise<boolean> {
  if (relaxedSimdSupported() || tried) return relaxedSimdSupported();
  tried = true;
  if (typeof process === 'undefined' || !process.versions?.node) return false;
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdSupported();
}
