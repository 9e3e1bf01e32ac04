// Test helper: compile a module to wasm, run it (and its relaxed-SIMD variant, when there is one) on
// seeded random inputs and check every output against the reference interpreter (rtol 1e-4);
// returns the kernels the manifest lists.
import { expect } from 'vitest';
import type { Module } from '../../src/ir/core.js';
import { interpret } from '../../src/interp/interpret.js';
import { compareTensors } from '../../src/interp/compare.js';
import { randomInputs } from '../../src/pass/semantics.js';
import { verifyOrThrow } from '../../src/ir/verifier.js';
import { compileWasm } from './compile.js';
import { instantiate } from './runtime.js';
import { enableRelaxedSimd } from './features.js';

export async function agree(module: Module, seed: number, expectKernels: string[] = []): Promise<string[]> {
  verifyOrThrow(module);
  const inputs = randomInputs(module, seed, 1);
  const want = interpret(module, inputs);
  const { wasm, relaxedWasm, manifest } = compileWasm(module.funcs[0]!);
  expect(WebAssembly.validate(wasm as Uint8Array<ArrayBuffer>)).toBe(true);
  if (relaxedWasm) expect(await enableRelaxedSimd()).toBe(true);
  for (const code of [wasm, ...(relaxedWasm ? [relaxedWasm] : [])]) {
    const got = (await instantiate(code, manifest)).run(inputs);
    got.forEach((t, i) => {
      const c = compareTensors(t, want[i]!, { rtol: 1e-4, atol: 1e-5 });
      expect(c.mismatch, `output ${i}${code === relaxedWasm ? ' (relaxed SIMD)' : ''}: ${JSON.stringify(c.mismatch, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`).toBeUndefined();
    });
  }
  const kernels = manifest.kernels.map((k) => k.kernel);
  for (const k of expectKernels) expect(kernels).toContain(k);
  return kernels;
}
