// ONNX conformance through the wasm target: nothing compiled may fail; coverage is ratcheted.
import { describe, expect, it } from 'vitest';
import { findTests, runTestWasm, summarize, type TestResult } from '../../src/conformance/conformance.js';

const SUITES = ['node', 'pytorch-converted', 'pytorch-operator'].map((s) => new URL(`../../../shared/onnx-tests/${s}`, import.meta.url).pathname);

describe('ONNX conformance (wasm target)', () => {
  it('every test that compiles passes', async () => {
    const results: TestResult[] = [];
    for (const d of findTests(SUITES)) results.push(await runTestWasm(d, { rtol: 1e-3, atol: 1e-6 }));
    const s = summarize(results);
    console.log(`wasm conformance: ${s.passed} passed, ${s.failed} failed, ${s.unsupported} unsupported`);
    expect(results.filter((r) => r.status === 'failed').map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
    expect(s.passed).toBeGreaterThanOrEqual(200);
  }, 300_000);
});
