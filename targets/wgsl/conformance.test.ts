// ONNX conformance through the WebGPU target (on this machine's adapter: software Vulkan without a
// GPU): nothing compiled may fail, and every test the reference interpreter passes must pass
// compiled too, except tests that need f64 (WGSL has none) and the gaps listed with their reasons.
import { afterAll, describe, expect, it } from 'vitest';
import { findTests, runTest, summarize, type TestResult } from '../../src/conformance/conformance.js';
import { runTestCompiled } from '../../src/conformance/compiled.js';
import { webgpuTarget } from './target.js';
import { releaseDevice } from './device.js';

afterAll(releaseDevice);

const SUITES = ['node', 'pytorch-converted', 'pytorch-operator'].map((s) => new URL(`../../../shared/onnx-tests/${s}`, import.meta.url).pathname);

/** Tests the interpreter passes that the WebGPU target refuses, and why (none now). Never grow it without a reason. */
const KNOWN_GAPS: Record<string, string> = {};

describe('ONNX conformance (webgpu target)', () => {
  it('passes every test the interpreter passes (but f64 ones and the listed gaps); nothing compiled fails', async () => {
    const gpu: TestResult[] = [];
    const gaps: string[] = [];
    for (const d of findTests(SUITES)) {
      const g = await runTestCompiled(d, { rtol: 1e-3, atol: 1e-6 }, webgpuTarget);
      gpu.push(g);
      if (g.status !== 'passed' && !(g.name in KNOWN_GAPS) && !/WGSL has no f64/.test(g.reason ?? '') && (await runTest(d, { rtol: 1e-3, atol: 1e-6 })).status === 'passed') gaps.push(`${g.name}: ${g.reason}`);
    }
    const s = summarize(gpu);
    console.log(`webgpu conformance: ${s.passed} passed, ${s.failed} failed, ${s.unsupported} unsupported`);
    expect(gpu.filter((r) => r.status === 'failed').map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
    expect(gaps).toEqual([]);
    expect(gpu.filter((r) => r.name in KNOWN_GAPS && r.status === 'passed').map((r) => r.name)).toEqual([]);
  }, 600_000);
});
