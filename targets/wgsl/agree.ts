// Test helper: compile a module for WebGPU, run it on the process's device on seeded random inputs
// and check every output against the reference interpreter (the plan given, else the default one);
// returns the kernels the plan chose.
import { expect } from 'vitest';
import type { Module } from '../../src/ir/core.js';
import { interpret } from '../../src/interp/interpret.js';
import { compareTensors } from '../../src/interp/compare.js';
import { randomInputs } from '../../src/pass/semantics.js';
import { verifyOrThrow } from '../../src/ir/verifier.js';
import type { Tensor } from '../../src/ir/tensor.js';
import type { KernelPlan } from '../../src/lower/plan.js';
import { webgpuTarget } from './target.js';

export async function agreeGpu(module: Module, seed: number, expectKernels: string[] = [], inputs?: Tensor[], plan?: KernelPlan): Promise<string[]> {
  verifyOrThrow(module);
  const ins = inputs ?? randomInputs(module, seed, 1);
  const want = interpret(module, ins);
  const artifact = webgpuTarget.compile(plan ?? webgpuTarget.plan(module.funcs[0]!));
  const model = await webgpuTarget.instantiate((name) => artifact.files[name]);
  try {
    const got = await model.run(ins);
    got.forEach((t, i) => {
      const c = compareTensors(t, want[i]!, { rtol: 1e-4, atol: 1e-5 });
      expect(c.mismatch, `output ${i}: ${JSON.stringify(c.mismatch, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`).toBeUndefined();
    });
  } finally {
    model.dispose?.();
  }
  const kernels = artifact.kernels.map((k) => k.kernel);
  for (const k of expectKernels) expect(kernels).toContain(k);
  return kernels;
}
